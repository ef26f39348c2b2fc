"""A scriptable OpenAI-compatible server on 127.0.0.1, for tests and benchmarks.

No hosted LLM is reachable from CI, so the openai backend is tested against
this: a real HTTP server speaking the chat-completions protocol, driven through
the real SDK and instructor. It ships with the library (as httpx ships
MockTransport) so users can test their own pipelines the same way.

Each request takes the next scripted action, or `default` when the script is
empty. Actions:

- `Reply(data)`: a valid answer carrying `data` (a dict) as the tool call's
  arguments in tools mode, or as the message content otherwise.
- `Raw(text)`: the same, but `text` is sent verbatim as the arguments/content
  (for malformed JSON).
- `Status(code, body, headers)`: an HTTP error, e.g. 429 with Retry-After; a
  `bytes` body is sent as it is (for a body that is not UTF-8).
- `Stall(seconds)`: wait, then take the next action (slower than a timeout).
- `Trickle(seconds)`: send the next action's answer a byte at a time, spread
  over `seconds` (each read is quick, the whole answer is not).
- `Drop()`: close the connection without answering.

Every request body is kept in `received`, so tests assert on what was sent.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    data: dict[str, Any]


@dataclass
class Raw:
    text: str


@dataclass
class Status:
    code: int
    body: dict[str, Any] | str | bytes = field(
        default_factory=lambda: {"error": {"message": "scripted"}})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stall:
    seconds: float


@dataclass
class Trickle:
    seconds: float


@dataclass
class Drop:
    pass


Action = Reply | Raw | Status | Stall | Trickle | Drop

EMPTY_SUMMARY = {"task": "unknown task", "method": "unknown method", "speedups": [],
                 "hardware": [], "datasets": []}


def _completion(request: dict[str, Any], text: str) -> dict[str, Any]:
    """A chat.completion answering `request` with `text` in the right place."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    tools = request.get("tools") or []
    if tools:
        message["tool_calls"] = [{
            "id": "call_0",
            "type": "function",
            "function": {"name": tools[0]["function"]["name"], "arguments": text},
        }]
        finish = "tool_calls"
    else:
        message["content"] = text
        finish = "stop"
    prompt_tokens = sum(len(str(m.get("content", ""))) for m in request.get("messages", [])) // 4
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text) // 4,
                  "total_tokens": prompt_tokens + len(text) // 4},
    }


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: 64 clients connecting at once
    # saw resets and 1-3 s SYN retries.
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, a killed run) is not the server's error;
        anything else is still printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ScriptedServer(ABC):
    """The HTTP plumbing of a fake provider: a script of actions, a record of
    what was received, delays, stalls and dropped connections. Subclasses say
    which path they serve, where clients point (`url`), and how an action
    becomes a response (`answer`)."""

    route: str | None = None  # None: any path

    def __init__(
        self,
        default: Callable[[dict[str, Any]], Any] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.script: deque[Any] = deque()
        self.default = default or (lambda request: Reply(EMPTY_SUMMARY))
        self.delay = delay
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.active = 0  # requests being answered now
        self.peak = 0  # the most answered at once: what a client had in flight, at least
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.base

    def push(self, *actions: Any) -> Self:
        self.script.extend(actions)
        return self

    @abstractmethod
    def answer(self, request: dict[str, Any], action: Any) -> tuple[int, Any, dict[str, str]]:
        """(status, body, headers) for an action other than Stall or Drop."""

    def not_found(self, path: str) -> Any:
        return {"error": {"message": f"no route {path}"}}

    def _next(self, request: dict[str, Any], *, record: bool) -> Any:
        with self._lock:
            if record:
                self.received.append(request)
            if self.script:
                return self.script.popleft()
        return self.default(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, each answer
            # waited ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if server.route and self.path.split("?")[0].rstrip("/") != server.route:
                    self._send(404, server.not_found(self.path))
                    return
                try:
                    request = json.loads(body)
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "request body is not JSON"}})
                    return
                with server._lock:
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    server.active += 1
                    server.peak = max(server.peak, server.active)
                try:
                    self._answer(request)
                finally:
                    with server._lock:
                        server.active -= 1

            def _answer(self, request: dict[str, Any]) -> None:
                if server.delay:
                    time.sleep(server.delay)
                action = server._next(request, record=True)
                trickle = 0.0
                while isinstance(action, Stall | Trickle):
                    if isinstance(action, Stall):
                        time.sleep(action.seconds)
                    else:
                        trickle = action.seconds
                    action = server._next(request, record=False)
                if isinstance(action, Drop):
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                else:
                    self._send(*server.answer(request, action), trickle=trickle)

            def _send(self, code: int, body: Any, headers: dict[str, str] | None = None,
                      trickle: float = 0.0) -> None:
                data = body if isinstance(body, bytes) else (
                    body if isinstance(body, str) else json.dumps(body)).encode()
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    if not trickle:
                        self.wfile.write(data)
                        return
                    for at in range(len(data)):
                        self.wfile.write(data[at : at + 1])
                        time.sleep(trickle / len(data))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to answer

        return Handler

    def start(self) -> Self:
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FakeOpenAIServer(ScriptedServer):
    """Start with `with FakeOpenAIServer() as server:`; point the backend at `server.url`."""

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    def answer(self, request: dict[str, Any], action: Action) -> tuple[int, Any, dict[str, str]]:
        if isinstance(action, Status):
            return action.code, action.body, action.headers
        text = json.dumps(action.data) if isinstance(action, Reply) else action.text
        return 200, _completion(request, text), {}

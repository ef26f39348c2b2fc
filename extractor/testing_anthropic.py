"""A scriptable Anthropic Messages server on 127.0.0.1, for tests and benchmarks.

The twin of `extractor.testing.FakeOpenAIServer` for the anthropic backend: a
real HTTP server answering `POST /v1/messages`, driven through the real
anthropic SDK and instructor. Point the backend at `server.url` (the SDK adds
`/v1/messages` itself).

Each request takes the next scripted action, or `default` when the script is
empty. Actions:

- `Reply(data)`: a `tool_use` content block with `data` (a dict) as its input,
  named after the first tool in the request, and `stop_reason: "tool_use"`.
- `Text(text)`: a plain text block and no tool call (a model ignoring the tool).
- `Status(code, body, headers)`: an HTTP error in Anthropic's error shape; the
  error type follows the code (429 rate_limit_error, 529 overloaded_error, ...).
- `Stall(seconds)`: wait, then take the next action (slower than a timeout).
- `Drop()`: close the connection without answering.

`Stall` and `Drop` are the same classes as in `extractor.testing`. Every request
body is kept in `received` and its headers in `headers`, so tests assert on what
was sent (re-ask messages, the API key header).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .testing import EMPTY_SUMMARY, Drop, Stall

__all__ = ["EMPTY_SUMMARY", "Drop", "FakeAnthropicServer", "Reply", "Stall", "Status", "Text"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class Reply:
    data: dict[str, Any]


@dataclass
class Text:
    text: str


@dataclass
class Status:
    code: int
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any] | str:
        if self.body is not None:
            return self.body
        kind = ERROR_TYPES.get(self.code, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"scripted {self.code}"}}


Action = Reply | Text | Status | Stall | Drop


def _message(request: dict[str, Any], action: Reply | Text) -> dict[str, Any]:
    """A Messages API response answering `request` with `action`."""
    if isinstance(action, Reply):
        tools = request.get("tools") or [{"name": "tool"}]
        content = [{"type": "tool_use", "id": "toolu_fake0", "name": tools[0]["name"],
                    "input": action.data}]
        stop, text = "tool_use", json.dumps(action.data)
    else:
        content = [{"type": "text", "text": action.text}]
        stop, text = "end_turn", action.text
    sent = json.dumps(request.get("system", "")) + json.dumps(request.get("messages", []))
    input_tokens = len(sent) // 4
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.get("model", "fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": max(len(text) // 4, 1)},
    }


class FakeAnthropicServer:
    """Start with `with FakeAnthropicServer() as server:`; pass `base_url=server.url`."""

    def __init__(
        self,
        default: Callable[[dict[str, Any]], Action] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.script: deque[Action] = deque()
        self.default = default or (lambda request: Reply(EMPTY_SUMMARY))
        self.delay = delay
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *actions: Action) -> FakeAnthropicServer:
        self.script.extend(actions)
        return self

    def _next(self, request: dict[str, Any]) -> Action:
        with self._lock:
            self.received.append(request)
            if self.script:
                return self.script.popleft()
        return self.default(request)

    def _after_stall(self, request: dict[str, Any]) -> Action:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.default(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if self.path.split("?")[0].rstrip("/") != "/v1/messages":
                    self._send(404, Status(404, {"type": "error", "error": {
                        "type": "not_found_error", "message": f"no route {self.path}"}}).payload())
                    return
                try:
                    request = json.loads(body)
                except json.JSONDecodeError:
                    self._send(400, Status(400).payload())
                    return
                with server._lock:
                    server.headers.append(dict(self.headers))
                if server.delay:
                    time.sleep(server.delay)
                action = server._next(request)
                while isinstance(action, Stall):
                    time.sleep(action.seconds)
                    action = server._after_stall(request)
                if isinstance(action, Drop):
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                elif isinstance(action, Status):
                    self._send(action.code, action.payload(), action.headers)
                else:
                    self._send(200, _message(request, action))

            def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to answer

        return Handler

    def start(self) -> FakeAnthropicServer:
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

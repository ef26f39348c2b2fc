"""A scriptable Anthropic Messages server on 127.0.0.1, for tests and benchmarks.

The twin of `extractor.testing.FakeOpenAIServer` for the anthropic backend: a
real HTTP server answering `POST /v1/messages`, driven through the real
anthropic SDK and instructor. Point the backend at `server.url` (the SDK adds
`/v1/messages` itself).

Each request takes the next scripted action, or `default` when the script is
empty; without a `default`, a valid answer holding `EMPTY_SUMMARY`, as the
openai fake answers. Actions:

- `Reply(data)`: a `tool_use` content block with `data` (a dict) as its input,
  named after the first tool in the request, and `stop_reason: "tool_use"`.
- `Text(text)`: a plain text block and no tool call (a model ignoring the tool).
- `Status(code, body, headers)`: an HTTP error in Anthropic's error shape; the
  error type follows the code (429 rate_limit_error, 529 overloaded_error, ...).
- `Stall(seconds)`: wait, then take the next action (slower than a timeout).
- `Trickle(seconds)`: send the next action's answer a byte at a time.
- `Drop()`: close the connection without answering.

`Stall`, `Trickle` and `Drop` are the same classes as in `extractor.testing`.
Every request body is kept in `received` and its headers in `headers`, so
tests assert on what was sent (re-ask messages, the API key header).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .testing import EMPTY_SUMMARY, Drop, ScriptedServer, Stall, Trickle

__all__ = [
    "EMPTY_SUMMARY", "Drop", "FakeAnthropicServer", "Reply", "Stall", "Status", "Text", "Trickle",
]

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
    body: dict[str, Any] | str | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any] | str | bytes:
        if self.body is not None:
            return self.body
        kind = ERROR_TYPES.get(self.code, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"scripted {self.code}"}}


Action = Reply | Text | Status | Stall | Trickle | Drop


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


class FakeAnthropicServer(ScriptedServer):
    """Start with `with FakeAnthropicServer() as server:`; pass `base_url=server.url`."""

    route = "/v1/messages"

    def __init__(
        self,
        default: Callable[[dict[str, Any]], Any] | None = None,
        delay: float = 0.0,
    ) -> None:
        # The inherited default is the openai fake's Reply, which this server
        # cannot answer: every unscripted request crashed the handler, and the
        # client saw "could not reach".
        super().__init__(default or (lambda request: Reply(EMPTY_SUMMARY)), delay)

    def not_found(self, path: str) -> Any:
        error = {"type": "not_found_error", "message": f"no route {path}"}
        return {"type": "error", "error": error}

    def answer(self, request: dict[str, Any], action: Action) -> tuple[int, Any, dict[str, str]]:
        if isinstance(action, Status):
            return action.code, action.payload(), action.headers
        return 200, _message(request, action), {}

"""Anthropic's Messages API, through instructor's tools mode (ANTHROPIC_TOOLS).

This is the only module that imports the anthropic SDK, and it translates the
SDK's exceptions at this border, the same way the openai backend does:

- The SDK's own retries are off (`max_retries=0`): `extractor.retry` is the one
  layer that retries, and only what is translated to `TransientError` here:
  429 (with its Retry-After), 5xx including 529 "overloaded", 408, 409,
  timeouts and dropped connections. 401/403 and other 4xx fail at once.
- The answer is a forced `tool_use` of a tool whose input schema is
  PaperSummary's; instructor validates its input against the abstract
  and, on a validation error, re-asks with a `tool_result` (is_error) carrying
  the message. Re-asks are counted through per-call hooks, apart from network
  attempts, and only when one was actually sent (not after the last attempt).
- Usage is summed over every response, re-asks included, also when the call
  fails in the end. Prompt tokens include cache reads and writes, which the
  API reports apart from `input_tokens`.
- Sampling: the Messages API has no seed, and temperature is gone from the
  SDK's signature since anthropic 1.0 and deprecated for the newest Claude
  models (some answer 400 when it is sent), so by default neither is sent.
  `options={"temperature": "send"}` sends `Sampling.temperature` through
  `extra_body` (the SDK's documented way) for models that still take it.
  Every sampling option stays in the cache key either way.
- A 200 is screened before instructor reads it (`_screen`): an error object
  in the body (a proxy's) is mapped like the HTTP status its type names (429
  and 529 retried); `stop_reason: "refusal"` fails at once, since a re-ask
  only pays for the same refusal; content blocks that are not objects fail at
  once as not the API's answer.

Configuration: `api_key` or $ANTHROPIC_API_KEY (required, else ConfigError),
`model` or $EXTRACTOR_MODEL (default DEFAULT_MODEL), `base_url` or
$ANTHROPIC_BASE_URL (a proxy, or the loopback fake in
`extractor.testing_anthropic`), `timeout`, `mode` ("tools", the only one),
`options` ("temperature": "send" or "omit", the default).
"""

from __future__ import annotations

import os
from typing import Any

import anthropic
import instructor

from ..errors import BackendError, ConfigError
from ..result import Usage, tokens
from ..settings import http_url, usable_key
from . import _body
from ._border import SdkErrors, classify
from ._instructor import Meter, acall, aclose_client, call, checked, request_kwargs
from ._loop import PerLoop
from ._said import not_an_answer, not_text, other_tool, redacted, refused, reported_error
from .base import Backend, BackendConfig, Completion, Request, check_options

DEFAULT_MODEL = "claude-haiku-4-5"
DEFAULT_ENDPOINT = "https://api.anthropic.com"
# instructor 1.17 names it Mode.TOOLS under from_anthropic (ANTHROPIC_TOOLS is its
# deprecated alias): a forced tool_use whose input_schema is the response model.
MODES = {"tools": instructor.Mode.TOOLS}
_ERRORS = SdkErrors(
    anthropic.APITimeoutError, anthropic.APIConnectionError, anthropic.APIStatusError,
    anthropic.APIResponseValidationError, key_hint="ANTHROPIC_API_KEY or --api-key",
)


def anthropic_usage(response: Any) -> Usage:
    """Prompt tokens include cache reads and writes, which the API reports apart.
    Each count is read alone (`tokens`), so one that is no count (`1.5`, "12",
    -3) is ignored and cannot spoil the others' sum."""
    usage = getattr(response, "usage", None)
    prompt = sum(tokens(getattr(usage, name, None)) for name in (
        "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    return Usage(prompt, getattr(usage, "output_tokens", 0))


def _screen(where: str) -> Any:
    """What `checked` asks of a Messages API answer before instructor reads it."""

    def screen(message: Any, model: str, tool: str | None) -> BackendError | None:
        content = getattr(message, "content", None)
        if not isinstance(content, list):
            return (reported_error(getattr(message, "error", None), where, model=model,
                                   key_hint=_ERRORS.key_hint)
                    or not_an_answer(where, "without a list of content blocks"))
        if not all(isinstance(getattr(block, "type", None), str) for block in content):
            return not_an_answer(where, "with content blocks that are not objects")
        if getattr(message, "stop_reason", None) == "refusal":
            said = " ".join(t for block in content if isinstance(
                t := getattr(block, "text", None), str))
            return refused(where, model, "stop_reason refusal", said)
        called = [getattr(block, "name", None) for block in content if block.type == "tool_use"]
        if tool is not None and (wrong := [name for name in called if name != tool]):
            return other_tool(model, wrong[0], tool)
        return not_text(model, *(getattr(block, "input", getattr(block, "text", None))
                                 for block in content))

    return screen


class AnthropicBackend(Backend):
    name = "anthropic"
    waits_on_server = True

    def __init__(self, config: BackendConfig) -> None:
        api_key = usable_key(config.api_key or os.environ.get("ANTHROPIC_API_KEY"),
                             "the API key (--api-key, $ANTHROPIC_API_KEY)")
        if not api_key:
            raise ConfigError(
                "the anthropic backend needs an API key: set ANTHROPIC_API_KEY or pass "
                "api_key (--api-key)"
            )
        self._model = config.model or os.environ.get("EXTRACTOR_MODEL") or DEFAULT_MODEL
        self.base_url = http_url((config.base_url or os.environ.get("ANTHROPIC_BASE_URL")
                                  or DEFAULT_ENDPOINT).rstrip("/"),
                                 "base_url (--base-url, $ANTHROPIC_BASE_URL)",
                                 "--api-key or $ANTHROPIC_API_KEY")
        mode_name = (config.mode or "tools").lower()
        if mode_name not in MODES:
            raise ConfigError(
                f"unknown mode {config.mode!r} for the anthropic backend; choose from "
                f"{', '.join(MODES)}"
            )
        self.mode = mode_name
        check_options(self.name, config.options, ("temperature",))
        temperature = str(config.options.get("temperature", "omit")).lower()
        if temperature not in ("send", "omit"):
            raise ConfigError(f"option temperature takes send or omit, not {temperature!r}")
        self.send_temperature = temperature == "send"
        self.timeout = config.timeout
        self._common = {"api_key": api_key, "base_url": self.base_url,
                        "timeout": config.timeout, "max_retries": 0}
        # Each response body is bounded in size before it is read (`_body`).
        self._client = self._instructor(anthropic.Anthropic(
            **self._common, http_client=anthropic.DefaultHttpxClient(
                timeout=self.timeout, event_hooks=_body.hooks(self.base_url))))
        self._aclient = PerLoop(lambda: self._instructor(anthropic.AsyncAnthropic(
            **self._common, http_client=anthropic.DefaultAsyncHttpxClient(
                timeout=self.timeout, event_hooks=_body.ahooks(self.base_url)))),
            aclose_client)

    def _instructor(self, client: anthropic.Anthropic | anthropic.AsyncAnthropic) -> Any:
        """instructor over `client`, whose `messages.create` refuses a 200 that is
        not a message (see `_instructor.checked`). The wrapper is set on this
        client's own `messages` resource, which is what `from_anthropic` reads."""
        client.messages.create = checked(  # type: ignore[method-assign]
            client.messages.create, self.base_url, _screen(self.base_url),
            asynchronous=isinstance(client, anthropic.AsyncAnthropic), deadline=self.timeout,
            usage_of=anthropic_usage)
        return instructor.from_anthropic(client, mode=MODES[self.mode])

    @property
    def model(self) -> str:
        return self._model

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self._model, "endpoint": self.base_url,
                "mode": self.mode, "temperature_sent": self.send_temperature}

    def _kwargs(self, request: Request, meter: Meter) -> dict[str, Any]:
        kwargs = request_kwargs(self._model, request, meter)
        if self.send_temperature:
            kwargs["extra_body"] = {"temperature": request.sampling.temperature}
        return kwargs

    def complete(self, request: Request) -> Completion:
        meter = Meter(anthropic_usage)
        return call(self._client.messages.create_with_completion, request, meter,
                    self._classify, self._kwargs(request, meter))

    async def acomplete(self, request: Request) -> Completion:
        meter = Meter(anthropic_usage)
        return await acall(self._aclient.get().messages.create_with_completion, request, meter,
                           self._classify, self._kwargs(request, meter))

    async def aclose(self) -> None:
        await self._aclient.aclose()

    def close(self) -> None:
        self._client.client.close()

    # -- the exception border ------------------------------------------------

    def _classify(self, exc: Exception) -> BackendError:
        return redacted(classify(exc, _ERRORS, where=self.base_url, model=self._model,
                                 timeout=self.timeout), self._common["api_key"])

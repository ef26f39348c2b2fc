"""Any OpenAI-compatible chat-completions endpoint, through instructor.

OpenAI itself, Azure, vLLM, llama.cpp's server, Ollama, LM Studio and
OpenRouter all speak this protocol; `base_url` picks one. This is the only
module that imports openai and instructor, and it translates their exceptions
at this border:

- The SDK's own retries are off (`max_retries=0`): `extractor.retry` is the one
  layer that retries, and only what is translated to `TransientError` here.
- instructor's loop only re-asks after a validation or JSON error (instructor
  >= 1.14 re-raises API errors at once); its re-asks are counted through
  per-call hooks, apart from network attempts.
- Usage is summed over every HTTP response, re-asks included, also when the
  call fails in the end.

`transport` / `async_transport` let the replay backend and `extractor record`
put an httpx transport under the real SDK, so recorded traffic goes through
exactly the same parsing and validation as live traffic.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import time
from typing import Any

import httpx
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.core.hooks import Hooks
from pydantic import ValidationError

from ..errors import BackendError, ConfigError, PermanentError, TransientError, ValidationFailed
from ..result import Usage
from ..schema import PaperSummary
from .base import Backend, BackendConfig, Completion, Request

# instructor logs every failed attempt at ERROR; we report failures ourselves,
# so keep its records out of stderr unless the application configures logging.
logging.getLogger("instructor").addHandler(logging.NullHandler())

DEFAULT_MODEL = "gpt-4o-mini"
MODES = {
    "tools": instructor.Mode.TOOLS,
    "tools_strict": instructor.Mode.TOOLS_STRICT,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}
# Local servers ignore the key, but the SDK refuses to start without one.
_NO_KEY = "no-key-needed"


class _Meter:
    """Counts what one instructor call spends, through per-call hooks."""

    def __init__(self) -> None:
        self.usage = Usage()
        self.reasks = 0
        self.hooks = Hooks()
        self.hooks.on("completion:response", self._on_response)
        self.hooks.on("parse:error", self._on_parse_error)

    def _on_response(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage = self.usage + Usage(
                usage.prompt_tokens or 0, usage.completion_tokens or 0
            )

    def _on_parse_error(self, *args: Any, **kwargs: Any) -> None:
        self.reasks += 1


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(
        self,
        config: BackendConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._model = config.model or os.environ.get("EXTRACTOR_MODEL") or DEFAULT_MODEL
        self.base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = config.api_key or os.environ.get("OPENAI_API_KEY")
        if not api_key:
            if self.base_url is None:
                raise ConfigError(
                    "the openai backend needs an API key: set OPENAI_API_KEY or pass "
                    "api_key; for a local server pass its base_url instead"
                )
            api_key = _NO_KEY
        mode_name = (config.mode or "tools").lower()
        if mode_name not in MODES:
            raise ConfigError(f"unknown mode {config.mode!r}; choose from {', '.join(MODES)}")
        self.mode = mode_name
        self.timeout = config.timeout
        common = {"api_key": api_key, "base_url": self.base_url, "timeout": config.timeout,
                  "max_retries": 0}
        sync_http = httpx.Client(transport=transport, timeout=config.timeout) if transport else None
        self._client = instructor.from_openai(
            openai.OpenAI(**common, http_client=sync_http), mode=MODES[mode_name]
        )
        self._async_transport = async_transport
        self._common = common
        self._aclient: Any = None

    @property
    def model(self) -> str:
        return self._model

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self._model, "endpoint": self._endpoint(),
                "mode": self.mode}

    def _endpoint(self) -> str:
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")

    def _kwargs(self, request: Request, meter: _Meter) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self._model,
            "response_model": PaperSummary,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            "max_retries": request.max_reasks,
            "context": {"abstract": request.abstract},
            "temperature": request.sampling.temperature,
            "max_tokens": request.sampling.max_tokens,
            "hooks": meter.hooks,
        }
        if request.sampling.seed is not None:
            kwargs["seed"] = request.sampling.seed
        return kwargs

    def complete(self, request: Request) -> Completion:
        meter = _Meter()
        try:
            summary, raw = self._client.chat.completions.create_with_completion(
                **self._kwargs(request, meter)
            )
        except Exception as exc:
            raise self._translate(exc, meter) from exc
        return Completion(summary, meter.usage, meter.reasks, getattr(raw, "model", None))

    async def acomplete(self, request: Request) -> Completion:
        if self._aclient is None:
            http = (httpx.AsyncClient(transport=self._async_transport, timeout=self.timeout)
                    if self._async_transport else None)
            self._aclient = instructor.from_openai(
                openai.AsyncOpenAI(**self._common, http_client=http), mode=MODES[self.mode]
            )
        meter = _Meter()
        try:
            summary, raw = await self._aclient.chat.completions.create_with_completion(
                **self._kwargs(request, meter)
            )
        except Exception as exc:
            raise self._translate(exc, meter) from exc
        return Completion(summary, meter.usage, meter.reasks, getattr(raw, "model", None))

    def close(self) -> None:
        self._client.client.close()

    # -- the exception border ------------------------------------------------

    def _translate(self, exc: Exception, meter: _Meter) -> BackendError:
        error = self._classify(exc)
        error.usage = meter.usage
        error.reasks = meter.reasks
        return error

    def _classify(self, exc: Exception) -> BackendError:
        cause: BaseException = exc
        if isinstance(exc, InstructorRetryException) and exc.__cause__ is not None:
            cause = exc.__cause__
        where = self._endpoint()
        if isinstance(cause, IncompleteOutputException):
            return ValidationFailed(
                "the model's answer was cut off by max_tokens; raise max_tokens "
                "(--max-tokens) or use a model that answers more briefly"
            )
        parse_errors = ValidationError | json.JSONDecodeError | ValueError
        if isinstance(cause, parse_errors) and not isinstance(cause, openai.OpenAIError):
            return ValidationFailed(
                f"the answer from {self._model} still failed validation after "
                f"{getattr(exc, 'n_attempts', 1) - 1} re-asks: {_first_line(cause)}"
            )
        if isinstance(cause, openai.APITimeoutError):
            return TransientError(f"{where} did not answer within {self.timeout:g}s")
        if isinstance(cause, openai.APIConnectionError):
            return TransientError(f"could not reach {where}: {_first_line(cause)}")
        if isinstance(cause, openai.APIStatusError):
            status = cause.status_code
            detail = _first_line(cause)
            if status in (408, 409, 429) or status >= 500:
                return TransientError(
                    f"{where} answered {status}: {detail}",
                    retry_after=retry_after_seconds(cause.response.headers),
                    status=status,
                )
            if status in (401, 403):
                return PermanentError(
                    f"{where} refused the credentials ({status}): check OPENAI_API_KEY "
                    "or --api-key",
                    status=status,
                )
            if status == 404:
                return PermanentError(
                    f"{where} answered 404 for model {self._model!r}: check --model and "
                    f"--base-url ({detail})",
                    status=status,
                )
            return PermanentError(f"{where} rejected the request ({status}): {detail}",
                                  status=status)
        if isinstance(cause, openai.APIResponseValidationError | openai.OpenAIError):
            return ValidationFailed(f"{where} sent a response the SDK could not read: {cause}")
        return BackendError(f"unexpected error from {where}: {type(cause).__name__}: {cause}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or HTTP date)."""
    if value := headers.get("retry-after-ms"):
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(parsed.timestamp() - time.time(), 0.0) if parsed else None

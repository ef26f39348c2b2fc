"""Any OpenAI-compatible chat-completions endpoint, through instructor.

OpenAI itself, Azure, vLLM, llama.cpp's server, Ollama, LM Studio and
OpenRouter all speak this protocol; `base_url` picks one. This is the only
module that imports openai, and it translates their exceptions
at this border:

- The SDK's own retries are off (`max_retries=0`): `extractor.retry` is the one
  layer that retries, and only what is translated to `TransientError` here.
- instructor's loop only re-asks after a validation or JSON error; re-asks and
  usage are counted by `_instructor.Meter`, apart from network attempts.
- A 200 is screened before instructor reads it (`_screen`): an error in the
  body (OpenRouter's `{"error": {"code": 429, ...}}`, or a choice whose
  finish_reason is "error") is mapped like the HTTP status it names; a
  refusal (`message.refusal`) or a content filter fails at once, since a
  re-ask only pays for the same refusal; parts of the wrong type fail at
  once as not the API's answer, and a lone surrogate as no text (`not_text`).

Async requests go over the SDK's aiohttp transport (`openai.DefaultAioHttpClient`,
the `openai[aiohttp]` extra): in a batch run, client CPU bounds throughput, and
the aiohttp transport costs 0.5–1 ms less client CPU per request than httpx's
(`benchmarks/bench_batch.py`). An aiohttp session belongs to one event loop,
so the async client is made per loop and closed by `aclose`.

Every response body is bounded in size before it is read (`_body`): the SDK
reads a body whole, and a 1.5 GB answer took 6.2 GB of memory.

`transport` / `async_transport` let the replay backend and `extractor record`
put an httpx transport under the real SDK, so recorded traffic goes through
exactly the same parsing and validation as live traffic.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp
import httpx
import instructor
import openai
import pydantic
from openai._models import FinalRequestOptions, construct_type
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice

from ..errors import BackendError, ConfigError, TransientError
from ..settings import http_url, usable_key
from . import _body
from ._border import SdkErrors, chain, classify, ours_under
from ._instructor import Meter, acall, aclose_client, call, checked, openai_usage, request_kwargs
from ._loop import PerLoop
from ._said import (
    first_line,
    not_an_answer,
    not_text,
    other_tool,
    redacted,
    refused,
    reported_error,
)
from .base import Backend, BackendConfig, Completion, Request, check_options

DEFAULT_MODEL = "gpt-4o-mini"
MODES = {
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}
# instructor (>= 1.14) sends exactly the `tools` request for TOOLS_STRICT, with no
# strict schema, and OpenAI's strict mode would refuse PaperSummary anyway (it
# needs every field required and no length limits). Offering it promised what
# no request carried, so asking for it says so.
_NOT_MODES = {
    "tools_strict": "instructor sends the same request for it as for 'tools' (no strict "
                    "schema), and OpenAI's strict mode refuses this schema's optional fields "
                    "and length limits; use 'tools'",
}
_ERRORS = SdkErrors(openai.APITimeoutError, openai.APIConnectionError, openai.APIStatusError,
                    openai.OpenAIError, key_hint="OPENAI_API_KEY or --api-key")
# Local servers ignore the key, but the SDK refuses to start without one.
_NO_KEY = "no-key-needed"


def _instructor_client(client: openai.OpenAI | openai.AsyncOpenAI, mode: instructor.Mode,
                       deadline: float) -> Any:
    """instructor over `client`, sending through the SDK's own `request`.

    `chat.completions.create` first walks every parameter against its TypedDict
    (`maybe_transform`: about 1.5 ms of CPU per request, most of it in the
    JSON Schema of the tool), and a batch run's throughput per process is
    bound by client CPU. What instructor hands over is plain JSON already, so
    it is sent as it is, as `client.post` would send it; request building,
    auth, timeouts, errors and parsing into a `ChatCompletion` are still the
    SDK's, and `instructor.patch` is instructor's documented hook for a custom
    `create`."""
    where = str(client.base_url).rstrip("/")
    # What `client.post` builds for every request, less the body: copying it
    # costs 3 µs, building it anew (pydantic's model_construct resolving each
    # default) 50 µs. The SDK copies the options it is given before using them.
    template = FinalRequestOptions.construct(method="post", url="/chat/completions",
                                             json_data=None, files=None)
    if isinstance(client, openai.AsyncOpenAI):
        async def apost(**body: Any) -> ChatCompletion:
            options = template.model_copy(update={"json_data": body})
            return await client.request(_Parsed, options)

        acreate = checked(apost, where, _screen(where), asynchronous=True, deadline=deadline,
                          usage_of=openai_usage)
        return instructor.AsyncInstructor(
            client=client, create=instructor.patch(create=acreate, mode=mode), mode=mode)

    def post(**body: Any) -> ChatCompletion:
        return client.request(_Parsed, template.model_copy(update={"json_data": body}))

    create = checked(post, where, _screen(where), asynchronous=False, deadline=deadline,
                     usage_of=openai_usage)
    return instructor.Instructor(client=client, create=instructor.patch(create=create, mode=mode),
                                 mode=mode)


class _Parsed(ChatCompletion):
    """What the SDK is asked to read a response body as: a `ChatCompletion`,
    validated by pydantic's compiled core when the body fits the type.

    The SDK builds its models field by field in Python (`construct_type`), so
    that a body that does not match the type (a local server's unknown
    `finish_reason`, a choice that is a string) is kept as it came: about
    150 µs a response against 9 µs for validation, 5-8% of the client CPU of
    a batch run through the SDK. A class with a `build` classmethod is the SDK's
    own hook for that step (`ModelBuilderProtocol`); this one validates, and
    hands any body that fails to the SDK's own construction, so what `_screen`
    and instructor see is a `ChatCompletion` built exactly as before."""

    @classmethod
    def build(cls, *, response: Any, data: object) -> Any:
        try:
            return ChatCompletion.model_validate(data)
        except pydantic.ValidationError:
            return construct_type(type_=ChatCompletion, value=data)


def _screen(where: str) -> Any:
    """What `checked` asks of a chat completion before instructor reads it."""

    def screen(completion: Any, model: str, tool: str | None) -> BackendError | None:
        choices = getattr(completion, "choices", None)
        if not (isinstance(choices, list) and choices):
            return (reported_error(getattr(completion, "error", None), where, model=model,
                                   key_hint=_ERRORS.key_hint)
                    or not_an_answer(where, "without a choice holding a message"))
        choice = choices[0]
        if not isinstance(choice, Choice):  # a string, a number: the SDK builds what it gets
            return not_an_answer(where, "with a choice that is not an object")
        error = getattr(choice, "error", None)
        if choice.finish_reason == "error" or error:
            return reported_error(error or {"message": "finish_reason error, no reason given"},
                                  where, model=model, key_hint=_ERRORS.key_hint)
        message = choice.message
        if not isinstance(message, ChatCompletionMessage):
            return not_an_answer(where, "without a choice holding a message")
        if message.refusal is not None:
            return refused(where, model, "a refusal", message.refusal)
        if choice.finish_reason == "content_filter":
            return refused(where, model, "finish_reason content_filter", message.content)
        if message.content is not None and not isinstance(message.content, str):
            return not_an_answer(where, "with message content that is not text")
        calls = message.tool_calls
        if calls is not None and not isinstance(calls, list):
            return not_an_answer(where, "with tool_calls that is not a list")
        if not all(hasattr(getattr(call, "function", None), "arguments") for call in calls or []):
            return not_an_answer(where, "with a tool call that has no function")
        if tool is not None and calls and calls[0].function.name != tool:  # the one read
            return other_tool(model, calls[0].function.name, tool)
        return not_text(model, message.content, *(call.function.arguments for call in calls or []))

    return screen


class OpenAIBackend(Backend):
    name = "openai"
    waits_on_server = True

    def __init__(
        self,
        config: BackendConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._model = config.model or os.environ.get("EXTRACTOR_MODEL") or DEFAULT_MODEL
        self.base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or None
        if self.base_url is not None:
            http_url(self.base_url, "base_url (--base-url, $OPENAI_BASE_URL)",
                     "--api-key or $OPENAI_API_KEY")
        api_key = usable_key(config.api_key or os.environ.get("OPENAI_API_KEY"),
                             "the API key (--api-key, $OPENAI_API_KEY)")
        if not api_key:
            if self.base_url is None:
                raise ConfigError(
                    "the openai backend needs an API key: set OPENAI_API_KEY or pass "
                    "api_key; for a local server pass its base_url instead"
                )
            api_key = _NO_KEY
        check_options(self.name, config.options, ())
        mode_name = (config.mode or "tools").lower()
        if mode_name in _NOT_MODES:
            raise ConfigError(f"mode {mode_name!r} is not offered: {_NOT_MODES[mode_name]}")
        if mode_name not in MODES:
            raise ConfigError(f"unknown mode {config.mode!r}; choose from {', '.join(MODES)}")
        self.mode = mode_name
        self.timeout = config.timeout
        common = {"api_key": api_key, "base_url": self.base_url, "timeout": config.timeout,
                  "max_retries": 0}
        # Each body is bounded in size (`_body`): replay's transport serves recordings,
        # and `record`'s bounds what it reads itself.
        sync_http = (httpx.Client(transport=transport, timeout=config.timeout) if transport
                     else openai.DefaultHttpxClient(timeout=config.timeout,
                                                    event_hooks=_body.hooks(self._endpoint())))
        self._client = _instructor_client(openai.OpenAI(**common, http_client=sync_http),
                                          MODES[mode_name], config.timeout)
        self._async_transport = async_transport
        self._common = common
        self._aclient = PerLoop(self._new_async_client, aclose_client)

    @property
    def model(self) -> str:
        return self._model

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self._model, "endpoint": self._endpoint(),
                "mode": self.mode}

    def _endpoint(self) -> str:
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")

    def _kwargs(self, request: Request, meter: Meter) -> dict[str, Any]:
        kwargs = request_kwargs(self._model, request, meter)
        kwargs["temperature"] = request.sampling.temperature
        if request.sampling.seed is not None:
            kwargs["seed"] = request.sampling.seed
        return kwargs

    def complete(self, request: Request) -> Completion:
        meter = Meter()
        return call(self._client.chat.completions.create_with_completion, request, meter,
                    self._classify, self._kwargs(request, meter))

    async def acomplete(self, request: Request) -> Completion:
        meter = Meter()
        return await acall(self._aclient.get().chat.completions.create_with_completion,
                           request, meter, self._classify, self._kwargs(request, meter))

    def _new_async_client(self) -> Any:
        http = (httpx.AsyncClient(transport=self._async_transport, timeout=self.timeout)
                if self._async_transport else openai.DefaultAioHttpClient(
                    timeout=self.timeout, event_hooks=_body.ahooks(self._endpoint())))
        return _instructor_client(openai.AsyncOpenAI(**self._common, http_client=http),
                                  MODES[self.mode], self.timeout)

    async def aclose(self) -> None:
        await self._aclient.aclose()

    def close(self) -> None:
        self._client.client.close()

    # -- the exception border ------------------------------------------------

    def _classify(self, exc: Exception) -> BackendError:
        if not ours_under(exc) and (dropped := _dropped_connection(exc)):
            error: BackendError = TransientError(
                f"could not reach {self._endpoint()}: {first_line(dropped)}")
        else:
            error = classify(exc, _ERRORS, where=self._endpoint(), model=self._model,
                             timeout=self.timeout)
        return redacted(error, self._common["api_key"])


def _dropped_connection(exc: BaseException) -> BaseException | None:
    """The aiohttp error under `exc` when the connection failed for a reason
    other than time. The aiohttp transport maps every ClientConnectionError, a
    server that hung up included, to httpx's ConnectTimeout, and the SDK's
    "did not answer within 60s" would then be a false lead. `chain` visits each
    link once: a chain that loops (any library's) hung the call here."""
    return next((link for link in chain(exc)
                 if isinstance(link, aiohttp.ClientConnectionError)
                 and not isinstance(link, aiohttp.ServerTimeoutError | asyncio.TimeoutError)),
                None)

"""What every instructor-driven backend shares, so each one maps only its own SDK.

Three backends drive instructor (openai, anthropic, llamacpp). They differ in
their SDK's exception classes and usage fields, and agree on everything else:

- `Meter` counts one instructor call's spending through per-call hooks:
  tokens over every response (re-asks included, also when the call fails in
  the end) and re-asks. A parse error on the last attempt is not followed by a
  re-ask, so it is not counted as one.
- `RESPONSE_MODEL` is PaperSummary as instructor wants it, built once, and
  checked once for async validators instead of seven times per call.
- `_border.py` turns whatever a call raised into our error (`classify`,
  `parse_failure`), for each backend's own SDK exception classes.
- `checked` wraps an SDK's create so that a 200 which is not the API's answer
  (a web page, `{}`, no choices, parts of the wrong type) is one clear
  PermanentError, not a re-ask or an "unexpected error" from inside
  instructor. Each backend hands it a `Screen` that reads its API's shape,
  built from the verdicts in `_said` (an error in a 200 body, a refusal,
  not the API's answer).

What a server said becomes one of our errors in `_said`, which every backend
shares: which statuses are retried, one-line messages, the key blanked out.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from instructor.core.hooks import Hooks
from instructor.v2.core.function_calls import response_schema

from ..errors import (
    BackendError,
    PermanentError,
    TransientError,
)
from ..result import Usage
from ..schema import PaperSummary, grounded_in
from ._border import not_the_backends, within
from ._pace import before_attempt
from ._said import first_line
from .base import Completion, Request

# instructor logs every failed attempt at ERROR; we report failures ourselves,
# so keep its records out of stderr unless the application configures logging.
logging.getLogger("instructor").addHandler(logging.NullHandler())


# instructor wraps a plain pydantic model into its ResponseSchema subclass on
# every call (pydantic.create_model: milliseconds of CPU per request, the bulk
# of a batch run's client-side cost). Handing it the wrapped class, built once,
# skips that; the schema sent is the same.
RESPONSE_MODEL = response_schema(PaperSummary)


def _check_response_model_once() -> None:
    """instructor refuses response models with async validators, and checks by
    walking every class the model reaches (with its whole MRO) seven times per
    call: about 2 ms of CPU per request, a quarter of a batch run's client
    cost. RESPONSE_MODEL never changes, so it is checked once, here (an async
    validator added to the schema fails at import), and instructor's check is
    skipped for it alone; every other model is still checked on every call.
    Where instructor has no such check (other versions), nothing is changed."""
    import instructor.v2.core.patch as patch_module
    import instructor.v2.validation.async_validators as validators_module

    original = getattr(validators_module, "reject_async_validators", None)
    if original is None:
        return
    original(RESPONSE_MODEL)

    def reject_async_validators(response_model: Any) -> None:
        if response_model is not RESPONSE_MODEL:
            original(response_model)

    for module in (validators_module, patch_module):
        if getattr(module, "reject_async_validators", None) is original:
            module.reject_async_validators = reject_async_validators


_check_response_model_once()


Screen = Callable[[Any, str, "str | None"], "BackendError | None"]


def tool_asked(kwargs: dict[str, Any]) -> str | None:
    """The name of the tool a request offers (`{"function": {"name"}}` for openai,
    `{"name"}` for anthropic), or None when it offers none."""
    tools = kwargs.get("tools")
    first = tools[0] if isinstance(tools, list) and tools else None
    if not isinstance(first, dict):
        return None
    name = (first.get("function") or first).get("name")
    return name if isinstance(name, str) else None


def checked(create: Callable[..., Any], where: str, screen: Screen, *, asynchronous: bool,
            deadline: float, usage_of: Callable[[Any], Usage]) -> Callable[..., Any]:
    """`create`, an SDK call, bounded in time and refusing an answer that is not one.

    Time. The SDKs' timeout bounds each socket read, not the answer: a server
    that sends its body a byte at a time kept a call with a 2 s timeout busy
    for 52 s, and one that never stops trickling would hold it for ever. Each
    call now ends after `deadline` seconds in all, as a TransientError, so the
    retry layer decides. An async call is cancelled; a sync one cannot be, so
    it runs on a daemon thread that is left to finish on its own.

    Shape. The SDKs build their response models without validating them. A
    body that is not JSON (a web page, a proxy's login screen) reached
    instructor as a JSONDecodeError and was re-asked as if the model had
    written bad JSON; one that is not UTF-8, nested too deeply for Python's
    parser (RecursionError) or holding an integer of over 4,300 digits
    (ValueError) failed as an "unexpected error". A body without the expected
    parts (`{}`, no choices, a null message, a choice that is a string, a tool
    call without a function) failed inside instructor as a TypeError or
    AttributeError, reported as an "unexpected error". The same body would
    come back on a retry or a re-ask, so it is a PermanentError naming the
    endpoint. `screen(answer, model, tool)` returns the error for a parsed
    response that instructor should not read (None when it may), an error the
    server reported in it included; `tool` is the name of the tool the request
    offers (None in JSON modes), since instructor reads a call to any tool.
    That error carries the answer's usage (`usage_of`): a refusal is paid
    for, and instructor's response hook, which the Meter counts by, never
    sees an answer refused here.

    `asynchronous` says whether `create` is awaited: the SDKs' async methods
    hide behind plain decorators, so it is not guessed."""

    def too_slow() -> TransientError:
        return TransientError(f"{where} did not answer within {deadline:g}s")

    def refuse(answer: Any, kwargs: dict[str, Any]) -> Any:
        model = str(kwargs.get("model", "the model"))
        if (error := screen(answer, model, tool_asked(kwargs))) is not None:
            error.usage = usage_of(answer)
            raise error
        return answer

    def unreadable(exc: ValueError | RecursionError) -> PermanentError:
        if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
            what = "is not JSON" if isinstance(exc, json.JSONDecodeError) else "is not UTF-8 text"
            return PermanentError(f"{where} answered with a body that {what}: check that "
                                  "the base URL is the API's root")
        what = ("nested too deeply to parse" if isinstance(exc, RecursionError)
                else f"that could not be parsed ({first_line(exc)})")
        return PermanentError(f"{where} answered with a body {what}: not this API's answer")

    if asynchronous:
        @functools.wraps(create)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            await before_attempt()  # each re-ask is a request: the rate limits pace it
            try:
                async with asyncio.timeout(deadline):
                    answer = await create(*args, **kwargs)
            except TimeoutError:
                raise too_slow() from None
            except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
                if not parsing(exc):
                    raise
                raise unreadable(exc) from None
            return refuse(answer, kwargs)

        return acreate

    @functools.wraps(create)
    def screate(*args: Any, **kwargs: Any) -> Any:
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            try:
                done.set_result(create(*args, **kwargs))
            except BaseException as exc:  # handed to the caller's thread
                done.set_exception(exc)

        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(work,), daemon=True).start()
        try:
            answer = done.result(timeout=deadline)
        except concurrent.futures.TimeoutError:
            raise too_slow() from None
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            if not parsing(exc):
                raise
            raise unreadable(exc) from None
        return refuse(answer, kwargs)

    return screate


def parsing(exc: BaseException) -> bool:
    """Whether `exc` was raised by the json module, parsing a body (its frame is
    the innermost of the traceback). An SDK's own ValueError (an argument it
    refuses before sending) is no body's fault, and is not said to be one."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").split(".")[0] == "json"


def openai_usage(response: Any) -> Usage:
    """The counts as the server sent them: `Usage` ignores any that is no count."""
    usage = getattr(response, "usage", None)
    return Usage(getattr(usage, "prompt_tokens", 0), getattr(usage, "completion_tokens", 0))


class Meter:
    """What one instructor call spent; pass `meter.hooks` to the call."""

    def __init__(self, usage_of: Callable[[Any], Usage] = openai_usage) -> None:
        self.usage = Usage()
        self.reasks = 0
        self._usage_of = usage_of
        self.hooks = Hooks()
        self.hooks.on("completion:response", self._on_response)
        self.hooks.on("parse:error", self._on_parse_error)

    def _on_response(self, response: Any) -> None:
        # A hook that raises is a warning traceback from instructor, and the
        # count lost anyway: a usage block that cannot be read counts nothing.
        try:
            spent = self._usage_of(response)
        except Exception:
            spent = Usage()
        if isinstance(spent, Usage):
            self.usage = self.usage + spent

    def _on_parse_error(self, error: Exception, *, is_last_attempt: bool = False,
                        **metadata: Any) -> None:
        if not is_last_attempt:
            self.reasks += 1

    def charge(self, error: BackendError) -> BackendError:
        """Attach what the failed call spent to the error the caller sees (added
        to what the error carries: the answer `checked` refused)."""
        error.usage, error.reasks = self.usage + error.usage, self.reasks
        return error


def request_kwargs(model: str, request: Request, meter: Meter,
                   max_tokens: int | None = None) -> dict[str, Any]:
    """The instructor arguments every backend sends; each adds its own sampling."""
    return {
        "model": model,
        "response_model": RESPONSE_MODEL,
        "messages": [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.user},
        ],
        "max_retries": request.max_reasks,
        "max_tokens": max_tokens or request.sampling.max_tokens,
        "hooks": meter.hooks,
    }


Classify = Callable[[Exception], BackendError]


def call(create: Callable[..., tuple[Any, Any]], request: Request, meter: Meter,
         classify: Classify, kwargs: dict[str, Any]) -> Completion:
    """One instructor `create_with_completion`, grounded in the abstract, with
    its failure translated by the backend's `classify` and charged its cost."""
    try:
        with grounded_in(request.abstract):
            summary, raw = create(**kwargs)
    except Exception as exc:
        error = not_the_backends(exc) or meter.charge(classify(exc))
        if not within(exc, error):
            raise error from exc
    else:
        return Completion(summary, meter.usage, meter.reasks, getattr(raw, "model", None))
    raise error  # see `within`: our own error, raised again outside the handler


async def acall(create: Callable[..., Awaitable[tuple[Any, Any]]], request: Request,
                meter: Meter, classify: Classify, kwargs: dict[str, Any]) -> Completion:
    """The async twin of `call`."""
    try:
        with grounded_in(request.abstract):
            summary, raw = await create(**kwargs)
    except Exception as exc:
        error = not_the_backends(exc) or meter.charge(classify(exc))
        if not within(exc, error):
            raise error from exc
    else:
        return Completion(summary, meter.usage, meter.reasks, getattr(raw, "model", None))
    raise error  # see `within`: our own error, raised again outside the handler


async def aclose_client(client: Any) -> None:
    """Close the async SDK client under an instructor client (its HTTP session)."""
    await client.client.close()

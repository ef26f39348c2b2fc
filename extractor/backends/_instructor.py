"""What every instructor-driven backend shares, so each one maps only its own SDK.

Three backends drive instructor (openai, anthropic, llamacpp). They differ in
their SDK's exception classes and usage fields, and agree on everything else:

- `Meter` counts one instructor call's spending through per-call hooks:
  tokens over every response (re-asks included, also when the call fails in
  the end) and re-asks. A parse error on the last attempt is not followed by a
  re-ask, so it is not counted as one.
- `parse_failure` recognises instructor's way of giving up (its retry
  exception wrapping a validation or JSON error, or a cut-off answer) and
  turns it into `ValidationFailed`; instructor >= 1.14 re-raises API errors
  at once, so `unwrap` hands those to the backend's own SDK mapping.
- `RESPONSE_MODEL` is PaperSummary as instructor wants it, built once, and
  checked once for async validators instead of seven times per call.
- `classify` is the whole exception border of an HTTP SDK (openai, anthropic):
  each backend hands it a `SdkErrors` naming its own exception classes.
- `status_error` is the one place that decides which HTTP statuses are worth
  retrying: 408, 409, 429 and 5xx (529 "overloaded" included).
- `checked` wraps an SDK's create so that a 200 which is not the API's answer
  (a web page, `{}`, no choices, parts of the wrong type) is one clear
  PermanentError, not a re-ask or an "unexpected error" from inside
  instructor. Each backend hands it a `Screen` that reads its API's shape;
  the verdicts they share are built here: `not_an_answer`, `refused` (the
  model declined: re-asking only spends tokens on the same refusal) and
  `reported_error`, for servers that put an error in a 200 body (OpenRouter
  does, for upstream failures and rate limits): its code is read as an HTTP
  status, so 429 and 5xx are retried like the real statuses.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import email.utils
import functools
import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from instructor.core.exceptions import (
    IncompleteOutputException,
    InstructorRetryException,
    ResponseParsingError,
)
from instructor.core.hooks import Hooks
from instructor.v2.core.function_calls import response_schema
from pydantic import ValidationError

from ..errors import BackendError, PermanentError, TransientError, ValidationFailed
from ..result import Usage
from ..schema import PaperSummary, first_error, grounded_in
from .base import Completion, Request

# instructor logs every failed attempt at ERROR; we report failures ourselves,
# so keep its records out of stderr unless the application configures logging.
logging.getLogger("instructor").addHandler(logging.NullHandler())

_PARSE_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError)

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


Screen = Callable[[Any, str], "BackendError | None"]


def checked(create: Callable[..., Any], where: str, screen: Screen, *, asynchronous: bool,
            deadline: float) -> Callable[..., Any]:
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
    written bad JSON; a body without the expected parts (`{}`, no choices, a
    null message, a choice that is a string, a tool call without a function)
    failed inside instructor as a TypeError or AttributeError, reported as an
    "unexpected error". The same body would come back on a retry or a
    re-ask, so it is a PermanentError naming the endpoint. `screen(answer,
    model)` returns the error for a parsed response that instructor should
    not read (None when it may), an error the server reported in it included.

    `asynchronous` says whether `create` is awaited: the SDKs' async methods
    hide behind plain decorators, so it is not guessed."""

    def too_slow() -> TransientError:
        return TransientError(f"{where} did not answer within {deadline:g}s")

    def refuse(answer: Any, kwargs: dict[str, Any]) -> Any:
        if (error := screen(answer, str(kwargs.get("model", "the model")))) is not None:
            raise error
        return answer

    def not_json() -> PermanentError:
        return PermanentError(f"{where} answered with a body that is not JSON: check that "
                              "the base URL is the API's root")

    if asynchronous:
        @functools.wraps(create)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            try:
                async with asyncio.timeout(deadline):
                    answer = await create(*args, **kwargs)
            except TimeoutError:
                raise too_slow() from None
            except json.JSONDecodeError:
                raise not_json() from None
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
        except json.JSONDecodeError:
            raise not_json() from None
        return refuse(answer, kwargs)

    return screate


def not_an_answer(where: str, what: str) -> PermanentError:
    """A 200 whose body is not the API's answer: `what` says what it lacks or holds."""
    return PermanentError(f"{where} answered 200 {what}: not this API's answer")


def refused(where: str, model: str, why: str, text: Any = None) -> PermanentError:
    """The model declined to answer (a refusal, a content filter). The same
    request gets the same refusal, so it is neither re-asked nor retried; the
    model's own words are shown on one line."""
    said = f": {one_line(text)}" if isinstance(text, str) and text.strip() else ""
    return PermanentError(f"{where}: {model} refused to answer ({why}){said}")


# Error types of the Anthropic and OpenAI APIs, as the HTTP status each comes with.
_ERROR_TYPES = {
    "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
    "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429,
    "rate_limit_exceeded": 429, "api_error": 500, "server_error": 500, "timeout_error": 504,
    "overloaded_error": 529,
}


def reported_error(error: Any, where: str, *, model: str, key_hint: str) -> BackendError | None:
    """The error a server reported inside a 200 body, or None when `error` is none.

    OpenRouter answers 200 with `{"error": {"code": 429, "message": "Rate limit
    exceeded"}}` for its own and its upstreams' failures, and puts the same
    object in a choice whose finish_reason is "error". Read as "not this API's
    answer", the message and code were lost and a rate limit failed at once.
    The code (a number, else a known error type) is read as an HTTP status, so
    429 and 5xx are retried and the rest fail at once, with the server's
    message; an error without a code that says one fails at once."""
    if error is None or error == {}:
        return None
    status = _status_of(_part(error, "code"))
    if status is None:
        status = _ERROR_TYPES.get(str(_part(error, "type") or _part(error, "code")))
    message = _part(error, "message")
    detail = one_line(message) if isinstance(message, str) and message.strip() else (
        one_line(str(error)))
    if status is None:
        return PermanentError(f"{where} answered 200 with an error: {detail}")
    return status_error(where, status, detail, {}, model=model, key_hint=key_hint, in_body=True)


def _part(value: Any, name: str) -> Any:
    """`value[name]` of a dict, or the attribute of an SDK object; None if neither."""
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _status_of(code: Any) -> int | None:
    """An HTTP status from a code given as a number or as digits, else None."""
    if isinstance(code, bool):
        return None
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return code if isinstance(code, int) and 100 <= code <= 599 else None


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
        """Attach what the failed call spent to the error the caller sees."""
        error.usage, error.reasks = self.usage, self.reasks
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
        error = meter.charge(classify(exc))
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
        error = meter.charge(classify(exc))
        if not within(exc, error):
            raise error from exc
    else:
        return Completion(summary, meter.usage, meter.reasks, getattr(raw, "model", None))
    raise error  # see `within`: our own error, raised again outside the handler


def within(exc: BaseException, error: BaseException) -> bool:
    """Whether `error` is `exc` or one of its causes or contexts.

    `classify` hands back our own error as it is when one of our layers
    raised it (`checked`'s PermanentError, wrapped by instructor's retry
    exception). Raised `from exc`, or at all inside the handler of `exc`, it
    then pointed at the wrapper that points back at it: a loop in the chain
    (`e.__context__.__cause__ is e`) that tools walking it follow for ever or
    print twice. Such an error is raised again outside the handler, its own
    chain kept; a new error is raised `from exc`."""
    return any(link is error for link in chain(exc))


def chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every cause and context under it, each once, loops included."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        link = todo.pop()
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        todo.extend(x for x in (link.__context__, link.__cause__) if x is not None)


def unwrap(exc: BaseException) -> BaseException:
    """The error behind instructor's retry exception, or `exc` itself."""
    if isinstance(exc, InstructorRetryException) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


def parse_failure(exc: BaseException, model: str, cutoff_hint: str) -> ValidationFailed | None:
    """ValidationFailed when instructor gave up on the answer itself, else None."""
    cause = unwrap(exc)
    if isinstance(cause, IncompleteOutputException):
        return ValidationFailed(f"the answer from {model} was cut off: {cutoff_hint}")
    if isinstance(cause, _PARSE_ERRORS):
        reasks = max(getattr(exc, "n_attempts", 1) - 1, 0)
        reason = first_error(cause) if isinstance(cause, ValidationError) else first_line(cause)
        return ValidationFailed(
            f"the answer from {model} still failed validation after {reasks} re-asks: {reason}"
        )
    return None


@dataclass(frozen=True)
class SdkErrors:
    """The exception classes of one provider SDK (openai and anthropic share
    their shape), and the setting a user should check when credentials fail."""

    timeout: type[BaseException]
    connection: type[BaseException]
    status: type[BaseException]
    unreadable: type[BaseException]
    key_hint: str


_CUTOFF_HINT = "raise max_tokens (--max-tokens) or use a model that answers more briefly"


async def aclose_client(client: Any) -> None:
    """Close the async SDK client under an instructor client (its HTTP session)."""
    await client.client.close()


def classify(exc: BaseException, sdk: SdkErrors, *, where: str, model: str,
             timeout: float) -> BackendError:
    """The extractor error for whatever an instructor call over `sdk` raised."""
    if failed := parse_failure(exc, model, _CUTOFF_HINT):
        return failed
    cause = unwrap(exc)
    if isinstance(cause, BackendError):  # raised by the backend's own create(), already ours
        return cause
    if isinstance(cause, sdk.timeout):
        return TransientError(f"{where} did not answer within {timeout:g}s")
    if isinstance(cause, sdk.connection):
        return TransientError(f"could not reach {where}: {first_line(cause)}")
    if isinstance(cause, sdk.status):
        return status_error(where, cause.status_code, first_line(cause), cause.response.headers,
                            model=model, key_hint=sdk.key_hint)
    if isinstance(cause, sdk.unreadable):
        # The same response would come back: neither a re-ask nor a retry helps.
        return PermanentError(f"{where} sent a response the SDK could not read: "
                              f"{first_line(cause)}")
    return BackendError(f"unexpected error from {where}: {type(cause).__name__}: "
                        f"{first_line(cause)}")


def status_error(
    where: str, status: int, detail: str, headers: Any, *, model: str, key_hint: str,
    in_body: bool = False,
) -> BackendError:
    """The error for an HTTP status: transient for 408/409/429/5xx, else permanent.
    `in_body` says the status is the code of an error in a 200 body (see
    `reported_error`), which the message says, with the server's words."""
    code = f"200 with error {status}" if in_body else str(status)
    if status in (408, 409, 429) or status >= 500:
        return TransientError(f"{where} answered {code}: {detail}",
                              retry_after=retry_after_seconds(headers), status=status)
    if status in (401, 403):
        said = f": {detail}" if in_body else ""
        return PermanentError(
            f"{where} refused the credentials ({code}{said}): check {key_hint}", status=status
        )
    if status == 404:
        return PermanentError(
            f"{where} answered {code} for model {model!r}: check --model and --base-url "
            f"({detail})", status=status,
        )
    return PermanentError(f"{where} rejected the request ({code}): {detail}", status=status)


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or HTTP date).

    A value that is no wait (`nan`, `inf`, negative) is ignored, as if the header
    were absent: `float()` reads all three, and `nan` made the sync retry raise
    ValueError from time.sleep and the async one sleep for ever."""
    if (ms := _seconds(headers.get("retry-after-ms"))) is not None:
        return ms / 1000
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return _seconds(float(value))
    except ValueError:
        pass
    try:
        return max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def _seconds(value: Any) -> float | None:
    """`value` as a finite number of 0 or more, else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


MIN_SECRET = 8  # characters: a shorter "key" is too likely an ordinary word to blank out


def redacted(error: BackendError, secret: str | None) -> BackendError:
    """`error` with `secret` (the API key) written `***` in its message.

    A 4xx body may echo the key it refused ("Invalid API key: sk-..."), and
    the message is printed, logged and stored in every batch row. Keys
    shorter than MIN_SECRET (a local server's placeholder, a test's "k")
    are left alone: blanking them would garble the messages instead."""
    if secret and len(secret) >= MIN_SECRET and error.args and isinstance(error.args[0], str) \
            and secret in error.args[0]:
        error.args = (error.args[0].replace(secret, "***"), *error.args[1:])
    return error


MAX_DETAIL = 300  # characters of a server's or a model's words kept in a message


def first_line(exc: BaseException) -> str:
    """The first line of `exc`'s message, bounded: every error message is one line."""
    text = str(exc).strip()
    return one_line(text.splitlines()[0]) if text else type(exc).__name__


def one_line(text: str, limit: int = MAX_DETAIL) -> str:
    """`text` with every run of whitespace (line breaks included) one space, cut
    to `limit` characters: words from a server or a model, shown in a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

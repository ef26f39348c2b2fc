"""What a server said, as the project's errors: one module for every backend.

- `status_error` is the one place that decides which HTTP statuses are worth
  retrying: 408, 409, 429 and 5xx (529 "overloaded" included), honouring
  Retry-After (`retry_after_seconds`).
- `reported_error` reads an error a server put in a 200 body (OpenRouter does,
  for upstream failures and rate limits) as the HTTP status its code or type
  names, so 429 and 5xx are retried like the real statuses.
- `not_an_answer`, `refused`, `not_text` and `other_tool` are the verdicts on
  a 200 that instructor must not read: not the API's answer at all, a model
  that declined (re-asking only pays for the same refusal), an answer no
  re-ask can send back, or a call to a tool that was not offered.
- `first_line` (with `schema.one_line`) and `redacted` keep a message one
  bounded line without the API key: it is printed, logged and stored in every
  batch row.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from typing import Any

from ..errors import BackendError, PermanentError, TransientError, ValidationFailed
from ..schema import one_line


def not_an_answer(where: str, what: str) -> PermanentError:
    """A 200 whose body is not the API's answer: `what` says what it lacks or holds."""
    return PermanentError(f"{where} answered 200 {what}: not this API's answer")


def refused(where: str, model: str, why: str, text: Any = None) -> PermanentError:
    """The model declined to answer (a refusal, a content filter). The same
    request gets the same refusal, so it is neither re-asked nor retried; the
    model's own words are shown on one line."""
    said = f": {one_line(text)}" if isinstance(text, str) and text.strip() else ""
    return PermanentError(f"{where}: {model} refused to answer ({why}){said}")


def not_text(model: str, *parts: Any) -> ValidationFailed | None:
    """ValidationFailed when a part of the answer (its text, a tool call's
    arguments or input) holds a lone surrogate, which is no character: JSON
    can carry one as an escape (`"\\ud800"`), and the SDK decodes it. A re-ask
    sends the answer back, and the SDK could not encode it: the re-ask failed
    unsent, as an "unexpected" UnicodeEncodeError, and was counted as sent. So
    the answer fails at once, as one that broke the schema."""
    for part in parts:
        try:
            (part if isinstance(part, str) else json.dumps(part, ensure_ascii=False,
                                                           default=str)).encode("utf-8")
        except UnicodeEncodeError as exc:
            char = exc.object[exc.start]
            return ValidationFailed(f"the answer from {model} holds a lone surrogate {char!r}, "
                                    "which is not text; no re-ask can send it back")
        except (ValueError, RecursionError):
            continue  # not this check's to judge: the parse that follows says what is wrong
    return None


def other_tool(model: str, called: Any, asked: str) -> ValidationFailed:
    """The answer calls a tool the request did not offer. instructor reads the
    arguments of whatever tool is called as the summary, and accepted them."""
    if called is None or called == "":
        what = "a tool with no name"
    elif not isinstance(called, str):  # a server's JSON, read without validation
        what = f"a tool whose name is not text ({type(called).__name__})"
    else:
        what = f"the tool {one_line(called)!r}"
    return ValidationFailed(f"the answer from {model} calls {what}, not {asked!r}, the only one "
                            "offered")


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


def first_line(exc: BaseException) -> str:
    """The first line of `exc`'s message, bounded: every error message is one line."""
    text = str(exc).strip()
    return one_line(text.splitlines()[0]) if text else type(exc).__name__

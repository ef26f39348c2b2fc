"""The exception border of an instructor call: whatever it raised -> our error.

`classify` is the whole border of an HTTP SDK (openai, anthropic): each backend
hands it a `SdkErrors` naming its own exception classes. `parse_failure`
recognises instructor's way of giving up (its retry exception wrapping a
validation or JSON error, or a cut-off answer) and turns it into
`ValidationFailed`; instructor >= 1.14 re-raises API errors at once, so
`unwrap` hands those to the backend's own SDK mapping. The rest walks an
exception's chain for an error of our own that the SDK wrapped as a
connection error, which would otherwise be retried as a dropped connection.

Apart from `_instructor.py` (the call itself: hooks, usage, the 200 screen)
because it is a table of verdicts, read and changed on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from instructor.core.exceptions import (
    IncompleteOutputException,
    InstructorRetryException,
    ResponseParsingError,
)
from pydantic import ValidationError

from ..errors import BackendError, ExtractorError, PermanentError, TransientError, ValidationFailed
from ..schema import first_error
from ._said import first_line, status_error

_PARSE_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError)


def not_the_backends(exc: BaseException) -> ExtractorError | None:
    """Our own error, not a backend's, raised under the SDK: a transport of ours
    that failed (the recording's write, on a full disk). The SDK wraps whatever
    its transport raises as a connection error, which would be retried, each
    retry a paid request; it is no backend failure, so it stops the call as it is."""
    return next((link for link in chain(exc)
                 if isinstance(link, ExtractorError) and not isinstance(link, BackendError)),
                None)


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


def ours_under(exc: BaseException) -> BackendError | None:
    """Our own BackendError under `exc`, an SDK's connection error: raised by our
    code under the SDK (the response-size hook, `_body`), it is the error. The
    SDK wraps whatever its HTTP client raises as a connection error, which would
    be retried as a dropped connection."""
    return next((link for link in chain(exc) if isinstance(link, BackendError)), None)


def undecodable(exc: BaseException, where: str) -> PermanentError | None:
    """A PermanentError when `exc`, an SDK's connection error, is a body that did
    not decode as its Content-Encoding says (`gzip` on bytes that are not gzip).
    The SDK wraps the HTTP client's DecodingError as a connection error, retried
    as a dropped connection, and the same bytes came back each time. Found by
    name: the openai SDK's client is httpx2, the anthropic SDK's httpx."""
    found = next((link for link in chain(exc) if type(link).__name__ == "DecodingError"), None)
    if found is None:
        return None
    return PermanentError(f"{where} answered with a body that does not decode as its "
                          f"Content-Encoding header says: {first_line(found)}")


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
        return ours_under(cause) or undecodable(cause, where) or TransientError(
            f"could not reach {where}: {first_line(cause)}")
    if isinstance(cause, sdk.status):
        return status_error(where, cause.status_code, first_line(cause), cause.response.headers,
                            model=model, key_hint=sdk.key_hint)
    if isinstance(cause, sdk.unreadable):
        # The same response would come back: neither a re-ask nor a retry helps.
        return PermanentError(f"{where} sent a response the SDK could not read: "
                              f"{first_line(cause)}")
    return BackendError(f"unexpected error from {where}: {type(cause).__name__}: "
                        f"{first_line(cause)}")

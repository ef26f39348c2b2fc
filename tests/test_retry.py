"""The retry layer: what is retried, and how long it waits."""

from __future__ import annotations

import math

import pytest

from extractor import Backend, Extractor, Options, PermanentError, RetryPolicy, TransientError
from extractor.retry import Spent, call

from .conftest import ABSTRACT, TITLE


@pytest.mark.parametrize("retry_after", [math.nan, math.inf, -5.0, "nan", "soon"])
def test_a_retry_after_from_any_backend_that_is_no_wait_falls_back_to_the_backoff(retry_after):
    """A third-party backend may pass on a server's header as it came: never crash or hang."""
    failures = [TransientError("busy", retry_after=retry_after)]

    def flaky():
        if failures:
            raise failures.pop()
        return "done"

    spent = Spent()
    policy = RetryPolicy(initial_wait=0.01, max_wait=0.05)
    assert call(flaky, policy, spent) == "done" and spent.attempts == 2


class _Failing(Backend):
    """Fails with each of `errors` in turn, the last one for ever."""

    name = "failing"

    def __init__(self, *errors):
        self.errors = list(errors)

    def complete(self, request):
        raise self.errors.pop(0) if len(self.errors) > 1 else self.errors[0]


@pytest.mark.parametrize(("attempts", "said"), [
    (3, "busy (after 3 attempts; it may pass: try again later, or allow more attempts with "
        "--max-attempts or RetryPolicy(max_attempts=N))"),
    (1, "busy"),
])  # fmt: skip
def test_a_transient_error_says_how_many_attempts_it_took(attempts, said):
    """A TransientError raised after retries says so, and what to do; after a single
    attempt the message is the server's failure alone."""
    policy = RetryPolicy(max_attempts=attempts, initial_wait=0, max_wait=0)
    extractor = Extractor(_Failing(TransientError("busy")), cache=False,
                          options=Options(retry=policy))
    with pytest.raises(TransientError) as caught:
        extractor.extract(ABSTRACT, TITLE)
    assert str(caught.value) == said and caught.value.attempts == attempts


def test_a_permanent_error_after_retries_is_not_said_to_be_retried():
    """Only a transient failure was retried: a 401 after two 500s reads as the 401."""
    policy = RetryPolicy(max_attempts=5, initial_wait=0, max_wait=0)
    backend = _Failing(TransientError("500"), TransientError("500"), PermanentError("401"))
    extractor = Extractor(backend, cache=False, options=Options(retry=policy))
    with pytest.raises(PermanentError, match=r"^401$") as caught:
        extractor.extract(ABSTRACT, TITLE)
    assert caught.value.attempts == 3

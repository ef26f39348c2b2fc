"""The retry layer: what is retried, and how long it waits."""

from __future__ import annotations

import math

import pytest

from extractor import RetryPolicy, TransientError
from extractor.retry import Spent, call


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

"""Network retries: the only module that imports tenacity.

Only one layer retries. The SDKs' own retries are switched off in each backend,
and instructor's loop is left to re-ask on validation errors alone; this layer
retries exactly the failures a backend marked `TransientError` (429, 5xx,
timeouts, dropped connections). Everything else fails on the first try.

The wait is exponential with full jitter, except that a server's Retry-After
is honoured (capped at `max_wait`, so a hostile header cannot park a run; one
that is no number of seconds, NaN, infinite or negative, is ignored).
Tokens spent by failed attempts are added to the final usage, so a retried
call reports what it really cost.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)

from .errors import BackendError, TransientError
from .result import Usage
from .settings import MAX_SECONDS, canonical, real, whole

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_wait: float = 1.0
    max_wait: float = 60.0

    def __post_init__(self) -> None:
        canonical(
            self,
            max_attempts=whole(self.max_attempts, "max_attempts (--max-attempts)",
                               "a whole number of at least 1", minimum=1),
            **{name: real(getattr(self, name), f"retry {name}",
                          f"a number of seconds from 0 to {MAX_SECONDS:,}", minimum=0,
                          maximum=MAX_SECONDS)
               for name in ("initial_wait", "max_wait")},
        )


@dataclass
class Spent:
    """What the failed attempts of one call cost, filled in as it goes."""

    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    reasks: int = 0

    def charged(self, exc: BackendError) -> BackendError:
        """`exc`, the last attempt's error, with the cost of the failed ones before it;
        a transient failure says it was retried, else it reads as a first failure."""
        exc.usage = self.usage + exc.usage
        exc.reasks = self.reasks + exc.reasks
        exc.attempts = self.attempts
        if isinstance(exc, TransientError) and self.attempts > 1 and exc.args:
            exc.args = (f"{exc.args[0]} (after {self.attempts} attempts; it may pass: try "
                        "again later, or allow more attempts with --max-attempts or "
                        "RetryPolicy(max_attempts=N))", *exc.args[1:])
        return exc


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        # A backend of any origin may hand on what a server sent: a wait that is
        # no number of seconds (NaN, inf, negative) falls back to the backoff.
        try:
            retry_after = float(getattr(exc, "retry_after", None))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            retry_after = math.nan
        if 0 <= retry_after < math.inf:
            return min(retry_after, policy.max_wait)
        ceiling = min(policy.initial_wait * 2 ** (state.attempt_number - 1), policy.max_wait)
        return random.uniform(0, ceiling)

    return wait


def _tally(spent: Spent) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        spent.usage = spent.usage + getattr(exc, "usage", Usage())
        spent.reasks += getattr(exc, "reasks", 0)

    return before_sleep


def _options(policy: RetryPolicy, spent: Spent) -> dict:
    return {
        "retry": retry_if_exception_type(TransientError),
        "stop": stop_after_attempt(policy.max_attempts),
        "wait": _wait(policy),
        "before_sleep": _tally(spent),
        "reraise": True,
    }


def call(fn: Callable[[], T], policy: RetryPolicy, spent: Spent) -> T:
    """Run `fn`, retrying transient failures; `spent` counts the attempts made."""
    for attempt in Retrying(**_options(policy, spent)):
        with attempt:
            spent.attempts = attempt.retry_state.attempt_number
            return fn()
    raise AssertionError("unreachable: tenacity reraises the last error")


async def acall(fn: Callable[[], Awaitable[T]], policy: RetryPolicy, spent: Spent) -> T:
    """The async twin of `call`."""
    async for attempt in AsyncRetrying(**_options(policy, spent)):
        with attempt:
            spent.attempts = attempt.retry_state.attempt_number
            return await fn()
    raise AssertionError("unreachable: tenacity reraises the last error")

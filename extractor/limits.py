"""Rate limits for batch runs: requests and tokens per minute.

Design note. The limits wrap the backend (`paced`), not the extractor, so they
pace exactly the requests that reach a provider: every network attempt the
retry layer makes is paced, each re-ask inside a call too (the HTTP backends
await the limiter before each request they send, see `backends._pace`), and a
cache hit never waits. The wrapper keeps the backend's name and identity, so
cache keys are unchanged.

Tokens cannot be known before a request, so each one reserves an estimate
(prompt characters / 4 + max_tokens, which is how providers count a request
against a tokens-per-minute limit) and settles the difference against the usage
reported afterwards; a re-ask reserves the same estimate again.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass
from typing import Any

from .backends._pace import gated
from .backends.base import Backend, Completion, Request
from .extract import Extractor
from .result import Usage
from .settings import canonical, real, whole


@dataclass(frozen=True)
class Limits:
    """How hard a run may push the backend. `rpm`/`tpm` are per minute; tokens
    are reserved before a request (prompt size/4 + max_tokens, as providers
    count them) and settled against the usage reported after it."""

    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None

    def __post_init__(self) -> None:
        canonical(
            self,
            concurrency=whole(self.concurrency, "concurrency (--concurrency)",
                              "a whole number of at least 1", minimum=1),
            **{name: None if getattr(self, name) is None else real(
                getattr(self, name), f"{name} (--{name})", "a finite number above 0", above=0)
               for name in ("rpm", "tpm")},
        )


class RateLimiter:
    """Paces units (requests or tokens) to `per_minute`. Virtual scheduling:
    each caller reserves the next slot of the schedule and sleeps until that
    slot is less than `burst` seconds away, so waiting callers are served in
    order, an idle limiter allows a second's worth at once, and no lock is
    needed (one event loop)."""

    def __init__(self, per_minute: float, burst: float = 1.0) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self._free = time.monotonic()  # when the schedule is next free

    async def acquire(self, units: float = 1.0) -> None:
        now = time.monotonic()
        start = max(self._free, now)
        self._free = start + units / self.rate
        if (wait := start - now - self.burst) > 0:
            await asyncio.sleep(wait)

    def settle(self, reserved: float, used: float) -> None:
        """Give back (or charge) the difference between a reservation and use."""
        self._free += (used - reserved) / self.rate


class Throttled(Backend):
    """The wrapped backend, behind the rate limiters. Same name and identity,
    so cache keys do not change."""

    def __init__(self, inner: Backend, limits: Limits) -> None:
        self.inner = inner
        self.name = inner.name
        self.cacheable = inner.cacheable
        self.requests = RateLimiter(limits.rpm) if limits.rpm else None
        self.tokens = RateLimiter(limits.tpm) if limits.tpm else None

    @property
    def model(self) -> str | None:
        return self.inner.model

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def complete(self, request: Request) -> Completion:
        return self.inner.complete(request)

    async def acomplete(self, request: Request) -> Completion:
        estimate = (len(request.system) + len(request.user)) / 4 + request.sampling.max_tokens
        reserved = 0.0

        async def admit() -> None:
            nonlocal reserved
            if self.requests:
                await self.requests.acquire()
            if self.tokens:
                await self.tokens.acquire(estimate)
                reserved += estimate

        attempts = 0

        async def gate() -> None:
            """Before each HTTP attempt inside the call: the first was admitted
            below; each re-ask after it is a request of its own."""
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                await admit()

        await admit()
        used = Usage()
        try:
            with gated(gate):
                done = await self.inner.acomplete(request)
            used = done.usage
            return done
        except Exception as exc:
            used = getattr(exc, "usage", used)
            raise
        finally:
            if self.tokens:
                self.tokens.settle(reserved, used.total_tokens)


def paced(extractor: Extractor, limits: Limits) -> Extractor:
    """A view of `extractor` whose backend obeys the rate limits; it shares
    the backend, cache and options, and is never closed itself."""
    if not (limits.rpm or limits.tpm):
        return extractor
    view = copy.copy(extractor)
    view.backend = Throttled(extractor.backend, limits)
    return view

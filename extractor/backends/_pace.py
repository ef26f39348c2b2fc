"""The seam through which a rate limiter paces each HTTP attempt of one call.

A backend call is not one request: instructor re-asks inside it (a request
per re-ask), so a limiter that takes one slot per call let three requests
through for each slot when every answer failed validation. The limiter
(`limits.Throttled`) sets a gate for the call it wraps; the backends' own
HTTP seam (`_instructor.checked`) awaits `before_attempt()` before each
request it sends. A context variable carries the gate, so the backend needs
no reference to the limiter, and a backend that never awaits it is paced
once per call, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Gate = Callable[[], Awaitable[None]]

_gate: ContextVar[Gate | None] = ContextVar("extractor_attempt_gate", default=None)


async def before_attempt() -> None:
    """Wait for the current call's limiter, if it has one, before a request."""
    if (gate := _gate.get()) is not None:
        await gate()


@contextmanager
def gated(gate: Gate) -> Iterator[None]:
    """Run the block with `gate` awaited before each of its requests."""
    token = _gate.set(gate)
    try:
        yield
    finally:
        _gate.reset(token)

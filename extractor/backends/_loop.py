"""A resource that belongs to one event loop: an SDK's async client.

An async HTTP client's connections (an aiohttp session above all) are bound to
the loop they were opened in, and the library is used from many loops: each
`run` and `extract_many` owns one (`extract_many`'s runs in a helper thread,
perhaps beside the caller's own), and `asyncio.run(extractor.aextract(...))`
makes a new one each time. So there is one client per loop, closed on the
loop it was made in:

- by `aclose()`, which the loop's owner awaits before the loop ends;
- failing that, by a guard task: `asyncio.run` cancels every task left when its
  coroutine returns, and the guard closes the client as it is cancelled. Without
  it, a forgotten client would log "Unclosed client session" at exit.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Slot(Generic[T]):
    value: T
    guard: asyncio.Task[None] | None = None
    closed: bool = False


class PerLoop(Generic[T]):
    def __init__(self, make: Callable[[], T], close: Callable[[T], Awaitable[None]]) -> None:
        self._make, self._close = make, close
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Slot[T]] = (
            weakref.WeakKeyDictionary())

    def get(self) -> T:
        """The running loop's resource, made on first use in that loop."""
        loop = asyncio.get_running_loop()
        slot = self._slots.get(loop)
        if slot is None:
            slot = self._slots[loop] = _Slot(self._make())
            slot.guard = loop.create_task(self._close_when_cancelled(loop, slot))
        return slot.value

    async def aclose(self) -> None:
        """Close the running loop's resource, if it has one."""
        slot = self._slots.pop(asyncio.get_running_loop(), None)
        if slot is not None:
            if slot.guard is not None:
                slot.guard.cancel()
            await self._shut(slot)

    async def _shut(self, slot: _Slot[T]) -> None:
        if not slot.closed:
            slot.closed = True
            await self._close(slot.value)

    async def _close_when_cancelled(self, loop: asyncio.AbstractEventLoop,
                                    slot: _Slot[T]) -> None:
        # A guard cancelled before it ever ran does not run at all; its client
        # was then never used, and opened no connection to leak. One dropped
        # with its loop (closed without cancelling its tasks) can await nothing.
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if self._slots.get(loop) is slot:
                del self._slots[loop]
            await self._shut(slot)
            raise

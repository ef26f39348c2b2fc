"""A resource that belongs to one event loop: an SDK's async client.

An async HTTP client's connections (an aiohttp session above all) are bound to
the loop they were opened in, and the library is used from many loops: each
`run` and `extract_many` owns one, and `asyncio.run(extractor.aextract(...))`
makes a new one each time. So the client is made per loop, and closed on the
loop it was made in:

- by `aclose()`, which the loop's owner awaits before the loop ends;
- failing that, by a guard task: `asyncio.run` cancels every task left when its
  coroutine returns, and the guard closes the client as it is cancelled. Without
  it, a forgotten client would log "Unclosed client session" at exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    def __init__(self, make: Callable[[], T], close: Callable[[T], Awaitable[None]]) -> None:
        self._make, self._close = make, close
        self._loop: asyncio.AbstractEventLoop | None = None
        self._value: T | None = None
        self._guard: asyncio.Task[None] | None = None

    def get(self) -> T:
        """The running loop's resource, made on first use in that loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._value is None:
            value = self._make()
            self._loop, self._value = loop, value
            self._guard = loop.create_task(self._close_when_cancelled(value))
        return self._value

    async def aclose(self) -> None:
        """Close the running loop's resource, if it has one."""
        if self._loop is not asyncio.get_running_loop() or self._value is None:
            return
        value, guard = self._value, self._guard
        self._loop, self._value, self._guard = None, None, None
        if guard is not None:
            guard.cancel()  # no longer current: it will not close `value` again
        await self._close(value)

    async def _close_when_cancelled(self, value: T) -> None:
        # A guard cancelled before it ever ran does not run at all; its client
        # was then never used, and opened no connection to leak.
        try:
            await asyncio.Event().wait()
        finally:
            if self._value is value:
                self._loop, self._value, self._guard = None, None, None
                await self._close(value)

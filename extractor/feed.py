"""How a batch run's records reach its event loop.

Design note. Records are planned (`plan.records`) by a plain generator. From
regular files it runs on the loop itself, which gets a turn every `PAUSE`
records (`on_the_loop`). Reading in a thread kept the loop free too, but the
thread and the loop took the GIL from each other: a warm-cache run went 30%
slower.

A stream (standard input, a pipe, a process substitution: `streams.py`) can
stall, though: a producer that stops writing left the read waiting on the
loop, the progress line frozen and SIGTERM unanswered until the producer
wrote again. So when any input is a stream the generator runs in a thread
(`from_a_thread`), handing the loop lists of records through a queue of two
lists, so memory stays bounded and order is kept. A list goes when it is
full, at each pause, and whenever the stream's next read would wait
(`streams.before_waiting`), so no record read waits for the producer's next
one. An error in the thread is raised on the loop; when the run ends early
the thread stops at its next record (one blocked reading a stalled producer
is a daemon and stops when the producer writes, closes, or the process exits).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from .records import Record
from .streams import before_waiting

BATCH = 64  # records in one hand-off from the reading thread
T = TypeVar("T")


async def off_the_loop(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a daemon thread of its own: reading a stream's head (its
    format) waits for the producer, and the loop must stay free for Ctrl-C and
    SIGTERM meanwhile. Not `asyncio.to_thread`: `asyncio.run` waits at its end
    for that executor's threads, so a stalled producer would hold the exit."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # raised on the loop
            error = exc
            outcome = lambda: done.done() or done.set_exception(error)  # noqa: E731
        else:
            outcome = lambda: done.done() or done.set_result(result)  # noqa: E731
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(outcome)

    threading.Thread(target=work, name="extractor-head", daemon=True).start()
    return await done


async def on_the_loop(records: Iterator[Record | None]) -> AsyncIterator[Record]:
    """`records`, with a turn for the event loop at each pause (a None)."""
    for record in records:
        if record is None:
            await asyncio.sleep(0)
        else:
            yield record


@dataclass
class _Failed:
    error: BaseException


_END = object()


async def from_a_thread(records: Iterator[Record | None]) -> AsyncIterator[Record]:
    """`records`, generated in a thread of their own (see the module note)."""
    loop = asyncio.get_running_loop()
    handed: asyncio.Queue[Any] = asyncio.Queue(2)
    quit = threading.Event()

    def hand(item: Any) -> bool:
        """Put `item` on the queue, waiting for room; False once the run is over."""
        try:
            future = asyncio.run_coroutine_threadsafe(handed.put(item), loop)
        except RuntimeError:  # the loop is closed
            return False
        while not quit.is_set():
            try:
                future.result(timeout=0.1)
                return True
            except concurrent.futures.TimeoutError:
                continue
            except (concurrent.futures.CancelledError, RuntimeError):
                return False
        future.cancel()
        return False

    def pump() -> None:
        batch: list[Record] = []

        def flush() -> None:
            if batch and hand(batch[:]):
                batch.clear()

        before_waiting.set(flush)  # this thread's context only
        try:
            for record in records:
                if quit.is_set():
                    return
                if record is not None:
                    batch.append(record)
                if record is None or len(batch) >= BATCH:
                    flush()
            flush()
            hand(_END)
        except BaseException as exc:  # raised on the loop, where the run reports it
            hand(_Failed(exc))

    thread = threading.Thread(target=pump, name="extractor-reader", daemon=True)
    thread.start()
    try:
        while (item := await handed.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            for record in item:
                yield record
    finally:
        quit.set()
        # Let a thread between records see `quit` before the counts are read
        # (one waiting on a stalled producer is not waited for).
        await asyncio.to_thread(thread.join, 0.5)

"""The batch engine: many abstracts through one Extractor, concurrently.

Design note. `aextract_many` / `extract_many` are the engine. A fixed pool of
`concurrency` workers pulls records from one iterator and awaits
`Extractor.aextract` on each, so at most that many requests are in flight and at most that many
records are in memory, however long the input. Results come out as they
complete, not in input order. A record that fails (after the retry layer's
own retries) is an `Outcome` carrying its error, never an exception that
ends the run: failures are data. Optional requests- and tokens-per-minute
limits wrap the backend, so they pace real requests (retries included) and
never cache hits.

`batch.run` drives this engine over files; `workers` runs it in several
processes.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import aclosing, suppress
from dataclasses import dataclass
from typing import Any

from .dumps import Record, make_record
from .errors import InputError
from .extract import Extractor
from .gcpause import long_run_gc
from .limits import Limits, paced
from .result import Extraction, Usage


@dataclass(frozen=True)
class Outcome:
    """One finished record: its result, or the error it failed with."""

    record: Record
    result: Extraction | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def id(self) -> str:
        return self.record.id

    def row(self, extractor: Extractor) -> dict[str, Any]:
        """The output line: id, title, source, content key (by which a rerun
        knows the paper under another id), summary, metadata and error."""
        record = self.record
        if self.result is not None:
            meta = self.result.meta.model_dump(mode="json")
            summary = self.result.summary.model_dump(mode="json")
            error = None
        else:
            exc = self.error
            usage = getattr(exc, "usage", None)
            meta = {
                "backend": extractor.backend.name, "model": extractor.backend.model,
                "prompt_hash": extractor.prompt.hash, "cache_hit": False,
                "attempts": getattr(exc, "attempts", 0 if isinstance(exc, InputError) else 1),
                "reasks": getattr(exc, "reasks", 0),
                "usage": (usage if isinstance(usage, Usage) else Usage()).as_dict(),
                "latency_s": None, "evidence": [],
            }
            summary = None
            error = {"type": type(exc).__name__, "message": str(exc)}
        return {"id": record.id, "title": record.title, "source": record.source,
                "content_key": record.key, "summary": summary, "meta": meta, "error": error}


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def _as_record(item: Record | str, number: int) -> Record:
    if isinstance(item, Record):
        return item
    if isinstance(item, str):
        return make_record("", item, f"<item {number}>")
    raise InputError(f"extract_many takes Records or abstract strings, not {type(item).__name__}")


async def _one(extractor: Extractor, record: Record, refresh: bool, use_cache: bool) -> Outcome:
    try:
        result = await extractor.aextract(
            record.abstract, record.title or None, use_cache=use_cache, refresh=refresh
        )
    except Exception as exc:  # failures are data; cancellation is not caught
        return Outcome(record, error=exc)
    return Outcome(record, result)


def _taker(records: Iterable[Any] | AsyncIterable[Any], size: int
           ) -> tuple[Callable[[], Awaitable[tuple[int, Any] | None]], asyncio.Task[None] | None]:
    """`await take()` gives the next (number, item), or None at the end; and the
    task that pumps an async source, to be cancelled with the workers.

    An async source (a batch run's reading, which pauses for the loop, or
    records arriving from another process) cannot be awaited by two workers at
    once, so one task pumps it into a queue of `size`. A lock around it instead
    made a convoy: once workers queued on it, each record waited for a turn of
    the event loop of its own, and a warm-cache run went 40% slower."""
    if isinstance(records, str | bytes | Record):
        raise TypeError("records must be an iterable of Records or abstracts, not one "
                        f"{type(records).__name__}: use extract() for a single abstract")
    count = itertools.count()
    if isinstance(records, AsyncIterable):
        ready: asyncio.Queue[Any] = asyncio.Queue(size)

        async def pump() -> None:
            try:
                async for item in records:
                    await ready.put(item)
            except Exception as exc:  # handed to the workers, which end the run with it
                await ready.put(_Failed(exc))
            else:
                await ready.put(_DONE)

        async def take_async() -> tuple[int, Any] | None:
            item = await ready.get()
            if item is _DONE or isinstance(item, _Failed):
                ready.put_nowait(item)  # for the next worker: the room it took is free
                if isinstance(item, _Failed):
                    raise item.error
                return None
            return next(count), item

        return take_async, asyncio.create_task(pump())
    items = iter(records)

    async def take() -> tuple[int, Any] | None:
        item = next(items, _DONE)
        return None if item is _DONE else (next(count), item)

    return take, None


@dataclass(frozen=True)
class _Failed:
    error: Exception


_DONE = object()


async def aextract_many(
    records: Iterable[Record | str] | AsyncIterable[Record | str], extractor: Extractor,
    limits: Limits | None = None, *, refresh: bool = False, use_cache: bool = True,
) -> AsyncIterator[Outcome]:
    """Extract every record with at most `limits.concurrency` in flight,
    yielding each `Outcome` as it completes."""
    extractor.check_open()  # else every record would fail alike
    limits = limits or Limits()
    view = paced(extractor, limits)
    take, pump = _taker(records, limits.concurrency)
    finished: asyncio.Queue[Outcome | _End] = asyncio.Queue(limits.concurrency)

    async def worker() -> None:
        # One shared source: each item goes to exactly one worker.
        while (taken := await take()) is not None:
            number, item = taken
            await finished.put(await _one(view, _as_record(item, number), refresh, use_cache))

    with long_run_gc():  # a long run's loop is not stalled by full collections
        workers = [asyncio.create_task(worker()) for _ in range(limits.concurrency)]

        async def close() -> None:
            results = await asyncio.gather(*workers, return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)
                      and not isinstance(r, asyncio.CancelledError)]
            await finished.put(_End(errors[0] if errors else None))

        closer = asyncio.create_task(close())
        try:
            while not isinstance(item := await finished.get(), _End):
                yield item
            if item.error is not None:
                raise item.error
        finally:
            tasks = [*workers, closer, *([pump] if pump else [])]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def extract_many(
    records: Iterable[Record | str], extractor: Extractor | None = None, *,
    backend: str | None = None, limits: Limits | None = None,
) -> Iterator[Outcome]:
    """Extract many abstracts concurrently; yields each `Outcome` as it completes.

        for outcome in extract_many(dumps.read(["dump.txt"]), backend="rules"):
            print(outcome.id, outcome.result.task if outcome.ok else outcome.error)

    `records` are `dumps.Record`s or abstract strings. Runs its own event loop
    in a helper thread, so it works from plain code and from notebooks alike.
    With no `extractor`, one is built for `backend` and closed at the end."""
    own = extractor is None
    extractor = extractor or Extractor(backend)
    limits = limits or Limits()
    handoff: queue.Queue[Outcome | _End] = queue.Queue(limits.concurrency)
    stop = threading.Event()
    loop = asyncio.new_event_loop()

    async def pump() -> None:
        error = None
        try:
            async with aclosing(aextract_many(records, extractor, limits)) as outcomes:
                async for outcome in outcomes:
                    while True:  # never block the loop: requests are in flight
                        if stop.is_set():
                            return
                        try:
                            handoff.put_nowait(outcome)
                            break
                        except queue.Full:
                            await asyncio.sleep(0.005)
        except Exception as exc:
            error = exc
        finally:
            await extractor.aclose()
            handoff.put(_End(error))

    thread = threading.Thread(target=loop.run_until_complete, args=(pump(),), daemon=True)
    thread.start()
    try:
        while not isinstance(item := handoff.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        stop.set()
        while thread.is_alive():  # unblock the pump if the consumer stopped early
            with suppress(queue.Empty):
                handoff.get(timeout=0.05)
        loop.close()
        if own:
            extractor.close()

"""Batch runs over several processes (`extractor batch --workers N`).

Design note. Through the openai SDK and instructor one request costs 1.8-5.9 ms
of client CPU on this project's machines (building, sending and parsing it),
so one event loop, which is one core, tops out at 140-290 requests/s however
many are in flight (`benchmarks/bench_batch.py`). Workers are child processes,
each running the ordinary engine (`aextract_many`) over its own Extractor,
rebuilt from the parent's `Extractor.recipe`. They are spawned, not forked: the
parent may hold threads, sockets and an SQLite connection that a fork would
copy half-way.

The parent stays the only reader of the inputs and the only writer of the
output, so dedup, resume, progress and the summary work exactly as with one
process. It sends records down a pipe to each worker, never more than twice
that worker's share of the concurrency outstanding (memory stays bounded),
and each worker sends back the finished output rows. `concurrency`, `rpm` and
`tpm` are split evenly over the workers, so the totals are what was asked
for. The workers share the disk cache (diskcache is safe across processes).

A spawned worker spends 1-2 s importing the SDKs before its first request:
over a 16,000-abstract run at 320 a second that was 3% of the wall time, with
the parent idle. So for a backend whose requests wait on a server
(`Backend.waits_on_server`) and a run with no rpm or tpm limit, the parent
answers records itself with its own Extractor, at the full concurrency, until
its first worker says it is ready; then it takes no more and finishes those in
flight, and the workers are sent records only as far as the parent's leave
room, so the run never has more than `concurrency` requests in flight. With an
rpm or tpm limit the parent keeps out: its requests would count against a
window the workers' shares know nothing of.

A worker that dies (killed, out of memory) ends the run with an error. Its
records in flight were never written, so rerunning the command resumes them,
as after any crash; a worker whose parent dies sees its pipe close and exits.

Ctrl-C is the parent's to handle; a worker ignores SIGINT from its first
instruction. Setting that in `serve` was too late: a spawned worker spends
1-3 s importing the `extractor` script and the SDKs before it gets there, and
a Ctrl-C then printed a traceback from each worker. The parent ignores SIGINT
while it starts each one, a disposition exec keeps and Python honours, and
then puts its own handler back.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import sys
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import aclosing, contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from .dumps import Record
from .engine import aextract_many
from .errors import BackendError, ConfigError, InputError
from .extract import Extractor, Recipe
from .limits import Limits
from .worker import serve

PREFETCH = 2  # records outstanding per worker, in multiples of its concurrency
_ERRORS: dict[str, type[Exception]] = {"ConfigError": ConfigError, "InputError": InputError}


def split(limits: Limits, workers: int) -> list[Limits]:
    """Each worker's share of the limits; together they add up to `limits`."""
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    if limits.concurrency < workers:
        raise ConfigError(f"concurrency ({limits.concurrency}) must be at least the number "
                          f"of workers ({workers}): each worker needs a request in flight")
    base, extra = divmod(limits.concurrency, workers)
    return [Limits(concurrency=base + (i < extra),
                   rpm=limits.rpm / workers if limits.rpm else None,
                   tpm=limits.tpm / workers if limits.tpm else None)
            for i in range(workers)]


# -- the parent's side ------------------------------------------------------------


@dataclass
class _Worker:
    index: int
    process: Any  # multiprocessing's SpawnProcess
    conn: Connection
    room: int  # records it may still be sent
    most: int  # records it may hold at once
    ready: bool = False  # may be sent records
    started: bool = False  # has sent rows back
    outgoing: list[Record] = field(default_factory=list)  # read for it, not yet sent

    @property
    def holds(self) -> int:
        return self.most - self.room

    def send(self, message: Any) -> None:
        try:
            self.conn.send(message)
        except OSError:  # a broken pipe: it died between two messages
            raise self.died() from None

    def died(self) -> BackendError:
        self.process.join(timeout=5)
        code = self.process.exitcode
        how = f" (exit code {code})"
        if code is not None and code < 0:  # killed by a signal
            how = f", killed by {_signal_name(-code)}"
            if -code == signal.SIGKILL:  # what the kernel's out-of-memory killer sends
                how += " (out of memory? with llamacpp each worker loads its own model)"
        text = (f"batch worker {self.index} died{how}; the records it had in flight were "
                "not written: rerun the same command to resume them")
        if not self.started and code is not None and code > 0:
            text += ". It died before its first answer (its traceback, if any, is above)"
            if not _run_by_the_cli():
                # A script that starts the run at its top level: a spawned worker
                # imports the script again, and multiprocessing refuses it there.
                text += (": a Python script that runs with workers must start the run "
                         "under `if __name__ == \"__main__\":`")
        return BackendError(text)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _run_by_the_cli() -> bool:
    """Whether this process is the `extractor` command (its console script or
    `python -m extractor`), whose __main__ a spawned worker does not run again."""
    cli = sys.modules.get("extractor.cli")
    ours = getattr(cli, "main", None)
    return ours is not None and getattr(sys.modules.get("__main__"), "main", None) is ours


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while a worker is started, so that the worker starts with it
    ignored (see the module note), and the parent's own handler put back exactly:
    Python's, asyncio's, or SIG_IGN already in a script's background job. Only the
    main thread may set a handler, and one set from C cannot be put back: then
    nothing is changed."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is None):
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _listen(worker: _Worker, loop: asyncio.AbstractEventLoop, inbox: asyncio.Queue) -> None:
    """Thread: hand each message from one worker to the parent's loop."""

    def post(message: Any) -> None:
        with suppress(RuntimeError):  # the loop is closed: the run is over
            loop.call_soon_threadsafe(inbox.put_nowait, (worker.index, message))

    try:
        while True:
            message = worker.conn.recv()
            post(message)
            if message[0] in ("done", "error"):
                return
    except (EOFError, OSError):
        # Not joined here: two threads reaping one child confuse multiprocessing
        # (the loser's waitpid fails and it takes the child for alive forever).
        post(("died",))


HERE = -1  # the parent's own index in the inbox, beside its workers'


def allowance(worker: _Worker, pool: list[_Worker], held_here: int, concurrency: int) -> int:
    """How many more records `worker` may be sent: what its prefetch leaves room
    for, and while the parent holds records, only as many as keep everything the
    workers hold plus the parent's within `concurrency`."""
    if not worker.ready:
        return 0
    if not held_here:
        return worker.room
    return max(0, min(worker.room, concurrency - held_here - sum(w.holds for w in pool)))


async def rows(
    records: Iterable[Record] | AsyncIterable[Record], recipe: Recipe, limits: Limits,
    workers: int, *, parent: Extractor | None = None, refresh: bool = False,
    use_cache: bool = True,
) -> AsyncIterator[dict[str, Any]]:
    """The output row of every record, from `workers` processes, as each completes.

    `parent`, the Extractor `recipe` came from, answers records here until a
    worker is ready, when its backend waits on a server and no rpm or tpm
    limit is set (see the module note)."""
    shares = split(limits, workers)
    here = parent if parent is not None and parent.backend.waits_on_server and not (
        limits.rpm or limits.tpm) else None
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
    pool: list[_Worker] = []
    source = aiter(records) if isinstance(records, AsyncIterable) else _aiter(records)
    pulling = asyncio.Lock()  # the feeder and the parent's engine share one source
    exhausted = False
    booting = here is not None  # the parent still takes records
    held_here = 0  # records the parent took and has not answered
    room_here = asyncio.Event()  # held_here fell, or booting ended
    room = asyncio.Event()  # a worker may have room: rows came back, one is ready

    async def feed() -> None:
        """Task: send each worker the records it has room for, as room opens.
        Not on the loop that hands rows on, which a stalled source (a producer
        on stdin that stopped writing) would hold with finished rows unwritten."""
        nonlocal exhausted
        while not exhausted:
            room.clear()  # a wake-up from here on is seen by the wait below
            for worker in pool:
                async with pulling:  # held_here is settled: no pull half-way
                    wanted = allowance(worker, pool, held_here, limits.concurrency)
                    while not exhausted and wanted > 0:
                        record = await anext(source, None)
                        exhausted = record is None
                        if record is not None:
                            wanted -= 1
                            worker.room -= 1
                            if not worker.outgoing:
                                loop.call_soon(send_outgoing, worker)
                            worker.outgoing.append(record)
            if not exhausted:
                await room.wait()
        for worker in pool:  # the end of their records
            send_outgoing(worker)
            worker.send(None)

    def send_outgoing(worker: _Worker) -> None:
        """Send the records read for `worker` since the loop last turned. Records
        read without waiting go in one message; those read before the source
        made the loop wait are sent then, not held: gathered until the worker's
        room was filled, the last records of a producer that then stalled
        waited for company that never came. A worker found dead here is
        reported by its listener, which sees its pipe close."""
        chunk, worker.outgoing = worker.outgoing, []
        if chunk:
            with suppress(BackendError):
                worker.send(chunk)

    async def taken_here() -> AsyncIterator[Record]:
        nonlocal exhausted, held_here
        while True:
            while booting and held_here >= limits.concurrency:
                room_here.clear()
                await room_here.wait()
            async with pulling:
                if not booting or exhausted:
                    return
                record = await anext(source, None)
                held_here += record is not None
            if record is None:
                exhausted = True
                room.set()  # for the feeder to close the workers' pipes
                return
            yield record

    async def serve_here() -> None:
        assert here is not None
        engine = aextract_many(taken_here(), here, limits, refresh=refresh,
                               use_cache=use_cache)
        async with aclosing(engine) as outcomes:
            async for outcome in outcomes:
                inbox.put_nowait((HERE, ("rows", [outcome.row(here)])))

    async def reported(work: Callable[[], Awaitable[None]]) -> None:
        """Run `work`, then tell the loop below that it ended, and how."""
        try:
            await work()
        except Exception as exc:
            inbox.put_nowait((HERE, ("failed", exc)))
        else:
            inbox.put_nowait((HERE, ("done",)))

    tasks: list[asyncio.Task[None]] = []
    try:
        for index, share in enumerate(shares):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=serve, args=(theirs, recipe, share, refresh, use_cache),
                name=f"extractor-worker-{index}", daemon=True,
            )
            with _sigint_ignored():  # a Ctrl-C in this instant is lost: press it again
                process.start()
            theirs.close()  # so that its death reaches us as EOF
            most = PREFETCH * share.concurrency
            # Without the parent at work, records wait in the pipe while it starts.
            worker = _Worker(index, process, ours, most, most, ready=here is None)
            pool.append(worker)
            threading.Thread(target=_listen, args=(worker, loop, inbox), daemon=True).start()
        tasks.append(asyncio.create_task(reported(feed)))
        if here is not None:
            tasks.append(asyncio.create_task(reported(serve_here)))
        running = len(pool) + len(tasks)
        while running:
            index, message = await inbox.get()
            worker = pool[index] if index != HERE else None
            if message[0] == "rows":
                if worker is None:
                    held_here -= len(message[1])
                    room_here.set()
                else:
                    worker.started = True
                    worker.room += len(message[1])
                room.set()
                for row in message[1]:
                    yield row
            elif message[0] == "ready":
                assert worker is not None
                booting = False
                room_here.set()
                worker.ready = True
                room.set()
            elif message[0] == "done":
                running -= 1
            elif message[0] == "failed":
                raise message[1]
            elif message[0] == "error":
                _, kind, text = message
                raise _ERRORS.get(kind, BackendError)(f"batch worker {index}: {kind}: {text}")
            else:
                assert worker is not None
                raise worker.died()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for worker in pool:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in pool:
            worker.process.join(timeout=5)
            if worker.process.is_alive():  # deaf to SIGTERM: not ours to wait for
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()


async def _aiter(records: Iterable[Record]) -> AsyncIterator[Record]:
    for record in records:
        yield record

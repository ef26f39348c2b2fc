"""One worker process of a `--workers N` batch run: the other side of `workers.py`.

Design note. A worker is spawned with `serve` as its target. It builds its own
Extractor from the parent's recipe, says `ready`, then runs the ordinary engine
over the records the parent sends down the pipe and sends back the finished
rows. It owns no file: the parent alone reads inputs and writes the output.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from multiprocessing.connection import Connection
from typing import Any

from .dumps import Record
from .engine import aextract_many
from .extract import Recipe
from .limits import Limits


class _ParentGone(Exception):
    """The pipe from the parent closed: the run is over, nobody reads our rows."""


def serve(conn: Connection, recipe: Recipe, limits: Limits, refresh: bool,
          use_cache: bool) -> None:
    """A worker process: extract the records the parent sends, send back rows."""
    # Ignored from the start (see workers.py's module note) unless the run was started
    # from a thread other than the main one, which cannot set it for the spawn.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        extractor = recipe.build()
    except Exception as exc:
        conn.send(("error", type(exc).__name__, str(exc)))
        return
    try:
        conn.send(("ready",))
    except OSError:  # the parent is gone already
        extractor.close()
        return
    try:
        with extractor:
            asyncio.run(_work(conn, extractor, limits, refresh, use_cache))
        conn.send(("done",))
    except (_ParentGone, BrokenPipeError, EOFError):
        return  # nobody is left to tell
    except Exception as exc:
        conn.send(("error", type(exc).__name__, str(exc)))


async def _work(conn: Connection, extractor: Any, limits: Limits, refresh: bool,
                use_cache: bool) -> None:
    loop = asyncio.get_running_loop()
    incoming: asyncio.Queue[Any] = asyncio.Queue()
    gone = object()

    def hand_over(item: Any) -> bool:
        """Queue `item` for the loop; False once the loop has ended. The work can
        end first (its parent gone, a failed send), and a put on the closed loop
        was a RuntimeError traceback from this thread on the worker's stderr."""
        try:
            loop.call_soon_threadsafe(incoming.put_nowait, item)
        except RuntimeError:
            return False
        return True

    def listen() -> None:
        try:
            while (chunk := conn.recv()) is not None:
                if not hand_over(chunk):
                    return
            hand_over(None)
        except (EOFError, OSError):
            hand_over(gone)

    threading.Thread(target=listen, name="extractor-worker-listen", daemon=True).start()

    async def records() -> AsyncIterator[Record]:
        while (chunk := await incoming.get()) is not None:
            if chunk is gone:
                raise _ParentGone
            for record in chunk:
                yield record

    # Rows finished in the same turn of the loop go back in one message.
    # A parent killed with -9 closes the pipe under a send: that is the end of
    # the run, not an error (it was a traceback per orphaned worker, "Exception
    # in callback ... BrokenPipeError"), so the work stops quietly.
    pending: list[dict[str, Any]] = []
    lost = False

    def flush() -> None:
        nonlocal lost
        if pending and not lost:
            try:
                conn.send(("rows", pending[:]))
            except OSError:  # BrokenPipeError, or the pipe already closed
                lost = True
        pending.clear()

    engine = aextract_many(records(), extractor, limits, refresh=refresh,
                           use_cache=use_cache)
    try:
        async with aclosing(engine) as outcomes:
            async for outcome in outcomes:
                if lost:
                    raise _ParentGone
                if not pending:
                    loop.call_soon(flush)
                pending.append(outcome.row(extractor))
        flush()
        if lost:
            raise _ParentGone
    finally:
        await extractor.aclose()

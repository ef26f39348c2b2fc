"""Keep the cyclic garbage collector from stalling a long run's event loop.

Design note. Before its first request, a batch run through the openai SDK
holds about 140,000 objects that the GC tracks (the SDK's and pydantic's
types, mostly), and CPython's full collection walks every one of them: in a
6,000-abstract run, 8-9 full collections took 0.9-1.1 s, up to 186 ms each,
and the young collections (one per 700 new objects) another 1.1 s. Every
answer that arrived during one waited, so requests bunched up and throughput
fell. For the run's length:

- `gc.freeze()` moves everything alive at its start out of the collector's
  sight (`gc.unfreeze()` gives it back at the end). Nothing is lost: a frozen
  object is still freed when its last reference goes, and a garbage cycle
  frozen with the rest is collected after the run.
- The youngest generation is collected after 10,000 new objects, not 700.
  Most of a request's objects die by reference count before that, so the
  collections are 14 times fewer and not much longer each, and a garbage
  cycle waits for at most 10,000 new objects instead of 700.

Side by side on one machine (`python benchmarks/bench_batch.py throughput`,
two alternating runs of each), one process through the SDK went from
0.784-0.795 of ideal to 0.858-0.868 and from 3.0 to 2.7 ms of client CPU an
abstract; two workers from 0.847-0.858 to 0.877-0.895.

The GC state is the process's, so runs in several threads share it: the first
to start sets it, the last to end puts it back. A process that froze its heap
itself (a server that forks its workers, say) is left as it is: `unfreeze`
cannot tell its objects from ours.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 10_000  # new objects between two collections of the youngest generation

_lock = threading.Lock()
_runs = 0
_before: tuple[int, int, int] | None = None  # the thresholds to put back
_froze = False  # whether the freeze in force is ours


@contextmanager
def long_run_gc() -> Iterator[None]:
    """For the duration of a run: what exists now is not scanned by the GC,
    and young objects are collected less often."""
    global _runs, _before, _froze
    with _lock:
        _runs += 1
        if _runs == 1:
            _before = gc.get_threshold()
            if _before[0]:  # 0 means automatic collection is off: leave it off
                gc.set_threshold(max(_before[0], YOUNG), *_before[1:])
            if not gc.get_freeze_count():
                gc.freeze()
                _froze = True
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0:
                if _before is not None and gc.get_threshold()[0] == max(_before[0], YOUNG):
                    gc.set_threshold(*_before)  # unless someone set their own meanwhile
                if _froze:
                    gc.unfreeze()
                _before, _froze = None, False

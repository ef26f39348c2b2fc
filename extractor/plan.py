"""Which records a batch run does, and whether it may resume an output at all.

Design note. `records` streams the inputs once and keeps, in input order, the
records this run extracts: no duplicates (by id or by content), only its shard,
nothing the output already holds (by id or by content, `outputs.LogState`), at
most `--limit`. It
counts every record it passes over in the run's `Tally`, so the summary can
say where each record went. `check_same_run` refuses to resume an output that
another backend or prompt wrote: one file would hold answers of two kinds.

Dedup keeps a 64-bit hash of each unique record's content, and of its id when
the source has its own; resume keeps one of each id already done, and of the
content of each done row with a source id. That is the only state that grows
with the input: a million records with source ids peak at about 200 MB RSS in
all (benchmarks/bench_batch.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .dumps import Record, read
from .errors import ConfigError
from .extract import Extractor
from .outputs import LogState, id_hash
from .progress import Tally

if TYPE_CHECKING:
    from .batch import RunConfig


def records(inputs: list[Path], config: RunConfig, state: LogState, tally: Tally | None
            ) -> Iterator[Record]:
    """The records this run does, in input order: no duplicates (by id or by
    content), only this shard, nothing the output already holds (by id or by
    content too).

    A source id names one paper, so a later record with the same id is a
    duplicate even when its abstract differs (a revised abstract in a newer
    snapshot). But an id column that is not unique (a wrong `--id-field`) would
    collapse different papers silently, so those are counted as `reused_ids`
    and the first is named in the summary.

    Duplicates are dropped before the shard is chosen, over the whole input:
    so each shard keeps exactly its part of what the unsharded run keeps, and
    one paper under two ids is not extracted by two shards."""
    contents: set[int] = set()
    ids: dict[int, int] = {}  # id hash -> content hash of the first record with that id
    planned = 0
    counts = tally or Tally()
    on_bad = counts.bad_line if tally is not None else (lambda bad: None)
    for record in read(inputs, config.input_format, config.fields, on_bad):
        counts.read += 1
        content = int(record.key, 16)
        named = id_hash(record.id) if record.id != record.key else None
        first = ids.get(named) if named is not None else None
        if content in contents or first is not None:
            counts.duplicates += 1
            if first is not None and first != content:
                counts.reused_ids += 1
                counts.first_reused = counts.first_reused or f"id {record.id!r} at {record.source}"
            continue
        contents.add(content)
        if named is not None:
            ids[named] = content
        if config.shard and shard_of(record, config.shard[1]) != config.shard[0]:
            counts.other_shard += 1
            continue
        wanted = (id_hash(record.id) in state.failed if config.retry_failed
                  else not state.holds(record.id, record.key))
        if not wanted:
            counts.skipped += 1
            continue
        if config.limit is not None and planned >= config.limit:
            counts.over_limit = True  # the rest waits for the next run
            return
        planned += 1
        yield record


def shard_of(record: Record, count: int) -> int:
    """Which of `count` shards does `record`: chosen by its id, since one id is
    one paper. By content, a revised abstract under a done id (a newer
    snapshot) would fall in another shard, which has not done that id and
    would extract it again. An id that is the content hash (the source has
    none) is taken as the number it is, so such dumps split as they always did."""
    number = int(record.key, 16) if record.id == record.key else id_hash(record.id)
    return number % count


def check_same_run(state: LogState, extractor: Extractor, log: Path) -> None:
    meta = (state.first or {}).get("meta") or {}
    theirs = (meta.get("backend"), meta.get("prompt_hash"))
    ours = (extractor.backend.name, extractor.prompt.hash)
    if state.first is not None and theirs != ours:
        raise ConfigError(
            f"{log} holds results from backend {theirs[0]!r} with prompt {theirs[1]}, not "
            f"{ours[0]!r} with prompt {ours[1]}; resuming would mix them: pick another "
            "output (-o) or remove that file"
        )

def parse_shard(text: str) -> tuple[int, int]:
    """"I/N" (0 <= I < N) -> (I, N)."""
    index, sep, count = text.partition("/")
    try:
        shard = (int(index), int(count))
    except ValueError:
        shard = (-1, 0)
    if not sep or not 0 <= shard[0] < shard[1]:
        raise ConfigError(f"--shard takes I/N with 0 <= I < N (e.g. 0/4 to 3/4), got {text!r}")
    return shard

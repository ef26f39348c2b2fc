"""Which records a batch run does, and whether it may resume an output at all.

Design note. `records` streams the inputs once and keeps, in input order, the
records this run extracts: no duplicates (by id or by content), only its shard,
nothing the output already holds (by id or by content, `outputs.LogState`), at
most `--limit`. It
counts every record it passes over in the run's `Tally`, so the summary can
say where each record went. `check_same_run` refuses to resume an output made
with other settings (backend, model, endpoint, mode, prompt, sampling: what
the cache key holds besides the text), which would hold answers of two kinds.

Dedup keeps a 64-bit hash of each unique record's content, and of its id when
the source has its own; resume keeps one of each id already done, and of the
content of each done row with a source id. That is the only state that grows
with the input: a fresh run over a million records with source ids peaked at
about 200 MB RSS in all (`benchmarks/bench_batch.py memory`, before resume kept
content keys too; a fresh run keeps none).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import cache_key
from .dumps import Record, read
from .errors import ConfigError
from .outputs import LogState, id_hash
from .progress import Tally

if TYPE_CHECKING:
    from .batch import RunConfig


def records(inputs: list[Path], config: RunConfig, state: LogState, tally: Tally | None,
            stop: Callable[[], bool] | None = None, *, pauses: bool = False
            ) -> Iterator[Record | None]:
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
    one paper under two ids is not extracted by two shards.

    `stop()` is asked before each record: a run told to stop is not held up
    by the rest of a pass that may skip gigabytes without yielding. With
    `pauses`, a None comes out every `PAUSE` records read: a caller on an event
    loop gives the loop a turn there (requests in flight, the progress line,
    Ctrl-C), rather than wait out such a pass."""
    contents: set[int] = set()
    ids: dict[int, int] = {}  # id hash -> content hash of the first record with that id
    counts = tally or Tally()
    on_bad = counts.bad_line if tally is not None else (lambda bad: None)
    seen = 0
    for record in read(inputs, config.input_format, config.fields, on_bad):
        if stop is not None and stop():
            return
        seen += 1
        if pauses and seen % PAUSE == 0:
            yield None  # before the record is counted: the run may end here
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
        if config.retry_failed:
            wanted = id_hash(record.id) in state.failed
            counts.failed_found += wanted
        else:
            wanted = not state.holds(record.id, record.key)
        if not wanted:
            counts.skipped += 1
            continue
        if config.limit is not None and counts.planned >= config.limit:
            counts.over_limit = True  # the rest waits for the next run: this one too
            counts.read -= 1
            return
        counts.planned += 1
        yield record


PAUSE = 256


def notes(tally: Tally, config: RunConfig, state: LogState, log: Path, read_all: bool
          ) -> list[str]:
    """What the summary says of the records a run did and did not do. `read_all`:
    the run was not stopped before it had read every input."""
    said = []
    if tally.over_limit and read_all:
        said.append(f"stopped at --limit {config.limit}: the same command without it (or "
                    "with a larger one) goes on from here")
    if config.refresh and not config.retry_failed and tally.skipped:
        said.append(f"--refresh asked the backend again only for records not yet in {log}: "
                    f"the {tally.skipped} it holds were kept, not redone (a rerun resumes "
                    "rather than starts over); to redo them, write to another output (-o)")
    if tally.reused_ids:
        said.append(f"{tally.reused_ids} records reused an id already given to a different "
                    f"abstract (the first: {tally.first_reused}); only the first record of each "
                    "id was extracted: if the papers differ, the id field (--id-field) is not "
                    "unique")
    # Found by id alone: an id-less paper edited since, or the same papers from a
    # source with ids, are other records, and the run would otherwise end with
    # its failures as they were and no word of why.
    missing = len(state.failed) - tally.failed_found
    if config.retry_failed and read_all and not tally.over_limit and missing:
        inputs = "the inputs" + (" in this shard" if config.shard else "")
        said.append(f"{missing} of the {len(state.failed)} failed records in {log} were not "
                    f"retried: no record of {inputs} has their id. Give --retry-failed the "
                    "input that produced them; a paper whose source gives no id is known by "
                    "its title and abstract, so an edited one is a new record, which a run "
                    "without --retry-failed extracts (the old row stays failed)")
    return said


def shard_of(record: Record, count: int) -> int:
    """Which of `count` shards does `record`: chosen by its id, since one id is
    one paper. By content, a revised abstract under a done id (a newer
    snapshot) would fall in another shard, which has not done that id and
    would extract it again. An id that is the content hash (the source has
    none) is taken as the number it is, so such dumps split as they always did."""
    number = int(record.key, 16) if record.id == record.key else id_hash(record.id)
    return number % count


def stamp(settings: dict[str, Any]) -> str:
    """16 hex digits that name an extractor's settings (`Extractor.settings`),
    written into the meta of every output row as `settings`."""
    return cache_key(settings)[:16]


def check_same_run(state: LogState, settings: dict[str, Any], log: Path, summary: Path
                   ) -> None:
    """Refuse to resume an output made with other settings: another backend,
    model, endpoint, mode, prompt or sampling gives other answers, and one
    file would hold both. The summary beside the output, when it is the one
    that run wrote, says which setting differs."""
    if state.first is None:
        return
    meta = state.first.get("meta") or {}
    if state.settings is not None:
        if state.settings == stamp(settings):
            return
        theirs = _recorded(summary, state.settings)
    else:  # rows written before they carried a stamp: these two were all that was kept
        theirs = {"backend": meta.get("backend"), "prompt": meta.get("prompt_hash")}
        if theirs == {"backend": settings["backend"], "prompt": settings["prompt"]}:
            return
    if theirs is None:
        why = f"other settings than this run's ({_shown(settings)})"
    else:
        why = "other settings: " + "; ".join(
            f"{name} {value!r}, not {mine!r}" for name, value, mine in _differences(
                _flat(theirs), _flat(settings)))
    raise ConfigError(f"{log} holds results made with {why}; resuming would mix them: pick "
                      f"another output (-o), or remove {log} to start over")


def _recorded(summary: Path, wanted: str) -> dict[str, Any] | None:
    """The settings in the summary beside the output, if they are the ones stamped."""
    try:
        settings = json.loads(summary.read_text(encoding="utf-8")).get("settings")
    except (OSError, ValueError, AttributeError):
        return None
    return settings if isinstance(settings, dict) and stamp(settings) == wanted else None


def _flat(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


def _differences(theirs: dict[str, Any], ours: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(name, theirs.get(name), ours.get(name)) for name in sorted(theirs.keys() | ours.keys())
            if theirs.get(name) != ours.get(name)]


def _shown(settings: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in _flat(settings).items()
                     if name not in ("format", "schema"))


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

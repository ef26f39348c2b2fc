"""Batch runs over files: streamed, deduplicated, resumable, summarised.

Design note. `run` is a whole batch job over files: read the dumps as a stream
(`dumps.read`), drop duplicates, other shards and what the output already
holds (`plan.records`, which pauses every few hundred records so that the
event loop never waits long on the inputs: Ctrl-C and the requests in flight
go on while a resume skips gigabytes), feed the rest to the engine
(`engine.aextract_many`, in this process or in `workers`), append each result
to the JSONL log as it completes (`outputs.Log`), then compact, convert to CSV
or Parquet if asked (`views`), and write the summary beside the output
(`progress.summary`). Rerunning the same command resumes; `retry_failed`
reruns exactly the failed records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import feed, plan, workers
from .dumps import STDIN, Fields, Record, as_paths, check_input, is_empty, shown
from .engine import aextract_many
from .errors import ConfigError
from .extract import Extractor
from .gcpause import long_run_gc
from .guards import STREAM_ADVICE, refuse_lost_log, refuse_overwriting, refuse_streams
from .limits import Limits
from .outputs import Log, LogState, id_hash
from .progress import Progress, Tally, price_for, summary
from .settings import canonical, of_type, real, whole
from .streams import can_stall, is_stream
from .views import WRITERS, check_writer, convert, temporary

# -- a whole run over files ------------------------------------------------------------


@dataclass(frozen=True)
class RunConfig:
    """Everything about a batch run except the extractor and the files."""

    limits: Limits = field(default_factory=Limits)
    output_format: str | None = None  # default: from the output's suffix, else jsonl
    input_format: str | None = None  # default: detected per file
    fields: Fields = field(default_factory=Fields)
    shard: tuple[int, int] | None = None  # (index, count), index from 0
    retry_failed: bool = False
    refresh: bool = False
    use_cache: bool = True
    max_failures: int | None = None
    limit: int | None = None  # extract at most this many records this run (a trial run)
    price: tuple[float, float] | None = None  # USD per million input, output tokens
    progress: bool | None = None  # default: when stderr is a terminal
    quiet: bool = False  # no progress line, no warnings on stderr
    workers: int = 1  # processes sharing the concurrency (see workers.py)

    def __post_init__(self) -> None:
        of_type(self.limits, Limits, "limits", "a Limits, e.g. Limits(concurrency=32)")
        of_type(self.fields, Fields, "fields", "a Fields, e.g. Fields(abstract='summary')")
        for name in ("output_format", "input_format"):
            of_type(getattr(self, name), str | None, name, "a format name or None")
        for name in ("retry_failed", "refresh", "use_cache", "quiet"):
            of_type(getattr(self, name), bool, name, "True or False")
        of_type(self.progress, bool | None, "progress", "True, False or None")
        canonical(self, workers=whole(self.workers, "workers (--workers)",
                                      "a whole number of at least 1", minimum=1),
                  **{name: None if getattr(self, name) is None else whole(
                      getattr(self, name), f"{name} (--{name.replace('_', '-')})",
                      "a whole number or None") for name in ("max_failures", "limit")})
        if self.max_failures is not None and self.max_failures < 1:
            raise ConfigError(f"max_failures (--max-failures) must be at least 1, got "
                              f"{self.max_failures}: a run cannot stop before its first failure")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit (--limit) must be at least 1, got {self.limit}")
        if self.shard is not None:
            shard = _pair(self.shard, "shard", "(index, count) with 0 <= index < count")
            if not all(isinstance(n, int) and not isinstance(n, bool) for n in shard) or not (
                    0 <= shard[0] < shard[1]):
                raise ConfigError(f"shard must be (index, count) with 0 <= index < count, "
                                  f"got {self.shard!r}")
            canonical(self, shard=shard)
        if self.price is not None:  # NaN or inf made the summary's cost NaN, no JSON
            allowed = "two finite numbers of USD per million tokens, 0 or more"
            canonical(self, price=tuple(real(n, "price (--price-per-mtok)", allowed, minimum=0)
                                        for n in _pair(self.price, "price (--price-per-mtok)",
                                                       f"({allowed})")))


def _pair(value: object, name: str, allowed: str) -> tuple[Any, Any]:
    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise ConfigError(f"{name} must be a pair {allowed} or None, got {value!r}")
    return value[0], value[1]


# What an output's suffix says it holds, for the formats written here.
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_COMPRESSED = {".gz", ".bz2", ".xz", ".zst", ".zip"}


def paths_for(out: Path, fmt: str | None) -> tuple[str, Path, Path]:
    """(format, JSONL log, summary) for output `out`: results.csv keeps its log
    in results.jsonl and its summary in results.summary.json.

    A name that says one format while another would be written is refused:
    the file would not read back as what its name says (b.csv holding
    Parquet, out.jsonl.gz holding plain text that gzip then refuses)."""
    if out == STDIN:
        raise ConfigError(f"-o - (standard output) is not supported: {STREAM_ADVICE}")
    if not out.name:  # `-o ""` (a variable unset) or `-o .`: with_suffix raised ValueError
        raise ConfigError(f"the output (-o) names no file ({str(out)!r}): name one, e.g. "
                          "-o out.jsonl")
    suffix = out.suffix.lower()
    if suffix in _COMPRESSED:
        raise ConfigError(f"cannot write {out}: batch output is not compressed (each result is "
                          "appended as it completes, and a rerun resumes from the file); write "
                          f"{out.with_suffix('')} and compress it after the run")
    if suffix in (".json", ".tsv"):
        right = ".jsonl" if suffix == ".json" else ".csv"
        raise ConfigError(f"cannot write {out}: {suffix} names "
                          f"{'a JSON array' if suffix == '.json' else 'tab-separated values'}, "
                          f"which batch does not write; name it {out.with_suffix(right)}")
    named = _SUFFIXES.get(suffix)
    fmt = fmt or named or "jsonl"
    if fmt not in WRITERS:
        raise ConfigError(f"unknown output format {fmt!r}; choose from {', '.join(WRITERS)}")
    if named is not None and named != fmt:
        raise ConfigError(f"{out} names a {named} file, but --format asks for {fmt}: name the "
                          f"output {out.with_suffix('.' + fmt)}, or leave --format out")
    # Only a format's own suffix is replaced: with `-o run.1` and `-o run.2` both
    # logging to run.jsonl, the second run resumed from the first's rows.
    stem = out.with_suffix("") if named else out
    log = out if fmt == "jsonl" else stem.with_name(stem.name + ".jsonl")
    return fmt, log, stem.with_name(stem.name + ".summary.json")


async def arun(inputs: list[Path], out: Path, extractor: Extractor, config: RunConfig
               ) -> dict[str, Any]:
    """The async body of `run`."""
    extractor.check_open()  # before anything is written
    folders = [str(p) for p in inputs if p.is_dir()]
    if folders:
        raise ConfigError(f"{', '.join(folders)}: a directory, not a dump file (name its "
                          "files, e.g. dir/*.jsonl)")
    missing = [str(p) for p in inputs if p != STDIN and not p.exists()]
    if missing:
        raise ConfigError(f"no such input file: {', '.join(missing)}")
    if inputs.count(STDIN) > 1:
        raise ConfigError("standard input (-) can be given only once")
    for path in inputs:  # a binary or unreadable file is refused before anything is written
        if can_stall(path):  # its head waits for the producer: keep the loop free
            await feed.off_the_loop(check_input, path, config.fields, config.input_format)
        else:
            check_input(path, config.fields, config.input_format)
    empty = [shown(path) for path in inputs if is_empty(path)]  # their heads are read by now
    if config.workers != 1:
        workers.split(config.limits, config.workers)  # raises on a bad combination
        if extractor.recipe is None:
            raise ConfigError("workers need an Extractor built from a backend name (a "
                              "Backend instance cannot be rebuilt in another process)")
    fmt, log_path, summary_path = paths_for(out, config.output_format)
    check_writer(fmt)
    if out.is_dir():
        raise ConfigError(f"cannot write the output {out}: it is a directory")
    refuse_streams([out, log_path, summary_path])
    refuse_overwriting([out, log_path, summary_path], inputs, "-o")
    refuse_lost_log(out, log_path)
    log = Log(log_path, out)
    log.open()  # the lock first: no other run touches the file while we read or repair it
    try:
        state = log.load()
        settings = extractor.settings()
        plan.check_same_run(state, settings, log_path, summary_path)
        stamp = plan.stamp(settings)
    except BaseException:
        log.close()
        raise
    show = not config.quiet and (sys.stderr.isatty() if config.progress is None
                                 else config.progress)
    tally = Tally()
    progress = Progress(tally, None, show)
    notes = [state.repaired_tail] if state.repaired_tail else []
    if empty:
        notes.append(f"{', '.join(empty)}: empty (or blank lines only), so no records were "
                     f"read from {'it' if len(empty) == 1 else 'them'}")
    if state.bad_lines:
        lines = ", ".join(map(str, state.bad_lines[:10])) + (", ..." if len(state.bad_lines) > 10
                                                            else "")
        notes.append(f"{len(state.bad_lines)} lines of {log_path} are not result rows (line "
                     f"{lines}): ignored, and moved to {log.rejected} at the end; a record "
                     "they held is done again")
    # Said even with --quiet, which quiets the run's chatter, not news about the data.
    for note in notes:
        progress.warn(note)
    tally.on_bad_line = lambda bad: progress.warn(f"malformed input: {bad}")
    retried: set[int] = set()
    stopped = aborted = None
    stop = threading.Event()  # set at the end: the reading (and the count's thread) give up
    helpers = [asyncio.create_task(_tick(progress))]
    streaming = any(map(can_stall, inputs))  # read in a thread: a pipe can stall (feed.py)
    counted = show and not any(map(is_stream, inputs))  # a pipe can be read only once
    if streaming and (warn := tally.on_bad_line) is not None:  # said on the loop, not the thread
        loop = asyncio.get_running_loop()
        tally.on_bad_line = lambda bad: loop.call_soon_threadsafe(warn, bad)
    if counted:
        helpers.append(asyncio.create_task(_count(inputs, config, state, progress, stop)))
    try:
        planned = plan.records(inputs, config, state, tally, stop.is_set, pauses=True)
        todo = feed.from_a_thread(planned) if streaming else feed.on_the_loop(planned)
        async with aclosing(_rows(todo, extractor, config)) as finished:
            async for row in finished:
                row["meta"]["settings"] = stamp
                log.append(row)
                if config.retry_failed:
                    retried.add(id_hash(row["id"]))
                tally.add(row["error"] is None, row["meta"]["cache_hit"], row["meta"]["usage"],
                          row["error"] and row["error"]["type"])
                if config.max_failures is not None and tally.failed >= config.max_failures:
                    stopped = f"stopped after {tally.failed} failures (--max-failures)"
                    break
                if _failing_from_the_start(tally, config):
                    error = row["error"]
                    stopped = (f"stopped: the first {tally.failed} records all failed (the last: "
                               f"{error['type']}: {error['message'][:200]}); fix the cause, then "
                               "rerun, and with --retry-failed for these (--max-failures N "
                               "replaces this check)")
                    break
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
        aborted = "interrupted" if interrupted else f"aborted: {type(exc).__name__}: {exc}"
        raise
    finally:
        stop.set()
        for helper in helpers:
            helper.cancel()
        if counted and progress.total is None and stopped is None and aborted is None:
            progress.total = tally.finished  # done before the count: that was all
        progress.finish()
        try:  # all under the lock: another run on this output waits for the summary
            if state.needs_compaction or retried:
                log.compact(state.multi | retried)  # sets the lines of bad_lines aside
            unconverted = None
            if aborted is None:
                try:
                    convert(log, fmt, out)
                except ConfigError as exc:  # said in the summary, then raised
                    unconverted = exc
            written = fmt == "jsonl" or (aborted is None and unconverted is None)
            if not written:
                notes.append(_not_written(out, log_path, str(unconverted or aborted)))
            stopped = stopped or aborted
            notes += plan.notes(tally, config, state, log_path, read_all=stopped is None)
            where = {"path": str(out), "log": str(log_path), "written": written}
            result = _summary(tally, state, config, extractor, inputs, where, fmt, stopped, notes)
            _write_summary(summary_path, result)
            if unconverted is not None:
                raise unconverted
        finally:
            log.close()
    return result


def _not_written(out: Path, log: Path, why: str) -> str:
    """The note for a CSV or Parquet view that this run did not write."""
    earlier = f"; the {out.name} there now is from an earlier run" if out.exists() else ""
    if why.startswith("cannot write"):
        return f"{out} was not written: {why}{earlier}"
    return (f"{out} was not written ({why}); {log} holds every result so far: rerun the same "
            f"command to finish the run and write it{earlier}")


FAIL_FAST = 20  # records that all failed, first thing in a run: the backend is broken


def _failing_from_the_start(tally: Tally, config: RunConfig) -> bool:
    """A wrong key, URL or model fails every record; without this, a million-record
    run would spend days failing, each record after its retries. Not when the user
    set --max-failures, nor for --retry-failed, whose records all failed before."""
    return (config.max_failures is None and not config.retry_failed and tally.done == 0
            and tally.failed >= FAIL_FAST)


def _write_summary(path: Path, result: dict[str, Any]) -> None:
    """Write the summary whole or not at all (a temporary file renamed over it).

    It is written while an error may be on its way out (a full disk, say), so
    failing to write it is a warning, never a second error that hides the first."""
    written = temporary(path)
    try:
        written.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        written.replace(path)
    except OSError as exc:
        written.unlink(missing_ok=True)
        print(f"extractor: could not write the run summary {path}: {exc.strerror or exc}",
              file=sys.stderr)


def _rows(todo: AsyncIterator[Record], extractor: Extractor, config: RunConfig
          ) -> AsyncIterator[dict[str, Any]]:
    """The output row of every planned record, in this process or in workers."""
    if config.workers > 1:
        return workers.rows(todo, extractor.recipe, config.limits, config.workers,
                            parent=extractor, refresh=config.refresh,
                            use_cache=config.use_cache)
    return _rows_here(todo, extractor, config)


async def _rows_here(todo: AsyncIterator[Record], extractor: Extractor, config: RunConfig
                     ) -> AsyncIterator[dict[str, Any]]:
    engine = aextract_many(todo, extractor, config.limits, refresh=config.refresh,
                           use_cache=config.use_cache)
    async with aclosing(engine) as outcomes:
        async for outcome in outcomes:
            yield outcome.row(extractor)


async def _count(inputs: list[Path], config: RunConfig, state: LogState, progress: Progress,
                 stop: threading.Event) -> None:
    """The progress line's total: the records this run will do, counted by a
    pass over the inputs of its own, in a thread beside the run. The run does
    not wait for it (3 x 127 MB take 16-19 s to count), and nor does Ctrl-C."""
    def count() -> int:
        return sum(1 for _ in plan.records(inputs, config, state, None, stop.is_set))

    with contextlib.suppress(Exception):  # an input that fails is the run's to report
        total = await asyncio.to_thread(count)
        if not stop.is_set():
            progress.total = total


async def _tick(progress: Progress) -> None:
    while True:
        progress.update()
        await asyncio.sleep(Progress.INTERVAL)


def _summary(tally: Tally, state: LogState, config: RunConfig, extractor: Extractor,
             inputs: list[Path], where: dict[str, Any], fmt: str, stopped: str | None,
             notes: list[str]) -> dict[str, Any]:
    failed_before = len(state.failed)
    if config.retry_failed:  # every retried record was failed before
        failed_now = failed_before - tally.done
        records = len(state.ok) + failed_before
    else:
        failed_now = failed_before + tally.failed
        records = len(state.ok) + failed_before + tally.finished
    model = extractor.backend.model
    price = config.price or price_for(model, extractor.backend.identity().get("endpoint"))
    shard = f"{config.shard[0]}/{config.shard[1]}" if config.shard else None
    run_info = {
        "inputs": [str(p) for p in inputs], "format": fmt,
        "backend": extractor.backend.name, "model": model, "prompt_hash": extractor.prompt.hash,
        "concurrency": config.limits.concurrency, "workers": config.workers, "shard": shard,
        "retry_failed": config.retry_failed, "stopped": stopped, "notes": notes,
        "settings": extractor.settings(),
    }
    output = {**where, "records": records, "failed": failed_now}
    return summary(tally, run=run_info, output=output, price=price)


def run(inputs: str | Path | Iterable[str | Path], out: str | Path, extractor: Extractor,
        config: RunConfig | None = None) -> dict[str, Any]:
    """Run a batch job over dump files into `out`; returns the summary (also
    written to <out stem>.summary.json). Rerun to resume."""
    async def main() -> dict[str, Any]:
        try:
            return await arun(as_paths(inputs), Path(out), extractor, config or RunConfig())
        finally:
            await extractor.aclose()

    with long_run_gc():  # a long run's loop is not stalled by full collections
        return asyncio.run(main())


def parse_price(text: str) -> tuple[float, float]:
    """"IN,OUT" in USD per million tokens -> (IN, OUT)."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(f"--price-per-mtok takes IN,OUT (e.g. 0.15,0.60), got {text!r}") from None
    if not (0 <= low < math.inf and 0 <= high < math.inf):  # NaN too: it compares false
        raise ConfigError(f"--price-per-mtok takes two finite numbers of 0 or more (USD per "
                          f"million tokens, e.g. 0.15,0.60), got {text!r}")
    return low, high


def exit_code(result: dict[str, Any]) -> int:
    """0 when the output holds no failed record and no input line was
    malformed; 1 otherwise."""
    return int(bool(result["output"]["failed"] or result["counts"]["malformed"]
                    or result["stopped"]))

"""The `extractor` command: its flags, its parser, and how a run ends.

With cli_commands.py, which does what each command asks, the only modules that
know about the command line. Every command that calls a backend takes the same
backend flags (--backend, --model, --base-url, --mode, --timeout, ...) built by
`_backend_flags`, so they mean the same thing everywhere. Errors of the
project's own types print one line on stderr and exit 2 (bad input or
configuration) or 1 (backend failed), and so does a path the system will not look
at (exit 2); no traceback for a mistake the user can fix.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .backends.base import available_backends
from .cli_commands import (
    DEFAULT_THRESHOLDS,
    EXIT_FAILED,
    cmd_batch,
    cmd_cache,
    cmd_eval,
    cmd_extract,
    cmd_record,
)
from .errors import BackendError, ExtractorError

EXIT_USAGE = 2


def _nonempty(value: str) -> str:
    """An empty value (`--backend=`, often an unset shell variable) would
    silently mean the default, or `Path("")`, the current directory: refused."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return value


def _nonempty_path(value: str) -> Path:
    return Path(_nonempty(value))


def _backend_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("backend")
    group.add_argument("--backend", type=_nonempty,
                       help=f"one of: {', '.join(available_backends())} "
                       "(default: $EXTRACTOR_BACKEND, else openai if --base-url is given "
                       "or OPENAI_API_KEY is set, else rules)")
    group.add_argument("--model", type=_nonempty,
                       help="model name (default: $EXTRACTOR_MODEL or the backend's)")
    group.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. "
                       "http://127.0.0.1:8080/v1 (default: $OPENAI_BASE_URL)")
    group.add_argument("--api-key", help="API key (prefer $OPENAI_API_KEY: flags show in ps)")
    group.add_argument("--mode", help="instructor mode: tools (default), json, json_schema, "
                       "md_json")
    group.add_argument("--timeout", type=float, default=60.0, help="seconds per request (60)")
    group.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                       help="backend-specific option, e.g. recordings=PATH for replay")
    group.add_argument("--temperature", type=float, default=0.0)
    group.add_argument("--max-tokens", type=int, default=1024)
    group.add_argument("--max-reasks", type=int, default=2,
                       help="re-asks after a validation error (2)")
    group.add_argument("--max-attempts", type=int, default=5,
                       help="network attempts per abstract, transient errors only (5)")
    group.add_argument("--retry-wait", type=float, default=1.0, metavar="SECONDS",
                       help="first wait between network attempts (1.0; doubles, jittered, "
                       "a server's Retry-After wins)")
    group.add_argument("--max-chars", type=int, default=20_000,
                       help="refuse abstracts longer than this (20000)")
    group.add_argument("--cache-dir", type=_nonempty_path, help="default: $EXTRACTOR_CACHE_DIR or "
                       "~/.cache/extractor")
    group.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    group.add_argument("--refresh", action="store_true", help="ignore cached answers, store new")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extractor", description="Typed summaries of paper abstracts."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    extract = commands.add_parser("extract", help="summarise one abstract, print JSON")
    extract.add_argument("abstract", nargs="?", help="the abstract; omit or '-' to read stdin")
    extract.add_argument("--title", default=None)
    extract.add_argument("--quiet", action="store_true",
                         help="no notice of which backend was chosen")
    _backend_flags(extract)
    extract.set_defaults(run=cmd_extract)

    cache = commands.add_parser("cache", help="inspect, check or clear the disk cache")
    cache.add_argument("action", choices=["stats", "check", "clear"],
                       help="stats: counts; check: counts, and SQLite reads every page for "
                       "damage (seconds per 100 MB from a cold disk); clear: remove it all")
    cache.add_argument("--cache-dir", type=_nonempty_path)
    cache.set_defaults(run=cmd_cache)

    record = commands.add_parser(
        "record", help="record a real backend's responses for the replay backend"
    )
    record.add_argument("fixtures", nargs="+", type=Path,
                        help="gold JSONL files; - reads standard input")
    record.add_argument("--out", help="recording file (default: "
                        "fixtures/recordings/<model>.jsonl); a directory (existing, or "
                        "written with a trailing /) gets <model>.jsonl inside it")
    record.add_argument("--quiet", action="store_true", help="no progress line")
    _backend_flags(record)
    record.set_defaults(run=cmd_record)

    evaluate = commands.add_parser("eval", help="score backends against gold fixtures")
    evaluate.add_argument("fixtures", nargs="+", type=Path,
                          help="gold JSONL files; - reads standard input")
    evaluate.add_argument("--json", type=Path, help="write the report data here")
    evaluate.add_argument("--html", type=Path, help="write a self-contained HTML report here")
    evaluate.add_argument("--threshold", action="append", default=[], metavar="FIELD.METRIC=MIN",
                          help="fail (exit 1) under this score, e.g. speedups.f1=0.9")
    evaluate.add_argument("--thresholds", type=Path, default=None,
                          help="TOML file of [backend.field] metric = min (default: "
                          f"{DEFAULT_THRESHOLDS} when the working directory has one)")
    evaluate.add_argument("--no-thresholds", action="store_true",
                          help="gate on --threshold alone, not on a thresholds file")
    evaluate.add_argument("--no-titles", action="store_true",
                          help="withhold every title, as extract(abstract) is often called "
                          "(thresholds from the file's [untitled.BACKEND.FIELD] tables)")
    evaluate.add_argument("--compare", type=Path, metavar="REPORT",
                          help="a report an earlier run wrote with --json: print every "
                          "metric before and after, and per field the papers that scored "
                          "better and worse")
    evaluate.add_argument("--quiet", action="store_true", help="no progress line")
    _backend_flags(evaluate)
    evaluate.set_defaults(run=cmd_eval)

    batch = commands.add_parser(
        "batch", help="summarise every paper in dump files, resumably",
        description="Summarise every paper in the INPUT dumps into OUT, concurrently. Results "
        "are appended as they complete; rerun the same command to resume after a crash. "
        "Prints the run summary (also written to <OUT stem>.summary.json); exits 1 if the "
        "output holds failed records or an input line was malformed.",
    )
    batch.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                       help="dump files: daily-papers text, JSONL, a JSON array, CSV, the "
                       "arXiv metadata snapshot (optionally .gz) or Parquet; - reads "
                       "standard input")
    batch.add_argument("-o", "--out", type=Path, required=True, help="output file")
    batch.add_argument("--format", choices=["jsonl", "csv", "parquet"],
                       help="output format (default: from OUT's suffix, else jsonl); csv and "
                       "parquet are written at the end from a JSONL log kept beside OUT")
    batch.add_argument("--input-format",
                       choices=["text", "jsonl", "json", "csv", "arxiv", "parquet"],
                       help="read every INPUT as this format (default: detected per file)")
    batch.add_argument("--id-field", default="id", help="JSONL/CSV field holding the id "
                       "(id); without one the id is a hash of title and abstract")
    batch.add_argument("--title-field", default="title", help="JSONL/CSV title field (title)")
    batch.add_argument("--abstract-field", default="abstract",
                       help="JSONL/CSV abstract field (abstract)")
    batch.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    batch.add_argument("--workers", type=int, default=1, help="processes sharing the "
                       "concurrency (1); one process tops out near 300 requests/s of SDK work")
    batch.add_argument("--rpm", type=float, help="at most this many requests per minute")
    batch.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    batch.add_argument("--shard", metavar="I/N", help="do only shard I of N (0-based, e.g. "
                       "0/4 to 3/4), split by id (the content hash when the source has no id)")
    batch.add_argument("--retry-failed", action="store_true",
                       help="rerun only the records OUT holds as failed")
    batch.add_argument("--max-failures", type=int, metavar="N",
                       help="stop the run after N records failed (default: stop only "
                       "when the first 20 all fail)")
    batch.add_argument("--limit", type=int, metavar="N", help="extract at most N records "
                       "this run (a trial run; rerun without it to go on)")
    batch.add_argument("--price-per-mtok", metavar="IN,OUT", help="USD per million input,"
                       "output tokens, for the cost estimate (default: a table of known models)")
    batch.add_argument("--quiet", action="store_true",
                       help="no progress line (it shows only on a terminal), and no "
                       "notice of which backend was chosen; malformed input is still "
                       "reported")
    _backend_flags(batch)
    batch.set_defaults(run=cmd_batch)
    return parser


class _Terminate:
    """SIGTERM, the polite stop of `kill`, SLURM or Kubernetes, ends a command
    the way Ctrl-C does: turned into SIGINT, so a batch run cancels what is
    in flight, keeps every finished line, writes its summary and stops its
    workers, instead of dying with no summary (rerunning resumes either way).
    Installed only around `main` and only from the main thread."""

    def __init__(self) -> None:
        self.seen = False
        self.previous: Any = None

    def __enter__(self) -> _Terminate:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)

    def _handle(self, signum: int, frame: object) -> None:
        self.seen = True
        if callable(signal.getsignal(signal.SIGINT)):  # Python's or asyncio's handler
            signal.raise_signal(signal.SIGINT)
            return
        # SIGINT ignored, as in a background job of a script: raising SIGINT would
        # be lost, so the stop is ours to raise. Not here, though, when a loop runs:
        # a handler runs wherever the main thread is, a finalizer (`__del__`) too,
        # and Python drops what a finalizer raises, so the run would go on to the
        # end. A loop callback is a place where KeyboardInterrupt always escapes.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise KeyboardInterrupt from None
        loop.call_soon_threadsafe(_interrupt)


def _interrupt() -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    with _Terminate() as terminate:
        try:
            # In here too: building the parser reads every backend's entry point,
            # a good part of the first half second in which Ctrl-C is pressed.
            args = _parser().parse_args(argv)
            run: Callable[[argparse.Namespace], int] = args.run
            return run(args)
        except BackendError as exc:
            print(f"extractor: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except ExtractorError as exc:
            print(f"extractor: {type(exc).__name__}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            # `extractor eval ... | head`: the reader has all it wanted. Python would
            # print a traceback, and another on exit when it flushes stdout again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 128 + signal.SIGPIPE
        except OSError as exc:
            # A path the command was given that the system refuses to look at: a
            # name over 255 bytes (ENAMETOOLONG) or a directory it may not enter.
            # pathlib's probes (`is_dir`, `exists`) raise these, in every command.
            if exc.filename is None:
                raise
            print(f"extractor: {type(exc).__name__}: cannot use {exc.filename}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            if terminate.seen:
                print("extractor: terminated (SIGTERM)", file=sys.stderr)
                return 128 + signal.SIGTERM
            print("extractor: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())

"""The `extractor` command: the only module that knows about the command line.

Every command that calls a backend takes the same backend flags (--backend,
--model, --base-url, --mode, --timeout, ...) built by `_backend_flags`, so they
mean the same thing everywhere. Errors of the project's own types print one
line on stderr and exit 2 (bad input or configuration) or 1 (backend failed);
no traceback for a mistake the user can fix.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .backends.base import BackendConfig, Sampling, available_backends
from .cache import Cache, default_cache_dir, discard_unreadable
from .errors import BackendError, ConfigError, ExtractorError
from .extract import Extractor, Options, resolve_backend_name
from .retry import RetryPolicy

EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_THRESHOLDS = Path("evals/thresholds.toml")


def _backend_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("backend")
    group.add_argument("--backend", help=f"one of: {', '.join(available_backends())} "
                       "(default: $EXTRACTOR_BACKEND, else openai if OPENAI_API_KEY is set, "
                       "else rules)")
    group.add_argument("--model", help="model name (default: $EXTRACTOR_MODEL or the backend's)")
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
    group.add_argument("--cache-dir", type=Path, help="default: $EXTRACTOR_CACHE_DIR or "
                       "~/.cache/extractor")
    group.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    group.add_argument("--refresh", action="store_true", help="ignore cached answers, store new")


def _options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ExtractorError(f"--option takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    return options


def _config(args: argparse.Namespace) -> BackendConfig:
    return BackendConfig(
        model=args.model, base_url=args.base_url, api_key=args.api_key, timeout=args.timeout,
        mode=args.mode, options=_options(args.option),
    )


def _extract_options(args: argparse.Namespace) -> Options:
    return Options(
        sampling=Sampling(temperature=args.temperature, max_tokens=args.max_tokens),
        max_reasks=args.max_reasks,
        max_chars=args.max_chars,
        retry=RetryPolicy(max_attempts=args.max_attempts, initial_wait=args.retry_wait),
    )


def build_extractor(args: argparse.Namespace) -> Extractor:
    """The Extractor the backend flags describe."""
    cache = False if args.no_cache else (args.cache_dir or True)
    backend = resolve_backend_name(args.backend, notice=not getattr(args, "quiet", False))
    return Extractor(backend, config=_config(args), options=_extract_options(args),
                     cache=cache)


def _cmd_extract(args: argparse.Namespace) -> int:
    abstract = args.abstract
    if abstract is None or abstract == "-":
        if sys.stdin.isatty():
            raise ExtractorError("give the abstract as an argument, or pipe it on stdin")
        abstract = sys.stdin.read()
    elif len(abstract) < 300 and "\n" not in abstract and Path(abstract).is_file():
        # The name of a file is no abstract: it would be summarised all the same.
        raise ExtractorError(f"{abstract} is a file: pass its text with "
                             f"`extractor extract < {abstract}`, or batch it")
    with build_extractor(args) as extractor:
        result = extractor.extract(abstract, args.title, refresh=args.refresh)
    print(result.model_dump_json(indent=2))
    return 0


def _cmd_cache(args: argparse.Namespace) -> int:
    directory = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    if not directory.exists():  # inspecting or clearing a cache never creates one
        if args.action == "clear":
            print(f"removed 0 entries from {directory} (no cache there)")
        else:
            print(json.dumps({"directory": str(directory), "entries": 0, "size_bytes": 0}))
        return 0
    try:
        cache = Cache(directory)
    except ConfigError:
        if args.action == "clear" and discard_unreadable(directory):
            print(f"removed the unreadable cache database in {directory} (its entries could "
                  "not be counted)")
            return 0
        raise
    try:
        if args.action == "clear":
            print(f"removed {cache.clear()} entries from {cache.directory}")
        else:
            stats = cache.stats()
            print(json.dumps({k: stats[k] for k in ("directory", "entries", "size_bytes")}))
    finally:
        cache.close()
    return 0


def _fixtures(paths: list[Path]) -> list[Any]:
    """Every fixture of the gold files; `-` reads standard input, as `batch -` does."""
    from .evals import STDIN, load_fixtures

    if [str(p) for p in paths].count(STDIN) > 1:
        raise ExtractorError("standard input (-) can be read only once: name it once")
    return [f for path in paths for f in load_fixtures(path)]


def _cmd_record(args: argparse.Namespace) -> int:
    from .backends.openai import OpenAIBackend
    from .backends.replay import RecordingTransport
    from .evals import record

    if (args.backend or "openai") != "openai":
        raise ExtractorError("record captures the HTTP traffic of the openai backend; point "
                             "it at any OpenAI-compatible server with --base-url")
    # Read before the old recording is replaced: a bad fixture file must not cost it.
    fixtures = _fixtures(args.fixtures)
    config = _config(args)
    probe = OpenAIBackend(config)  # resolves the model and key exactly as a live run would
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in probe.model)
    out = Path(args.out or "fixtures/recordings/")
    if not args.out or args.out.endswith(("/", os.sep)) or out.is_dir():
        out = out / f"{slug}.jsonl"  # a directory, as the replay backend reads them
    # A recording is made whole from one run, beside the old one, which it replaces
    # only at the end: a broken server or Ctrl-C leaves the old recording as it was
    # (and what was recorded so far in <out>.partial).
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    transport = RecordingTransport(partial, probe.model)
    backend = OpenAIBackend(config, transport=transport)
    with Extractor(backend, options=_extract_options(args), cache=False) as extractor:
        stats = record(fixtures, extractor, out, _progress(len(fixtures), args.quiet))
    if partial.exists():
        partial.replace(out)
    else:  # nothing answered: the old recording stays
        stats["out"] = None
    print(json.dumps(stats))
    return EXIT_FAILED if stats["failed"] else 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from . import evals
    from .report import render_html

    fixtures = _fixtures(args.fixtures)
    if args.no_titles:
        fixtures = [dataclasses.replace(f, title="") for f in fixtures]
    names = [n.strip() for n in (args.backend or "").split(",") if n.strip()] or [None]
    # Everything that can be wrong with the command is found before the first call.
    before = evals.load_report(args.compare) if args.compare else None
    overrides = dict(evals.parse_threshold(t) for t in args.threshold)
    gate = _thresholds_file(args)
    tables = evals.threshold_tables(gate) if gate else set()  # a bad file fails here
    for path in (args.json, args.html):
        if path:
            _writable(path)
    status = 0
    for name in names:
        args.backend = name
        with build_extractor(args) as extractor:
            items = evals.evaluate(fixtures, extractor, _progress(len(fixtures), args.quiet))
            report = evals.report_data(items, extractor, titles=not args.no_titles)
        print(evals.format_table(report))
        if before is not None:
            print(evals.format_comparison(report, before, str(args.compare)))
        suffix = f".{report['backend']}" if len(names) > 1 else ""
        if args.json:
            _write(args.json.with_suffix(suffix + args.json.suffix),
                   json.dumps(report, indent=1, ensure_ascii=False))
        if args.html:
            _write(args.html.with_suffix(suffix + args.html.suffix), render_html(report))
        thresholds = {}
        if gate:
            thresholds = evals.load_thresholds(gate, report["backend"], untitled=args.no_titles)
            table = ("untitled." if args.no_titles else "") + report["backend"]
            if table not in tables:  # a typo in a table's name gates nothing: say so
                print(f"extractor: {gate} has no [{table}.FIELD] table, so only --threshold "
                      f"gates {report['backend']} (its tables: {', '.join(sorted(tables))})",
                      file=sys.stderr)
        thresholds.update(overrides)
        for failure in evals.failed_thresholds(report, thresholds):
            print(f"FAIL {report['backend']}: {failure}", file=sys.stderr)
            status = EXIT_FAILED
    return status


def _thresholds_file(args: argparse.Namespace) -> Path | None:
    """The thresholds file to gate on. A path that was asked for must exist: a typo
    in CI would otherwise turn the gate off and pass. The default is looked for in
    the working directory, and its absence is said."""
    if args.no_thresholds:
        return None
    if args.thresholds is not None:
        if not args.thresholds.is_file():
            raise ConfigError(f"no thresholds file {args.thresholds} (--no-thresholds "
                              "gates on --threshold alone)")
        return args.thresholds
    if DEFAULT_THRESHOLDS.is_file():
        return DEFAULT_THRESHOLDS
    print(f"extractor: no {DEFAULT_THRESHOLDS} here, so only --threshold gates this eval "
          "(--thresholds FILE names one)", file=sys.stderr)
    return None


def _writable(path: Path) -> None:
    """Make the report's directory now, so a bad path fails before the eval, not after."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExtractorError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise ExtractorError(f"cannot write {path}: it is a directory")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExtractorError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _progress(total: int, quiet: bool) -> Callable[[int], None] | None:
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int) -> None:
        print(f"\r{done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    return show


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extractor", description="Typed summaries of paper abstracts."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    extract = commands.add_parser("extract", help="summarise one abstract, print JSON")
    extract.add_argument("abstract", nargs="?", help="the abstract; omit or '-' to read stdin")
    extract.add_argument("--title", default=None)
    _backend_flags(extract)
    extract.set_defaults(run=_cmd_extract)

    cache = commands.add_parser("cache", help="inspect or clear the disk cache")
    cache.add_argument("action", choices=["stats", "clear"])
    cache.add_argument("--cache-dir", type=Path)
    cache.set_defaults(run=_cmd_cache)

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
    record.set_defaults(run=_cmd_record)

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
    evaluate.set_defaults(run=_cmd_eval)

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
                       "notice of which backend was chosen")
    _backend_flags(batch)
    batch.set_defaults(run=_cmd_batch)
    return parser


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import Limits, RunConfig, exit_code, parse_price, run
    from .dumps import STDIN, Fields
    from .plan import parse_shard

    config = RunConfig(
        limits=Limits(args.concurrency, args.rpm, args.tpm),
        output_format=args.format,
        input_format=args.input_format,
        fields=Fields(args.id_field, args.title_field, args.abstract_field),
        shard=parse_shard(args.shard) if args.shard else None,
        retry_failed=args.retry_failed,
        refresh=args.refresh,
        use_cache=not args.no_cache,
        max_failures=args.max_failures,
        limit=args.limit,
        price=parse_price(args.price_per_mtok) if args.price_per_mtok else None,
        quiet=args.quiet,
        workers=args.workers,
    )
    if STDIN in args.inputs and sys.stdin.isatty():
        print("extractor: reading records from the terminal (-); end with Ctrl-D",
              file=sys.stderr)
    started = time.time()
    with build_extractor(args) as extractor:
        try:
            result = run(args.inputs, args.out, extractor, config)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the run wrote its summary first
            _print_summary_written_since(Path(args.out), args.format, started)
            raise
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return exit_code(result)


def _print_summary_written_since(out: Path, fmt: str | None, started: float) -> None:
    """Print the summary file of an interrupted run, as a finished run prints its
    summary; not one left by an earlier run, when this one stopped before writing."""
    from .batch import paths_for

    with contextlib.suppress(ExtractorError, OSError, UnicodeDecodeError):
        summary = paths_for(out, fmt)[2]
        if summary.stat().st_mtime >= started - 1:  # coarse file clocks lag time.time()
            print(summary.read_text(encoding="utf-8"), end="", flush=True)


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
        except KeyboardInterrupt:
            if terminate.seen:
                print("extractor: terminated (SIGTERM)", file=sys.stderr)
                return 128 + signal.SIGTERM
            print("extractor: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())

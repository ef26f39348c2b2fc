"""What each `extractor` command does, once cli.py has parsed its arguments.

A command-line module as much as cli.py is: each `cmd_*` takes the parsed
arguments and returns the exit code, and the project's own errors it raises are
made one line on stderr by `cli.main`. It is apart from cli.py so that cli.py
stays the command's surface (its flags and parser, and how a run ends: errors,
Ctrl-C, SIGTERM) and this module the work behind it; together they were 491
lines, and DESIGN.md asks for about 400. `build_extractor` is here, beside the
commands that call it, so that every one of them reads the backend flags of
`cli._backend_flags` the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .backends.base import SETTINGS, BackendConfig, Sampling, refuse_unread, settings_read
from .cache import Cache, could_write, default_cache_dir, discard_unreadable
from .errors import ConfigError, ExtractorError, InputError
from .extract import Extractor, Options, resolve_backend_name
from .guards import refuse_overwriting
from .inputs import too_long
from .retry import RetryPolicy
from .schema import one_line

EXIT_FAILED = 1
DEFAULT_THRESHOLDS = Path("evals/thresholds.toml")


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


def build_extractor(args: argparse.Namespace, *, shared: bool = False) -> Extractor:
    """The Extractor the backend flags describe. A --model, --base-url, --api-key
    or --mode that the backend does not read (`--backend rules --mode json`) is a
    ConfigError: it was meant for a backend that was not named. With `shared`
    (eval's flags go to every backend it scores, which `refuse_unread` checked
    once for all) such a flag is only left out of this backend's settings."""
    cache = False if args.no_cache else (args.cache_dir or True)
    config = _config(args)
    backend = resolve_backend_name(args.backend, config,
                                   notice=not getattr(args, "quiet", False))
    if not shared:
        refuse_unread([backend], config)
    config = dataclasses.replace(config, **{key: None for key in SETTINGS
                                            if key not in settings_read(backend)})
    return Extractor(backend, config=config, options=_extract_options(args), cache=cache)



def cmd_extract(args: argparse.Namespace) -> int:
    abstract = args.abstract
    if abstract is None or abstract == "-":
        if sys.stdin.isatty():
            raise ExtractorError("give the abstract as an argument, or pipe it on stdin")
        abstract = _read_stdin(_extract_options(args).max_chars)
    elif len(abstract) < 300 and "\n" not in abstract and _names_a_file(abstract):
        # The name of a file is no abstract: it would be summarised all the same.
        raise ExtractorError(f"{abstract} is a file: pass its text with "
                             f"`extractor extract < {abstract}`, or batch it")
    with build_extractor(args) as extractor:
        result = extractor.extract(abstract, args.title, refresh=args.refresh)
    print(result.model_dump_json(indent=2))
    return 0


_CHUNK = 1 << 16  # characters read from standard input at a time


def _read_stdin(limit: int) -> str:
    """Standard input, read no further than it takes to know the abstract is over
    `limit` characters, so that memory is bounded by the limit: a 4 GB file piped
    by mistake took 8 GB before it was refused. The limit is on the text as
    `check_text` strips it (whitespace and a byte order mark), so the run from
    the first character it keeps to the last decides; whitespace around the text
    is kept, since evidence offsets count it, up to four times the limit."""
    parts: list[str] = []
    size, first, last = 0, -1, -1  # the text as check_text strips it is [first:last]
    while chunk := sys.stdin.read(_CHUNK):
        parts.append(chunk)
        if first < 0 and (text := chunk.lstrip().removeprefix("\ufeff").lstrip()):
            first = size + len(chunk) - len(text)
        if first >= 0 and not chunk.isspace():
            last = size + len(chunk.rstrip())
        size += len(chunk)
        if last - first > limit:
            raise too_long("abstract on standard input", limit)
        if size > 4 * limit + _CHUNK:
            raise InputError(f"standard input holds over {4 * limit:,} characters, nearly "
                             f"all of them whitespace (an abstract's limit is {limit:,}, "
                             "--max-chars): pass the abstract alone")
    return "".join(parts)


def _names_a_file(text: str) -> bool:
    """Whether a short one-line abstract argument is the name of an existing file.
    Mostly it is an abstract, no path at all: a name the system refuses to look up
    (over 255 bytes without a `/`: ENAMETOOLONG, which pathlib raises) is no file."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def cmd_cache(args: argparse.Namespace) -> int:
    directory = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    # Inspecting or clearing a cache never creates one, not even in a directory
    # that exists (`--cache-dir mydocs`): no database there is no cache there.
    if not directory.exists() or (directory.is_dir() and not (directory / "cache.db").exists()):
        if args.action == "clear":
            print(f"removed 0 entries from {directory} (no cache there)")
        else:
            checked = {"checked": True} if args.action == "check" else {}
            writable = could_write(directory)
            print(json.dumps({"directory": str(directory), "entries": 0, "size_bytes": 0,
                              "writable": writable} | checked))
            if not writable:
                print(f"warning: no cache can be made at {directory} (a folder that cannot be "
                      "written, or a full disk): use another --cache-dir", file=sys.stderr)
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cache = Cache(directory)  # a full disk warns of unstored answers: none here
    except ConfigError:
        if args.action == "clear" and discard_unreadable(directory):
            print(f"removed the unreadable cache database in {directory} (its entries could "
                  "not be counted)")
            return 0
        raise
    try:
        if args.action == "clear":
            count = cache.clear()
            print(f"removed the cache database in {cache.directory} (its entries could not be "
                  "read to count them)" if count is None
                  else f"removed {count} entries from {cache.directory}")
        else:
            # Only `check` reads every page (a damaged database says so, not a healthy
            # count): a cold 200 MB cache took `stats` 7-9 s when it always did.
            checked = {"checked": cache.check()} if args.action == "check" else {}
            stats = cache.stats()
            print(json.dumps({k: stats[k] for k in ("directory", "entries", "size_bytes")}
                             | {"writable": cache.writable} | checked))
            if not cache.writable:
                print(f"warning: the disk under {directory} is full: what the cache holds "
                      "is read, but no new answer can be stored until space is freed "
                      "(`extractor cache clear` frees the cache's own)", file=sys.stderr)
    finally:
        cache.close()
    return 0


def _fixtures(paths: list[Path]) -> list[Any]:
    """Every fixture of the gold files; `-` reads standard input, as `batch -` does."""
    from .fixtures import STDIN, load_fixtures

    if [str(p) for p in paths].count(STDIN) > 1:
        raise ExtractorError("standard input (-) can be read only once: name it once")
    return [f for path in paths for f in load_fixtures(path)]


def cmd_record(args: argparse.Namespace) -> int:
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
    partial = out.with_name(out.name + ".partial")
    refuse_overwriting([out, partial], args.fixtures, "--out")
    # A recording is made whole from one run, beside the old one, which it replaces
    # only at the end: a broken server, a failed fixture or Ctrl-C leaves the old one
    # as it was (and what was recorded so far in <out>.partial).
    with contextlib.suppress(OSError):
        if partial.stat().st_size == 0:  # an earlier run that recorded nothing
            partial.unlink()
    if partial.exists():  # an earlier run's answers, paid for: never thrown away here
        raise ExtractorError(f"{partial} holds an earlier run's recording, not yet used: "
                             f"rename it over {out} to keep it, or delete it; then record "
                             "again")
    try:  # a place that cannot be written fails now, before any request is paid for
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.touch()
        partial.unlink()
    except OSError as exc:
        raise ExtractorError(f"cannot write {partial}: {exc.strerror or exc}") from exc
    transport = RecordingTransport(partial, probe.model)
    backend = OpenAIBackend(config, transport=transport)
    with Extractor(backend, options=_extract_options(args), cache=False) as extractor:
        stats = record(fixtures, extractor, out, _progress(len(fixtures), args.quiet))
    stats["partial"] = None
    if not partial.exists():  # nothing answered: the old recording stays
        stats["out"] = None
    elif stats["failed"] and out.exists():
        # Replay would miss every fixture that failed here, though the old recording
        # may answer it: a whole old recording is worth more than a new one with holes.
        stats["out"], stats["partial"] = None, str(partial)
        print(f"extractor: {len(stats['failed'])} of {len(fixtures)} fixtures failed, so "
              f"{out} was kept as it was; this run's recording is {partial} (rename it over "
              f"{out} to use it anyway, or fix the failures and record again)", file=sys.stderr)
    else:
        partial.replace(out)
    print(json.dumps(stats))
    return EXIT_FAILED if stats["failed"] else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from . import evals
    from . import thresholds as gating
    from .report import render_html

    fixtures = _fixtures(args.fixtures)
    if args.no_titles:
        fixtures = [dataclasses.replace(f, title="") for f in fixtures]
    names = [n.strip() for n in (args.backend or "").split(",") if n.strip()] or [None]
    # Everything that can be wrong with the command is found before the first call.
    before = evals.load_report(args.compare) if args.compare else None
    overrides = dict(gating.parse_threshold(t) for t in args.threshold)
    gate = _thresholds_file(args)
    tables = gating.threshold_tables(gate) if gate else set()  # a bad file fails here
    status = 0
    with contextlib.ExitStack() as stack:
        # Every backend is built before the first call: a typo or a missing key in
        # the second name was found only after the first one's eval had been paid for.
        runs = []
        named = names != [None]  # the default backend is checked once it is chosen
        if named:
            refuse_unread(names, _config(args))
        for name in names:
            args.backend = name
            extractor = stack.enter_context(build_extractor(args, shared=named))
            suffix = f".{extractor.backend.name}" if len(names) > 1 else ""
            runs.append((extractor, *(p.with_suffix(suffix + p.suffix) if p else None
                                      for p in (args.json, args.html))))
        written = [path for _, *paths in runs for path in paths if path]
        refuse_overwriting(written, [*args.fixtures, *([gate] if gate else [])],
                            "--json, --html")
        for path in written:
            _writable(path)
        for notice in gating.table_notices(gate, tables, [e.backend.name for e, *_ in runs],
                                           untitled=args.no_titles):
            print(f"extractor: {notice}", file=sys.stderr)
        for extractor, out_json, out_html in runs:
            items = evals.evaluate(fixtures, extractor, _progress(len(fixtures), args.quiet))
            report = evals.report_data(items, extractor, titles=not args.no_titles)
            print(evals.format_table(report))
            if before is not None:
                print(evals.format_comparison(report, before, str(args.compare)))
            if out_json:
                _write(out_json, json.dumps(report, indent=1, ensure_ascii=False))
            if out_html:
                _write(out_html, render_html(report))
            minimums = (gating.load_thresholds(gate, report["backend"], untitled=args.no_titles)
                        if gate else {})
            minimums.update(overrides)
            for failure in gating.failed_thresholds(report, minimums):
                print(f"FAIL {report['backend']}: {failure}", file=sys.stderr)
                status = EXIT_FAILED
            if failed := [i for i in items if i.backend_failed]:
                print(f"FAIL {report['backend']}: {len(failed)} of {len(items)} papers got "
                      f"no answer and were scored as empty answers; the first, "
                      f"{failed[0].fixture.id}: {one_line(failed[0].error or '')}",
                      file=sys.stderr)
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


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import Limits, RunConfig, exit_code, parse_price, run
    from .dumps import STDIN, Fields
    from .plan import parse_shard

    config = RunConfig(
        limits=Limits(args.concurrency, args.rpm, args.tpm),
        output_format=args.format,
        input_format=args.input_format,
        fields=Fields(args.id_field, args.title_field, args.abstract_field),
        shard=None if args.shard is None else parse_shard(args.shard),
        retry_failed=args.retry_failed,
        refresh=args.refresh,
        use_cache=not args.no_cache,
        max_failures=args.max_failures,
        limit=args.limit,
        price=None if args.price_per_mtok is None else parse_price(args.price_per_mtok),
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
        except BaseException:  # Ctrl-C, SIGTERM, an aborted run: it wrote its summary first
            _print_summary_written_since(Path(args.out), args.format, started)
            raise
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return exit_code(result)


def _print_summary_written_since(out: Path, fmt: str | None, started: float) -> None:
    """Print the summary an interrupted or aborted run (dead worker, full disk) wrote,
    as a finished run prints its own; not an earlier run's, nor a pipe (refused)."""
    from .batch import paths_for

    with contextlib.suppress(ExtractorError, OSError, UnicodeDecodeError):
        summary = paths_for(out, fmt)[2]
        if summary.is_file() and summary.stat().st_mtime >= started - 1:  # coarse clocks
            print(summary.read_text(encoding="utf-8"), end="", flush=True)

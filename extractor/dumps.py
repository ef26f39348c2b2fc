"""Reading dumps: which format a file is, opening it (or standard input), and
`read`, which streams the records of many files.

Design note. Every reader (`readers.py`; CSV in `tables.py`) turns one file
into a stream of `Record`s (`records.py`) and reads one line (or one CSV row,
JSON element or Parquet batch) at a time, so memory stays flat however large
the dump. Readers are registered by format name in `READERS`; `detect_format` picks one by
sniffing the file and `--input-format` overrides it. Nothing downstream
branches on the format.

- `text`: the "daily papers" pages in shared/dumps/. Header lines first, then
  a title line and an abstract line per paper, with or without blank lines in
  between; the first title may be glued to the header ("SubscribeOperator
  Learning ..."). Titles are short and abstracts long, and that is what keeps
  the pairing in step: a title with no abstract, or an abstract with no title,
  is reported and the pairing resynchronises on the next title.
- `jsonl`: one JSON object a line; the id, title and abstract field names are
  configurable (`Fields`).
- `json`: a JSON array of such objects, decoded one element at a time.
- `csv`: a header row, then one paper a row; fields configurable likewise. The
  delimiter (comma, tab, semicolon, bar) is the one under which the header
  names the abstract field, or the one an Excel `sep=;` line before the header
  names; `.tsv` is read the same way. Whatever its name, a
  file whose first line is a list of one-word column names is read as CSV, so
  that a header without the abstract field is reported as such.
- `arxiv`: the arXiv metadata snapshot (JSONL with `id`, `title`, `abstract`,
  hard-wrapped): JSONL with its line breaks unwrapped.
- `parquet`: a Parquet table (pyarrow), its three columns read a batch at a time.

Files ending in `.gz` (any case) are read through gzip (`gzipped.py`); gzipped Parquet is
refused, since Parquet cannot be read as a stream (its index is at its end). A
gzip stream that breaks off (a download cut short) or fails its check is read
up to there and reported as a malformed line of its file, at the line it
reached. The path `-` is standard input,
whose head is read ahead once for detection and then given to the reader
(`streams.py`: from a paused producer, one whole JSON line is head enough,
or any line when a format is asked for).
Input is UTF-8; a line that is not is reported like any other malformed line.
A file with a NUL byte in its first 64 KiB (a PDF, an archive, UTF-16 text; of a
stream, in what was read ahead) is refused as a whole, whatever the format asked
for: its lines would only be noise.
A file detected as `text` with neither a header line nor an abstract-long line
in those 64 KiB (a README next to the dumps) is refused unless `text` is asked for.

Ids: see `records.py`.

A malformed line never stops a reader: it is handed to `on_malformed` with its
file and line number, and reading goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO

from . import arrow
from .errors import ConfigError
from .gzipped import BROKEN, PACKED, Gunzipped, broken, gzipped, gzipped_parquet, not_gzip
from .jsonarray import read_json_array
from .readers import (
    TITLE_MAX,
    is_header,
    read_arxiv,
    read_jsonl,
    read_parquet,
    read_text,
)
from .records import Fields, Malformed, OnMalformed, Reader, Record, content_key, make_record
from .streams import HEAD_BYTES, STDIN, is_stream, shown, stream_of
from .tables import delimiter, excel_sep, read_csv

__all__ = ["READERS", "STDIN", "Fields", "Malformed", "OnMalformed", "Record", "as_paths",
           "check_input", "content_key", "detect_format", "make_record", "read", "shown"]

# The readers by format name: what detection and `--input-format` pick from.
READERS: dict[str, Reader] = {
    "text": read_text,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "arxiv": read_arxiv,
    "json": read_json_array,
    "parquet": read_parquet,
}
ARXIV_KEYS = {"authors_parsed", "versions", "update_date", "submitter", "journal-ref"}
_PARQUET_MAGIC = b"PAR1"


# -- opening and detecting ------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    if is_stream(path):
        source = stream_of(path)
        if source.opened:
            raise ConfigError(f"{'standard input (-)' if path == STDIN else path} is a pipe and "
                              "can be read only once in a process")
        source.opened = True
        return io.BufferedReader(source)
    if gzipped(path):
        return io.BufferedReader(Gunzipped(path), HEAD_BYTES)
    return path.open("rb")


def _head(path: Path, fmt: str | None = None) -> bytes:
    """The file's first 64 KiB, refused if they are compressed or binary (of a
    stream, maybe less: `streams.py`; `fmt` is the format asked for).

    A bounded read, so that a file of one endless line (or a mistaken binary
    file) is not read whole just to be told apart. A NUL byte never occurs in
    UTF-8 text, so a file that holds one near its start is refused here, before
    a run writes anything, instead of being read as garbage records."""
    if is_stream(path):
        head = stream_of(path, format_asked=fmt is not None).head
    else:
        head = b""
        with _open(path) as stream:
            try:
                while len(head) < HEAD_BYTES and (more := stream.read1(HEAD_BYTES - len(head))):
                    head += more
            except BROKEN as exc:  # a .gz cut short: its reader says where
                if not gzipped(path):
                    raise
                if not head and (wrong := not_gzip(path)) is not None:
                    raise wrong from exc
                if not head:
                    why = ("the gzip stream breaks off before its first line (a download cut "
                           "short?)" if isinstance(exc, EOFError) else str(exc))
                    raise ConfigError(f"cannot read {path}: {why}") from exc
    if head.startswith(_PARQUET_MAGIC):  # binary by design: read by its own reader
        if is_stream(path):
            where = "standard input" if path == STDIN else f"a pipe ({path})"
            raise ConfigError(f"a Parquet file cannot be read from {where} (its index is at "
                              "its end): name the file instead")
        return head
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() in _OFFICE:
        raise ConfigError(f"{shown(path)} is a {_OFFICE[path.suffix.lower()]}, not a dump: "
                          "save it as CSV (UTF-8) and pass that file")
    for magic, (kind, command) in PACKED.items():
        if head.startswith(magic):
            if kind == "gzip" and path.suffix.lower() == ".parquet":
                raise gzipped_parquet(path)
            fix = (f"unpack it first ({command} ... |)" if is_stream(path)
                   else "name it .gz, which is read through gzip" if kind == "gzip"
                   else f"unpack it first: {command} {path} | extractor batch - ...")
            raise ConfigError(f"{shown(path)} is {kind}-compressed, not a text dump: {fix}")
    if b"\0" in head:
        if _stray_nuls(head):
            line = head.count(b"\n", 0, head.index(b"\0")) + 1
            raise ConfigError(
                f"{shown(path)} is UTF-8 text but for stray NUL bytes ({head.count(0):,} near its "
                f"start, the first on line {line:,}), left by a crash or a bad copy: remove "
                f"them first: {_without_nuls(path)}")
        raise ConfigError(f"{shown(path)} is not a text dump: it holds NUL bytes, so it is binary "
                          "(or UTF-16 text, which must be converted to UTF-8 first)")
    return head


def _without_nuls(path: Path) -> str:
    """The command that writes a copy of `path` without its NUL bytes."""
    if is_stream(path):
        return "pipe it through tr -d '\\000' on its way in"
    clean = f"clean{(Path(path.stem) if gzipped(path) else path).suffix}"
    if gzipped(path):
        return f"zcat {path} | tr -d '\\000' > {clean}, and pass that"
    return f"tr -d '\\000' < {path} > {clean}, and pass that"


_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")  # not \t\n\v\f\r, escape


def _stray_nuls(head: bytes) -> bool:
    """Whether NUL bytes are all that keeps `head` from being UTF-8 text: a few
    stray ones, or a block of zeros a crash left. Not UTF-16, whose NULs fall on
    every other byte (one parity far more than the other), nor binary data,
    which is no UTF-8 without them, or holds other control bytes (`\\x01`)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte order mark
        return False
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) > len(head) // 8 and min(even, odd) * 4 < max(even, odd):
        return False
    rest = head.replace(b"\0", b"")
    if _CONTROL_BYTES.search(rest):
        return False
    try:
        rest.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut by the head's end is fine
        if exc.reason != "unexpected end of data" or exc.end != len(rest):
            return False
    return bool(rest.strip())


_OFFICE = {".xlsx": "spreadsheet", ".xlsm": "spreadsheet", ".ods": "spreadsheet",
           ".docx": "document", ".odt": "document"}  # zip archives that no unzip helps


def _lines_of(head: bytes) -> Iterator[str]:
    """The non-blank lines of a file's head, stripped (the last may be cut short)."""
    for raw in head.splitlines():
        if line := codecs.decode(raw, "utf-8-sig", errors="replace").strip():
            yield line  # not a byte order mark alone on its line either


def _looks_like_text_dump(head: bytes) -> bool:
    """Whether the head holds a dump's header line or a line long enough to be an
    abstract. Any text file would pair its short lines into titles and
    "abstracts" (a README, a log, a script), so one with neither is not read as
    a dump unless the format is asked for. An empty file passes: no records."""
    seen = False
    for line in _lines_of(head):
        if is_header(line) or len(line) > TITLE_MAX:
            return True
        seen = True
    return not seen


_ARRAY_START = re.compile(r"\[\s*(?:\{|\]|$)")  # not a title such as "[Re] Reproducing X"


def _format_of(head: bytes, path: Path, fields: Fields) -> str:
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    suffix = Path(path.stem).suffix if gzipped(path) else path.suffix
    if suffix.lower() in (".csv", ".tsv"):
        return "csv"
    first = next(_lines_of(head), "")
    if first == "sep=" or excel_sep(first):  # Excel's line before the header (a tab stripped)
        return "csv"
    if _ARRAY_START.match(first):
        return "json"
    if first.startswith("{"):
        try:
            keys = set(json.loads(first))
        except (json.JSONDecodeError, TypeError, RecursionError):
            keys = set()
        return "arxiv" if keys & ARXIV_KEYS else "jsonl"
    return "csv" if _is_table(head, first, fields) else "text"


def _is_table(head: bytes, first: str, fields: Fields) -> bool:
    """Whether the head is a table: its first line names the abstract field under
    a delimiter, or lists column names that the rows after it match in number. A
    text dump's first title can read as such a list (`Mamba, RWKV`), but the
    abstracts after it do not split into as many fields."""
    sep = delimiter(first, fields)
    if sep is None:
        return False
    text = codecs.decode(head, "utf-8-sig", errors="replace")
    if not head.endswith(b"\n"):
        text = text.rsplit("\n", 1)[0]  # the head's last line may be cut short
    try:
        filled = (row for row in csv.reader(io.StringIO(text), delimiter=sep)
                  if "".join(row).strip())  # not the blank lines, spaces only included
        rows = list(islice(filled, 3))
    except csv.Error:  # a stray carriage return: let the CSV reader say where
        return True
    if not rows or fields.abstract in (name.strip() for name in rows[0]):
        return True
    return all(len(row) == len(rows[0]) for row in rows[1:])


def detect_format(path: str | Path, fields: Fields | None = None) -> str:
    """The reader for `path`, from its suffix and first non-blank line."""
    path = Path(path)
    # The head is read first, so that a binary `x.csv` is refused too.
    return _format_of(_head(path), path, fields or Fields())


def check_input(path: Path, fields: Fields, fmt: str | None = None) -> str:
    """The format of `path` (`fmt`, or detected); ConfigError when it cannot be
    read, is binary, or, as detected, is not a dump (text that is no dump, one
    pretty-printed JSON object).

    `read` calls it on each file as it comes to it; a batch run calls it on
    every input before it writes anything, so a wrong file fails at once."""
    try:
        head = _head(path, fmt)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    detected = fmt or _format_of(head, path, fields)
    # Asked for, a format is not sniffed: a Parquet file read as JSONL gave a
    # malformed "line" per few bytes, and JSONL read as Parquet "a download cut short?".
    if fmt is not None and fmt != "parquet" and head.startswith(_PARQUET_MAGIC):
        raise ConfigError(f"{shown(path)} is a Parquet file, not {fmt}: pass --input-format "
                          "parquet, or leave it out and each file's format is detected")
    if fmt == "parquet" and not head.startswith(_PARQUET_MAGIC):
        raise ConfigError(f"{shown(path)} is not a Parquet file (it does not begin with PAR1, "
                          "as every Parquet file does): leave out --input-format parquet and "
                          "its format is detected")
    if detected == "parquet" and gzipped(path):
        raise gzipped_parquet(path, f" and pass {path.with_suffix('')}")
    if detected == "parquet":
        try:
            arrow.check(path)
        except arrow.Unreadable as exc:
            raise ConfigError(f"{shown(path)} is not a readable Parquet file ({exc}): a "
                              "download cut short?") from exc
    if fmt is None and detected == "text" and not _looks_like_text_dump(head):
        raise ConfigError(
            f"{shown(path)} does not look like a dump: none of its first lines is a dump "
            f"header (such as 'Daily Papers') or an abstract (a line over {TITLE_MAX} "
            "characters), and it is not JSON lines or CSV with an "
            f"{fields.abstract!r} column. Leave it out, or pass --input-format text to read "
            "it as title and abstract lines anyway")
    if fmt is None and detected == "jsonl" and next(_lines_of(head), "") == "{":
        # Pretty-printed: every line would be "not valid JSON" and no paper read.
        raise ConfigError(
            f"{shown(path)} is one JSON object written over many lines, not JSON lines (one "
            "paper per line) or a JSON array of papers. If it holds the papers in a list "
            f"under a key, pass that list on: jq -c '.KEY[]' {shown(path)} | extractor batch - ...")
    return detected


def is_empty(path: Path) -> bool:
    """Whether `path` (already checked) holds nothing but whitespace: it gives no
    records, and a run over it ended "done 0" with exit code 0 and no word why."""
    head = _head(path)
    return len(head) < HEAD_BYTES and not head.removeprefix(codecs.BOM_UTF8).strip()


def as_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """One path or many: `read("dump.txt")` means that file, not its characters."""
    if isinstance(paths, str | os.PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def read(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    fmt: str | None = None,
    fields: Fields | None = None,
    on_malformed: OnMalformed | None = None,
) -> Iterator[Record]:
    """Every record of every file, in order, one at a time. `fmt` forces a
    format for all files (else each is detected); `on_malformed` receives each
    line that could not be read (default: a warning)."""
    fields = fields or Fields()
    report = on_malformed or (lambda bad: warnings.warn(str(bad), stacklevel=3))
    if fmt is not None and fmt not in READERS:
        raise ConfigError(f"unknown input format {fmt!r}; choose from {', '.join(READERS)}")
    for path in as_paths(paths):
        reader = READERS[check_input(path, fields, fmt)]  # binary: refused whatever `fmt` says
        try:
            stream = _open(path)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
        counted = getattr(stream, "raw", None)
        with stream:
            try:
                yield from reader(stream, shown(path), fields, report)
            except BROKEN as exc:  # from gzip: the next file is read, the exit code is 1
                if not isinstance(counted, Gunzipped):
                    raise
                report(Malformed(shown(path), counted.lines + 1, broken(exc)))

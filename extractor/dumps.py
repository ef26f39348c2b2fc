"""Streaming readers for the dump formats a batch run takes as input.

Design note. Every reader turns one file into a stream of `Record`s and reads
one line (or one CSV row) at a time, so memory stays flat however large the
dump. Readers are registered by format name in `READERS`; `detect_format`
picks one by sniffing the file and `--input-format` overrides it. Nothing
downstream branches on the format.

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
  names the abstract field; `.tsv` is read the same way.
- `arxiv`: the arXiv metadata snapshot (JSONL with `id`, `title`, `abstract`,
  hard-wrapped): JSONL with its line breaks unwrapped.
- `parquet`: a Parquet table (pyarrow), its three columns read a batch at a time.

Files ending in `.gz` are read through gzip; the path `-` is standard input,
whose head is read ahead once for detection and then given to the reader.
Input is UTF-8; a line that is not is reported like any other malformed line.
A file with a NUL byte in its first 64 KiB (a PDF, an archive, UTF-16 text) is
refused as a whole, whatever the format asked for: its lines would only be noise.
A file detected as `text` with neither a header line nor an abstract-long line
in those 64 KiB (a README next to the dumps) is refused unless `text` is asked for.

Ids. Every record gets a stable id: the source's own when it has one, else the
first 16 hex digits of the SHA-256 of its title and abstract (NFC, whitespace
collapsed), so the same paper saved in two dumps gets the same id. `Record.key`
is that content hash for every record, whatever its id, so a batch run can also
recognise the same paper under two different source ids.

A malformed line never stops a reader: it is handed to `on_malformed` with its
file and line number, and reading goes on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import itertools
import json
import os
import re
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import arrow
from .errors import ConfigError

TITLE_MAX = 300  # longer than any real title, shorter than any real abstract
ARXIV_KEYS = {"authors_parsed", "versions", "update_date", "submitter", "journal-ref"}
HEADER_LINES = {
    "new",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
}
_DATE = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}(, \d{4})?")
_GLUED = "Subscribe"


@dataclass(frozen=True, slots=True)
class Record:
    """One paper read from a dump. `source` is "file:line" for messages;
    `key` is the content hash (see the module note)."""

    id: str
    title: str
    abstract: str
    source: str
    key: str


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line a reader could not turn into a record, and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Fields:
    """Which fields of a JSONL object or CSV row hold the id, title and abstract.
    A missing id field is fine (the content hash is used); a missing abstract is not."""

    id: str = "id"
    title: str = "title"
    abstract: str = "abstract"


OnMalformed = Callable[[Malformed], None]
Reader = Callable[[IO[bytes], str, Fields, OnMalformed], Iterator[Record]]


def content_key(title: str, abstract: str) -> str:
    """16 hex digits of SHA-256 over the normalised title and abstract."""
    text = f"{_norm(title)}\n{_norm(abstract)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def make_record(title: str, abstract: str, source: str, source_id: object = None) -> Record:
    key = content_key(title, abstract)
    has_id = source_id is not None and str(source_id).strip() != ""
    return Record(str(source_id).strip() if has_id else key, title, abstract, source, key)


# -- line sources -------------------------------------------------------------


MAX_LINE = 4 * 2**20  # bytes: 200 times a 20,000-character abstract; no paper is longer


def _raw_lines(stream: IO[bytes], path: str, on_malformed: OnMalformed
               ) -> Iterator[tuple[int, bytes]]:
    """Every line no longer than MAX_LINE, numbered; a longer one is skipped
    without being held whole. A file with no line breaks (a JSON array, a
    dump saved with bare carriage returns) would otherwise be read as one line
    of any size, and splitting 300 MB of words took 5.7 GB."""
    number = 0
    while raw := stream.readline(MAX_LINE + 1):
        number += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
            on_malformed(Malformed(path, number, f"longer than {MAX_LINE // 2**20} MiB: not "
                                   "one paper (a file without line breaks?)"))
            continue
        yield number, raw


def _lines(stream: IO[bytes], path: str, on_malformed: OnMalformed) -> Iterator[tuple[int, str]]:
    """(line number, text without its line ending) for every line that is UTF-8."""
    for number, raw in _raw_lines(stream, path, on_malformed):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            on_malformed(Malformed(path, number, f"not UTF-8 ({exc.reason} at byte {exc.start})"))
            continue
        yield number, text.rstrip("\r\n")


# -- text dumps ---------------------------------------------------------------


def _is_header(line: str) -> bool:
    return line in HEADER_LINES or _DATE.fullmatch(line) is not None


# Header lines long enough never to end an abstract by chance. The pages end
# without a line break, so `cat a.txt b.txt` glues b's first header to a's last
# abstract: split off, it is a header again.
_LONG_HEADERS = tuple(line for line in HEADER_LINES if len(line) >= 30)


def _unglued(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    for number, line in lines:
        if not line.endswith(_LONG_HEADERS) or line in _LONG_HEADERS:  # nearly every line
            yield number, line
            continue
        glued = next(h for h in _LONG_HEADERS if line.endswith(h))
        yield number, line[: -len(glued)].rstrip()
        yield number, glued


def read_text(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
              ) -> Iterator[Record]:
    """Title line, abstract line, repeated, after a few header lines (which may
    come again further on: pages joined into one file)."""
    lines = _unglued((n, s.strip()) for n, s in _lines(stream, path, on_malformed) if s.strip())
    in_header = True
    pending: tuple[int, str] | None = None  # a title waiting for its abstract
    lookahead: tuple[int, str] | None = None
    while True:
        if lookahead is not None:
            item, lookahead = lookahead, None
        else:
            item = next(lines, None)
        if item is None:
            break
        number, line = item
        if _is_header(line):  # anywhere: dumps joined into one (`cat *.txt`) repeat them
            if pending is not None:
                on_malformed(Malformed(path, pending[0], "a title with no abstract after it"))
                pending = None
            in_header = True
            continue
        if in_header:
            in_header = False
            if line.startswith(_GLUED) and len(line) > len(_GLUED):
                line = line[len(_GLUED):].strip()
        if pending is None:
            if len(line) > TITLE_MAX:
                on_malformed(Malformed(path, number, "an abstract with no title line before it"))
            else:
                pending = (number, line)
            continue
        if len(line) <= TITLE_MAX:
            # A short line after a title: a cut-off abstract, or the next title
            # because this one lost its abstract. The line after it decides.
            lookahead = next(lines, None)
            if lookahead is not None and len(lookahead[1]) > TITLE_MAX:
                on_malformed(Malformed(path, pending[0], "a title with no abstract after it"))
                pending = (number, line)
                continue
        yield make_record(pending[1], line, f"{path}:{pending[0]}")
        pending = None
    if pending is not None:
        on_malformed(Malformed(path, pending[0], "a title with no abstract after it (end of file)"))


# -- JSON lines ----------------------------------------------------------------


def _from_mapping(obj: object, fields: Fields, path: str, number: int, on_malformed: OnMalformed,
                  unwrap: bool) -> Record | None:
    if not isinstance(obj, dict):
        on_malformed(Malformed(path, number, f"expected a JSON object, got {type(obj).__name__}"))
        return None
    abstract = obj.get(fields.abstract)
    title = obj.get(fields.title) or ""
    if fields.abstract not in obj:  # most likely the wrong field name: say which are there
        keys = ", ".join(map(str, list(obj)[:8])) + (", ..." if len(obj) > 8 else "")
        on_malformed(Malformed(path, number, f"no field {fields.abstract!r} (fields: "
                               f"{keys or 'none'}; --abstract-field names another)"))
        return None
    if not isinstance(abstract, str) or not abstract.strip():
        on_malformed(Malformed(path, number, f"no text in field {fields.abstract!r}"))
        return None
    if not isinstance(title, str):
        on_malformed(Malformed(path, number, f"field {fields.title!r} is not text"))
        return None
    if unwrap:
        title, abstract = _norm(title), _norm(abstract)
    return make_record(title.strip(), abstract.strip(), f"{path}:{number}", obj.get(fields.id))


def _read_json_lines(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed,
                     unwrap: bool) -> Iterator[Record]:
    for number, line in _lines(stream, path, on_malformed):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            on_malformed(Malformed(path, number, f"not valid JSON ({exc.msg}, column {exc.colno})"))
            continue
        record = _from_mapping(obj, fields, path, number, on_malformed, unwrap)
        if record is not None:
            yield record


def read_jsonl(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
               ) -> Iterator[Record]:
    """One JSON object a line, fields named by `fields`."""
    return _read_json_lines(stream, path, fields, on_malformed, unwrap=False)


def read_arxiv(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
               ) -> Iterator[Record]:
    """The arXiv metadata snapshot: always id/title/abstract, hard wraps undone."""
    return _read_json_lines(stream, path, Fields(), on_malformed, unwrap=True)


# -- a JSON array ----------------------------------------------------------------

_CHUNK = 65536
_WHITESPACE = " \t\n\r"


class _ArrayText:
    """The decoded text of a JSON array, a chunk at a time, with the line number of
    each position: only the element being read is held, never the whole array."""

    def __init__(self, stream: IO[bytes]) -> None:
        # Bytes that are not UTF-8 become lone surrogates, found per element (`_NOT_UTF8`).
        self.text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape")
        self.buf, self.pos, self.eof = "", 0, False
        self.line, self.counted = 1, 0  # the line number at buf[counted]
        self.not_utf8 = False  # whether any chunk so far held bytes that are not UTF-8

    def more(self) -> bool:
        """Read another chunk (dropping what is consumed); False at the end."""
        chunk = self.text.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        try:
            chunk.encode("utf-8")  # fast; fails only on the lone surrogates of bad bytes
        except UnicodeEncodeError:
            self.not_utf8 = True
        self.line_here()
        self.buf, self.pos, self.counted = self.buf[self.pos :] + chunk, 0, 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), not consumed."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos : self.pos + 1]

    def line_here(self) -> int:
        """The line number at the current position, counting only the text new since
        the last call."""
        self.line += self.buf.count("\n", self.counted, self.pos)
        self.counted = self.pos
        return self.line

    def value(self) -> Any:
        """The JSON value at the current position, reading on until it is whole."""
        while True:
            try:
                value, self.pos = _DECODER.raw_decode(self.buf, self.pos)
                return value
            except json.JSONDecodeError as exc:
                # An error short of the end is invalid JSON whatever follows; one at the
                # end (or an open string, which is reported where it starts) may be a
                # value still to come.
                cut = exc.pos >= len(self.buf) or exc.msg.startswith("Unterminated string")
                if cut and len(self.buf) - self.pos > MAX_LINE:
                    limit = f"an element longer than {MAX_LINE // 2**20} MiB: not one paper"
                    raise json.JSONDecodeError(limit, self.buf, self.pos) from None
                if not cut or not self.more():
                    raise


_DECODER = json.JSONDecoder()
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def read_json_array(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
                    ) -> Iterator[Record]:
    """A JSON array of objects (what `json.dump(papers)` or pandas' `to_json(orient=
    "records")` write), read one element at a time. Past an element that is not
    valid JSON there is no telling where the next one starts, so reading stops
    there, reported with its line."""
    array = _ArrayText(stream)
    try:
        if array.peek() != "[":
            on_malformed(Malformed(path, array.line_here(), "not a JSON array"))
            return
        array.pos += 1
        first = True
        while (char := array.peek()) != "]":
            if not first:
                if char != ",":
                    raise json.JSONDecodeError("expected ',' or ']'", array.buf, array.pos)
                array.pos += 1
                array.peek()  # past the whitespace, which raw_decode does not skip
            first = False
            number, start = array.line_here(), array.pos
            value = array.value()
            if array.not_utf8 and _NOT_UTF8.search(array.buf, start, array.pos):
                on_malformed(Malformed(path, number, "not UTF-8"))
                continue
            record = _from_mapping(value, fields, path, number, on_malformed, False)
            if record is not None:
                yield record
    except json.JSONDecodeError as exc:
        where = array.line_here()
        cut = exc.pos >= len(array.buf) or exc.msg.startswith("Unterminated string")
        reason = ("the file ends inside the array (cut short?)" if array.eof and cut
                  else f"not valid JSON ({exc.msg}); the rest of the file is not read")
        on_malformed(Malformed(path, where, reason))


# -- Parquet -------------------------------------------------------------------

_PARQUET_MAGIC = b"PAR1"


def read_parquet(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
                 ) -> Iterator[Record]:
    """A Parquet table, the format of most datasets on the Hugging Face Hub: only
    the id, title and abstract columns, a batch of rows at a time (`arrow.read`).
    A malformed record is reported with its row number (the first row is 1)."""
    names, rows = arrow.read(stream, (fields.id, fields.title, fields.abstract))
    if fields.abstract not in names:
        on_malformed(Malformed(path, 1, f"no {fields.abstract!r} column (columns: "
                               f"{', '.join(names[:12]) or 'none'})"))
        return
    for number, row in enumerate(rows, start=1):
        record = _from_mapping(row, fields, path, number, on_malformed, unwrap=False)
        if record is not None:
            yield record


# -- CSV -----------------------------------------------------------------------


def read_csv(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
             ) -> Iterator[Record]:
    """A header row naming the fields, then one paper a row (quoted fields may
    span lines; the line number given is where the row starts)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    first = text.readline()
    # No delimiter naming the abstract field: a comma, so the missing column is reported.
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter(first, fields) or ",")
    try:
        header = _next_row(reader)
    except csv.Error as exc:
        on_malformed(Malformed(path, 1, f"unreadable header ({exc})"))
        return
    if header is None:
        return
    columns = {name.strip(): i for i, name in enumerate(header)}
    if fields.abstract not in columns:
        on_malformed(Malformed(path, 1, f"no {fields.abstract!r} column in the header "
                               f"(columns: {', '.join(columns) or 'none'})"))
        return
    start = reader.line_num + 1
    while True:
        try:
            row = _next_row(reader)
        except csv.Error as exc:  # a field past the limit: report it, read on after it
            number, start = start, reader.line_num + 1
            on_malformed(Malformed(path, number, f"not a CSV row ({exc})"))
            continue
        if row is None:
            return
        number, start = start, reader.line_num + 1
        if not row:
            continue
        if len(row) != len(header):
            reason = f"{len(row)} fields, the header has {len(header)}"
            on_malformed(Malformed(path, number, reason))
            continue
        if any("\udc80" <= c <= "\udcff" for value in row for c in value):
            on_malformed(Malformed(path, number, "not UTF-8"))
            continue
        obj = {name: row[i] for name, i in columns.items()}
        record = _from_mapping(obj, fields, path, number, on_malformed, unwrap=False)
        if record is not None:
            yield record


_DELIMITERS = (",", "\t", ";", "|")


def delimiter(header: str, fields: Fields) -> str | None:
    """The delimiter under which `header` names the abstract field: a comma, a tab
    (`.tsv`), a semicolon (a spreadsheet saved where the comma is the decimal
    mark) or a bar; None when none does."""
    for candidate in _DELIMITERS:
        if candidate in header:
            try:
                names = next(csv.reader([header], delimiter=candidate), [])
            except csv.Error:  # a stray carriage return
                continue
            if fields.abstract in (name.strip() for name in names):
                return candidate
    return None


def _next_row(reader: Iterator[list[str]]) -> list[str] | None:
    """The reader's next row (None at the end), read with csv's field limit at MAX_LINE.

    A field over MAX_LINE is an unterminated quote swallowing the rest of the
    file, not an abstract: csv stops there instead of holding it all. The limit
    is process-wide, so it is put back before the caller's code runs again."""
    before = csv.field_size_limit(MAX_LINE)
    try:
        return next(reader, None)
    finally:
        csv.field_size_limit(before)


READERS: dict[str, Reader] = {
    "text": read_text,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "arxiv": read_arxiv,
    "json": read_json_array,
    "parquet": read_parquet,
}


# -- opening and detecting ------------------------------------------------------


STDIN = Path("-")  # the input path that means standard input


def shown(path: Path) -> str:
    """How messages and record sources name an input."""
    return "<stdin>" if path == STDIN else str(path)


class _Stdin(io.RawIOBase):
    """Standard input, whose first 64 KiB were read ahead to detect its format
    and are given again to the reader: a pipe cannot be reopened."""

    def __init__(self) -> None:
        self.source = sys.stdin.buffer
        self.head = self.source.read(_HEAD_BYTES)
        self.at = 0
        self.opened = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.at < len(self.head):
            size = min(len(buffer), len(self.head) - self.at)
            buffer[:size] = self.head[self.at : self.at + size]
            self.at += size
            return size
        data = self.source.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_stdin_state: list[_Stdin] = []


def _stdin() -> _Stdin:
    """The one `_Stdin` of this process, made on first use: stdin is read once."""
    if not _stdin_state or _stdin_state[0].source is not sys.stdin.buffer:
        _stdin_state[:] = [_Stdin()]
    return _stdin_state[0]


def _open(path: Path) -> IO[bytes]:
    if path == STDIN:
        stdin = _stdin()
        if stdin.opened:
            raise ConfigError("standard input (-) can be read only once in a process")
        stdin.opened = True
        return io.BufferedReader(stdin)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


_HEAD_BYTES = 65536  # what format detection reads: one line of any sane dump, and then some


def _head(path: Path) -> bytes:
    """The file's first 64 KiB, refused if they are compressed or binary.

    A bounded read, so that a file of one endless line (or a mistaken binary
    file) is not read whole just to be told apart. A NUL byte never occurs in
    UTF-8 text, so a file that holds one near its start is refused here, before
    a run writes anything, instead of being read as garbage records."""
    if path == STDIN:
        head = _stdin().head
    else:
        with _open(path) as stream:
            head = stream.read(_HEAD_BYTES)
    if head.startswith(_PARQUET_MAGIC):  # binary by design: read by its own reader
        if path == STDIN:
            raise ConfigError("a Parquet file cannot be read from standard input (its index "
                              "is at its end): name the file instead of -")
        return head
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() in _OFFICE:
        raise ConfigError(f"{shown(path)} is a {_OFFICE[path.suffix.lower()]}, not a dump: "
                          "save it as CSV (UTF-8) and pass that file")
    for magic, (kind, command) in _PACKED.items():
        if head.startswith(magic):
            fix = (f"unpack it first ({command} ... |)" if path == STDIN
                   else "name it .gz, which is read through gzip" if kind == "gzip"
                   else f"unpack it first: {command} {path} | extractor batch - ...")
            raise ConfigError(f"{shown(path)} is {kind}-compressed, not a text dump: {fix}")
    if b"\0" in head:
        raise ConfigError(f"{shown(path)} is not a text dump: it holds NUL bytes, so it is binary "
                          "(or UTF-16 text, which must be converted to UTF-8 first)")
    return head


_OFFICE = {".xlsx": "spreadsheet", ".xlsm": "spreadsheet", ".ods": "spreadsheet",
           ".docx": "document", ".odt": "document"}  # zip archives that no unzip helps
# What a compressed dump starts with, and the command that unpacks it to a pipe.
_PACKED = {b"\x1f\x8b": ("gzip", "zcat"), b"PK\x03\x04": ("zip", "unzip -p"),
           b"\x28\xb5\x2f\xfd": ("zstd", "zstdcat"), b"BZh": ("bzip2", "bzcat"),
           b"\xfd7zXZ\x00": ("xz", "xzcat")}


def _lines_of(head: bytes) -> Iterator[str]:
    """The non-blank lines of a file's head, stripped (the last may be cut short)."""
    for raw in head.split(b"\n"):
        if raw.strip():
            yield codecs.decode(raw, "utf-8-sig", errors="replace").strip()


def _looks_like_text_dump(head: bytes) -> bool:
    """Whether the head holds a dump's header line or a line long enough to be an
    abstract. Any text file would pair its short lines into titles and
    "abstracts" (a README, a log, a script), so one with neither is not read as
    a dump unless the format is asked for. An empty file passes: no records."""
    seen = False
    for line in _lines_of(head):
        if _is_header(line) or len(line) > TITLE_MAX:
            return True
        seen = True
    return not seen


_ARRAY_START = re.compile(r"\[\s*(?:\{|\]|$)")  # not a title such as "[Re] Reproducing X"


def _format_of(head: bytes, path: Path, fields: Fields) -> str:
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if suffix.lower() in (".csv", ".tsv"):
        return "csv"
    first = next(_lines_of(head), "")
    if _ARRAY_START.match(first):
        return "json"
    if first.startswith("{"):
        try:
            keys = set(json.loads(first))
        except (json.JSONDecodeError, TypeError):
            keys = set()
        return "arxiv" if keys & ARXIV_KEYS else "jsonl"
    return "csv" if delimiter(first, fields) else "text"


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
        head = _head(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    detected = fmt or _format_of(head, path, fields)
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
        with stream:
            yield from reader(stream, shown(path), fields, report)

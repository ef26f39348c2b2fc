"""The readers, one per dump format: each turns an open file into `Record`s,
one line (or row, or element) at a time. See `dumps.py` for the formats and
how one is picked; the CSV reader is in `tables.py`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import IO, Any

from . import arrow
from .records import Fields, Malformed, OnMalformed, Record, make_record, normalized

TITLE_MAX = 300  # longer than any real title, shorter than any real abstract
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


# -- line sources -------------------------------------------------------------


MAX_LINE = 4 * 2**20  # bytes: 200 times a 20,000-character abstract; no paper is longer


_CHUNK_BYTES = 65536


def _raw_lines(stream: IO[bytes], path: str, on_malformed: OnMalformed
               ) -> Iterator[tuple[int, bytes]]:
    """Every line no longer than MAX_LINE, numbered, with its line break; a longer
    one is skipped without being held whole. A file with no line breaks (a JSON
    array) would otherwise be read as one line of any size, and splitting 300 MB
    of words took 5.7 GB.

    A line ends at "\\n", "\\r\\n" or a bare "\\r" (a file saved by an old Mac
    program, or `\\r`-joined by a script): read by "\\n" alone, such a file was one
    line, every paper in it one malformed record. Read a chunk at a time and cut
    by `bytes.splitlines` (which knows only those three breaks), so the loop per
    line is no longer than readline's."""
    read = getattr(stream, "read1", stream.read)
    number = 0
    pending = b""  # the start of a line whose break is still to come
    skipping = False  # inside a line over MAX_LINE, already reported
    after_cr = False  # the last chunk ended in "\r": a "\n" first in the next is its pair
    while chunk := read(_CHUNK_BYTES):
        if after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        after_cr = chunk.endswith(b"\r")
        for part in chunk.splitlines(keepends=True):
            if not part.endswith((b"\n", b"\r")):  # the chunk's last part: the line goes on
                if not skipping and len(pending) + len(part) > MAX_LINE:
                    number += 1
                    on_malformed(Malformed(path, number, _TOO_LONG))
                    skipping, pending = True, b""
                elif not skipping:
                    pending += part
                continue
            if skipping:  # the break that ends a line already reported
                skipping = False
                continue
            line, pending = pending + part, b""
            number += 1
            if len(line) > MAX_LINE + 2:
                on_malformed(Malformed(path, number, _TOO_LONG))
                continue
            yield number, line
    if pending and not skipping:
        yield number + 1, pending


_TOO_LONG = (f"longer than {MAX_LINE // 2**20} MiB: not one paper (a file without line "
             "breaks?)")


NUL_HINT = "which is no text (remove them all: tr -d '\\000')"
# Most text that is not UTF-8 is Windows-1252 or Latin-1, which Excel and older
# tools save; the command that converts it saves a user the search.
NOT_UTF8 = "not UTF-8{} (saved as Windows-1252 or Latin-1? iconv -f cp1252 -t utf-8 converts it)"


def _lines(stream: IO[bytes], path: str, on_malformed: OnMalformed) -> Iterator[tuple[int, str]]:
    """(line number, text without its line ending) for every line that is UTF-8
    and holds no NUL byte. A NUL is valid UTF-8 but never text: past the head that
    `dumps` checks, it made "not valid JSON (Extra data)" or a failed record, with
    no word of the byte or how to remove it."""
    for number, raw in _raw_lines(stream, path, on_malformed):
        try:
            # A byte order mark starts every file Notepad saves, so files joined with
            # `cat` hold one at the start of each: not only line 1's is dropped.
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            on_malformed(Malformed(path, number,
                                   NOT_UTF8.format(f": {exc.reason} at byte {exc.start}")))
            continue
        if "\0" in text:
            on_malformed(Malformed(path, number, f"a NUL byte at column {text.index(chr(0)) + 1}"
                                   f", {NUL_HINT}"))
            continue
        yield number, text.rstrip("\r\n")


# -- text dumps ---------------------------------------------------------------


def is_header(line: str) -> bool:
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
        if is_header(line):  # anywhere: dumps joined into one (`cat *.txt`) repeat them
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


def from_mapping(obj: object, fields: Fields, path: str, number: int, on_malformed: OnMalformed,
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
    if _SURROGATE.search(abstract) or _SURROGATE.search(title):  # valid JSON, not text
        on_malformed(Malformed(path, number, "holds a lone surrogate (an escape such as "
                               "\\ud800 that stands for no character)"))
        return None
    source_id = obj.get(fields.id)
    if (why := _not_an_id(source_id)) is not None:
        on_malformed(Malformed(path, number, f"field {fields.id!r} is {why}, not an id (text or "
                               "a number; --id-field names another)"))
        return None
    if unwrap:
        title, abstract = normalized(title), normalized(abstract)
    return make_record(title.strip(), abstract.strip(), f"{path}:{number}", source_id)


def _not_an_id(value: object) -> str | None:
    """What `value` is when no id can be made of it. They were made into ids as
    printed: `{'a': 1}`, `True`, and `nan` and `inf`, which Python's JSON and
    pandas' Parquet write for a missing or overflowing number; two papers with
    a missing id then shared the id "nan" and the second was dropped as a reuse."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "an infinite number"
    if isinstance(value, dict | list):
        return "a JSON object" if isinstance(value, dict) else "a JSON array"
    return None


TOO_DEEP = "nested too deeply to be a paper"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _read_json_lines(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed,
                     unwrap: bool) -> Iterator[Record]:
    keys = quoted_keys(fields)
    for number, line in _lines(stream, path, on_malformed):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            on_malformed(Malformed(path, number, f"not valid JSON ({exc.msg}, column {exc.colno})"))
            continue
        except RecursionError:  # "[[[[...": hostile, and no paper
            on_malformed(Malformed(path, number, TOO_DEEP))
            continue
        record = json_record(obj, line, keys, fields, path, number, on_malformed, unwrap)
        if record is not None:
            yield record


def quoted_keys(fields: Fields) -> set[str]:
    """The fields' names as JSON writes them: a text holding one twice may give
    that field twice (`_given_twice`)."""
    return {f'"{name}"' for name in (fields.id, fields.title, fields.abstract)}


def json_record(obj: Any, text: str, keys: set[str], fields: Fields, path: str, number: int,
                on_malformed: OnMalformed, unwrap: bool) -> Record | None:
    """The record of one JSON object read from `text`, or None (reported) when the
    object gives a field read twice or is no paper. `keys` is `quoted_keys(fields)`,
    made once per file: a field's quoted name found twice is the rare case that
    `_given_twice` parses again."""
    if any(text.count(key) > 1 for key in keys) and (twice := _given_twice(text, fields)):
        on_malformed(Malformed(path, number, twice))
        return None
    return from_mapping(obj, fields, path, number, on_malformed, unwrap)


class _Pairs(list):  # type: ignore[type-arg]
    """An object's (key, value) pairs, in order, duplicates kept."""


def _given_twice(line: str, fields: Fields) -> str | None:
    """Why the line cannot be read, when its object gives a field read twice
    (`{"abstract": "a", "abstract": "b"}`): json keeps the last one silently,
    and which is meant is anyone's guess. Called only for the rare line where a
    field's quoted name occurs twice, so the usual line is parsed once."""
    obj = json.loads(line, object_pairs_hook=_Pairs)
    if not isinstance(obj, _Pairs):
        return None
    names = [key for key, _ in obj]
    for flag, name in (("id", fields.id), ("title", fields.title), ("abstract", fields.abstract)):
        if (count := names.count(name)) > 1:
            return (f"the field {name!r} is given {count} times: keep one, or name another "
                    f"with --{flag}-field")
    return None


def read_jsonl(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
               ) -> Iterator[Record]:
    """One JSON object a line, fields named by `fields`."""
    return _read_json_lines(stream, path, fields, on_malformed, unwrap=False)


def read_arxiv(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
               ) -> Iterator[Record]:
    """The arXiv metadata snapshot: JSONL with hard wraps undone. Its fields are
    id, title and abstract, the defaults, but the field flags are honoured as for
    JSONL: ignoring them read `abstract` when `--abstract-field` named another."""
    return _read_json_lines(stream, path, fields, on_malformed, unwrap=True)


# -- Parquet -------------------------------------------------------------------

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
    if missing := fields.asked_but_missing(names):
        on_malformed(Malformed(path, 1, missing))
        return
    if twice := fields.named_twice(names):
        on_malformed(Malformed(path, 1, f"the table {twice}"))
        return
    number = 0
    for row in rows:
        if isinstance(row, arrow.BadRows):  # a corrupt row group; the next ones are read
            on_malformed(Malformed(path, row.first, f"rows {row.first}-{row.last} could not "
                                   f"be decoded ({row.reason})"))
            number = row.last
            continue
        number += 1
        row, why = _decoded(row)
        if why is not None:
            on_malformed(Malformed(path, number, why))
            continue
        record = from_mapping(row, fields, path, number, on_malformed, unwrap=False)
        if record is not None:
            yield record


def _decoded(row: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The row with its BINARY values as text, and why not when one is not UTF-8.
    Parquet writers that know no string type (older Spark and Hive, some Arrow
    exports) store text as BINARY, which reads as bytes: every abstract was "no
    text" and a bytes id became "b'P1'". Text in Parquet is UTF-8 (its STRING
    annotation says so), and so is this."""
    if not any(isinstance(value, bytes) for value in row.values()):
        return row, None  # a table of strings: nearly every row
    decoded = dict(row)
    for name, value in row.items():
        if isinstance(value, bytes):
            try:
                decoded[name] = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                return row, f"column {name!r} is not UTF-8 ({exc.reason} at byte {exc.start})"
    return decoded, None

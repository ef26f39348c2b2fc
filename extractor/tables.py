"""The CSV reader (`.csv`, `.tsv`, a spreadsheet saved as CSV): a header row
naming the fields, then one paper a row. See `dumps.py` for how a file is
found to be one (`delimiter`).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from typing import IO, Any

from .readers import MAX_LINE, NOT_UTF8, NUL_HINT, from_mapping, is_header
from .records import Fields, Malformed, OnMalformed, Record


def read_csv(stream: IO[bytes], path: str, fields: Fields, on_malformed: OnMalformed
             ) -> Iterator[Record]:
    """A header row naming the fields, then one paper a row (quoted fields may
    span lines; the line number given is where the row starts). A row that is
    the header again is skipped: files joined with `cat a.csv b.csv`. Blank lines
    before the header (an export that begins with one) are skipped too: the
    empty first line was taken for a header of no columns."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    blanks: list[str] = []
    first = _past_blanks(text, blanks)
    if sep := excel_sep(first):  # the header is the next line
        blanks.append(first)
        first = _past_blanks(text, blanks)
    # No delimiter naming any columns: a comma, so the missing column is reported.
    # The lines before the header go to the reader too (one row each), to keep
    # its line numbers the file's.
    reader = csv.reader(itertools.chain(blanks, [first], text),
                        delimiter=sep or delimiter(first, fields) or ",")
    at = len(blanks) + 1  # the header's line
    try:
        for _ in blanks:  # one row each: [], a field of spaces, or `sep=` and ""
            _next_row(reader)
        header = _next_row(reader)
    except csv.Error as exc:
        on_malformed(Malformed(path, at, f"unreadable header ({exc})"))
        return
    if header is None:
        return
    columns = {name.strip(): i for i, name in enumerate(header)}
    again = [name.strip() for name in header]  # the header of a file joined on (`cat`)
    if fields.abstract not in columns:
        on_malformed(Malformed(path, at, f"no {fields.abstract!r} column in the header "
                               f"(columns: {', '.join(columns) or 'none'})"))
        return
    if missing := fields.asked_but_missing(again, " in the header"):
        on_malformed(Malformed(path, at, missing))
        return
    if twice := fields.named_twice(again):
        on_malformed(Malformed(path, at, f"the header {twice}"))
        return
    start = reader.line_num + 1
    while True:
        try:
            row = _next_row(reader)
        except csv.Error as exc:  # a field past the limit: report it, read on after it
            number, start = start, reader.line_num + 1
            reason = f"not a CSV row ({exc}){_span(number, reader)}"
            on_malformed(Malformed(path, number, reason))
            continue
        if row is None:
            return
        number, start = start, reader.line_num + 1
        if not row or [value.strip().lstrip("\ufeff") for value in row] == again:
            continue
        if len(row) != len(header):
            reason = f"{len(row)} fields, the header has {len(header)}{_span(number, reader)}"
            on_malformed(Malformed(path, number, reason))
            continue
        if any("\udc80" <= c <= "\udcff" for value in row for c in value):
            on_malformed(Malformed(path, number, NOT_UTF8.format("")))
            continue
        if any("\0" in value for value in row):  # past the head `dumps` checks
            on_malformed(Malformed(path, number, f"a NUL byte, {NUL_HINT}"))
            continue
        obj = {name: row[i] for name, i in columns.items()}
        record = from_mapping(obj, fields, path, number, on_malformed, unwrap=False)
        if record is not None:
            yield record


def _span(number: int, reader: Any) -> str:
    """For a bad row read over several lines, which: a quote left open (a stray
    `"` at the start of a field) joins every line up to the next quote into one
    row, and the user must know how many papers that took."""
    if reader.line_num <= number:
        return ""
    return (f"; lines {number}-{reader.line_num} were read as one row, joined by a quote left "
            f"open (a stray \"?): none of these {reader.line_num - number + 1} lines is read")


_DELIMITERS = (",", "\t", ";", "|")

# Excel writes `sep=;` as a CSV's first line to say which delimiter follows, and
# reads one so: the header is the line after it. Any one character but a quote,
# a letter or a digit, and whitespace other than a tab.
_EXCEL_SEP = re.compile(r"sep=([^\w\s\"]|\t)")


def excel_sep(line: str) -> str | None:
    """The delimiter an Excel `sep=X` line names, or None when `line` is not one."""
    m = _EXCEL_SEP.fullmatch(line.rstrip("\r\n"))
    return m.group(1) if m else None


# A column name: up to four words, the first led by a letter, each word characters
# maybe joined by . : / - or holding parentheses: id, paper_id, arxiv-id, meta.title,
# and the names spreadsheets and exports write (`paper id`, `Abstract text`,
# `Author(s) ID`). A title is rarely such a list, and then the rows under it
# tell it apart (dumps._is_table).
_COLUMN = re.compile(r"[^\W\d][\w.:()/-]*(?: [\w(][\w.:()/-]*){0,3}")


def delimiter(header: str, fields: Fields) -> str | None:
    """The delimiter under which `header` names the abstract field: a comma, a tab
    (`.tsv`), a semicolon (a spreadsheet saved where the comma is the decimal
    mark) or a bar. Else the one under which it is a list of column names (two
    or more, each of one to four words, after pandas' unnamed index column if
    any), so a table without the abstract field is read as one and says what it
    has. A title can read as such a list ("Fast, Accurate, and Cheap"), but not
    the abstract under it: `dumps._is_table` asks that of the rows too. None
    when neither."""
    listed = None
    for candidate in _DELIMITERS:
        if candidate in header:
            try:
                names = [name.strip() for name in next(csv.reader([header], delimiter=candidate))]
            except (csv.Error, StopIteration):  # a stray carriage return
                continue
            if fields.abstract in names:
                return candidate
            named = names[1:] if names[0] == "" else names
            if (listed is None and len(named) >= 2 and len(set(named)) == len(named)
                    and all(_COLUMN.fullmatch(name) for name in named) and not is_header(header)):
                listed = candidate
    return listed


def _past_blanks(text: IO[str], blanks: list[str]) -> str:
    """The next line that is not blank ("" at the end), the blank ones before it
    added to `blanks`."""
    while (line := text.readline()) and not line.strip():
        blanks.append(line)
    return line


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

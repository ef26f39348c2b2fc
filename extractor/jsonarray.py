"""The JSON array reader, apart from `readers.py` because it is the one reader that
cannot go a line at a time: an array is one value, so it is decoded a chunk at a
time with its own buffer, line counting and limits (`_ArrayText`), only the
element being read ever held. `dumps.py` picks it for the "json" format.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from .readers import MAX_LINE, NOT_UTF8, TOO_DEEP, json_record, quoted_keys
from .records import Fields, Malformed, OnMalformed, Record

_CHUNK = 65536
_WHITESPACE = " \t\n\r\ufeff"  # JSON's, and the byte order mark of each file joined on (cat)


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

    def value(self) -> tuple[Any, int]:
        """The JSON value at the current position, reading on until it is whole, and
        where it starts in the buffer (reading on moves it to the buffer's start)."""
        while True:
            begin = self.pos
            try:
                value, self.pos = _DECODER.raw_decode(self.buf, self.pos)
                return value, begin
            except RecursionError:
                raise json.JSONDecodeError(TOO_DEEP, self.buf, self.pos) from None
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
    there, reported with its line. Arrays one after another (`cat a.json b.json`)
    are read in turn; anything else after an array is reported, not ignored."""
    array = _ArrayText(stream)
    try:
        if array.peek() != "[":
            on_malformed(Malformed(path, array.line_here(), "not a JSON array"))
            return
        while array.peek() == "[":
            array.pos += 1
            yield from _elements(array, path, fields, on_malformed)
            array.pos += 1  # past the "]"
        if array.peek():
            on_malformed(Malformed(path, array.line_here(), "text after the end of the JSON "
                                   "array (files joined?); the rest of the file is not read"))
    except json.JSONDecodeError as exc:
        where = array.line_here()
        cut = exc.pos >= len(array.buf) or exc.msg.startswith("Unterminated string")
        reason = ("the file ends inside the array (cut short?)" if array.eof and cut
                  else f"not valid JSON ({exc.msg}); the rest of the file is not read")
        on_malformed(Malformed(path, where, reason))


def _elements(array: _ArrayText, path: str, fields: Fields, on_malformed: OnMalformed
              ) -> Iterator[Record]:
    """The records of one array, from just past its "[" up to its "]"."""
    first, keys = True, quoted_keys(fields)
    while (char := array.peek()) != "]":
        if not first:
            if char != ",":
                raise json.JSONDecodeError("expected ',' or ']'", array.buf, array.pos)
            array.pos += 1
            array.peek()  # past the whitespace, which raw_decode does not skip
        first = False
        number = array.line_here()
        value, start = array.value()
        if array.not_utf8 and _NOT_UTF8.search(array.buf, start, array.pos):
            on_malformed(Malformed(path, number, NOT_UTF8.format("")))
            continue
        record = json_record(value, array.buf[start : array.pos], keys, fields, path, number,
                             on_malformed, False)
        if record is not None:
            yield record

"""Inputs that are streams: standard input (`-`), a pipe, a process substitution.

Design note. A stream can be read once, and format detection needs its head
first: its first 64 KiB are read ahead, once per process, and given again to
the reader (`Stream`). The read ahead stops early when the producer has paused
after a whole first line that tells enough: one that opens a JSON object (JSON
lines, or the arXiv snapshot), or any line when the format was asked for.
`producer | extractor batch -` writing a paper now and then should not wait for
64 KiB of them before the first is extracted. A named pipe (`mkfifo`, or
`<(cat x.jsonl)`, which the shell passes as /dev/fd/63) is read the same way as
standard input; a regular file is not a stream.

A stream can also stall: a producer that stops writing (`slow_producer |
extractor batch -`) leaves a read waiting for it. A batch run therefore reads
streams in a thread (`feed.py`), and a `Stream` tells that thread, through
`before_waiting`, that its next read would wait, so the records read so far
go to the run first.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import select
import stat
import sys
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

STDIN = Path("-")  # the input path that means standard input
HEAD_BYTES = 65536  # what format detection reads: one line of any sane dump, and then some
_JSON_LINE = re.compile(rb"\s*\{[^\r\n]*[\r\n]")  # a whole first line that opens an object
_ANY_LINE = re.compile(rb"\s*\S[^\r\n]*[\r\n]")  # a whole first line that is not blank

# Called (in the thread reading) before a read that would wait for the producer.
before_waiting: ContextVar[Callable[[], None] | None] = ContextVar("before_waiting",
                                                                  default=None)


def is_stream(path: Path) -> bool:
    """Whether `path` is standard input or names no regular file or directory
    (a pipe, a process substitution, a terminal)."""
    if path == STDIN:
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def can_stall(path: Path) -> bool:
    """Whether reading `path` may wait on a producer: a stream, unless it is
    standard input redirected from a regular file (`< papers.jsonl`)."""
    if path != STDIN:
        return is_stream(path)
    try:
        return not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return True


class Stream(io.RawIOBase):
    """A stream whose head (64 KiB, or less: see above) was read ahead to
    detect its format and is given again to the reader: a pipe cannot be
    reopened."""

    def __init__(self, source: IO[bytes], format_asked: bool = False) -> None:
        self.source = source
        self.enough = _ANY_LINE if format_asked else _JSON_LINE
        try:  # read through the descriptor: see `_read`
            self.fd: int | None = source.fileno()
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            self.fd = None
        head = b""
        while len(head) < HEAD_BYTES and not (self._told(head) and not self._ready()):
            if not (more := self._read(HEAD_BYTES - len(head))):
                break
            head += more
        self.head = head
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
        if (waiting := before_waiting.get()) is not None and not self._ready():
            waiting()
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _told(self, head: bytes) -> bool:
        """Whether `head` is enough to start on: its first line is whole and
        opens a JSON object, or the format was asked for and the line is not
        blank (so the input is not empty). Text and CSV are told from more than
        one line, so unasked for they wait for the 64 KiB (or the end)."""
        return self.enough.match(head.removeprefix(codecs.BOM_UTF8)) is not None

    def _read(self, size: int) -> bytes:
        """At most `size` bytes, from the descriptor when there is one. Read
        through `sys.stdin.buffer`, a thread waiting on a stalled producer held
        that object's lock, and Python's exit, which closes it, aborted with
        "could not acquire lock ... at interpreter shutdown"."""
        if self.fd is None:
            return self.source.read1(size)
        return os.read(self.fd, size)

    def _ready(self) -> bool:
        """Whether the source's descriptor has data (or its end) waiting. When
        that cannot be told, the records read so far go a little early."""
        try:
            return self.fd is not None and bool(select.select([self.fd], [], [], 0)[0])
        except (OSError, ValueError):
            return False


_streams: dict[Any, Stream] = {}


def stream_of(path: Path, format_asked: bool = False) -> Stream:
    """The one `Stream` of `path` in this process, made on first use (by the
    batch run's check of its inputs, which knows whether a format was asked)."""
    if path == STDIN:
        key: Any = ("stdin", id(sys.stdin.buffer))
        if key not in _streams:
            _streams[key] = Stream(sys.stdin.buffer, format_asked)
        return _streams[key]
    found = path.stat()
    key = (found.st_dev, found.st_ino)
    if key not in _streams:
        _streams[key] = Stream(path.open("rb"), format_asked)
    return _streams[key]


def shown(path: Path) -> str:
    """How messages and record sources name an input."""
    return "<stdin>" if path == STDIN else str(path)

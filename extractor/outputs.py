"""Where batch results go: an append-only JSONL log that survives kill -9.

Design note. The JSONL log is the durable record of a run, whatever format
was asked for. Each result is one line, written with a single write() on an
O_APPEND descriptor as soon as its record completes, so a killed run loses at
most the records in flight. Nothing is fsync'd per line: the page cache
survives the death of the process, which is the failure this guards against
(not a power cut).

Reading a log back (`Log.load`) is how a rerun resumes:

- A last line without its newline is the one write a crash interrupted. If it
  still parses it is kept (its newline added); otherwise it is cut off (and set
  aside in `<log>.rejected`) and its record is done again.
- A line in the middle that is not a result row is reported and ignored; its
  record is done again. Compaction sets such lines aside in `<log>.rejected`
  rather than drop them: whatever they hold is the user's to look at.
- A file that holds no result row at all (the user's own `papers.jsonl` beside
  `-o papers.csv`, or `-o notes.txt`) is not a log: it is refused before
  anything, its last line included, is written or cut. A result row is what
  `append` writes: a JSON object with a string `id` and an `error` key. The one
  exception is a file whose only line is unfinished and begins as `append`
  begins every line: the first write of a run killed during it.
- The last line for an id wins: `--retry-failed` appends a new line for each
  retried record, and at the end of the run the log is compacted (rewritten to
  a temporary file, then renamed over the original, so a crash during it loses
  nothing) to one line per id.

Ids are kept as 64-bit hashes (`id_hash`), so a million done ids cost tens of
megabytes rather than hundreds. A rerun also knows a done paper by its content
(`LogState.holds`), whatever id it comes with next time: a row whose id is its
content hash (a source without ids) is found by that id; every other row
carries its `content_key`, kept as a 64-bit number. Rows written before
`content_key` existed are known by id only.

The CSV and Parquet views made from the log at the end are in `views.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

def id_hash(record_id: str) -> int:
    """A 64-bit stand-in for an id in the sets that track what is done."""
    return int.from_bytes(hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass
class LogState:
    """What an existing log already holds, as read by `Log.load`."""

    ok: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    contents: set[int] = field(default_factory=set)  # content keys of rows with a source id
    lines: int = 0
    superseded: int = 0  # lines for an id that a later line replaces
    multi: set[int] = field(default_factory=set)  # ids with more than one line
    bad_lines: list[int] = field(default_factory=list)
    repaired_tail: str | None = None
    first: dict[str, Any] | None = None  # the first row with an answer
    settings: str | None = None  # the settings stamp of the last row with an answer

    @property
    def needs_compaction(self) -> bool:
        return bool(self.superseded or self.bad_lines)

    def holds(self, record_id: str, content_key: str) -> bool:
        """Whether the log has a row for this paper, by id or by content: the
        same paper may come with a source id in one dump and none in another."""
        by_id = (id_hash(record_id), id_hash(content_key))  # an id-less row's id is its key
        return (any(key in self.ok or key in self.failed for key in by_id)
                or int(content_key, 16) in self.contents)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    if not (isinstance(row, dict) and isinstance(row.get("id"), str) and "error" in row
            and isinstance(row.get("meta", {}), dict | None)):
        return None  # not a row this program wrote (`"meta": "x"`, an input line): redone
    return row


_LINE_START = b'{"id":"'  # how every line `append` writes begins


def _content(row: dict[str, Any]) -> int | None:
    """The row's content key as a number, when it has one that its id is not."""
    key = row.get("content_key")
    if not isinstance(key, str) or key == row["id"]:
        return None
    try:
        return int(key, 16)
    except ValueError:
        return None


def _why_not(path: Path, exc: OSError) -> str:
    """Why `path` cannot be created. A file where a directory must be is named:
    mkdir's own "File exists" (or "Not a directory") names neither."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a directory"
            break
    return exc.strerror or str(exc)


def _lock(fd: int) -> bool:
    """Take the advisory lock on an open file; False when another run holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class Log:
    """The JSONL output of a batch run: read back to resume, appended to as
    records complete, compacted at the end."""

    def __init__(self, path: Path, view: Path | None = None) -> None:
        self.path = path
        self.view = view  # the CSV or Parquet output it is kept for, named in errors
        self._fd: int | None = None

    @property
    def shown(self) -> str:
        """The output as the user named it (with its log when that is another file)."""
        if self.view is None or self.view == self.path:
            return str(self.path)
        return f"{self.view} (its JSONL log {self.path})"

    def load(self) -> LogState:
        """Read what is already done, then repair a last line cut short by a
        crash. A file that holds no result row is refused before it is touched."""
        state = LogState()
        if not self.path.exists():
            return state
        tail: tuple[int, bytes] | None = None  # (offset, text) of an unfinished last line
        with self.path.open("rb") as stream:
            offset = 0
            for number, line in enumerate(stream, 1):
                state.lines = number
                at, offset = offset, offset + len(line)
                if not line.endswith(b"\n"):
                    tail = (at, line)
                row = _parse(line)
                if row is None:
                    if line.strip() and tail is None:
                        state.bad_lines.append(number)
                    continue
                self._add(state, row)
        self._refuse_if_foreign(state, tail)
        if tail is not None:
            self._repair_tail(state, *tail)
        return state

    @staticmethod
    def _add(state: LogState, row: dict[str, Any]) -> None:
        if not row.get("error"):  # failures hold no answers that a resume could mix
            if state.first is None:
                state.first = row
            stamp = (row.get("meta") or {}).get("settings")
            if isinstance(stamp, str):
                state.settings = stamp
        key = id_hash(row["id"])
        if key in state.ok or key in state.failed:
            state.superseded += 1
            state.multi.add(key)
        state.ok.discard(key)
        state.failed.discard(key)
        (state.failed if row.get("error") else state.ok).add(key)
        if (content := _content(row)) is not None:
            state.contents.add(content)

    def _refuse_if_foreign(self, state: LogState, tail: tuple[int, bytes] | None) -> None:
        """A file with lines but no result row is someone else's (an input's
        sibling `papers.jsonl`, `-o notes.txt`): compaction would empty it."""
        if state.ok or state.failed:
            return
        unfinished = tail is not None and tail[1].strip() and _parse(tail[1]) is None
        if not state.bad_lines and (not unfinished or tail[1].startswith(_LINE_START)):
            return  # empty, blank, or the first write of a run killed during it
        raise ConfigError(
            f"cannot write the output {self.shown}: {self.path} already exists and is not a "
            "batch output (none of its lines is a result row), so this run leaves it as it is: "
            f"pick another output (-o), or move {self.path} away")

    def _repair_tail(self, state: LogState, start: int, tail: bytes) -> None:
        with self.path.open("rb+") as stream:
            if _parse(tail) is not None:
                stream.seek(0, os.SEEK_END)
                stream.write(b"\n")
                state.repaired_tail = "kept the last line and added its missing newline"
            elif tail.strip():  # half a row, most likely: still not ours to delete
                with self.rejected.open("ab") as rejected:
                    rejected.write(tail + b"\n")
                stream.truncate(start)
                state.repaired_tail = (f"dropped an unfinished last line ({len(tail)} bytes, "
                                       f"left by a crash) and set it aside in {self.rejected}; "
                                       "its record will be done again")
            else:
                stream.truncate(start)  # blanks after the last newline: nothing to say

    def open(self) -> None:
        """Open for appending and take an advisory lock, so two runs cannot
        interleave their lines in one file. A batch run holds it until its
        CSV or Parquet view and its summary are written."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:  # a directory, no permission, a read-only disk
            raise ConfigError(f"cannot write the output {self.shown}: "
                              f"{_why_not(self.path, exc)}") from exc
        if not _lock(self._fd):
            os.close(self._fd)
            self._fd = None
            raise ConfigError(
                f"another batch run is writing to {self.shown}; wait for it or pick "
                "another output (-o)"
            )

    def append(self, row: dict[str, Any]) -> None:
        """Write one result as one line, now.

        A write that fails part-way (a full disk) is cut back to where the line
        began, so the log never holds half a line, and the run stops with an
        error that says the lines before it are kept."""
        assert self._fd is not None, "Log.open() first"
        data = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            written = len(data) - len(view)  # the lock makes ours the only appends
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, os.fstat(self._fd).st_size - written)
            raise ConfigError(f"cannot write to {self.path}: {exc.strerror or exc}; every "
                              "result written before is kept: fix that and rerun the same "
                              "command to resume") from exc

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every readable line, in order."""
        with self.path.open("rb") as stream:
            for line in stream:
                if (row := _parse(line)) is not None:
                    yield row

    @property
    def rejected(self) -> Path:
        """Where compaction sets aside the lines that are not result rows."""
        return self.path.with_name(self.path.name + ".rejected")

    def compact(self, multi: set[int]) -> int:
        """Rewrite the log keeping, for each id in `multi` (the ids that may have
        several lines), only its last line. A line that is not a result row is
        appended to `rejected`, never dropped; returns how many were. Atomic: a
        temporary file renamed over the log (a crash before the rename may leave
        a line in both files, never in neither).

        The lock is on the open file, not its name, so an open log locks its
        replacement before the rename: a run that opens the name afterwards
        must still find it taken until this one has closed."""
        last: dict[int, int] = {}
        with self.path.open("rb") as stream:
            for number, line in enumerate(stream):
                if (row := _parse(line)) is not None and (key := id_hash(row["id"])) in multi:
                    last[key] = number
        temporary = self.path.with_name(self.path.name + ".compacting")
        set_aside = 0
        try:
            with contextlib.ExitStack() as files:
                source = files.enter_context(self.path.open("rb"))
                target = files.enter_context(temporary.open("wb"))
                rejected = None
                for number, line in enumerate(source):
                    row = _parse(line)
                    if row is None and line.strip():
                        if rejected is None:
                            rejected = files.enter_context(self.rejected.open("ab"))
                        rejected.write(line if line.endswith(b"\n") else line + b"\n")
                        set_aside += 1
                    elif row is not None and last.get(id_hash(row["id"]), number) == number:
                        target.write(line)
                for kept in (rejected, target):
                    if kept is not None:
                        kept.flush()
                        os.fsync(kept.fileno())
        except OSError as exc:  # the log itself is untouched: a rerun compacts it
            temporary.unlink(missing_ok=True)
            raise ConfigError(f"cannot compact {self.path}: {exc.strerror or exc}; it is "
                              "complete but may hold an id twice until a rerun") from exc
        if self._fd is None:
            os.replace(temporary, self.path)
            return set_aside
        fd = os.open(temporary, os.O_WRONLY | os.O_APPEND)
        _lock(fd)  # nobody else knows its name yet
        os.replace(temporary, self.path)
        os.close(self._fd)
        self._fd = fd
        return set_aside

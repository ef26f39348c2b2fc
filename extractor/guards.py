"""Outputs a run refuses before it reads or writes anything, apart from
`outputs.py` (the log itself) because these checks are about paths, not rows:
an output that is no regular file or is this process's standard output
(`refuse_streams`), a CSV or Parquet view whose JSONL log is gone
(`refuse_lost_log`), and an output that is also an input (`refuse_overwriting`,
used by `eval` too). Each would otherwise lose or clobber a user's data.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from .errors import ConfigError

STREAM_ADVICE = ("a run appends each result to its output file as it completes, and a rerun "
                 "resumes from that file; write to a file (e.g. -o out.jsonl) and read it "
                 "from there")


def refuse_streams(outputs: list[Path]) -> None:
    """Refuse, before anything is read or written, an output that is no regular
    file: a run reads its output back (to resume) before it appends to it, and
    writes a summary beside it. `-o /dev/stdout` on a pipe hung reading the
    pipe; on a terminal or /dev/null it read nothing and wrote where no rerun
    finds it; with standard output a file, the summary printed there overwrote
    the rows. A path that is this process's standard output or error (through
    /dev/stdout, /dev/fd/1, or the file's own name) is refused for the same
    reason."""
    ours = {_fd_inode(1), _fd_inode(2)} - {None}
    for out in outputs:
        try:
            found = out.stat()
        except OSError:  # not there yet (or unreachable: opening it will say)
            continue
        if not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode):
            what = "a pipe" if stat.S_ISFIFO(found.st_mode) else "not a regular file"
            raise ConfigError(f"cannot write {out}: it is {what}; {STREAM_ADVICE}")
        if _inode(found) in ours:
            raise ConfigError(f"cannot write {out}: it is this command's standard output or "
                              f"error; {STREAM_ADVICE}")


def refuse_lost_log(out: Path, log: Path) -> None:
    """Refuse, before anything is written, a CSV or Parquet output that exists
    when its JSONL log does not. A rerun resumes from the log and rewrites the
    view from it, so without the log it would start over and replace the
    view's rows with this run's alone (an earlier run's paid answers lost)."""
    if out == log or log.exists() or not out.exists() or out.stat().st_size == 0:
        return
    raise ConfigError(
        f"{out} exists but its JSONL log {log} does not: a run resumes from the log and "
        f"rewrites {out.name} from it, so this run would replace {out.name} with its own "
        f"results alone. To resume, put the log back at {log}; to start over, move {out} "
        "away (or pick another output, -o)")


def _inode(found: os.stat_result) -> tuple[int, int]:
    return found.st_dev, found.st_ino


def _fd_inode(fd: int) -> tuple[int, int] | None:
    """The file behind descriptor `fd`, or None when it is not open."""
    try:
        return _inode(os.fstat(fd))
    except OSError:
        return None


def refuse_overwriting(outputs: list[Path], inputs: list[Any], flag: str) -> None:
    """Refuse, before anything is written, an output that is a file the command
    reads: a batch input, or a gold file (`eval --json gold.jsonl` replaced the
    hand labels with a report). Standard input (`-`) is no file."""
    for out in outputs:
        for path in inputs:
            if str(path) != "-" and _same_file(out, Path(path)):
                raise ConfigError(f"{out} is both an input and where this run writes; "
                                  f"pick another output ({flag})")


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file (through `..`, symlinks or hard links)."""
    try:
        return one.resolve() == other.resolve() or (
            one.exists() and other.exists() and os.path.samefile(one, other))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return False

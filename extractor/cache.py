"""The disk cache of validated answers: the only module that imports diskcache.

Values are JSON text, never pickle. diskcache pickles anything that is not a
plain str/bytes/int/float, and unpickles whatever it finds on read, so a cache
directory shared between users would be a code-execution risk. `_JsonOnlyDisk`
stores only str and refuses to unpickle on read: a pickled entry found in the
directory is treated as corrupt.

A corrupt, unreadable or unparseable entry is a miss: it is deleted and the
caller recomputes and overwrites it. Errors are never stored, because a caller
stores only a validated answer. A write that fails (a full disk) is a warning,
once per cache, and the answer is still returned: it was paid for, and the
cache only saves asking again.

A read-only directory cannot be used at all, not even to read a cache filled
elsewhere: diskcache writes its settings into the database on every open, and
SQLite's WAL journal needs its shared-memory file beside it. So it is a
ConfigError at open that says so (with --no-cache or a writable copy as the way
out), never the advice to delete what the user may not own.

diskcache keeps its index in SQLite with its own locking, so several processes
may share one directory; writes are atomic per key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import diskcache

from .errors import ConfigError

DEFAULT_SIZE_LIMIT = 2**30  # 1 GiB: about a million cached answers


def default_cache_dir() -> Path:
    """$EXTRACTOR_CACHE_DIR, else $XDG_CACHE_HOME/extractor, else ~/.cache/extractor."""
    if env := os.environ.get("EXTRACTOR_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "extractor"


def cache_key(parts: dict[str, Any]) -> str:
    """A stable hash of everything that can change an answer."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def discard_unreadable(directory: Path) -> bool:
    """Delete the cache database in `directory` if SQLite cannot read it.

    For `extractor cache clear` on a cache that cannot be opened (a crash of the
    disk, a file overwritten): clearing is what the user asked for, and nothing
    in it can be read anyway. Only diskcache's own database files go; a database
    that SQLite reads is never touched here. True when something was deleted."""
    database = directory / "cache.db"
    if not database.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(database)) as connection:
            connection.execute("PRAGMA quick_check").fetchall()
        return False
    except sqlite3.DatabaseError:
        for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
            (directory / name).unlink(missing_ok=True)
        return True


def _read_only(directory: Path) -> bool:
    """Whether `directory` exists and cannot be written (its mode, or a read-only mount)."""
    return directory.is_dir() and not os.access(directory, os.W_OK)


class _CorruptEntry(Exception):
    pass


class _JsonOnlyDisk(diskcache.Disk):
    def store(self, value, read, key=diskcache.core.UNKNOWN):
        if not isinstance(value, str):
            raise TypeError("the extractor cache stores JSON text only")
        return super().store(value, read, key=key)

    def fetch(self, mode, filename, value, read):
        if mode == diskcache.core.MODE_PICKLE:
            raise _CorruptEntry("pickled value in a JSON-only cache")
        return super().fetch(mode, filename, value, read)


class Cache:
    """JSON values on disk, keyed by `cache_key()`."""

    def __init__(self, directory: str | Path | None = None, size_limit: int = DEFAULT_SIZE_LIMIT):
        self.directory = Path(directory) if directory else default_cache_dir()
        if self.directory.exists() and not self.directory.is_dir():  # never "delete it"
            raise ConfigError(f"the cache directory {self.directory} is a file, not a "
                              "directory: use another --cache-dir (or --no-cache)")
        try:
            self._cache = diskcache.Cache(
                str(self.directory), disk=_JsonOnlyDisk, size_limit=size_limit
            )
        except Exception as exc:  # sqlite3 or OS errors: unusable directory
            if _read_only(self.directory):
                raise ConfigError(
                    f"cannot open cache directory {self.directory}: it is read-only, and the "
                    "cache writes to its database even to read it; use --no-cache, or copy "
                    "it to a writable --cache-dir"
                ) from exc
            raise ConfigError(
                f"cannot open cache directory {self.directory}: {exc} (it only holds answers "
                "that can be asked for again: delete it, or use another --cache-dir or "
                "--no-cache)"
            ) from exc
        self.hits = 0
        self.misses = 0
        self._write_failed = False

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None on a miss or an entry that cannot be read."""
        try:
            raw = self._cache.get(key)
            value = None if raw is None else json.loads(raw)
            if value is not None and not isinstance(value, dict):
                raise _CorruptEntry("not a JSON object")
        except Exception:
            self.delete(key)
            value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def set(self, key: str, value: dict[str, Any]) -> None:
        text = json.dumps(value, ensure_ascii=False)  # a value that is not JSON is a bug: raise
        try:
            self._cache.set(key, text)
        except (sqlite3.Error, OSError, diskcache.Timeout) as exc:  # the disk, not the answer
            if not self._write_failed:
                self._write_failed = True
                warnings.warn(f"cannot write to the cache {self.directory} ({exc}); answers "
                              "are returned but not cached", RuntimeWarning, stacklevel=2)

    def delete(self, key: str) -> None:
        with contextlib.suppress(Exception):  # the next set() overwrites it anyway
            self._cache.delete(key)

    def stats(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "entries": len(self._cache),
            "size_bytes": self._cache.volume(),
            "hits": self.hits,
            "misses": self.misses,
        }

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        return self._cache.clear()

    def close(self) -> None:
        self._cache.close()

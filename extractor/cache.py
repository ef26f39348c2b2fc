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
cache only saves asking again. A disk already full when the cache opens is the
same event, not an unusable cache: diskcache writes its settings on every open,
so the answers it holds are then read straight from SQLite, read-only
(`_Unwritable`), and `clear()` removes the files, as the deletes themselves
cannot be written.

A read-only directory cannot be used at all, not even to read a cache filled
elsewhere: diskcache writes its settings into the database on every open, and
SQLite's WAL journal needs its shared-memory file beside it. So it is a
ConfigError at open that says so (with --no-cache or a writable copy as the way
out), never the advice to delete what the user may not own.

Nothing is deleted, and no deleting advised, unless SQLite says the data is
damaged (SQLITE_CORRUPT, SQLITE_NOTADB, or a row from quick_check). A database
that cannot be opened, is locked, or sits on a full or read-only disk may be
healthy: a read that times out on a lock is a miss that keeps the entry.

diskcache keeps its index in SQLite with its own locking, so several processes
may share one directory; writes are atomic per key.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import time
import warnings
from pathlib import Path
from typing import Any

import diskcache

from .errors import ConfigError

DEFAULT_SIZE_LIMIT = 2**30  # 1 GiB: about a million cached answers
# diskcache measures the database (two PRAGMA queries) on every set to decide
# whether to evict, about 2% of the client CPU of a batch run through an SDK.
# Evicting every this many sets instead lets the cache outgrow its limit by at
# most this many answers (about 2 KB each) before it is cut back.
CULL_EVERY = 256


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
    """Delete the cache in `directory` if its database is damaged.

    For `extractor cache clear` on a cache that cannot be opened (a crash of the
    disk, a file overwritten): clearing is what the user asked for, and nothing
    in it can be read anyway. Only real damage counts: a database that cannot be
    opened or is locked (permissions, a read-only mount, another process) may be
    healthy, and is never deleted. Only diskcache's own files go. True when
    something was deleted."""
    if not (directory / "cache.db").is_file():
        return False
    try:
        damage = _damage(directory)
    except sqlite3.OperationalError:  # access or locking: not ours to judge
        return False
    if damage is None:
        return False
    _remove_files(directory)
    return True


def _damage(directory: Path) -> str | None:
    """What SQLite finds wrong with the cache database, or None when it is sound.
    Raises sqlite3.OperationalError when the database cannot be read at all
    (permissions, a lock): that says nothing about the data."""
    try:
        with contextlib.closing(sqlite3.connect(directory / "cache.db", timeout=1)) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if not _damaged(exc):
            raise
        return str(exc)
    # quick_check reports most damage as rows, not as an exception
    return None if rows == [("ok",)] else "; ".join(str(row[0]) for row in rows[:3])


def _damaged(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying the data is damaged, as opposed to saying it
    cannot get at it (locked, busy, cannot open, read-only, disk full): only the
    first is a reason to delete anything."""
    return isinstance(exc, sqlite3.DatabaseError) and \
        _primary_code(exc) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _primary_code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code (an extended code's low byte), 0 if none."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def _disk_full(exc: BaseException, directory: Path | None = None) -> bool:
    """Whether `exc` is the disk running out of space. SQLite says SQLITE_FULL when
    a write fails, but a cache closed cleanly on a disk already full fails to
    open with an I/O error (its shared-memory file cannot grow): that one is
    told by the disk itself."""
    if isinstance(exc, sqlite3.Error):
        code = _primary_code(exc)
        if code == sqlite3.SQLITE_FULL:
            return True
        return code == sqlite3.SQLITE_IOERR and directory is not None and _no_room(directory)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _no_room(directory: Path) -> bool:
    try:
        return shutil.disk_usage(directory).free < 1 << 20  # under 1 MiB
    except OSError:
        return False


def could_write(directory: Path) -> bool:
    """Whether a run could make and fill a cache at `directory`, which holds none:
    its nearest folder that exists can be written and its disk has room. `cache
    stats` reports it as `writable`, without creating anything."""
    place = directory.absolute()
    while not place.exists() and place.parent != place:
        place = place.parent
    return place.is_dir() and os.access(place, os.W_OK | os.X_OK) and not _no_room(place)


def _remove_files(directory: Path) -> None:
    """Delete diskcache's files in `directory`: its database and the value files it
    keeps in two levels of two-hex-digit folders. Nothing else: --cache-dir may
    point at a folder that also holds the user's own files."""
    for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
        (directory / name).unlink(missing_ok=True)
    for value in directory.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*.val"):
        value.unlink(missing_ok=True)
        for folder in (value.parent, value.parent.parent):
            with contextlib.suppress(OSError):  # not empty yet
                folder.rmdir()


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


class _Unwritable:
    """The cache, read straight from SQLite, when diskcache cannot open it because
    the disk is full (diskcache writes its settings on every open). Answers already
    stored are still served, as the reads need no space; writes are dropped, as the
    open has warned. When SQLite cannot read it either, every get is a miss."""

    def __init__(self, directory: Path):
        self._disk = _JsonOnlyDisk(str(directory))
        self._db: sqlite3.Connection | None = None
        database = directory / "cache.db"
        if not database.is_file():
            return
        with contextlib.suppress(sqlite3.Error):
            db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
            try:
                db.execute("SELECT key FROM Cache LIMIT 1").fetchall()
            except sqlite3.Error:
                db.close()
                raise
            self._db = db

    def get(self, key: str) -> str | None:
        if self._db is None:
            return None
        row = self._db.execute(
            "SELECT mode, filename, value FROM Cache WHERE key = ? AND raw = 1"
            " AND (expire_time IS NULL OR expire_time > ?)", (key, time.time())
        ).fetchone()
        return None if row is None else self._disk.fetch(*row, read=False)

    def set(self, key: str, value: str) -> None:
        pass

    def delete(self, key: str) -> None:
        pass

    def cull(self) -> int:
        return 0

    @property
    def readable(self) -> bool:
        """False when SQLite could not read the database either: it then counts 0."""
        return self._db is not None

    def __len__(self) -> int:
        if self._db is None:
            return 0
        return self._db.execute("SELECT COUNT(*) FROM Cache").fetchone()[0]

    def volume(self) -> int:
        if self._db is None:
            return 0
        (pages,), = self._db.execute("PRAGMA page_count").fetchall()
        (size,), = self._db.execute("PRAGMA page_size").fetchall()
        stored = self._db.execute("SELECT value FROM Settings WHERE key = 'size'").fetchone()
        return pages * size + (stored[0] if stored else 0)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class Cache:
    """JSON values on disk, keyed by `cache_key()`."""

    def __init__(self, directory: str | Path | None = None, size_limit: int = DEFAULT_SIZE_LIMIT):
        self.directory = Path(directory) if directory else default_cache_dir()
        if self.directory.exists() and not self.directory.is_dir():  # never "delete it"
            raise ConfigError(f"the cache directory {self.directory} is a file, not a "
                              "directory: use another --cache-dir (or --no-cache)")
        self.hits = 0
        self.misses = 0
        self._write_failed = False
        self._sets = 0
        try:
            self._cache: diskcache.Cache | _Unwritable = diskcache.Cache(
                str(self.directory), disk=_JsonOnlyDisk, size_limit=size_limit, cull_limit=0
            )
        except Exception as exc:  # sqlite3 or OS errors: unusable directory
            if not _disk_full(exc, self.directory):
                raise self._unusable(exc) from exc
            # A full disk is the same event as a failed write: one warning, and the
            # run goes on, reading what the cache already holds.
            self._cache = _Unwritable(self.directory)
            self._warn_once(exc, stacklevel=3)

    def _unusable(self, exc: Exception) -> ConfigError:
        """Why the directory cannot be used, and the way out. Deleting is advised
        only for a damaged database: a cache out of reach may be healthy, and the
        user's own."""
        where = self.directory
        if not where.is_dir():  # diskcache could not create it
            why = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else exc
            return ConfigError(f"cannot create the cache directory {where}: {why}; use "
                               "another --cache-dir, or --no-cache")
        if _read_only(where):
            return ConfigError(
                f"cannot open cache directory {where}: it is read-only, and the "
                "cache writes to its database even to read it; use --no-cache, or copy "
                "it to a writable --cache-dir"
            )
        if _damaged(exc):
            return ConfigError(
                f"cannot open cache directory {where}: its database is damaged ({exc}); it "
                "only holds answers that can be asked for again: `extractor cache clear "
                f"--cache-dir {where}` will delete it, or use another --cache-dir or --no-cache"
            )
        return ConfigError(f"cannot open cache directory {where}: {exc}; use another "
                           "--cache-dir, or --no-cache")

    def _warn_once(self, exc: Exception, stacklevel: int) -> None:
        if self._write_failed:
            return
        self._write_failed = True
        fix = ""
        if _disk_full(exc, self.directory):
            fix = ": free space on its disk for them to be cached again"
        elif _damaged(exc):  # no entry can be overwritten until the database goes
            fix = f": its database is damaged, and `extractor cache clear --cache-dir " \
                  f"{self.directory}` removes it"
        warnings.warn(f"cannot write to the cache {self.directory} ({exc}); answers are "
                      f"returned but not cached{fix}", RuntimeWarning, stacklevel=stacklevel + 1)

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None on a miss or an entry that cannot be read."""
        try:
            raw = self._cache.get(key)
            value = None if raw is None else json.loads(raw)
            if value is not None and not isinstance(value, dict):
                raise _CorruptEntry("not a JSON object")
        except (sqlite3.OperationalError, diskcache.Timeout):
            value = None  # locked or out of reach: a miss now, the entry may be sound
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
            self._sets += 1
            if self._sets % CULL_EVERY == 0:
                self._cache.cull()
        except (sqlite3.Error, OSError, diskcache.Timeout) as exc:  # the disk, not the answer
            self._warn_once(exc, stacklevel=2)

    def delete(self, key: str) -> None:
        with contextlib.suppress(Exception):  # the next set() overwrites it anyway
            self._cache.delete(key)

    def check(self) -> bool:
        """Raise ConfigError if SQLite finds the database damaged; False when it
        could not be read to tell (locked). diskcache keeps its count apart from the
        entries, so a database damaged in the middle still reports every entry; this
        reads them all, which is why `stats()` does not: on this project's machines,
        0.3 s for 200 MB the OS has in memory, 7-9 s from a cold disk."""
        try:
            damage = _damage(self.directory)
        except sqlite3.OperationalError:  # locked or unreadable: says nothing of damage
            return False
        if damage is not None:
            raise ConfigError(
                f"the cache database in {self.directory} is damaged ({damage}): its "
                "answers are misses and cannot be stored again; `extractor cache clear "
                f"--cache-dir {self.directory}` removes it"
            )
        return True

    @property
    def writable(self) -> bool:
        """False when the disk was full at open: what it holds is read, nothing stored."""
        return not isinstance(self._cache, _Unwritable)

    def stats(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "entries": len(self._cache),
            "size_bytes": self._cache.volume(),
            "hits": self.hits,
            "misses": self.misses,
        }

    def clear(self) -> int | None:
        """Remove every entry; returns how many there were, or None when they
        could not be counted. On a full disk the database cannot even record the
        deletes, and a damaged one fails on the first damaged page, so its files
        are removed instead: clearing is what was asked for, and it is how the
        space, or a working cache, comes back."""
        counted = not isinstance(self._cache, _Unwritable) or self._cache.readable
        count = len(self._cache) if counted else None
        if not isinstance(self._cache, _Unwritable):
            try:
                return self._cache.clear()
            except sqlite3.DatabaseError as exc:
                if not (_disk_full(exc, self.directory) or _damaged(exc)):
                    raise
        self._cache.close()
        _remove_files(self.directory)
        self._cache = _Unwritable(self.directory)
        return count

    def close(self) -> None:
        self._cache.close()

"""What a reader yields: one paper (`Record`), or one line it could not read
(`Malformed`), and the field names a reader looks for (`Fields`).

Ids. Every record gets a stable id: the source's own when it has one, else the
first 16 hex digits of the SHA-256 of its title and abstract (NFC, whitespace
collapsed), so the same paper saved in two dumps gets the same id. `Record.key`
is that content hash for every record, whatever its id, so a batch run can also
recognise the same paper under two different source ids.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from .errors import ConfigError
from .settings import of_type


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

    def __post_init__(self) -> None:
        for name in ("id", "title", "abstract"):
            of_type(getattr(self, name), str, f"the {name} field (--{name}-field)",
                    "a field name")
            # `--title-field=` (a variable unset) read no titles, and `--id-field=` no
            # ids, without a word: no input has a field of that name.
            if not getattr(self, name).strip():
                raise ConfigError(f"the {name} field (--{name}-field) is empty: name the field "
                                  f"that holds the {name} (by default {name!r})")

    def asked_but_missing(self, columns: list[str], where: str = "") -> str | None:
        """What is wrong with a table that lacks the id or title column a flag
        named, else None. Without the default `id` or `title` column a table is
        read with content hashes or no titles, but `--title-field Title` over a
        `title` column read every paper without its title, and `--id-field doi`
        without a `doi` column gave every one its content hash, without a word."""
        for flag in ("id", "title"):
            name = getattr(self, flag)
            if name != flag and name not in columns:
                listed = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
                return (f"no {name!r} column{where}, which --{flag}-field names (columns: "
                        f"{listed or 'none'})")
        return None

    def named_twice(self, columns: list[str]) -> str | None:
        """What is wrong with a table whose `columns` name a field read twice
        (`id,title,abstract,abstract`), else None: which column is meant is
        anyone's guess, and taking the last silently extracted one nobody asked for."""
        for flag in ("id", "title", "abstract"):
            name = getattr(self, flag)
            where = [str(i) for i, column in enumerate(columns, 1) if column == name]
            if len(where) > 1:
                return (f"names the {name!r} column {len(where)} times (columns "
                        f"{', '.join(where)}): rename all but one, or name another with "
                        f"--{flag}-field")
        return None


OnMalformed = Callable[[Malformed], None]
Reader = Callable[[IO[bytes], str, Fields, OnMalformed], Iterator[Record]]


def content_key(title: str, abstract: str) -> str:
    """16 hex digits of SHA-256 over the normalised title and abstract."""
    text = f"{normalized(title)}\n{normalized(abstract)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def normalized(text: str) -> str:
    """NFC, whitespace runs folded to one space: what the content hash is taken over."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def make_record(title: str, abstract: str, source: str, source_id: object = None) -> Record:
    key = content_key(title, abstract)
    text = id_text(source_id)
    return Record(text or key, title, abstract, source, key)


def id_text(source_id: object) -> str:
    """The id as text ("" for none). A whole float is written as the integer it
    is: pandas writes an integer id column that has a gap as floats, and paper
    7 became "7.0" in JSON and Parquet where the CSV beside it said "7". Past
    2**53 a float is no longer exact, and is left as printed."""
    if source_id is None:
        return ""
    if isinstance(source_id, float) and source_id.is_integer() and abs(source_id) <= 2**53:
        return str(int(source_id))
    return str(source_id).strip()


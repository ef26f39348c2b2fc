"""Parquet in and out. The only module that imports pyarrow.

Design note. pyarrow is an optional extra (`extractor[parquet]`): batch runs
write Parquet (`views.py` names the columns and their kinds) and read Parquet
tables as input (`dumps.py` names the columns it wants). It is imported on
first use, so the library works without it, and `require` says how to install
it at the point where it is needed: before a run starts, not after hours of
paid calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import ConfigError


def require(what: str, hint: str = "") -> tuple[Any, Any]:
    """(pyarrow, pyarrow.parquet), or a ConfigError that says how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError(f"{what} needs pyarrow: pip install 'extractor[parquet]'{hint}") from exc
    return pa, pq


def _types(pa: Any) -> dict[str, Any]:
    speedup = pa.struct([("factor", pa.float64()), ("factor_max", pa.float64()),
                         ("baseline", pa.string()), ("text", pa.string())])
    return {"str": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(),
            "list[str]": pa.list_(pa.string()), "list[speedup]": pa.list_(speedup)}


def write(rows: Iterable[dict[str, Any]], path: Path, kinds: dict[str, str],
          batch_rows: int, hint: str = "") -> None:
    """Rows to a Parquet file whose columns are `kinds` (name -> "str", "float",
    "int", "bool", "list[str]" or "list[speedup]"), `batch_rows` at a time."""
    pa, pq = require("Parquet output", hint)
    types = _types(pa)
    schema = pa.schema([(name, types[kind]) for name, kind in kinds.items()])
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))


class Unreadable(Exception):
    """A Parquet file pyarrow cannot read (cut short, corrupt, not Parquet at all)."""


@dataclass(frozen=True)
class BadRows:
    """Rows `first` to `last` (from 1) of a row group pyarrow could not decode."""

    first: int
    last: int
    reason: str


def _opened(source: IO[bytes] | Path) -> tuple[Any, Any]:
    """(pyarrow, the opened ParquetFile)."""
    pa, pq = require("Reading Parquet")
    try:
        return pa, pq.ParquetFile(source, pre_buffer=False)
    except (pa.ArrowException, OSError) as exc:
        raise Unreadable(_reason(exc)) from exc


def _reason(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0] or type(exc).__name__


def check(path: Path) -> None:
    """Unreadable when the file's footer (its index, at its end) cannot be read:
    a download cut short fails here, before a run writes anything."""
    _opened(path)


def read(stream: IO[bytes], wanted: Iterable[str], batch_rows: int = 1024
         ) -> tuple[list[str], Iterator[dict[str, Any] | BadRows]]:
    """The table's column names, and its rows as dicts of the `wanted` columns it has,
    a row group at a time: a row group that cannot be decoded is one BadRows, and
    reading goes on with the next. Unreadable when the file itself cannot be.

    No read-ahead and no decoding threads: about one row group's pages are held
    at a time (300,000 rows of 1 KB: 122 MB peak RSS in 30 row groups, 147 MB in
    one, 99 MB of it the imports; 164 MB with pyarrow's defaults)."""
    pa, table = _opened(stream)
    names = list(table.schema_arrow.names)
    columns = [name for name in dict.fromkeys(wanted) if name in names]

    def rows() -> Iterator[dict[str, Any] | BadRows]:
        first = 1
        for group in range(table.metadata.num_row_groups):
            size = table.metadata.row_group(group).num_rows
            done = 0
            try:
                for batch in table.iter_batches(batch_size=batch_rows, row_groups=[group],
                                                columns=columns, use_threads=False):
                    for row in batch.to_pylist():
                        done += 1
                        yield row
            except (pa.ArrowException, OSError) as exc:
                yield BadRows(first + done, first + size - 1, _reason(exc))
            first += size

    return names, rows()

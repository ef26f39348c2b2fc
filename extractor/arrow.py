"""Parquet in and out. The only module that imports pyarrow.

Design note. pyarrow is an optional extra (`extractor[parquet]`): batch runs
write Parquet (`outputs.py` names the columns and their kinds) and read Parquet
tables as input (`dumps.py` names the columns it wants). It is imported on
first use, so the library works without it, and `require` says how to install
it at the point where it is needed: before a run starts, not after hours of
paid calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
          batch_rows: int) -> None:
    """Rows to a Parquet file whose columns are `kinds` (name -> "str", "float",
    "int", "bool", "list[str]" or "list[speedup]"), `batch_rows` at a time."""
    pa, pq = require("Parquet output")
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


def read(stream: IO[bytes], wanted: Iterable[str], batch_rows: int = 1024
         ) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The table's column names, and its rows as dicts of the `wanted` columns it has.

    No read-ahead and no decoding threads: about one row group's pages are held
    at a time (300,000 rows of 1 KB in 30 row groups: 134 MB peak RSS, 99 MB of
    it the imports; 164 MB with pyarrow's defaults)."""
    _, pq = require("Reading Parquet")
    table = pq.ParquetFile(stream, pre_buffer=False)
    names = list(table.schema_arrow.names)
    columns = [name for name in dict.fromkeys(wanted) if name in names]

    def rows() -> Iterator[dict[str, Any]]:
        for batch in table.iter_batches(batch_size=batch_rows, columns=columns,
                                        use_threads=False):
            yield from batch.to_pylist()

    return names, rows()

"""The CSV and Parquet views of a batch run's JSONL log (Parquet through
`arrow.py`).

Design note. The log (`outputs.Log`) is the durable record of a run; a view is
written once, at the end, by streaming the compacted log, through a temporary
file renamed into place. CSV and Parquet share one flat column layout
(`COLUMNS`). List columns (speedups, hardware, datasets) are JSON text in CSV
and native lists in Parquet.
"""

from __future__ import annotations

import csv
import glob
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import arrow
from .errors import ConfigError
from .outputs import Log

COLUMNS = [
    "id", "title", "source", "task", "method", "speedups", "max_speedup", "hardware",
    "datasets", "backend", "model", "prompt_hash", "cache_hit", "attempts", "reasks",
    "prompt_tokens", "completion_tokens", "total_tokens", "latency_s", "error_type",
    "error_message",
]
_LIST_COLUMNS = {"speedups", "hardware", "datasets"}
_BATCH_ROWS = 10_000


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """One log line as the flat columns of COLUMNS (lists stay lists)."""
    summary = row.get("summary") or {}
    meta = row.get("meta") or {}
    usage = meta.get("usage") or {}
    error = row.get("error") or {}
    speedups = summary.get("speedups") or []
    factors = [s.get("factor_max") or s["factor"] for s in speedups if s.get("factor")]
    return {
        "id": row["id"],
        "title": row.get("title"),
        "source": row.get("source"),
        "task": summary.get("task"),
        "method": summary.get("method"),
        "speedups": speedups,
        "max_speedup": max(factors) if factors else None,
        "hardware": summary.get("hardware") or [],
        "datasets": summary.get("datasets") or [],
        "backend": meta.get("backend"),
        "model": meta.get("model"),
        "prompt_hash": meta.get("prompt_hash"),
        "cache_hit": meta.get("cache_hit"),
        "attempts": meta.get("attempts"),
        "reasks": meta.get("reasks"),
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "total_tokens": usage.get("total_tokens"),
        "latency_s": meta.get("latency_s"),
        "error_type": error.get("type"),
        "error_message": error.get("message"),
    }


def write_csv(rows: Iterator[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for row in rows:
            flat = flatten(row)
            writer.writerow([_csv_cell(name, flat[name]) for name in COLUMNS])


def _csv_cell(name: str, value: Any) -> Any:
    if name in _LIST_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def check_writer(fmt: str) -> None:
    """Fail now, not after hours of calls, when the output format cannot be written."""
    if fmt == "parquet":
        arrow.require("Parquet output")  # before the run: there is no log to point to yet


_LOG_HINT = " (the JSONL log beside it holds every result meanwhile)"
# The Parquet type of each column (arrow.py's names); any other column is text.
_KINDS = {"speedups": "list[speedup]", "hardware": "list[str]", "datasets": "list[str]",
          "max_speedup": "float", "cache_hit": "bool", "latency_s": "float", "attempts": "int",
          "reasks": "int", "prompt_tokens": "int", "completion_tokens": "int",
          "total_tokens": "int"}


def write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> None:
    kinds = {name: _KINDS.get(name, "str") for name in COLUMNS}
    arrow.write((flatten(row) for row in rows), path, kinds, _BATCH_ROWS, _LOG_HINT)


WRITERS: dict[str, Callable[[Iterator[dict[str, Any]], Path], None] | None] = {
    "jsonl": None,  # the log is the output
    "csv": write_csv,
    "parquet": write_parquet,
}


def temporary(path: Path) -> Path:
    """Where `path` is written before it is renamed into place: a name of this
    process's own, so that no other process writes the same temporary file."""
    return path.with_name(f"{path.name}.{os.getpid()}.partial")


def convert(log: Log, fmt: str, path: Path) -> None:
    """Write the `fmt` view of the log to `path` (via a temporary file). Call it
    with the log open: the lock keeps other runs out until the view is whole.
    What a killed conversion left (another process's temporary file) goes."""
    writer = WRITERS[fmt]
    if writer is None:
        return
    for stale in path.parent.glob(glob.escape(path.name) + ".*.partial"):
        stale.unlink(missing_ok=True)
    temporary_path = temporary(path)
    try:
        writer(log.rows(), temporary_path)
        os.replace(temporary_path, path)
    except OSError as exc:  # the JSONL log is complete: converting again is all it takes
        temporary_path.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}; every result is in "
                          f"{log.path}: fix that and rerun the same command to convert it") from exc

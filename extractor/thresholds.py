"""The CI gate's minimum scores: `--threshold` flags, thresholds TOML files, and
the scores a report falls under.

Apart from the harness because a thresholds file is configuration read before
any backend is called: `extractor eval` checks the whole file first, so a bad
one fails before a long run, not after it. A minimum no score can fall under
(missing, NaN, negative) is refused here, where it is read: it would pass every run and
turn the gate off without a word.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .fixtures import LABEL_FIELDS, SET_FIELDS


def parse_threshold(text: str) -> tuple[str, float]:
    """`speedups.f1=0.9` -> ("speedups.f1", 0.9). A threshold without a minimum,
    or with one no score can be compared with (nan), is refused: it would pass
    every run."""
    name, sep, value = text.partition("=")
    try:
        name = _metric_name(name.strip())
    except ValueError:
        raise ConfigError(f"threshold must look like speedups.f1=0.9, got {text!r}") from None
    if not sep or not value.strip():
        raise ConfigError(f"threshold {text!r} has no minimum: write {name}=MIN, e.g. "
                          f"{name}=0.9")
    try:
        minimum: object = float(value)
    except ValueError:
        minimum = value.strip()
    return name, _minimum(minimum, f"threshold {text!r}")


def _minimum(value: object, where: str) -> float:
    """A threshold's minimum: a number from 0 to 1, as scores are. NaN compares with
    no score, and every score is over a negative minimum (`-0.96`, a sign typo):
    either passed every run. One over 1 would fail every run, after the last paper."""
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not 0 <= value <= 1):  # NaN is in no range
        raise ConfigError(f"{where}: the minimum must be a number from 0 to 1, as scores "
                          f"are, got {value!r}")
    return float(value)


def _metric_name(name: str) -> str:
    """`field.metric` when the report scores that metric for that field. Baseline
    agreement is scored for speedups alone: `hardware.baseline_agreement` was
    accepted here and crashed the gate (KeyError) after the last paper."""
    field_name, _, metric = name.partition(".")
    valid = {"precision", "recall", "f1"} if field_name in SET_FIELDS else {"token_f1"}
    if field_name == "speedups":
        valid.add("baseline_agreement")
    if field_name not in LABEL_FIELDS or metric not in valid:
        raise ValueError(name)
    return name


def load_thresholds(path: str | Path, backend: str, *, untitled: bool = False) -> dict[str, float]:
    """The `[backend]` table of a thresholds TOML file, flattened to field.metric;
    with `untitled`, the `[untitled.backend]` table (scores with titles withheld).
    The whole file is checked, whichever table is asked for, so `extractor eval`
    finds a bad one before the first call, not after the last."""
    return _read_thresholds(Path(path)).get((untitled, backend), {})


def threshold_tables(path: str | Path) -> set[str]:
    """The names of the tables a thresholds file holds (`rules`, `untitled.rules`),
    after checking all of them: a bad file is a ConfigError before any call."""
    return {("untitled." if untitled else "") + backend
            for untitled, backend in _read_thresholds(Path(path))}


def table_notices(path: str | Path | None, tables: set[str], backends: list[str], *,
                  untitled: bool = False) -> list[str]:
    """What in the thresholds file gates nothing in this eval, said before its first
    call (it was said after each backend's run, and a table for a backend that is
    not installed, a typo such as `[rulez.speedups]`, not at all): each table whose
    backend is not installed, and each backend of the run with no table of its own.
    No file (`path` None) is said once, where it is looked for."""
    from .backends.base import available_backends

    if path is None:
        return []
    installed, notices = available_backends(), []
    for table in sorted(tables):
        name = table.removeprefix("untitled.")
        if name not in installed:
            notices.append(f"{path} has a [{table}.FIELD] table, but no backend {name} is "
                           f"installed, so it gates nothing (installed: {', '.join(installed)})")
    for backend in dict.fromkeys(backends):
        table = ("untitled." if untitled else "") + backend
        if table not in tables:  # a typo in a table's name gates nothing: say so
            notices.append(f"{path} has no [{table}.FIELD] table, so only --threshold gates "
                           f"{backend} (its tables: {', '.join(sorted(tables))})")
    return notices


def _read_thresholds(path: Path) -> dict[tuple[bool, str], dict[str, float]]:
    """Every table of a thresholds file, keyed by (untitled, backend); a value of
    the wrong shape is a ConfigError naming the file and the key."""
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read thresholds {path}: {exc}") from exc
    untitled = tables.pop("untitled", {})
    if not isinstance(untitled, dict):
        raise ConfigError(f"{path}: untitled must hold [untitled.BACKEND.FIELD] tables, "
                          f"got untitled = {untitled!r}")
    found = {}
    for is_untitled, group, prefix in ((False, tables, ""), (True, untitled, "untitled.")):
        for backend, fields in group.items():
            where = f"{prefix}{backend}"
            if not isinstance(fields, dict):
                raise ConfigError(f"{path}: {where} must hold [{where}.FIELD] tables, got "
                                  f"{where} = {fields!r}")
            found[(is_untitled, backend)] = _backend_thresholds(path, where, fields)
    return found


def _backend_thresholds(path: Path, where: str, fields: dict[str, Any]) -> dict[str, float]:
    flat = {}
    for field_name, metrics in fields.items():
        if not isinstance(metrics, dict):
            raise ConfigError(f"{path}: {where}.{field_name} must be a table of METRIC = MIN "
                              f"(e.g. [{where}.speedups] f1 = 0.9), got {metrics!r}")
        for metric, value in metrics.items():
            try:
                name = _metric_name(f"{field_name}.{metric}")
            except ValueError:
                raise ConfigError(f"{path}: unknown metric {where}.{field_name}.{metric}") \
                    from None
            flat[name] = _minimum(value, f"{path}: {where}.{field_name}.{metric}")
    return flat


def failed_thresholds(report: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Each threshold the report falls under, as a sentence."""
    failures = []
    for name, minimum in sorted(thresholds.items()):
        field_name, _, metric = name.partition(".")
        value = report["fields"][field_name][metric]
        if value < minimum:
            failures.append(f"{name} = {value:.3f} is under the threshold {minimum:.3f}")
    return failures

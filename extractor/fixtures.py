"""The gold fixtures: a JSONL file read and checked against LABELLING.md.

Fixtures follow LABELLING.md's format exactly, and a file that breaks it is
refused with the line that broke it: a score computed against malformed gold
would be a number nobody can trust.

Apart from the harness because the gold is read without it:
benchmarks/method_ceiling.py and the robustness tests want the papers and their
labels, not the harness's scores. The names of the label fields live here,
beside the check of the format they name; the harness and the thresholds read
them from here.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ExtractorError
from .grounding import find_quote
from .scoring import name_key, tokens

LABEL_FIELDS = ("task", "method", "speedups", "hardware", "datasets")
SET_FIELDS = ("speedups", "hardware", "datasets")
TEXT_FIELDS = ("task", "method")
_CLAIM_KEYS = {"factor", "factor_max", "baseline", "text"}


class FixtureError(ExtractorError):
    """A gold file that breaks LABELLING.md's format; the message names the line."""


@dataclass(frozen=True)
class Fixture:
    id: str
    title: str
    abstract: str
    labels: dict[str, Any]


def _check_labels(labels: Any, abstract: str) -> str | None:
    """What is wrong with one `labels` object, or None when it is well formed."""
    if not isinstance(labels, dict):
        return "labels must be an object"
    for name in LABEL_FIELDS:
        if name not in labels:
            return f"labels.{name} is missing (empty lists are [], never left out)"
    for name in TEXT_FIELDS:
        if not isinstance(labels[name], str):
            return f"labels.{name} must be a string"
        if not tokens(labels[name]):  # token F1 against no word is 0 for every answer
            return f"labels.{name} {labels[name]!r} holds no word"
    for name in ("hardware", "datasets"):
        if not isinstance(labels[name], list) or not all(isinstance(x, str) for x in labels[name]):
            return f"labels.{name} must be a list of strings"
        if problem := _check_names(name, labels[name]):
            return problem
    if not isinstance(labels["speedups"], list):
        return "labels.speedups must be a list"
    for i, claim in enumerate(labels["speedups"]):
        where = f"labels.speedups[{i}]"
        if not isinstance(claim, dict) or set(claim) != _CLAIM_KEYS:
            return f"{where} must have exactly factor, factor_max, baseline, text"
        for key in ("factor", "factor_max"):
            value = claim[key]
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not number:
                return f"{where}.{key} must be a number or null, not {value!r}"
        if problem := _check_factors(where, claim["factor"], claim["factor_max"]):
            return problem
        if claim["baseline"] is not None and not isinstance(claim["baseline"], str):
            return f"{where}.baseline must be a string or null"
        if not isinstance(claim["text"], str) or find_quote(abstract, claim["text"]) is None:
            return f"{where}.text {claim['text']!r} is not found in the abstract"
    return None


def _check_names(field: str, names: list[str]) -> str | None:
    """A name with no letter names nothing (`""`, `"-"`), and two names the scorer
    folds to one key (`GPU`, `GPUs`) are scored as one: the gold would count one
    name fewer than it lists, and no answer could reach its recall."""
    seen: dict[str, str] = {}
    for i, name in enumerate(names):
        if not any(c.isalpha() for c in name):
            return f"labels.{field}[{i}] {name!r} holds no letter, so names nothing"
        key = name_key(name)
        if key in seen:
            return (f"labels.{field}[{i}] {name!r} is the same name as {seen[key]!r} once "
                    "case, punctuation, plural and vendor are folded: list it once")
        seen[key] = name
    return None


def _check_factors(where: str, factor: Any, factor_max: Any) -> str | None:
    """A speed-up is a factor over 1, and a range runs from factor up to a higher
    factor_max: gold that breaks this is gold no answer can match, since the
    schema (schema.Speedup) refuses such a claim or folds `4 to 4` into 4. A
    factor from 0 to 1 the schema takes, but it is a slow-down or the same speed,
    which LABELLING.md says is no speed-up (only claims that something is faster)."""
    for key, value in (("factor", factor), ("factor_max", factor_max)):
        if value is not None and value <= 1:
            return (f"{where}.{key} {value!r} is no speed-up: a factor is over 1 (a "
                    "slow-down or the same speed is not a speed-up claim)")
    if factor_max is not None and (factor is None or factor_max <= factor):
        return (f"{where}.factor_max {factor_max!r} with factor {factor!r}: a range runs "
                "from factor (the low end) to a higher factor_max; one number is factor "
                "alone, factor_max null")
    return None


STDIN = "-"  # the fixtures path that means standard input, as for `extractor batch -`


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    """Python's json reads NaN and Infinity, which JSON does not have: a NaN in the
    gold labels scored nothing and was written back as NaN, no JSON, in the report."""
    raise _NotJson(name)


def _finite(text: str) -> float:
    """A JSON number as a float, refused past the largest float: `1e400` reads as
    inf, and went back out as Infinity, no JSON, in the report."""
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(_shown_number(text))
    return value


def _whole(text: str) -> int:
    """A JSON integer, refused past the largest float as `_finite` refuses 1e400:
    scoring compares factors as floats, and a 401-digit one crashed the eval after
    its last paper. Python refuses over 4,300 digits itself (ValueError)."""
    try:
        value = int(text)
        float(value)
    except (ValueError, OverflowError):
        raise _NotJson(_shown_number(text)) from None
    return value


def _shown_number(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:12]}...({len(text):,} digits)"


def load_fixtures(path: str | Path) -> list[Fixture]:
    """Read and check a gold JSONL file (`-`: standard input); raise FixtureError
    naming the bad line."""
    shown = "<stdin>" if str(path) == STDIN else str(path)
    try:
        data = sys.stdin.buffer.read() if str(path) == STDIN else Path(path).read_bytes()
        # Only a newline ends a line: splitlines() also splits at U+2028 and NEL,
        # which a JSON writer leaves raw in an abstract (ensure_ascii=False).
        lines = data.decode("utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"cannot read fixtures {shown}: {exc}") from exc
    fixtures, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{shown}:{number}"
        try:
            row = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite,
                             parse_int=_whole)
        except json.JSONDecodeError as exc:
            raise FixtureError(f"{where}: not valid JSON ({exc.msg})") from exc
        except _NotJson as exc:
            raise FixtureError(f"{where}: {exc} is no number a label can hold (NaN, "
                               "Infinity or past the largest float; a label is a finite "
                               "number or null)") from None
        except RecursionError:
            raise FixtureError(f"{where}: JSON nested too deeply to be a fixture") from None
        if not isinstance(row, dict):
            raise FixtureError(f"{where}: each line must be a JSON object")
        try:  # an escape such as \ud83d is valid JSON but no character: no gold text
            json.dumps(row, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise FixtureError(f"{where}: holds a lone surrogate (an escape such as \\ud83d "
                               "that stands for no character), which is not text") from None
        for key in ("id", "title", "abstract", "labels"):
            if key not in row:
                raise FixtureError(f"{where}: missing {key!r}")
        if not isinstance(row["id"], str) or row["id"] in seen:
            raise FixtureError(f"{where}: id {row['id']!r} is not a unique string")
        if not isinstance(row["abstract"], str) or not row["abstract"].strip():
            raise FixtureError(f"{where}: abstract must be non-empty text")
        if row["title"] is not None and not isinstance(row["title"], str):
            raise FixtureError(f"{where}: title must be text or null, not {row['title']!r}")
        if problem := _check_labels(row["labels"], row["abstract"]):
            raise FixtureError(f"{where}: {problem}")
        seen.add(row["id"])
        fixtures.append(Fixture(row["id"], row["title"] or "", row["abstract"], row["labels"]))
    if not fixtures:
        raise FixtureError(f"{shown} holds no fixtures")
    return fixtures

"""The eval harness: gold fixtures -> a backend -> per-field scores -> report data.

Fixtures follow LABELLING.md's format exactly, and a file that breaks it is
refused with the line that broke it: a score computed against malformed gold
would be a number nobody can trust.

A paper whose extraction fails (after retries and re-asks) is scored as an
empty answer and its error kept in the report, so a flaky backend cannot
raise its score by skipping hard papers.

The report is plain data (`report_data`) in the shape other tools read; the
table and the HTML page are views of it.
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BackendError, ConfigError, ExtractorError, InputError
from .extract import Extractor
from .grounding import find_quote
from .scoring import Counts, score_names, score_speedups, token_f1

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
    for name in ("hardware", "datasets"):
        if not isinstance(labels[name], list) or not all(isinstance(x, str) for x in labels[name]):
            return f"labels.{name} must be a list of strings"
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
        if claim["baseline"] is not None and not isinstance(claim["baseline"], str):
            return f"{where}.baseline must be a string or null"
        if not isinstance(claim["text"], str) or find_quote(abstract, claim["text"]) is None:
            return f"{where}.text {claim['text']!r} is not found in the abstract"
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
        raise _NotJson(text)
    return value


def load_fixtures(path: str | Path) -> list[Fixture]:
    """Read and check a gold JSONL file (`-`: standard input); raise FixtureError
    naming the bad line."""
    shown = "<stdin>" if str(path) == STDIN else str(path)
    try:
        data = sys.stdin.buffer.read() if str(path) == STDIN else Path(path).read_bytes()
        lines = data.decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"cannot read fixtures {shown}: {exc}") from exc
    fixtures, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{shown}:{number}"
        try:
            row = json.loads(line, parse_constant=_refuse_constant, parse_float=_finite)
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


@dataclass
class ItemResult:
    fixture: Fixture
    predicted: dict[str, Any] | None
    error: str | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    dropped_datasets: list[str] = field(default_factory=list)  # made up: not in the text


def score_item(fixture: Fixture, predicted: dict[str, Any] | None) -> dict[str, Any]:
    """Per-paper scores with what was missed and what was extra."""
    pred = predicted or {"task": "", "method": "", "speedups": [], "hardware": [], "datasets": []}
    gold = fixture.labels
    speed = score_speedups(pred["speedups"], gold["speedups"], fixture.abstract)
    scores: dict[str, Any] = {
        "speedups": {**speed.counts.__dict__, "baseline_agree": speed.baseline_agree,
                     "matched": speed.matched, "missed": speed.missed, "extra": speed.extra},
    }
    for name in ("hardware", "datasets"):
        result = score_names(pred[name], gold[name])
        scores[name] = {**result.counts.__dict__, "missed": result.missed, "extra": result.extra}
    for name in TEXT_FIELDS:
        scores[name] = {"token_f1": round(token_f1(pred[name], gold[name]), 4)}
    return scores


FAIL_FAST = 10  # fixtures that all failed, first thing: the backend is broken


def evaluate(
    fixtures: Iterable[Fixture],
    extractor: Extractor,
    progress: Callable[[int], None] | None = None,
) -> list[ItemResult]:
    """Run the extractor over every fixture and score each answer.

    When the first FAIL_FAST fixtures all fail on the backend (a wrong key, URL or
    model; stale recordings), the rest would only fail too, each after its
    retries: a BackendError says so instead of a score over nothing.

    A fixture the extractor refuses as input (longer than `--max-chars`) is never
    sent, so it is no backend failure: it is scored as an empty answer like any
    failure (a setting cannot raise a score by skipping papers) and its error
    kept, and when every fixture so far was refused (the first FAIL_FAST, or all
    of a smaller file) the eval stops with an InputError (exit 2, a usage error),
    not a BackendError."""
    results = []
    refused = 0  # fixtures refused as input, in a row from the first
    for done, fixture in enumerate(fixtures, 1):
        try:
            extraction = extractor.extract(fixture.abstract, fixture.title)
            predicted, error = extraction.summary.model_dump(mode="json"), None
            dropped = extraction.meta.dropped_datasets
        except (BackendError, InputError) as exc:
            predicted, error, dropped = None, f"{type(exc).__name__}: {exc}", []
            if isinstance(exc, InputError) and refused == done - 1:
                refused += 1  # every fixture so far was refused
            if refused == FAIL_FAST:
                raise InputError(f"stopped: the first {FAIL_FAST} fixtures were all refused "
                                 f"as input, before any call; the last: {error}") from exc
            if done == FAIL_FAST and all(r.error for r in results):
                raise BackendError(f"stopped: the first {FAIL_FAST} fixtures all failed; the "
                                   f"last: {error}") from exc
        item = ItemResult(fixture, predicted, error, dropped_datasets=dropped)
        item.scores = score_item(fixture, predicted)
        results.append(item)
        if progress:
            progress(done)
    if results and refused == len(results):
        raise InputError(f"every fixture was refused as input, before any call; the last: "
                         f"{results[-1].error}")
    return results


def summarise(items: list[ItemResult]) -> dict[str, dict[str, float]]:
    """Micro-averaged set scores and mean token F1 over all items."""
    fields: dict[str, dict[str, float]] = {}
    for name in SET_FIELDS:
        total = Counts()
        for item in items:
            s = item.scores[name]
            total = total + Counts(s["tp"], s["fp"], s["fn"])
        fields[name] = total.prf()
    matched = sum(i.scores["speedups"]["matched"] for i in items)
    agree = sum(i.scores["speedups"]["baseline_agree"] for i in items)
    fields["speedups"]["baseline_agreement"] = round(agree / matched, 4) if matched else 1.0
    for name in TEXT_FIELDS:
        mean = sum(i.scores[name]["token_f1"] for i in items) / max(len(items), 1)
        fields[name] = {"token_f1": round(mean, 4)}
    return fields


def report_data(items: list[ItemResult], extractor: Extractor, *,
                titles: bool = True) -> dict[str, Any]:
    """The JSON report: the shape `extractor eval --json` writes. `titles` is
    False when the fixtures' titles were withheld (`eval --no-titles`)."""
    return {
        "backend": extractor.backend.name,
        "model": extractor.backend.model,
        "prompt_hash": extractor.prompt.hash,
        "titles": titles,
        "n": len(items),
        "errors": sum(1 for i in items if i.error),
        "fields": summarise(items),
        # How often the backend names a dataset the paper never writes (see extract.py).
        "dropped_datasets": sum(len(i.dropped_datasets) for i in items),
        "items": [
            {"id": i.fixture.id, "gold": i.fixture.labels, "predicted": i.predicted,
             "scores": {**i.scores, **({"error": i.error} if i.error else {})},
             "dropped_datasets": i.dropped_datasets,
             "title": i.fixture.title, "abstract": i.fixture.abstract}
            for i in items
        ],
    }


def format_table(report: dict[str, Any]) -> str:
    """The per-field score table printed by `extractor eval`."""
    lines = [
        f"backend {report['backend']}  model {report['model']}  prompt {report['prompt_hash']}"
        f"  n={report['n']}  errors={report['errors']}"
        + ("" if report.get("titles", True) else "  titles withheld"),
        f"{'field':<10} {'precision':>9} {'recall':>7} {'F1':>7}   n",
    ]
    # A precision over no prediction, or an agreement over no matched claim, is
    # 1.0 in the JSON (no false positive, nothing to gate down) but no measure:
    # the table prints a dash, so a backend that predicts nothing cannot read as precise.
    def total(field: str, key: str) -> int:
        return sum(i["scores"][field].get(key, 0) for i in report["items"])

    for name in SET_FIELDS:
        f = report["fields"][name]
        n = sum(len(i["gold"][name]) for i in report["items"])
        precision = (f"{f['precision']:>9.3f}" if total(name, "tp") + total(name, "fp")
                     else f"{'—':>9}")
        lines.append(f"{name:<10} {precision} {f['recall']:>7.3f} {f['f1']:>7.3f}   {n}")
    for name in TEXT_FIELDS:
        lines.append(f"{name:<10} {'':>9} {'':>7} {report['fields'][name]['token_f1']:>7.3f}"
                     f"   {report['n']}  (token F1)")
    agreement = report["fields"]["speedups"]["baseline_agreement"]
    lines.append("speedup baseline agreement over matched claims: "
                 + (f"{agreement:.3f}" if total("speedups", "matched") else "— (none matched)"))
    if dropped := report.get("dropped_datasets"):
        returned = dropped + sum(len(i["predicted"]["datasets"]) for i in report["items"]
                                 if i["predicted"])
        lines.append(f"dataset names dropped as not in the title or abstract: {dropped} of "
                     f"{returned} returned")
    return "\n".join(lines)


def load_report(path: str | Path) -> dict[str, Any]:
    """A report that `extractor eval --json` wrote, to compare a new run with."""
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExtractorError(f"cannot read the report {path}: {exc}") from exc
    if not (isinstance(report, dict) and isinstance(report.get("fields"), dict)
            and all(isinstance(v, dict) for v in report["fields"].values())
            and isinstance(report.get("items"), list)
            and all(isinstance(i, dict) and isinstance(i.get("id"), str)
                    and isinstance(i.get("scores"), dict) for i in report["items"])):
        raise ExtractorError(f"{path} is not a report written by `extractor eval --json`")
    return report


def _paper_score(item: dict[str, Any], name: str) -> float | None:
    """One paper's F1 for one field; None when the report lacks it (edited by hand)."""
    try:
        scores = item["scores"][name]
        if name in TEXT_FIELDS:
            return float(scores["token_f1"])
        return Counts(int(scores["tp"]), int(scores["fp"]), int(scores["fn"])).prf()["f1"]
    except (KeyError, TypeError, ValueError):
        return None


def format_comparison(report: dict[str, Any], before: dict[str, Any], label: str) -> str:
    """Every metric before and after, and for each field how many papers scored
    better and how many worse (`eval --compare`). A change to the extractor is
    reported whole: the fields that got worse are printed beside the others."""
    old = {item["id"]: item for item in before["items"]}
    pairs = [(old[item["id"]], item) for item in report["items"] if item["id"] in old]
    lines = [f"against {label}: backend {before.get('backend')}  prompt "
             f"{before.get('prompt_hash')}  n={before.get('n')}  ({len(pairs)} papers in both)"]
    if report.get("titles", True) != before.get("titles", True):
        lines.append("note: titles were withheld in one run and not in the other")
    if len(pairs) != len(report["items"]) or len(pairs) != len(old):
        lines.append("note: the runs scored different papers; each field's score is over "
                     "its own run's papers, the papers better/worse over those in both")
    lines.append(f"{'field':<10} {'metric':<19} {'before':>7} {'after':>7} {'change':>7}"
                 "   papers better/worse")
    for name in (*SET_FIELDS, *TEXT_FIELDS):  # the order of the score table
        metrics = report["fields"][name]
        for metric, value in metrics.items():
            was = before["fields"].get(name, {}).get(metric)
            head = f"{name:<10} {metric:<19}"
            if not isinstance(was, int | float):
                lines.append(f"{head} {'—':>7} {value:>7.3f}")
                continue
            line = f"{head} {was:>7.3f} {value:>7.3f} {value - was:>+7.3f}"
            if metric in ("f1", "token_f1"):
                scored = [(_paper_score(old_item, name), _paper_score(new, name))
                          for old_item, new in pairs]
                changes = [b - a for a, b in scored if a is not None and b is not None]
                line += f"   {sum(c > 1e-9 for c in changes)}/{sum(c < -1e-9 for c in changes)}"
            lines.append(line)
    was, now = before.get("dropped_datasets"), report.get("dropped_datasets")
    if isinstance(was, int) and isinstance(now, int) and (was or now):
        lines.append(f"dataset names made up (dropped): {was} before, {now} after")
    return "\n".join(lines)


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
    """A threshold's minimum: a finite number (a score is from 0 to 1). NaN
    compares with no score, so a NaN minimum passed every run."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: the minimum must be a number (scores are from 0 to 1), "
                          f"got {value!r}")
    return float(value)


def _metric_name(name: str) -> str:
    field_name, _, metric = name.partition(".")
    valid = {"precision", "recall", "f1", "baseline_agreement"} if field_name in SET_FIELDS \
        else {"token_f1"}
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


def record(fixtures: list[Fixture], extractor: Extractor, out: Path,
           progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run every fixture through `extractor` (whose backend records its traffic)."""
    items = evaluate(fixtures, extractor, progress)
    failed = [{"id": i.fixture.id, "error": i.error} for i in items if i.error]
    return {"recorded": len(items) - len(failed), "failed": failed, "out": str(out)}

"""The eval harness: gold fixtures -> a backend -> per-field scores -> report data.

Reading and checking the gold is fixtures.py's, and the CI gate's minimum
scores are thresholds.py's; this module runs a backend over the fixtures and
scores it.

A paper whose extraction fails (after retries and re-asks) is scored as an
empty answer and its error kept in the report, so a flaky backend cannot
raise its score by skipping hard papers.

The report is plain data (`report_data`) in the shape other tools read; the
table and the HTML page are views of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BackendError, ExtractorError, InputError
from .extract import Extractor
from .fixtures import SET_FIELDS, TEXT_FIELDS, Fixture
from .scoring import Counts, score_names, score_speedups, token_f1


@dataclass
class ItemResult:
    fixture: Fixture
    predicted: dict[str, Any] | None
    error: str | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    dropped_datasets: list[str] = field(default_factory=list)  # made up: not in the text
    backend_failed: bool = False  # no answer from the backend (refused input is not this)


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

    A fixture the backend gave no answer for is scored as an empty answer and
    marked `backend_failed`: `extractor eval` then exits 1 whatever the scores,
    since a score over missing answers (stale replay recordings above all) is
    not the score of the backend.

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
            dropped, failed = extraction.meta.dropped_datasets, False
        except (BackendError, InputError) as exc:
            predicted, error, dropped = None, f"{type(exc).__name__}: {exc}", []
            failed = isinstance(exc, BackendError)
            if isinstance(exc, InputError) and refused == done - 1:
                refused += 1  # every fixture so far was refused
            if refused == FAIL_FAST:
                raise InputError(f"stopped: the first {FAIL_FAST} fixtures were all refused "
                                 f"as input, before any call; the last: {error}") from exc
            if done == FAIL_FAST and all(r.error for r in results):
                raise BackendError(f"stopped: the first {FAIL_FAST} fixtures all failed; the "
                                   f"last: {error}") from exc
        item = ItemResult(fixture, predicted, error, dropped_datasets=dropped,
                          backend_failed=failed)
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


def _by_id(items: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Report items keyed by id and how many of that id came before: ids are unique
    within a gold file, not across the files of one eval, and keyed by id alone the
    second file's paper was paired with the first's, and papers that had not
    changed were counted better or worse."""
    seen: dict[str, int] = {}
    keyed = {}
    for item in items:
        seen[item["id"]] = seen.get(item["id"], -1) + 1
        keyed[(item["id"], seen[item["id"]])] = item
    return keyed


def format_comparison(report: dict[str, Any], before: dict[str, Any], label: str) -> str:
    """Every metric before and after, and for each field how many papers scored
    better and how many worse (`eval --compare`). A change to the extractor is
    reported whole: the fields that got worse are printed beside the others."""
    old = _by_id(before["items"])
    pairs = [(old[key], item) for key, item in _by_id(report["items"]).items() if key in old]
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


def record(fixtures: list[Fixture], extractor: Extractor, out: Path,
           progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run every fixture through `extractor` (whose backend records its traffic)."""
    items = evaluate(fixtures, extractor, progress)
    failed = [{"id": i.fixture.id, "error": i.error} for i in items if i.error]
    return {"recorded": len(items) - len(failed), "failed": failed, "out": str(out)}

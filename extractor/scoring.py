"""Per-field scorers: pure functions from (predicted, gold) to numbers.

The rules, so that a score means the same thing everywhere:

Names (hardware, datasets) are compared after `name_key()`:
  1. case is folded and every run of punctuation, hyphens or spaces becomes one
     separator, so `CIFAR10`, `cifar-10` and `CIFAR 10` agree;
  2. each word is made singular by dropping a trailing "s" (not "ss", and only
     on words of four letters or more), so `GPUs` = `GPU`, `edge devices` =
     `edge device`;
  3. vendor words that LABELLING.md says to add only when written (`nvidia`,
     `google`, `intel`, `amd`, `apple`, `qualcomm`) and the class word `gpu`
     after a device model (words holding a digit) are dropped, so `NVIDIA A100` =
     `A100` = `A100 GPU` and `RTX 3090 GPU` = `RTX 3090`; a leading count before
     a plural class word is dropped too, so `8 GPUs` = `multiple GPUs` = `GPU`
     and `8 A100 GPUs` = `A100` (LABELLING.md writes `multiple GPUs` as `GPU`),
     while `3090 GPU` (singular: a model number, not a count) keeps its number;
  4. the separators are removed, and `ALIASES` maps a few long forms to the
     short one (`graphics processing unit` = `GPU`).
  Then precision, recall and F1 over the two sets.

Speedups are matched one to one, by the assignment with the most matched pairs
and then the most agreeing baselines: a predicted claim matches a gold one when
their factors agree within 2% relative and their factor_max values likewise
(null agrees only with null); two null factors agree only when the quotes
overlap in the abstract. Baseline agreement is counted over matched pairs:
both null (or empty, or punctuation alone), or the same key after the same
folding, or the words of one a run of whole words of the other (`SciPy` in
`the SciPy solver`, never `ten` in `TensorFlow`).

Task and method are scored by token F1 (as SQuAD does): lower-cased words
and numbers, with the articles a/an/the dropped, compared as multisets.

Totals are micro-averaged: true and false positives summed over papers before
dividing. Token F1 is averaged over papers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .grounding import find_quote

RELATIVE_TOLERANCE = 0.02
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_VENDORS = {"nvidia", "google", "intel", "amd", "apple", "qualcomm"}
_CLASS_AFTER_MODEL = {"gpu"}
_COUNTED_CLASSES = {"gpu", "cpu", "tpu", "npu", "fpga", "accelerator", "device", "phone"}
# Words that count devices as a number does (`multiple GPUs` is `GPU` in LABELLING.md).
# Not `many`: `many-core CPUs` is a kind of CPU.
_COUNT_WORDS = {"multiple", "several", "two", "three", "four", "five", "six", "seven",
                "eight", "nine", "ten", "twelve", "sixteen", "dozen", "hundred", "thousand"}
ALIASES = {
    "graphicprocessingunit": "gpu",
    "centralprocessingunit": "cpu",
    "tensorprocessingunit": "tpu",
    "fieldprogrammablegatearray": "fpga",
    "smartphone": "mobilephone",
    "mobiledevice": "mobilephone",
}


def _singular(word: str) -> str:
    if len(word) >= 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def name_key(name: str) -> str:
    """The comparison key of a hardware or dataset name (see the module notes)."""
    raw = _WORD.findall(name.casefold())
    words = [_singular(w) for w in raw]
    # A count of devices is no model number: kept, `8 GPUs` had the key "8" and
    # matched any "8 ..." name. Only before a plural class word, so that `3090 GPU`
    # and `20 Newsgroups` keep their numbers.
    if (len(words) > 1 and (words[0].isdigit() or words[0] in _COUNT_WORDS)
            and words[-1] in _COUNTED_CLASSES and raw[-1] != words[-1]):
        words = words[1:]
    words = [w for w in words if w not in _VENDORS] or words
    # A device model is a word with a digit in it, wherever it stands: the model of
    # `RTX 3090 GPU` is two words, and `GPU` was kept after it (not after `A100`).
    if (len(words) > 1 and words[-1] in _CLASS_AFTER_MODEL
            and any(c.isdigit() for w in words[:-1] for c in w)):
        words = words[:-1]
    key = "".join(words)
    return ALIASES.get(key, key)


@dataclass
class Counts:
    """True positives, false positives, false negatives: what micro-averaging sums."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def prf(self) -> dict[str, float]:
        # With nothing predicted and nothing to find, the answer is perfect.
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


@dataclass
class SetScore:
    counts: Counts
    missed: list[str]
    extra: list[str]


def score_names(predicted: Iterable[str], gold: Iterable[str]) -> SetScore:
    """Set precision/recall over normalised names, with what was missed and extra."""
    pred = {name_key(p): p for p in predicted}
    want = {name_key(g): g for g in gold}
    missed = [want[k] for k in want if k not in pred]
    extra = [pred[k] for k in pred if k not in want]
    return SetScore(Counts(len(want) - len(missed), len(extra), len(missed)), missed, extra)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))


def _overlap(abstract: str, a: str, b: str) -> bool:
    span_a, span_b = find_quote(abstract, a), find_quote(abstract, b)
    if span_a is None or span_b is None:
        return False
    return span_a[0] < span_b[1] and span_b[0] < span_a[1]


def _words(text: str | None) -> list[str]:
    words = [_singular(w) for w in _WORD.findall((text or "").casefold())]
    return [w for w in words if w not in _VENDORS] or words


def _same_baseline(a: str | None, b: str | None) -> bool:
    """Whether two baselines name the same thing: the same key, or one's words a run
    of the other's. Words, not characters: compared as substrings of keys, a
    baseline of punctuation alone (key "") agreed with every baseline, and `ten`
    with `TensorFlow`."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:  # null, empty or punctuation alone: agrees with no baseline only
        return not wa and not wb
    if name_key(a or "") == name_key(b or ""):
        return True
    short, long = sorted((wa, wb), key=len)
    return any(long[i:i + len(short)] == short for i in range(len(long) - len(short) + 1))


@dataclass
class SpeedupScore:
    counts: Counts
    baseline_agree: int
    matched: int
    missed: list[dict[str, Any]]
    extra: list[dict[str, Any]]


def claims_match(pred: dict[str, Any], gold: dict[str, Any], abstract: str) -> bool:
    """Whether two speedup claims are the same claim (see the module notes)."""
    if not _close(pred.get("factor_max"), gold.get("factor_max")):
        return False
    if pred.get("factor") is None and gold.get("factor") is None:
        return _overlap(abstract, pred.get("text", ""), gold.get("text", ""))
    return _close(pred.get("factor"), gold.get("factor"))


def score_speedups(
    predicted: list[dict[str, Any]], gold: list[dict[str, Any]], abstract: str
) -> SpeedupScore:
    """One-to-one matching of claims by optimal assignment: as many matched pairs
    as can be, then as many agreeing baselines. Greedy matching (each gold claim
    to its first free match) could spend a prediction on a gold claim another
    prediction also matched, and score a right answer as a miss and an extra."""
    bonus = min(len(predicted), len(gold)) + 1  # one more match outweighs all agreements
    weights = [[(bonus + _same_baseline(p.get("baseline"), g.get("baseline")))
                if claims_match(p, g, abstract) else 0 for g in gold] for p in predicted]
    pairs = [(i, j) for i, j in best_assignment(weights) if weights[i][j]]
    used_pred, used_gold = {i for i, _ in pairs}, {j for _, j in pairs}
    agree = sum(weights[i][j] - bonus for i, j in pairs)
    missed = [g for j, g in enumerate(gold) if j not in used_gold]
    extra = [p for i, p in enumerate(predicted) if i not in used_pred]
    return SpeedupScore(Counts(len(pairs), len(extra), len(missed)), agree, len(pairs),
                        missed, extra)


def best_assignment(weights: list[list[int]]) -> list[tuple[int, int]]:
    """The (row, column) pairs, each row and column at most once, of greatest total
    weight: the Hungarian algorithm, O(n^2 m), exact on integers. Kept here, not
    taken from scipy, which the library does not depend on."""
    if not weights or not weights[0]:
        return []
    if len(weights) > len(weights[0]):
        return [(i, j) for j, i in best_assignment([list(c) for c in zip(*weights, strict=True)])]
    n, m = len(weights), len(weights[0])
    u, v, row_of, way = [0] * (n + 1), [0] * (m + 1), [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):  # rows and columns from 1: column 0 is the free row's
        row_of[0], col = i, 0
        slack, used = [float("inf")] * (m + 1), [False] * (m + 1)
        while row_of[col]:
            used[col], row, delta, nxt = True, row_of[col], float("inf"), 0
            for j in range(1, m + 1):
                if not used[j]:
                    cost = -weights[row - 1][j - 1] - u[row] - v[j]
                    if cost < slack[j]:
                        slack[j], way[j] = cost, col
                    if slack[j] < delta:
                        delta, nxt = slack[j], j
            for j in range(m + 1):
                if used[j]:
                    u[row_of[j]] += delta
                    v[j] -= delta
                else:
                    slack[j] -= delta
            col = nxt
        while col:  # flip the augmenting path back to column 0
            row_of[col] = row_of[way[col]]
            col = way[col]
    return sorted((row_of[j] - 1, j - 1) for j in range(1, m + 1) if row_of[j])


def tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if w not in {"a", "an", "the"}]


def token_f1(predicted: str, gold: str) -> float:
    """Multiset token F1 between two phrases; 1.0 when both are empty."""
    pred, want = tokens(predicted), tokens(gold)
    if not pred or not want:
        return float(pred == want)
    common = sum((Counter(pred) & Counter(want)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(want)
    return 2 * precision * recall / (precision + recall)


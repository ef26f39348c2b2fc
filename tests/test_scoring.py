"""The per-field scorers on hand-made cases."""

from __future__ import annotations

import itertools
import random

import pytest

from extractor.scoring import (
    Counts,
    _same_baseline,
    claims_match,
    name_key,
    score_names,
    score_speedups,
    token_f1,
)

ABSTRACT = (
    "Our solver is up to 13.9 times faster than SciPy and orders of magnitude faster "
    "than FEM. It also trains 2x to 30x faster."
)


@pytest.mark.parametrize(
    "a, b",
    [
        ("CIFAR10", "CIFAR-10"),
        ("cifar 10", "CIFAR-10"),
        ("NVIDIA A100", "A100"),
        ("A100 GPU", "A100"),
        ("RTX 3090 GPU", "RTX 3090"),  # a model of two words keeps no class word either
        ("Tesla V100 GPU", "Tesla V100"),
        ("NVIDIA GeForce RTX 3090 GPU", "GeForce RTX 3090"),
        ("GPUs", "GPU"),
        ("edge devices", "Edge device"),
        ("graphics processing unit", "GPU"),
        ("smartphones", "mobile phones"),
        ("8 GPUs", "GPU"),  # a count before a plural class is no model number
        ("8 NVIDIA A100 GPUs", "A100"),
        ("4 edge devices", "edge devices"),
        ("multiple GPUs", "GPU"),  # LABELLING.md's own example
        ("several NVIDIA GPUs", "GPU"),
        ("two TPUs", "TPU"),
    ],
)
def test_names_that_agree(a, b):
    """Case, punctuation, plural, vendor and the alias table do not count as errors."""
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("CIFAR-10", "CIFAR-100"),
        ("GPU", "CPU"),
        ("ImageNet", "ImageNet-21k"),
        ("V100", "A100"),
        ("class", "clas"),
        ("edge GPU", "edge"),  # no model before GPU: the class word is the name
        ("8 GPUs", "8 TPUs"),  # the count was the key of both
        ("3090 GPU", "GPU"),  # singular: a model number, not a count
        ("20 Newsgroups", "Newsgroups"),  # no class word: the number is the name
        ("many-core CPUs", "CPU"),  # a kind of CPU, not a count of them
        ("multiple GPU", "GPU"),  # singular: not a count
    ],
)
def test_names_that_differ(a, b):
    """Different datasets and devices stay different."""
    assert name_key(a) != name_key(b)


def test_set_scores_count_misses_and_extras():
    """Precision and recall come from matched, missed and extra names."""
    score = score_names(["ImageNet", "cifar10", "MNIST"], ["CIFAR-10", "SVHN"])
    assert (score.counts.tp, score.counts.fp, score.counts.fn) == (1, 2, 1)
    assert score.missed == ["SVHN"] and score.extra == ["ImageNet", "MNIST"]


def test_counts_prf_and_the_empty_case():
    """Micro-averaged figures; nothing predicted and nothing to find is perfect."""
    assert Counts(1, 1, 2).prf() == {"precision": 0.5, "recall": 0.3333, "f1": 0.4}
    assert Counts().prf() == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert Counts(0, 3, 0).prf()["f1"] == 0.0


def claim(factor, text, factor_max=None, baseline=None):
    return {"factor": factor, "factor_max": factor_max, "baseline": baseline, "text": text}


def test_factors_within_two_percent_match():
    """13.7 and 13.9 are the same claim; 13.0 is not."""
    gold = [claim(13.9, "up to 13.9 times faster than SciPy", baseline="SciPy")]
    assert score_speedups([claim(13.7, "13.9 times faster")], gold, ABSTRACT).counts.tp == 1
    assert score_speedups([claim(13.0, "13.9 times faster")], gold, ABSTRACT).counts.tp == 0


def test_ranges_must_agree_on_both_ends():
    """factor_max is compared like factor; null matches only null."""
    gold = [claim(2, "2x to 30x faster", factor_max=30)]
    assert score_speedups([claim(2, "2x to 30x", 30)], gold, ABSTRACT).counts.tp == 1
    assert score_speedups([claim(2, "2x to 30x")], gold, ABSTRACT).counts.tp == 0


def test_null_factors_match_only_when_quotes_overlap():
    """Two magnitude-free claims are the same claim only if they quote the same place."""
    gold = [claim(None, "orders of magnitude faster than FEM", baseline="FEM")]
    same = [claim(None, "orders of magnitude faster")]
    elsewhere = [claim(None, "2x to 30x faster")]
    assert score_speedups(same, gold, ABSTRACT).counts.tp == 1
    assert score_speedups(elsewhere, gold, ABSTRACT).counts.tp == 0


def test_matching_is_one_to_one():
    """A single prediction cannot satisfy two gold claims."""
    gold = [claim(2, "2x to 30x faster"), claim(2, "2x to 30x faster")]
    score = score_speedups([claim(2, "2x")], gold, ABSTRACT)
    assert (score.counts.tp, score.counts.fn) == (1, 1)


def test_matching_is_the_best_assignment_not_the_first_free_match():
    """2.03 matches both 2.0 and 2.06 (2%), 2.0 only 2.0: greedy matching in gold
    order gave 2.03 to 2.0 and scored the 2.06 claim missed and 2.0 extra."""
    gold = [claim(2.0, "2x to 30x faster"), claim(2.06, "2x to 30x faster")]
    score = score_speedups([claim(2.03, "2x"), claim(2.0, "2x")], gold, ABSTRACT)
    assert (score.counts.tp, score.counts.fp, score.counts.fn) == (2, 0, 0)
    assert score.missed == [] and score.extra == []


def _brute_force(pred, gold):
    """The best (matched, baselines agreeing) over every one-to-one matching."""
    best = (0, 0)
    for choice in itertools.product([None, *range(len(gold))], repeat=len(pred)):
        taken = [j for j in choice if j is not None]
        if len(taken) != len(set(taken)):
            continue
        pairs = [(pred[i], gold[j]) for i, j in enumerate(choice) if j is not None]
        if all(claims_match(p, g, ABSTRACT) for p, g in pairs):
            agree = sum(_same_baseline(p["baseline"], g["baseline"]) for p, g in pairs)
            best = max(best, (len(pairs), agree))
    return best


@pytest.mark.parametrize("seed", range(300))
def test_speedup_matching_equals_brute_force_on_small_random_cases(seed):
    """As many matched claims, then agreeing baselines, as any matching has."""
    rng = random.Random(seed)
    texts = ["13.9 times faster", "orders of magnitude faster", "2x to 30x faster", "30x"]

    def random_claim():
        return claim(rng.choice([None, 2.0, 2.03, 2.06, 13.9]), rng.choice(texts),
                     factor_max=rng.choice([None, None, 30]),
                     baseline=rng.choice([None, "SciPy", "FEM", "scipy solver", "."]))

    pred = [random_claim() for _ in range(rng.randint(0, 4))]
    gold = [random_claim() for _ in range(rng.randint(0, 4))]
    score = score_speedups(pred, gold, ABSTRACT)
    assert (score.matched, score.baseline_agree) == _brute_force(pred, gold)
    assert score.counts == Counts(score.matched, len(score.extra), len(score.missed))
    assert score.matched + len(score.extra) == len(pred)
    assert score.matched + len(score.missed) == len(gold)


def test_baseline_agreement_is_counted_over_matches():
    """Baselines agree when both are null or one contains the other after folding."""
    gold = [
        claim(13.9, "13.9 times faster than SciPy", baseline="SciPy"),
        claim(None, "orders of magnitude faster than FEM", baseline="FEM"),
    ]
    pred = [
        claim(13.9, "13.9 times faster", baseline="scipy library"),
        claim(None, "orders of magnitude faster", baseline=None),
    ]
    score = score_speedups(pred, gold, ABSTRACT)
    assert score.matched == 2 and score.baseline_agree == 1


@pytest.mark.parametrize(
    "pred_baseline, gold_baseline, agree",
    [
        ("", "SciPy", False),  # an empty baseline is no baseline named
        (".", "SciPy", False),  # punctuation alone folded to "", inside every key
        ("--", None, True),
        ("Sci", "SciPy", False),  # whole words, not characters
        ("ten", "TensorFlow", False),
        ("the SciPy solver", "SciPy", True),
        ("CIFAR10", "cifar 10", True),
    ],
)
def test_baselines_agree_by_whole_words(pred_baseline, gold_baseline, agree):
    """Baselines were compared as substrings of their keys, so an empty or
    punctuation-only baseline, or a fragment of a word, agreed with the gold."""
    gold = [claim(13.9, "13.9 times faster than SciPy", baseline=gold_baseline)]
    pred = [claim(13.9, "13.9 times faster", baseline=pred_baseline)]
    score = score_speedups(pred, gold, ABSTRACT)
    assert score.matched == 1 and score.baseline_agree == agree


@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        ("crop row detection", "crop row detection", 1.0),
        ("the crop row detection", "Crop-row detection", 1.0),
        ("row detection", "crop row detection", 0.8),
        ("image generation", "crop row detection", 0.0),
        ("", "", 1.0),
        ("", "crop row detection", 0.0),
    ],
)
def test_token_f1(pred, gold, expected):
    """Token F1 ignores case, punctuation and articles."""
    assert token_f1(pred, gold) == pytest.approx(expected)

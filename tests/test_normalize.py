"""Speed phrases -> numbers: every phrasing of LABELLING.md's table, every decoy."""

from __future__ import annotations

import re

import pytest

from extractor.dumps import read
from extractor.normalize import FoundSpeedup, find_speedups, parse_speedup
from extractor.rules import lexicon as lx
from extractor.rules.text import split_sentences

from .conftest import DUMPS

# (phrase, factor, factor_max): one row of LABELLING.md's table, or a pattern beyond it.
SPEED_PHRASES = [
    ("sixfold speedup", 6, None),
    ("6x faster", 6, None),
    ("6× faster", 6, None),
    ("6 times faster", 6, None),
    ("6×", 6, None),
    ("6-fold speedup", 6, None),
    ("six-fold faster", 6, None),
    ("a 6 fold speedup", 6, None),
    ("6X faster", 6, None),
    ("up to 4000x faster", 4000, None),
    ("more than 4 times faster", 4, None),
    ("over 6x", 6, None),
    ("over 6x speedup", 6, None),
    ("nearly 3x faster", 3, None),
    ("at least 2x faster", 2, None),
    ("a 1,000x speedup", 1000, None),
    ("speeds up training by 2x to 30x", 2, 30),
    ("2-30x faster", 2, 30),
    ("2 to 30 times faster", 2, 30),
    ("between 2.1 and 26 times faster", 2.1, 26),
    ("speedup factors between 2.1 and 26", 2.1, 26),
    ("a speedup of 3.5", 3.5, None),
    ("3 orders of magnitude faster", 1000, None),
    ("three orders of magnitude faster", 1000, None),
    ("an order of magnitude faster", 10, None),
    ("an order-of-magnitude speedup", 10, None),
    ("two-to-three orders of magnitude faster", 100, 1000),
    ("one to two orders of magnitude faster", 10, 100),
    ("1-2 orders of magnitude faster", 10, 100),
    ("37% faster", 1.37, None),
    ("37% higher throughput", 1.37, None),
    ("a speed-up of 80%", 1.8, None),
    ("speeds up inference by 40%", 1.4, None),
    ("reduces inference time by 50%", 2.0, None),
    ("15% lower latency", 1.18, None),
    ("15% improvement in latency", 1.18, None),
    ("cuts training time by 30%", 1.43, None),
    ("30% training time savings", 1.43, None),
    ("orders of magnitude faster", None, None),
    ("several orders of magnitude faster", None, None),
    ("several orders of magnitude", None, None),
    ("exponential speedup", None, None),
    ("doubling the speed", 2, None),
    ("doubles the throughput", 2, None),
    ("twice as fast", 2, None),
    ("halves the latency", 2, None),
    ("cuts latency in half", 2, None),
    ("2x throughput", 2, None),
    ("4.5x lower latency", 4.5, None),
    ("decrease inference latency up to 4.5x", 4.5, None),
    ("(~1000x)", 1000, None),
    ("over a hundred times faster", 100, None),
    ("hundredfold speedup", 100, None),
    ("tenfold acceleration", 10, None),
    ("10times increase in performance speed", 10, None),
    ("2.4times to 3.4times improvements in generation speed", 2.4, 3.4),
    ("3x higher tokens per second", 3, None),
    ("achieves a 3.2× speedup", 3.2, None),
    ("runs 50% faster", 1.5, None),
    ("improves throughput by 1.5x", 1.5, None),
    ("1.8× lower latency", 1.8, None),
    ("reduces wall-clock time by 35%", 1.54, None),
    ("accelerates inference by 2.3×", 2.3, None),
    ("yielding a 40% reduction in training time", 1.67, None),
    ("70% less training time", 3.33, None),
    ("in half the time", 2, None),
    ("faster by a factor of 3", 3, None),
    ("speeds up training by a factor of 10", 10, None),
    ("1.5-2x faster", 1.5, 2),
    ("2×–3× faster", 2, 3),
    ("training is 2.5 times quicker", 2.5, None),
    ("an order of magnitude reduction in runtime", 10, None),
    ("delivers 2x the throughput", 2, None),
    ("a 5× increase in tokens/s", 5, None),
    ("a 25% improvement in throughput", 1.25, None),
    ("30x to 2x faster", 2, 30),
    ("reduces latency by 20% to 50%", 1.25, 2.0),
    # a bare magnitude: the caller already knows the phrase is a speedup
    ("6x", 6, None),
    ("13.9", 13.9, None),
    ("2x to 30x", 2, 30),
]


@pytest.mark.parametrize(("phrase", "factor", "factor_max"), SPEED_PHRASES)
def test_parse_speedup_turns_each_phrasing_into_numbers(phrase, factor, factor_max):
    """Each speed phrasing gives LABELLING.md's factor and factor_max."""
    got = parse_speedup(phrase)
    assert got is not None
    assert got[0] == (pytest.approx(factor) if factor is not None else None)
    assert got[1] == (pytest.approx(factor_max) if factor_max is not None else None)


DECOYS = [
    "reduces memory by 4x",
    "4x less memory",
    "a fourfold reduction in GPU memory footprint",
    "10x fewer parameters",
    "3x fewer FLOPs",
    "2x cheaper",
    "two-to-three orders of magnitude cheaper",
    "5% higher accuracy",
    "improves accuracy by 20%",
    "reduces sampling steps by 4x",
    "10x fewer function evaluations",
    "reduces data requirements by 10x",
    "compress preconditioners by up to two orders of magnitude",
    "orders of magnitude fewer parameters",
    "orders of magnitude more precision",
    "5 times slower",
    "adds a 10% overhead",
    "increases training time by 20%",
    "not faster",
    "no speedup",
    "significantly faster",
    "converges faster",
    "in minutes on a CPU",
    "the model is 100 times larger",
    "doubles the number of function evaluations",
    "halving the error rate",
    "cuts the number of training steps by half",
    "3x fewer GPU hours",
    "reduces energy by 3x",
    "improves sample efficiency by 10x",
    "requires 5x fewer iterations",
    "3x lower cost",
    "with 2x fewer FLOPs",
]


@pytest.mark.parametrize("phrase", DECOYS)
def test_parse_speedup_rejects_each_decoy(phrase):
    """A phrase about memory, size, cost, accuracy or a slow-down is not a speed claim."""
    assert parse_speedup(phrase) is None


def test_parse_speedup_of_empty_text_is_none():
    """An empty phrase is not a claim."""
    assert parse_speedup("   ") is None


def _one(text: str) -> FoundSpeedup:
    found = find_speedups(text)
    assert len(found) == 1, found
    return found[0]


# (sentence, factor, factor_max, baseline, text)
CLAIMS = [
    ("Our method is 6x faster than SciPy.", 6, None, "SciPy", "6x faster than SciPy"),
    ("We are 3x faster than Agronav on a Jetson.", 3, None, "Agronav", "3x faster than Agronav"),
    (
        "Our kernel is 2.5x faster than the log-softmax.",
        2.5,
        None,
        "the log-softmax",
        "2.5x faster than the log-softmax",
    ),
    (
        "The proposed neural operators are several orders of magnitude faster than conventional "
        "PDE solvers.",
        None,
        None,
        "conventional PDE solvers",
        "several orders of magnitude faster than conventional PDE solvers",
    ),
    (
        "Compared to SciPy, our algorithms have median speedups of 77x.",
        77,
        None,
        "SciPy",
        "Compared to SciPy, our algorithms have median speedups of 77x",
    ),
    (
        "Our method achieves 1000x speedups over commercial interior-point solvers.",
        1000,
        None,
        "commercial interior-point solvers",
        "1000x speedups over commercial interior-point solvers",
    ),
    (
        "SKR achieves a remarkable speedup of up to 13.9 times.",
        13.9,
        None,
        None,
        "speedup of up to 13.9 times",
    ),
    ("Our method is 30x faster than previous methods.", 30, None, None, "30x faster"),
    ("We are 5x faster than existing approaches.", 5, None, None, "5x faster"),
    ("Ours is 4x faster than the baselines.", 4, None, None, "4x faster"),
    (
        "Furthermore, we present a fast approach (~1000x) to learning the operator.",
        1000,
        None,
        None,
        "~1000x",
    ),
    (
        "This suggests an exponential speedup over classical finite-difference methods.",
        None,
        None,
        "classical finite-difference methods",
        "exponential speedup over classical finite-difference methods",
    ),
]


@pytest.mark.parametrize(("sentence", "factor", "factor_max", "baseline", "text"), CLAIMS)
def test_find_speedups_reads_factor_baseline_and_quote(
    sentence, factor, factor_max, baseline, text
):
    """A claim gives its numbers, its named baseline (or None) and its verbatim quote."""
    claim = _one(sentence)
    assert claim.factor == (pytest.approx(factor) if factor is not None else None)
    assert claim.factor_max == (pytest.approx(factor_max) if factor_max is not None else None)
    assert claim.baseline == baseline
    assert claim.text == text
    assert sentence[claim.start : claim.end] == claim.text


def test_find_speedups_gives_each_number_its_own_entry():
    """`45x and 6150x for GPU and 17x and 3403x for CPU` is four entries."""
    text = (
        "In C++/CUDA, our algorithms have median and maximum speedups of 45x and 6150x "
        "for GPU and 17x and 3403x for CPU, respectively."
    )
    assert [c.factor for c in find_speedups(text)] == [45, 6150, 17, 3403]


# arXiv abstracts are LaTeX: each claim is read as a reader sees it, quoted as written.
LATEX_CLAIMS = [
    ("Our method is $10\\times$ faster.", 10, None, "$10\\times$ faster"),
    ("We achieve a 10$\\times$ speedup over PyTorch.", 10, None,
     "10$\\times$ speedup over PyTorch"),
    ("Our kernel runs up to $3.5\\times$ faster.", 3.5, None, "up to $3.5\\times$ faster"),
    ("Our model yields a $\\sim$1000x speedup.", 1000, None, "$\\sim$1000x speedup"),
    ("Our method runs \\(2\\times\\) faster.", 2, None, "\\(2\\times\\) faster"),
    ("We get a speedup of $2.3\\times$--$4.1\\times$.", 2.3, 4.1,
     "speedup of $2.3\\times$--$4.1\\times$"),
    ("Ours is 10{\\times} faster.", 10, None, "10{\\times} faster"),
    ("Ours has 30\\% lower latency.", 1.43, None, "30\\% lower latency"),
    ("Our method is \\textbf{4x} faster.", 4, None, "\\textbf{4x} faster"),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "factor", "factor_max", "text"), LATEX_CLAIMS)
def test_find_speedups_reads_latex_and_quotes_it_verbatim(sentence, factor, factor_max, text):
    """`$10\\times$ faster` once gave no claim: `\\times` and `$` hid the magnitude."""
    claim = _one(sentence)
    assert claim.factor == pytest.approx(factor)
    assert claim.factor_max == (pytest.approx(factor_max) if factor_max else None)
    assert claim.text == text == sentence[claim.start : claim.end]
    assert parse_speedup(claim.text) == (claim.factor, claim.factor_max)


def test_a_time_claim_quotes_the_word_that_says_it_went_down():
    """`training time by 30%` says nothing of direction: the quote starts at `cut`, as the
    gold labels write it (`decrease inference latency up to 4.5x`), and so reads back."""
    for sentence, quote in [
        ("We cut the training time by 30%.", "cut the training time by 30%"),
        ("Our models decrease inference latency up to 4.5x.",
         "decrease inference latency up to 4.5x"),
        ("Our method has 30% lower latency.", "30% lower latency"),  # already inside
    ]:
        claim = _one(sentence)
        assert claim.text == quote
        assert parse_speedup(claim.text) == (claim.factor, None)


@pytest.mark.parametrize(("sentence", "baseline"), [
    ("Our method cuts 21% from the training time for ISTA-Net+.", "ISTA-Net+"),
    ("Our method reduces the training time of BERT by 40%.", "BERT"),
    ("Our method reduces inference time for long sequences by 2x.", None),  # no name
    # what was timed, described in words or named as a class, is no comparator
    ("Our code cuts the run time of cosmological runs of Local Group analogues by 40%.",
     None),
    ("Our method cuts the inference time for DNNs on phones by 30%.", None),
    ("Our method cuts the training time for GPT-2 fine-tuning by 30%.", None),
])  # fmt: skip
def test_whose_time_went_down_is_the_baseline_when_it_is_named(sentence, baseline):
    """`the training time for ISTA-Net+`: ISTA-Net+ is what the claim compares against;
    a workload in words (`of zoom-in simulations of ...`) or a class (`LLMs`) is not."""
    claim = _one(sentence)
    assert claim.baseline == baseline
    assert baseline is None or baseline in claim.text  # the quote holds it


def test_a_magnitude_restated_in_brackets_is_one_claim():
    """`an order of magnitude (10x) speedup` once gave a second claim, `10x) speedup`."""
    for text in ("Our method gives an order of magnitude (10x) speedup.",
                 "Our method gives an order of magnitude ($10\\times$) speedup."):
        assert [c.factor for c in find_speedups(text)] == [10]


def test_a_result_in_a_second_predicate_does_not_borrow_the_first_claims_cue():
    """`... 3x faster than X on Y and reaches 61.4% on Z`: 61.4% is an accuracy, not a
    1.614x speed-up read with the `faster` of the claim before it."""
    text = ("FlashLin trains GPT-2 3x faster than the HuggingFace baseline on 8xA100 GPUs "
            "and reaches 61.4% on the Long Range Arena benchmark.")
    assert [c.factor for c in find_speedups(text, own_names={"FlashLin"})] == [3]


def test_find_speedups_keeps_the_speed_claim_next_to_a_memory_claim():
    """`>1000times speed-up and >30times memory reduction` is one speed claim, not two."""
    text = "Our method provides >1000times speed-up and >30times memory reduction."
    assert [c.factor for c in find_speedups(text)] == [1000]


def test_find_speedups_separates_an_error_reduction_from_a_speed_gain():
    """`reduced error rates by up to 60% and enhanced training speeds by 2x to 30x`."""
    text = (
        "Our framework has reduced error rates by up to 60% and enhanced training speeds "
        "by 2x to 30x."
    )
    claims = find_speedups(text)
    assert [(c.factor, c.factor_max) for c in claims] == [(2, 30)]


def test_find_speedups_reads_a_list_of_percentages_with_one_cue():
    """`66.8% and 68.7% speed-ups` gives both numbers, and not the accuracy gains after."""
    text = (
        "RePa-ViT-Large and RePa-ViT-Huge enjoy 66.8% and 68.7% speed-ups with +1.7% and "
        "+1.1% higher top-1 accuracies."
    )
    assert [c.factor for c in find_speedups(text)] == [pytest.approx(1.668), pytest.approx(1.687)]


def test_find_speedups_ignores_claims_about_prior_work():
    """A sentence about other models' speed, with no sign of the paper, is not a claim."""
    text = (
        "Reduced-order or surrogate models are multiple orders of magnitude faster, but "
        "traditional surrogates are inflexible."
    )
    assert find_speedups(text) == []


def test_find_speedups_accepts_a_sentence_naming_the_method():
    """A coined name as the subject makes the claim the paper's own."""
    text = "TailorNet delivers garments while running more than 1000 times faster."
    assert [c.factor for c in find_speedups(text)] == [1000]


def test_find_speedups_ignores_formula_products():
    """`64times64` image sizes and `R^3times R` are not magnitudes."""
    text = "On ImageNet 64times64 our flow extends to R^3times R and k times k convolutions."
    assert find_speedups(text) == []


def test_find_speedups_ignores_a_magnitude_with_no_speed_cue():
    """A bare `(2.0x)` model width with no speed word near it is not a claim."""
    text = "We get 5.12% improvement with ShuffleNet V2 (2.0x) model on CIFAR100 dataset."
    assert find_speedups(text) == []


def test_find_speedups_ignores_a_negated_claim():
    """`not 2x faster` is a statement that something is not faster."""
    assert find_speedups("We find our method is not 2x faster in practice.") == []


def test_a_magnitude_past_the_largest_float_is_no_number_and_no_crash():
    """`10 ** 1e9` overflowed and `9...9x` became inf: neither may reach a summary."""
    [orders] = find_speedups("Our solver is 1,000,000,000 orders of magnitude faster.")
    assert (orders.factor, orders.factor_max) == (None, None)
    [ranged] = find_speedups("Our solver is 2 to 500 orders of magnitude faster.")
    assert (ranged.factor, ranged.factor_max) == (100.0, None)
    assert find_speedups(f"Our solver is {'9' * 400}x faster than PyTorch.") == []


def test_a_baseline_longer_than_the_schema_allows_is_no_name():
    """A 150-character `word` after `than` is not a comparator; the claim stays, unnamed."""
    text = f"Our solver is 3x faster than existing direct and PDE-{'9' * 150} solvers."
    assert [(c.factor, c.baseline) for c in find_speedups(text)] == [(3.0, None)]


def test_find_speedups_offsets_point_into_the_text():
    """Each claim's (start, end) slices its quote out of the abstract."""
    text = "We study X. Our solver is up to 4000x faster on long sequences. We also do Y."
    claim = _one(text)
    assert text[claim.start : claim.end] == claim.text == "up to 4000x faster"


def _spans(pattern, text):
    return [(m.span(), m.lastgroup) for m in pattern.finditer(text)]


def test_the_lower_case_magnitude_pattern_finds_what_the_case_blind_one_finds():
    """On every dump sentence and on odd casings, both patterns give the same matches."""
    if not DUMPS.is_dir():
        pytest.skip("shared/dumps is not beside the repository")
    abstracts = [r.abstract for r in read(sorted(DUMPS.glob("*.txt")), fmt="text")]
    abstracts.append("SIXFOLD, Up To 6X, Three Orders Of Magnitude, a Factor of TEN, Doubling")
    sentences = [s.text for a in abstracts for s in split_sentences(a)]
    assert len(sentences) > 10
    for sentence in sentences:
        low = lx.lowered(sentence)
        if low is not None:
            assert _spans(lx.MAGNITUDE_LOWER, low) == _spans(lx.MAGNITUDE, sentence)


# A phrase for each way a magnitude starts (lexicon.MAGNITUDE_STARTS), each branch of it.
MAGNITUDE_PHRASES = [
    'up to 3x', 'upwards of 3x', 'more than 3x', 'over 3x', 'nearly 3x', 'almost 3x', 'about 3x',
    'around 3x', 'roughly 3x', 'approximately 3x', 'at least 3x', 'as much as 3x', '~3x', '> 3x',
    '≈3x', 'sim 3x', 'sim~ 3x', '3 orders of magnitude', 'two orders of magnitude',
    'an order of magnitude', 'one to two orders of magnitude', '2-3 orders of magnitude',
    'an to 2 orders of magnitude', 'anto 2 orders of magnitude', 'anor 3 orders of magnitude',
    'an–3 orders of magnitude', 'an-order-of-magnitude', '10^3 orders of magnitude',
    'several orders of magnitude', 'multiple orders of magnitude', 'many orders of magnitude',
    'a few orders of magnitude', 'few orders of magnitude', 'numerous orders of magnitude',
    'some orders of magnitude', 'orders of magnitude', 'order of magnitude', 'between 2 and 5x',
    'between 2x and 5x', '2x to 30x', '2-5x', '10%-20%', 'two to ten times', '3x', '3 times',
    '3-fold', 'three times', 'a hundred times', 'a thousand times', 'one thousand times',
    'one times', 'four times', 'five times', 'six times', 'seven times', 'eight times',
    'nine times', 'ten times', 'eleven times', 'twelve times', 'fifteen times', 'twenty times',
    'thirty times', 'forty times', 'fifty times', 'hundred times', 'thousand times', 'twofold',
    'two-fold', 'tenfold', 'hundredfold', 'thousand-fold', '30%', '30 percent', '30\\%',
    'a factor of 3', 'factor of ten', 'a factor of a hundred', 'twice', 'half the time',
    'doubling', 'doubles', 'halved', 'halving', 'tripled', 'in half', 'exponential speedup',
    'quadratic speedups', 'super-polynomial speedup', 'superexponential acceleration',
    'cubic speedup', '10⁴x', '10^{-6} times',
]


def test_the_check_of_how_a_magnitude_starts_changes_no_match():
    """MAGNITUDE tries its alternatives only at a word that can start one; without
    that check it finds the same in every phrase, in any case, spacing and context,
    on the case-blind and the lower-case pattern alike."""
    whole = lx.MAGNITUDE.pattern.replace(f"(?={lx.MAGNITUDE_STARTS})", "")
    assert whole != lx.MAGNITUDE.pattern
    blind, lower = re.compile(whole, re.X | re.I), re.compile(whole, re.X)
    for phrase in MAGNITUDE_PHRASES:
        assert _spans(blind, phrase), phrase
        for text in (phrase, phrase.upper(), phrase.title(), f"we saw an {phrase} at a",
                     phrase.replace(" ", "\n  ")):
            assert _spans(lx.MAGNITUDE, text) == _spans(blind, text), text
            low = lx.lowered(text)
            if low is not None:
                assert _spans(lx.MAGNITUDE_LOWER, low) == _spans(lower, low), text


@pytest.mark.parametrize("text", ["ſixfold faster", "up to 6x on İstanbul data", "ıx"])
def test_text_whose_lower_case_differs_from_case_blind_matching_takes_the_slow_path(text):
    """Long s and dotless i match ASCII letters case-blind; İ lower-cases to two characters."""
    assert lx.lowered(text) is None


# Sentences in the style of well-known systems papers, beyond the dumps.
SCORES_NOT_SPEEDUPS = [
    "Our network achieves 70.6% mIoU at 30.4 fps on a single GPU.",
    "Our detector reaches 55.9% AP at 56 FPS on a V100.",
    "Our method is faster and more accurate, improving mAP by 3.2%.",
    "Our method accelerates inference, reaching 85.3% top-1.",
]


@pytest.mark.parametrize("sentence", SCORES_NOT_SPEEDUPS)
def test_a_score_next_to_a_frame_rate_is_not_a_speedup(sentence):
    """A percentage that names a score (mIoU, AP, mAP, top-1) is no speed claim,
    even with a frame rate or a speed word beside it."""
    assert find_speedups(sentence) == []


def test_a_cue_after_the_next_magnitude_belongs_to_that_one():
    """`10x fewer evaluations, leading to 8x faster sampling`: only 8x is a speed-up."""
    found = find_speedups("Our sampler reduces the number of function evaluations by 10x, "
                          "leading to 8x faster sampling.")
    assert [c.factor for c in found] == [8]


@pytest.mark.parametrize(("sentence", "factor"), [
    ("Our method reduces memory and latency by 30% and 20%, respectively.", 1.25),
    ("We improve the AP and FPS of YOLOv3 by 10% and 12%, respectively.", 1.12),
])
def test_respectively_pairs_each_number_with_its_own_quantity(sentence, factor):
    """`A and B by x and y, respectively`: only the number paired with a speed word counts."""
    assert [c.factor for c in find_speedups(sentence)] == [pytest.approx(factor)]


@pytest.mark.parametrize(("sentence", "factor"), [
    ("We achieve a combined speedup of several orders of magnitude, enabling training of "
     "high-quality models.", None),
    ("Our method accelerates inference by 2.5x, maintaining accuracy.", 2.5),
    ("Our method accelerates inference by 2.5x for models of any size.", 2.5),
])
def test_a_speed_word_leading_into_its_number_wins_over_a_quantity_after_it(sentence, factor):
    """`speedup of N, enabling high-quality ...`: the word after is not what N measures."""
    claim = _one(sentence)
    assert claim.factor == (pytest.approx(factor) if factor is not None else None)


def test_a_baseline_stops_before_the_next_claims_number():
    """`1.3x over cuBLAS and 2.1x over cuDNN` is two claims, each with its baseline."""
    found = find_speedups("Our kernel achieves a 1.3x speedup over cuBLAS and 2.1x over cuDNN.")
    assert [(c.factor, c.baseline) for c in found] == [(1.3, "cuBLAS"), (2.1, "cuDNN")]


def test_a_second_number_after_and_by_shares_the_first_ones_speed_word():
    """`speeds up A by 270x and B by 38x`: 38x is a claim of its own."""
    found = find_speedups("Our model speeds up the mel-spectrogram generation by 270x and "
                          "the end-to-end speech synthesis by 38x.")
    assert [c.factor for c in found] == [270, 38]
    assert found[1].text.endswith("by 38x")


def test_a_factor_said_twice_for_two_baselines_is_two_claims():
    """`by up to 29x, 29x, and 3x` is three entries: each number its own (LABELLING.md)."""
    found = find_speedups("Our system improves the throughput over A, B, and C by up to "
                          "29x, 29x, and 3x.")
    assert [c.factor for c in found] == [29, 29, 3]


@pytest.mark.parametrize("sentence", [
    "Our kernel reaches an SM occupancy of 70% and 3x higher throughput than FooLib.",
    "Our kernel keeps a bandwidth use of 70% and a 3x speedup over FooLib.",
])
def test_a_percentage_listed_with_a_multiple_does_not_share_its_cue(sentence):
    """`a utilization of 54% and 1.7x higher throughput`: only 1.7x is a speed-up."""
    assert [c.factor for c in find_speedups(sentence)] == [3]


def test_percentages_listed_together_still_share_their_cue():
    """Decoy: `20%, 30% and 40% speedups` is three claims, as `2x and 3x speedups` is two."""
    assert [c.factor for c in find_speedups("We see 20%, 30% and 40% speedups.")] == [
        1.2, 1.3, 1.4]
    assert [c.factor for c in find_speedups("We see 2x and 3x speedups.")] == [2, 3]


@pytest.mark.parametrize(("sentence", "baseline"), [
    # "and", a short subject and a verb: a clause of its own, not part of the name
    ("Our kernel is 7x faster than FooNet and training requires 50% less memory.", "FooNet"),
    ("Our kernel is 7x faster than FooNet and the model needs fewer layers.", "FooNet"),
    ("Our kernel is 7x faster than FooNet and reaches 90% utilisation.", "FooNet"),
    # a participle after the name says how it ran
    ("Our aligner is 9 times faster than Bar-MEM running on 16 threads.", "Bar-MEM"),
    ("Our code is 9x faster than BarPy executing on one core.", "BarPy"),
    # decoys: two names joined by "and" are one baseline; an -ing noun is a name's head
    ("Our kernel is 7x faster than FooNet and BarNet on GPUs.", "FooNet and BarNet"),
    ("Our kernel is 7x faster than full fine-tuning on GPUs.", "full fine-tuning"),
])
def test_a_baseline_ends_where_a_clause_or_a_participle_begins(sentence, baseline):
    """`than TimesNet and training requires ...`, `than BWA-MEM running on ...`: the name only."""
    claim = _one(sentence)
    assert claim.baseline == baseline
    assert claim.text.endswith(baseline)


@pytest.mark.parametrize(("sentence", "baseline", "text"), [
    ("Our decoder gives a 2.5x speedup in token latency over greedy beam search.",
     "greedy beam search", "2.5x speedup in token latency over greedy beam search"),
    ("Our pruned model runs 1.6x faster on a Jetson Orin than the dense network.",
     "the dense network", "1.6x faster on a Jetson Orin than the dense network"),
    ("Our server reaches 4x the throughput of FooServe.", "FooServe",
     "4x the throughput of FooServe"),
    ("Our model runs at twice the speed of BarNet.", "BarNet", "twice the speed of BarNet"),
    # the second, elliptical claim keeps the comparison its quote already holds
    ("Our kernel is 3x faster than FooLib on A100 and 2x on H100.", "FooLib",
     "faster than FooLib on A100 and 2x"),
])
def test_a_baseline_past_a_short_phrase_or_as_whose_rate_is_read(sentence, baseline, text):
    """`2.8x speedup in decoding latency over X`, `5x the throughput of X`, `3x faster than
    X on A100 and 2x on H100`: X is the (last) claim's baseline, and its quote holds it."""
    claim = find_speedups(sentence)[-1]
    assert (claim.baseline, claim.text) == (baseline, text)


@pytest.mark.parametrize("sentence", [
    "Our kernel gives a 2x speedup on GPUs over a wide range of sizes.",
    "Our kernel gives a 2x speedup over a range of sizes.",
    "Our kernel gives a 2x speedup in training over 100 epochs.",
])  # fmt: skip
def test_over_a_range_or_a_count_is_no_baseline(sentence):
    """Decoys: `over a wide range of sizes`, `over 100 epochs` name no comparator."""
    assert _one(sentence).baseline is None


@pytest.mark.parametrize(("sentence", "baseline", "text"), [
    ("Our runtime decodes 4.1x faster than foo.cpp on a phone.", "foo.cpp",
     "4.1x faster than foo.cpp"),
    ("Our kernel is 3x faster than Torch 2.1 eager mode.", "Torch 2.1 eager mode",
     "3x faster than Torch 2.1 eager mode"),
    ("Our kernel is twice as fast as Bar-3.5 at equal quality.", "Bar-3.5",
     "twice as fast as Bar-3.5"),
    ("Compared to Torch 2.1, our kernel is 3x faster.", "Torch 2.1",
     "Compared to Torch 2.1, our kernel is 3x faster"),
    # decoy: a dot that ends the sentence still ends the name
    ("Our kernel is 3x faster than Torch 2.1.", "Torch 2.1", "3x faster than Torch 2.1"),
])
def test_a_dot_inside_a_name_does_not_cut_the_baseline(sentence, baseline, text):
    """`than llama.cpp`, `PyTorch 2.0`, `GPT-3.5`: the name and its quote keep the dot."""
    claim = _one(sentence)
    assert (claim.baseline, claim.text) == (baseline, text)


@pytest.mark.parametrize(("sentence", "factor", "baseline"), [
    ("Our operators are twice as fast as FlashAttention-2.", 2, "FlashAttention-2"),
    ("Our solver is 3 times as fast as SciPy.", 3, "SciPy"),
])
def test_as_fast_as_is_a_speedup_over_what_follows(sentence, factor, baseline):
    """`twice as fast as X`: a factor of 2 with X as the baseline."""
    claim = _one(sentence)
    assert (claim.factor, claim.baseline) == (factor, baseline)


@pytest.mark.parametrize(("phrase", "factor", "factor_max"), [
    ("15% end-to-end wall-clock speedup", 1.15, None),
    ("reduces inference time to 30% of the original", 3.33, None),
    ("4~16x speedup", 4, 16),
    ("up to 1,800+ times faster", 1800, None),
])
def test_parse_speedup_reads_wall_clock_speedups_levels_tilde_ranges_and_plus(
    phrase, factor, factor_max
):
    """A wall-clock speedup is a rate, a time cut *to* p% is 100/p, `4~16x` is a range."""
    got = parse_speedup(phrase)
    assert got == (pytest.approx(factor), factor_max if factor_max is None
                   else pytest.approx(factor_max))


def test_latex_tilde_range_is_a_range():
    """DPM-Solver's `$4\\sim 16\\times$ speedup` is 4 to 16."""
    claim = _one(r"We achieve a $4\sim 16\times$ speedup.")
    assert (claim.factor, claim.factor_max) == (4, 16)


@pytest.mark.parametrize(("sentence", "baseline"), [
    ("Our linear transformers achieve similar performance to vanilla transformers and they "
     "are up to 4000x faster.", "vanilla transformers"),
    ("We show that FooNet is competitive with genetic algorithms with a speedup of several "
     "orders of magnitude.", "genetic algorithms"),
    ("We achieve better scores than the exact computation with over 4x speedup.",
     "the exact computation"),
])
def test_a_comparison_earlier_in_the_sentence_names_the_baseline(sentence, baseline):
    """`similar performance to X and ... 4000x faster`: X is what the claim is against."""
    assert _one(sentence).baseline == baseline


def test_a_baseline_after_a_coordinated_second_claim_is_the_first_ones_too():
    """`>1000x speed-up and >30x memory reduction over X`: X is the speed-up's baseline."""
    claim = _one("Our method provides >1000x speed-up and >30x memory reduction over SciPy.")
    assert (claim.factor, claim.baseline) == (1000, "SciPy")


def test_numbers_and_names_listed_in_parallel_pair_in_order():
    """`cuts 21% and 42% from the training time for A-Net and COAST`: one baseline each."""
    found = find_speedups("Our method cuts around 21% and 42% from the training time for "
                          "A-Net and COAST.")
    assert [(c.factor, c.baseline) for c in found] == [(1.27, "A-Net"), (1.72, "COAST")]


@pytest.mark.parametrize("sentence", [
    "We find that throughput drops by 30% when encryption is enabled in our system.",
    "Our results show that the inference speed decreases by 20% with a larger vocabulary.",
    "With our pruning, the speed is reduced tenfold.",
    "Our encrypted variant has 30% lower throughput.",
    "Our method reduces the throughput by 30%.",
    "Our processing speed index was reduced by 9%.",
])  # fmt: skip
def test_a_rate_that_went_down_is_no_speedup(sentence):
    """`throughput drops by 30%` once gave 1.3: a fall in a rate is a slow-down."""
    assert find_speedups(sentence) == []


def test_a_compound_starting_with_a_drop_word_is_no_slow_down():
    """`reduced-order` says nothing of the rate: the claim stays."""
    claim = _one("Our method speeds up reduced-order model training by 3x.")
    assert claim.factor == 3


@pytest.mark.parametrize("sentence", [
    "We achieve 2x compression with 98% of the original throughput.",
    "Our kernel attributes 60% of the acceleration to fusion.",
])  # fmt: skip
def test_a_share_of_a_rate_is_no_gain_in_it(sentence):
    """`98% of the original throughput` once gave 1.98: it is 0.98 of it."""
    assert find_speedups(sentence) == []


def test_a_share_of_a_rate_over_a_hundred_percent_is_the_factor():
    """`250% of the throughput of X` is 2.5 times X's, not 3.5."""
    assert _one("Our server reaches 250% of the throughput of vLLM.").factor == 2.5


@pytest.mark.parametrize("sentence", [
    "Our method runs at 0.8 times the speed of the baseline but uses half the memory.",
    "Our solver runs at 0.5x the speed of SciPy.",
])  # fmt: skip
def test_a_rate_under_one_times_another_is_no_speedup(sentence):
    """`0.8 times the speed of the baseline` once gave a speedup of 0.8."""
    assert find_speedups(sentence) == []


def test_a_quantity_leading_into_its_number_is_what_it_measures():
    """`improves accuracy by 5% at the same speed` once gave 1.05: the 5% is accuracy."""
    assert find_speedups("Our model improves accuracy by 5% at the same speed as ResNet-50.") == []


def test_a_quantity_inside_the_object_of_a_speed_verb_does_not_take_its_number():
    """`accelerates GPU evaluation of sequential models by up to 3 orders of magnitude
    faster`: the evaluation is what got faster, so the claim stays."""
    claim = _one("Our parallel algorithm accelerates GPU evaluation of sequential models by up "
                 "to 3 orders of magnitude faster.")
    assert claim.factor == 1000


@pytest.mark.parametrize("sentence", [
    "We find that the star rotates 3 times faster than the Sun.",
    "We show that the epidemic spread 3 times faster in urban areas.",
    "Our results show that misinformation spreads 6 times faster than the truth.",
    "We show that C4 lineages accumulate biomass 1.5 times faster than C3 relatives.",
    "Our simulations reveal that Al doping makes lithium diffusion 3 times faster.",
    "We find that NaCl crystals dissolve 3 times faster in warm water.",
])  # fmt: skip
def test_a_finding_about_the_world_is_no_speedup(sentence):
    """`we find that the star rotates 3 times faster` has `we` in it, but what is
    faster is no computation of the paper's: no claim."""
    assert find_speedups(sentence) == []


@pytest.mark.parametrize("sentence", [
    "We show that our solver is 3x faster than SciPy.",
    "Our GPU code runs 40 times faster than the CPU version.",
    "We obtain 3x faster inference on long sequences.",
    "Experiments show that FooNet is 5 times faster.",
])  # fmt: skip
def test_a_finding_about_the_papers_computation_is_still_a_speedup(sentence):
    """A computational subject after the finding's `that`, or anywhere in a plain
    claim, keeps it: the guard of the rule above."""
    assert len(find_speedups(sentence)) == 1


def test_a_sentence_the_splitter_ran_on_lends_no_computation_to_the_one_before():
    """`... 3 times faster at 300 K. All simulations were run on a GPU.` is two
    sentences (`K.` is no initial): the GPU of the second is not the first's subject."""
    text = ("We show that doping makes lithium diffusion 3 times faster at 300 K. All "
            "simulations were performed on a single GPU.")
    assert find_speedups(text) == []


@pytest.mark.parametrize("sentence", [
    "Below 0.5 K we observe a decay 2.5 times faster than predicted by the Vinen equation.",
    "Our filaments expand about 15% faster than expected from a homologous expansion.",
    "We find that our H II regions expand 30% faster than previously thought.",
])  # fmt: skip
def test_faster_than_predicted_is_a_finding_not_a_speedup(sentence):
    """A rate measured against a prediction or an expectation has no baseline that
    the paper beats: `2.5 times faster than predicted` once gave 2.5."""
    assert find_speedups(sentence) == []


@pytest.mark.parametrize("sentence", [
    "Using reanalysis data, we find that surface wind speeds increased by 8% over the ocean.",
    "Our intervention increased gait speed by 0.1 m/s, a 12% improvement.",
    "We find that the speed of the filaments reaches 1.4 times the speed of the ejecta.",
    "We show that inflation accelerated by 2% in 2022.",
    "We find that our catalyst accelerates the reaction 40-fold.",
    "We show that efficiency gains of 20% are possible in solar cells.",
])  # fmt: skip
def test_a_physical_or_economic_speed_is_no_compute_speed(sentence):
    """Bare `speed`, `accelerated` and `efficiency gains` name wind, walking, prices and
    solar cells as often as computation: without a computational subject, no claim."""
    assert find_speedups(sentence) == []


@pytest.mark.parametrize("sentence", [
    "Patients in our program spent 30% less time in hospital.",
    "Our intervention reduced response times by 20% in emergency calls.",
    "With our triage, time-to-treatment decreased by 40%.",
])  # fmt: skip
def test_a_time_outside_computation_is_no_speedup(sentence):
    """Time in hospital, response times and time to treatment are not compute times."""
    assert find_speedups(sentence) == []


@pytest.mark.parametrize(("phrase", "factor"), [
    ("3 times faster", 3), ("efficiency gains of 20%", 1.2), ("30% less time", 1.43),
])  # fmt: skip
def test_a_phrase_given_to_parse_speedup_needs_no_computational_subject(phrase, factor):
    """`parse_speedup` reads a phrase already known to be a speed claim (an LLM's quote)."""
    assert parse_speedup(phrase) == (pytest.approx(factor), None)


@pytest.mark.parametrize("sentence", [
    "GPUs have been shown to provide speedups of 10-100x for lattice Boltzmann methods.",
    "Recent GPU codes achieved 100x speedups over CPU codes.",
    "It is well known that FFT-based convolution gives a 10x speedup over direct convolution.",
    "Previous token pruning methods achieved 3x speedups only with retraining.",
    "Early lattice Boltzmann codes achieved 100x speedups over single CPU cores, and recent "
    "multi-GPU finite-volume solvers report 10-20x speedups over CPU nodes.",
])  # fmt: skip
def test_a_speedup_of_prior_work_is_not_the_papers(sentence):
    """`have been shown to provide speedups of 10-100x`, `Recent GPU codes achieved 100x`:
    prior work is the subject and the paper's own voice is absent."""
    assert find_speedups(sentence) == []


@pytest.mark.parametrize("sentence", [
    "Compared with previous methods, the kernel achieves a 3x speedup.",
    "Unlike previous methods, our kernel achieves a 3x speedup.",
    "Previous methods need retraining, whereas FooNet achieves a 3x speedup.",
    "Recent GPU codes are slow, and the new kernel achieves a 3x speedup.",
])  # fmt: skip
def test_prior_work_as_comparator_or_beside_the_papers_voice_keeps_the_claim(sentence):
    """Prior work named as what is beaten, or beside `our`, a coined name or `new`."""
    assert [c.factor for c in find_speedups(sentence)] == [3]


@pytest.mark.parametrize("sentence", [
    "In contrast, for sorting, the merge network achieves only a 2x speedup.",
    "Early exiting achieves 2-4x speedups but requires a trained classifier per layer.",
    "Pruning can yield 3x faster inference, but often degrades accuracy.",
])  # fmt: skip
def test_background_told_as_such_is_not_the_papers_claim(sentence):
    """`In contrast, ...`, `... but requires ...`: `achieves` alone is no sign of the paper."""
    assert find_speedups(sentence) == []


def test_a_named_subject_that_is_not_the_papers_name_is_prior_work():
    """`BarAttention achieved a 3x speedup`, in a paper named FooNet: another's claim; the
    paper's own name as the subject of the same sentence keeps it (decoy)."""
    other = "BarAttention achieved a 3x speedup over dense attention."
    assert find_speedups(other, {"FooNet"}) == []
    assert [c.factor for c in find_speedups(other.replace("BarAttention", "FooNet-L"),
                                             {"FooNet"})] == [3]


@pytest.mark.parametrize("sentence", [
    "Our method achieves a 3x speedup but requires more memory.",
    "In contrast, FooNet achieves a 3x speedup.",
    "BarAttention achieves a 3x speedup over dense attention.",  # no own name known
])  # fmt: skip
def test_the_papers_voice_or_name_keeps_a_claim_beside_a_contrast_or_a_drawback(sentence):
    """Decoys: `our`, the paper's name, or a coined name when none is known stay claims."""
    assert [c.factor for c in find_speedups(sentence, {"FooNet"} if "Foo" in sentence
                                            else None)] == [3]


@pytest.mark.parametrize(("sentence", "factor", "factor_max"), [
    ("Our solver runs $10^4$ times faster than AIMD.", 1e4, None),
    ("Our solver runs 10^4 times faster than AIMD.", 1e4, None),
    ("Our solver runs 10⁴ times faster than AIMD.", 1e4, None),
    ("Our solver runs ~10^5 times faster.", 1e5, None),
    ("Our code runs 10^{4}x faster.", 1e4, None),
    ("Our solver achieves a speedup of $10^3$ over DFT.", 1e3, None),
    ("Our code is $10^{2}$--$10^{3}$ times faster than SciPy.", 1e2, 1e3),
])  # fmt: skip
def test_a_power_of_ten_is_read_whole(sentence, factor, factor_max):
    """`$10^4$ times faster` gave nothing (`^4` read as a formula) and `a speedup of
    $10^3$` gave 10: a power of ten is one number."""
    claim = _one(sentence)
    assert (claim.factor, claim.factor_max) == (factor, factor_max)
    assert parse_speedup(claim.text) == (factor, factor_max)


@pytest.mark.parametrize("sentence", [
    "Our kernel reaches $10^{-6}$ times the throughput of cuBLAS.",
    "Our solver achieves a speedup of 10^{400}.",
])  # fmt: skip
def test_a_power_of_ten_under_one_or_past_any_float_is_no_speedup(sentence):
    """`$10^{-6}$ times the throughput` once gave 6; `10^{400}` gave 10 and is no number."""
    assert find_speedups(sentence) == []


@pytest.mark.parametrize(("sentence", "factor", "text"), [
    ("Our linker cuts compile time by 50%.", 2.0, "cuts compile time by 50%"),
    ("Our planner reduces setup time by 4x.", 4.0, "reduces setup time by 4x"),
    ("Our tuner cuts the autotuning time by 80%.", 5.0, "cuts the autotuning time by 80%"),
    ("Our scheduler lowers end-to-end time by 50%.", 2.0, "lowers end-to-end time by 50%"),
    ("Our code reduces the wall time by 75%.", 4.0, "reduces the wall time by 75%"),
    ("Our server reduces time-to-first-token by 50%.", 2.0,
     "reduces time-to-first-token by 50%"),
    ("Our server reduces P50 time-between-tokens by 20%.", 1.25,
     "reduces P50 time-between-tokens by 20%"),
])  # fmt: skip
def test_the_time_of_a_named_stage_of_the_work_is_a_time(sentence, factor, text):
    """`compile time`, `setup time`, `time-to-first-token`: times the cue list lacked."""
    claim = _one(sentence)
    assert (claim.factor, claim.text) == (pytest.approx(factor), text)


@pytest.mark.parametrize("sentence", [
    "Our linker increases compile time by 50%.",
    "Our planner reduces the setup cost by 4x.",
])  # fmt: skip
def test_a_stage_time_that_grew_or_a_stage_cost_is_no_speedup(sentence):
    """Decoys: a time that went up is a slow-down; a cost is not a time."""
    assert find_speedups(sentence) == []


def test_run_time_written_in_two_words_is_a_time():
    """`reduces the run time by 40%` was not read: only `runtime` and `run-time` were."""
    claim = _one("Our solver reduces the run time by 40%.")
    assert (claim.factor, claim.text) == (1.67, "reduces the run time by 40%")


def test_run_before_a_hyphenated_time_word_is_no_time():
    """`run time-consuming simulations` names no run time."""
    assert find_speedups("Our cache lets us run time-consuming jobs, cutting 40% of them.") == []


def test_a_time_n_times_shorter_than_x_is_a_speedup_over_x():
    """`the time-to-solution is 5 times shorter than simulated annealing` was not read:
    the word saying the time went down comes after the number."""
    claim = _one("Its time-to-solution is 5 times shorter than simulated annealing.")
    assert (claim.factor, claim.baseline) == (5, "simulated annealing")


@pytest.mark.parametrize(("text", "factor"), [
    ("We present a GPU port. The GPU port cuts the wall-clock time from 40 to 8 minutes, "
     "a 5-fold speedup over the CPU code.", 5),
    ("We solve it on the D-Wave quantum annealer. For 60 assets the annealer finds "
     "solutions, and the time-to-solution is 5 times shorter than simulated annealing.", 5),
])  # fmt: skip
def test_a_definite_noun_phrase_for_what_the_paper_introduced_is_the_papers(text, factor):
    """`We present a GPU port. The GPU port ... a 5-fold speedup`: the second sentence
    has no `we` or `our`, but names again what the paper introduced."""
    assert [c.factor for c in find_speedups(text)] == [factor]


def test_a_definite_noun_phrase_for_what_prior_work_introduced_is_not():
    """The same words, introduced by a sentence without the paper's voice, lend nothing."""
    text = ("Earlier codes used a GPU port. The GPU port cuts the wall-clock time from 40 to "
            "8 minutes, a 5-fold speedup over the CPU code.")
    assert find_speedups(text) == []


@pytest.mark.parametrize(("sentence", "factors"), [
    ("With this speedup we follow $10^7$ particles for $10^5$ orbits, two orders of "
     "magnitude longer than previous studies.", []),
    ("Our code runs 2x faster on 4x longer sequences.", [2]),
])  # fmt: skip
def test_a_magnitude_of_something_longer_is_no_speedup(sentence, factors):
    """`two orders of magnitude longer` measures a length, even after a `speedup`."""
    assert [c.factor for c in find_speedups(sentence)] == factors


@pytest.mark.parametrize("sentence", [
    "Molecular dynamics with our potential runs 10$^4$ times faster than ab initio "
    "molecular dynamics.",
    "We show that the new transport is 100 times faster than Monte Carlo transport.",
    "Our potential is 1000 times faster than DFT.",
])  # fmt: skip
def test_computational_science_methods_are_computational_subjects(sentence):
    """Molecular dynamics, ab initio, DFT and Monte Carlo are computations: a claim
    about them needs no other computational word."""
    assert len(find_speedups(sentence)) == 1


@pytest.mark.parametrize(("text", "factor"), [
    ("We propose Masked Structural Growth (MSG), a growth schedule. MSG is 2x faster than "
     "BERT.", 2),
    ("We introduce DDIM++. DDIM++ samples 10x faster than DDPM.", 10),
])  # fmt: skip
def test_a_name_the_abstract_gives_its_method_is_a_computational_subject(text, factor):
    """`We propose ... (MSG). MSG is 2x faster`: the name is the paper's method, so the
    claim on `faster` needs no other computational word."""
    assert [c.factor for c in find_speedups(text)] == [factor]


def test_an_acronym_from_a_sentence_that_proposes_nothing_is_no_name_of_the_paper():
    """`the Hubble Space Telescope (HST)` is no method of the paper's."""
    text = ("Observations used the Hubble Space Telescope (HST). HST shows the star rotates "
            "3 times faster than the Sun.")
    assert find_speedups(text) == []


@pytest.mark.parametrize(("text", "factors"), [
    ("We propose a scheduling algorithm for LLM serving. We achieve 2.3x higher "
     "throughput and 40% lower latency than vLLM.", [2.3, 1.67]),
    ("We propose a scheduling algorithm for LLM serving. We achieve 40% lower latency "
     "and 2.3x higher throughput than vLLM.", [1.67, 2.3]),
])
def test_a_computing_speed_word_in_the_sentence_makes_its_other_claims_computational(
        text, factors):
    """`latency` is every field's word, `throughput` is computing's: beside it, the
    latency claim is the same system's."""
    assert [s.factor for s in find_speedups(text)] == factors


@pytest.mark.parametrize(("text", "factor"), [
    ("We present a compiler for sparse tensors. We reduce latency by 40% compared to TVM.",
     1.67),
    ("We design a new cache eviction policy for CDNs. It cuts tail latency by 25%.", 1.33),
    ("We propose FastCache, a software cache for GPUs, which is 3x faster than LRU.", 3.0),
])
def test_in_an_abstract_about_computing_the_papers_voice_is_a_computational_subject(
        text, factor):
    assert [s.factor for s in find_speedups(text)] == [factor]


@pytest.mark.parametrize("text", [
    "We study sleep in mice. Our knockout mice fall asleep 30% faster than wild type.",
    "We image the soliton with a GPU-based digitizer. We show that the soliton relaxes "
    "to its steady state 5 times faster when the pump is detuned.",
    "Particle tracking on GPUs confirms the gain. We design photonic structures that "
    "accelerate 30 keV electrons by 20%.",
])
def test_the_papers_voice_computes_only_in_an_abstract_about_computing_not_of_beams(text):
    """Outside computing, `our mice` are no code; `its steady state` is the soliton's;
    and electrons accelerated are a beam, whatever the abstract runs on."""
    assert find_speedups(text) == []


@pytest.mark.parametrize(("text", "factor", "baseline"), [
    ("We present Zephyr, a key-value store for GPUs. Zephyr is 3x faster than Redis.",
     3.0, "Redis"),
    ("We present Falcon, a new query engine. Falcon runs 5x faster than DuckDB on TPC-H.",
     5.0, "DuckDB"),
    ("We present a dependency parser. Our parser is 4x faster than spaCy.", 4.0, "spaCy"),
])
def test_a_system_named_with_an_ordinary_word_or_noun_is_the_papers_computation(
        text, factor, baseline):
    """`We present Zephyr, a ...` names the paper's system even though no capital
    inside it says so; `our parser` computes as `our solver` does."""
    [claim] = find_speedups(text)
    assert (claim.factor, claim.baseline) == (factor, baseline)


def test_an_overhead_added_to_a_time_is_no_speedup():
    assert find_speedups("We propose a clustering layer for training. The clustering layer "
                         "adds less than 3% to training time.") == []
    [claim] = find_speedups("Our method adds only 2% to the training time but cuts inference "
                            "time by 40%.")
    assert claim.factor == pytest.approx(1.67, abs=0.01)


@pytest.mark.parametrize(("phrase", "factor"), [
    ("in 50% of the time", 2.0),
    ("runs in 30% of the time", 3.33),
    ("in 25% of the original runtime", 4.0),
    ("in 20% of the training time", 5.0),
    ("in 40% of the latency", 2.5),
])  # fmt: skip
def test_running_in_a_share_of_the_time_is_a_level(phrase, factor):
    """Running in p% of the time is a 100/p speed-up, not a p% gain (1 + p/100)."""
    assert parse_speedup(phrase) == (pytest.approx(factor), None)


@pytest.mark.parametrize("phrase", ["in 150% of the time", "not in 30% of the time"])
def test_a_share_of_the_time_over_all_of_it_or_negated_is_no_speedup(phrase):
    """Taking 150% of the time is a slow-down; a negated share claims nothing."""
    assert parse_speedup(phrase) is None


@pytest.mark.parametrize(("phrase", "factor"), [
    ("speedup: 3x", 3.0), ("throughput: 2x higher", 2.0), ("latency: 50% lower", 2.0),
])  # fmt: skip
def test_a_colon_after_a_speed_word_labels_its_value(phrase, factor):
    """`speedup: 3x` reads as `speedup 3x`: in a short phrase the colon is a label."""
    assert parse_speedup(phrase) == (pytest.approx(factor), None)


def test_a_colon_after_a_decoy_word_still_labels_no_speedup():
    """`memory: 4x less` is a memory reduction, colon or not."""
    assert parse_speedup("memory: 4x less") is None

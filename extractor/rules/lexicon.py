"""The words and patterns of speed claims, kept apart from the logic that uses them.

Design note: `claims.py` and `extractor.normalize` decide; this module only names things, so a
reviewer can read every word the speed rules react to in one place. Cue classes:
`rate` (bigger is faster), `time` (smaller is faster), `slow` (a slow-down or an
overhead) and `decoy` (a quantity that is not speed: memory, parameters, FLOPs,
cost, accuracy, steps, data). The decoy list is deliberately broad, because a
magnitude whose nearest cue is a decoy is dropped, and LABELLING.md counts a
wrong speedup as much as a missing one.
"""

from __future__ import annotations

import re

# fmt: off
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "thousand": 1000, "a hundred": 100, "a thousand": 1000, "one hundred": 100,
    "one thousand": 1000, "an": 1, "a": 1, "single": 1,
}
# fmt: on
# fmt: off
FOLD_WORDS = {
    "twofold": 2, "threefold": 3, "fourfold": 4, "fivefold": 5, "sixfold": 6,
    "sevenfold": 7, "eightfold": 8, "ninefold": 9, "tenfold": 10, "twelvefold": 12,
    "twentyfold": 20, "fiftyfold": 50, "hundredfold": 100, "thousandfold": 1000,
    "two-fold": 2, "three-fold": 3, "four-fold": 4, "five-fold": 5, "six-fold": 6,
    "seven-fold": 7, "eight-fold": 8, "nine-fold": 9, "ten-fold": 10,
    "hundred-fold": 100, "thousand-fold": 1000,
}
# fmt: on

_NUM = r"(?<![\w.,])(?>\d+(?:,\d{3})*(?:\.\d+)?)"
_WORD = (
    r"\b(?:a\s+hundred|a\s+thousand|one\s+hundred|one\s+thousand|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|thousand)\b"
)
# A power of ten as arXiv writes it: "10^4", "10^{-6}", "10⁴" (LaTeX's `$10^4$` reads so).
_POW = r"(?<![\w.,])(?>10\s*(?:\^\s*\{?\s*[-−]?\d+\s*\}?|⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))"
_N = rf"(?:{_POW}|{_NUM}|{_WORD})"
_QUAL = (
    r"(?:\b(?:up\s+to|more\s+than|over|nearly|almost|about|around|roughly|approximately|"
    r"at\s+least|as\s+much\s+as|upwards\s+of)\s+|[~>≈]\s*|\bsim\W{0,3}\s*)?"
)
_UNIT = r"(?:\s*(?:x|×|X)(?![\w])|\s*-?\s*times(?![\w])|\s*-?\s*fold(?![\w]))"
_FOLDS = "|".join(sorted(FOLD_WORDS, key=len, reverse=True))

# How every magnitude below starts: a digit or a symbol, a qualifier, a number word or
# another first word of one of its alternatives. Keep in step with them:
# tests/test_normalize.py checks the pattern with and without it on every word it holds.
MAGNITUDE_STARTS = (
    r"[\d~>≈]|a\s|an[\s\-–to]|at\s|as\s|in\s|up\s|upwards|more|over|nearly|almost|about|"
    r"around|roughly|approximately|sim|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|several|multiple|many|few|"
    r"numerous|some|order|between|factor|twice|half|doubl|halv|tripl|exponential|quadratic|"
    r"super|cubic"
)
# The leading assertions only let word starts through: without them every character
# of an abstract is tried against every alternative, three times slower; and only the
# one word start in ten that can start a magnitude (MAGNITUDE_STARTS) tries them all,
# which took two thirds of the time the pattern took.
MAGNITUDE = re.compile(
    rf"""(?<![\w.,])(?=[\w~>≈])(?={MAGNITUDE_STARTS})(?P<qual>{_QUAL})(?:
      (?P<o1>{_N}|\ban)(?:\s*[-–]?\s*(?:to|or)\s*[-–]?\s*(?P<o2>{_N})|\s*[-–]\s*(?P<o3>{_N}))?
          [\s-]+orders?[\s-]+of[\s-]+magnitude
    | (?P<onull>\b(?:several|multiple|many|a\s+few|few|numerous|some)[\s-]+)?
          (?P<oplain>\borders?)[\s-]+of[\s-]+magnitude
    | (?:\bbetween\s+(?P<r1b>{_NUM})|(?P<r1>{_N}))
          (?(r1b)\s*(?:x|×|times|%)?\s+and\s+|(?:{_UNIT}|%)?\s*(?:-|–|~|to)\s*)
          (?P<r2>{_N})(?:{_UNIT}|(?P<rp>%))
    | (?P<n>{_N})\+?(?P<u>{_UNIT})
    | \b(?P<fold>{_FOLDS})(?![\w-])
    | (?P<pct>{_NUM})\s*(?:%|\\%|percent\b)\+?
    | \b(?:a\s+)?factor\s+of\s+(?P<fac>{_N})
    | \b(?P<twice>twice)\b
    | \b(?P<half>half)\s+the\s+(?=time|latency|wall|run|training|inference|cost)
    | \b(?P<dbl>doubl(?:e|es|ed|ing)|halv(?:e|es|ed|ing)|tripl(?:e|es|ed|ing)|in\s+half)\b
    | \b(?P<exp>exponential|quadratic|super-?polynomial|super-?exponential|cubic)
          (?=\s+(?:speed-?ups?|acceleration))
    )""",
    re.X | re.I,
)
# The same pattern for text already lower-cased, where it runs in half the time:
# re.IGNORECASE compares every letter case-blind. Only for text whose lower case
# has the same length (offsets stay valid) and lacks the two letters that
# IGNORECASE equates with an ASCII one but lower() leaves alone (see `lowered`).
MAGNITUDE_LOWER = re.compile(MAGNITUDE.pattern, re.X)
_CASE_ODD = ("ı", "ſ")  # dotless i ~ i, long s ~ s under re.IGNORECASE


def lowered(text: str) -> str | None:
    """`text.lower()` when MAGNITUDE_LOWER on it finds what MAGNITUDE finds on `text`."""
    low = text.lower()
    if len(low) != len(text) or any(c in low for c in _CASE_ODD):
        return None
    return low


# A magnitude glued to a formula: "R^3times", "n_1 times", "v2x".
FORMULA_BEFORE = re.compile(r"[\^_{]\d|[A-Za-z]\d")
# "64×64", "1 times 1 convolutions", "2x2 kernels".
FORMULA_AFTER = re.compile(r"\s*\d|[A-Za-z]")
# "speedup factors between 2.1 and 26", "a speed-up of 3.5": numbers with no unit.
BARE = re.compile(
    rf"\b(?:speed-?ups?|acceleration)\s+(?:factors?\s+)?(?:of\s+)?(?P<qual>{_QUAL})"
    rf"(?:between\s+)?(?P<b1>{_POW}|{_NUM})(?:\s*(?:-|–|to|and)\s*(?P<b2>{_POW}|{_NUM}))?"
    r"(?!\s*(?:%|x\b|×|times|-?fold|orders?))",
    re.I,
)
BARE_PHRASE = re.compile(
    rf"{_QUAL}(?P<a>{_POW}|{_NUM})(?:\s*(?:-|–|to)\s*(?P<b>{_POW}|{_NUM}))?", re.I
)
# The exponent of a power of ten: "10^{-6}" -> -6, "10⁴" -> 4.
POW_EXPONENT = re.compile(r"\^\s*\{?\s*([-−]?\d+)|([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻−", "0123456789--")
EXP_SPEEDUP = re.compile(
    r"(?:exponential|quadratic|super-?polynomial|super-?exponential|cubic)\s+"
    r"(?:speed-?ups?|acceleration)",
    re.I,
)

_RATE = (
    r"wall-?clock\s+speed-?ups?|as\s+fast\s+as|"
    r"(?:performance|inference|training|generation|decoding|sampling|processing|"
    r"computation(?:al)?|computing|execution|running|solving|query)\s+speeds?|"
    r"faster|quicker|speed-?ups?|speeds?(?:ing)?\s+up|sped\s+up|speeds?|accelerat\w*|"
    r"throughputs?|tokens?\s+per\s+second|tokens?/s|frames?\s+per\s+second|fps|"
    r"efficiency\s+(?:improvements?|gains?)|(?:computational|runtime)\s+efficiency|"
    r"(?:queries|samples|images|requests)\s+per\s+second"
)
_TIME = (
    r"wall-?clock\s+(?:[\w-]+\s+){0,2}?(?:latenc(?:y|ies)|times?)|(?<=half the )time|"
    r"latenc(?:y|ies)|run(?:-|\s+)?times?(?!-)|running\s+times?|wall-?clock(?:\s+times?)?|"
    r"(?:training|inference|execution|computation|computational|compute|solve|solving|"
    r"solution|generation|sampling|decoding|query|search|processing|response|evaluation|"
    r"simulation|total|overall|per-step|step|iteration|convergence|"
    r"time-to-\w+|decompression|encoding|prediction|rendering|optimization|tuning|"
    # the stages of a program or a workflow whose time is cut ("compile time")
    r"compilation|compile|setup|set-up|autotuning|auto-tuning|end-to-end|wall|"
    r"preprocessing|pre-processing|mapping|loading|startup|start-up|communication|"
    r"transfer|alignment|assembly|build|calibration|construction|indexing|retrieval|"
    r"reconstruction|all-?reduce|analysis|profiling|checkpointing|synthesis|verification|"
    r"planning|fitting|factori[sz]ation|preparation|turnaround|transmission)\s*"
    r"(?:times?|hours?)(?:\s+(?:savings?|reductions?))?|time\s+savings?|less\s+time|"
    r"time-(?:to|between|per)(?:-\w+)+"  # "time-to-first-token", "time-between-tokens"
)
_DECOY = (
    r"memory|footprint|parameters?|params|flops|macs|compute|costs?|cheaper|price|budget|"
    r"energy|power|storage|sizes?|bandwidth|communication|data|samples?|steps?|"
    r"iterations?|evaluations?|nfes?|queries|tokens?|accuracy|accuracies|errors?|"
    r"precision|perplexity|scores?|bleu|fid|compress\w*|length|scaling|performance|"
    r"larger|bigger|smaller|longer|better|more\s+accurate|quality|number|coverage|diversity|"
    r"bounds?|rates?|reward|returns?|regret|efficiency|improvements?\s+in\s+accuracy|"
    r"gains?\s+in\s+accuracy|ratios?|resolution|capacity|context|margin|fewer\s+\w+|"
    # scores: "70.6% mIoU at 30.4 fps" is a score, and the frame rate is no gain over anything
    r"top-?[15]|recall|(?-i:m?AP(?:\d+|@[\d.:]+)?|mIoU|IoU|F1|AUC|AUROC|PSNR|SSIM|WER|NDCG)"
)
_SLOW = r"slower|slow-?downs?|overheads?|slows?\s+down"
# Speed words that name the physical world as often as computation (a star rotates
# `faster`, `inflation accelerated`, `gait speed`, `response times`, `less time` in
# hospital): a claim on one of these needs a computational subject (rules/owner.py).
# Matched against a CUE match's whole text; every other speed cue is computational by
# itself (`speedup`, `throughput`, `training time`, `wall-clock`, `time-to-solution`).
GENERIC_CUE = re.compile(
    r"as\s+fast\s+as|faster|quicker|speeds?|speeds?(?:ing)?\s+up|sped\s+up|accelerat\w*|"
    r"(?:processing|running)\s+speeds?|efficiency\s+(?:improvements?|gains?)|time|"
    r"latenc(?:y|ies)|less\s+time|time\s+savings?|(?:search|processing|response|evaluation|"
    r"total|overall|per-step|step|convergence|prediction|time-to-(?!solution)\w+)\s*"
    r"(?:times?|hours?)(?:\s+(?:savings?|reductions?))?|time-to-(?!solution)\w+",
    re.I,
)
# "2.5 times faster than predicted by the Vinen equation", "15% faster than expected":
# a finding measured against a prediction, not a method against a baseline.
THAN_EXPECTED = re.compile(
    r"[\s-]*than[\s-]+(?:(?:was|were|is|had\s+been|previously|theoretically)\s+)?"
    r"(?:expected|predicted|anticipated|assumed|thought|believed|estimated)\b",
    re.I,
)
CUE = re.compile(
    rf"\b(?:(?P<rate>{_RATE})|(?P<time>{_TIME})|(?P<slow>{_SLOW})|(?P<decoy>{_DECOY}))\b",
    re.I,
)
REDUCE = re.compile(
    r"\b(?:reduc\w*|lower\w*|less|decreas\w*|cuts?|cutting|sav(?:e|es|ed|ing|ings)|"
    r"shorter|shortens?|improv\w*|drops?|fewer|halv\w*|faster|speed-?ups?|speeds?\s+up|"
    r"accelerat\w*|saving\w*)\b",
    re.I,
)
REDUCE_STRICT = re.compile(r"\b(?:reduc\w*|lower\w*|decreas\w*|cuts?|shorter)\b", re.I)
# "adds less than 3% to training time" is an overhead, however small.
INCREASE = re.compile(r"\b(?:increas\w*|longer|more\s+time|doubl\w*|tripl\w*|add(?:s|ed|ing)?)\b",
                      re.I)
NEGATION = re.compile(
    r"\b(?:no|not|without|never|neither|nor|cannot|fails?\s+to)\s+(?:[\w-]+\s+){0,2}$", re.I
)
NEGATION_ANY = re.compile(r"\b(?:no|not|without|never|cannot)\b", re.I)
BOUNDARY = re.compile(
    r";|:\s|\s--?\s|\.\s|,\s+(?:while|whereas|but|although|though|which|and\s+(?:the|a|an|it|"
    r"we|our|save|achiev\w+|reduc\w+|improv\w+|increas\w+|yield\w*))\b|\bbut\b|\bwhereas\b|"
    r"\bwhile\b|\bwith\b|"
    # "3x faster than X on Y and reaches 61.4% on Z": a second predicate, a new claim
    r"\band\s+(?:reach\w*|achiev\w*|obtain\w*|attain\w*|scor\w*|outperform\w*|surpass\w*|"
    r"match\w*)\b",
    re.I,
)
# After a magnitude, a plain "and" starts a new claim unless another magnitude follows
# ("66.8% and 68.7% speed-ups" is one cue for two numbers).
AND_CLAUSE = re.compile(r"\band\s+(?![~>≈]?\s*\d|up\s+to|over\b|more\s+than|nearly|almost)", re.I)
# Magnitudes that share one cue: "45x and 6150x", "2x to 30x", "10%, 20% and 30%".
MAG_LIST = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|to\s+|/\s*)", re.I)
NAME_LIST = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
RESPECTIVELY = re.compile(r",?\s*respectively\b", re.I)
# "speedup of 10x", "accelerates inference by 2.5x", "speeds up the generation by 270x":
# a speed word that leads straight into its magnitude, whatever follows it.
LEAD = re.compile(r"\s+(?:of|by)\s+|(?:\s+[\w-]+){1,4}?\s+by\s+", re.I)
# A quantity that is not speed leads into its number only straight on: "accuracy by
# 5%" (not "evaluation of sequential models by 3 orders of magnitude faster").
LEAD_NEAR = re.compile(r"\s+(?:of|by)\s+", re.I)
# "by 270x and the end-to-end speech synthesis by 38x": a second magnitude with no cue
# of its own, in the same clause, after "and": the first one's cue goes for both.
ELLIPSIS = re.compile(r"(?:\s+[\w-]+){0,6}?\s+and(?:\s+[\w-]+){0,6}?\s+by\s+", re.I)
# "the time-to-solution is 5 times shorter": the comparative after the number says
# which way the time went (none of these words is a cue of its own).
SHORTER = re.compile(r"\s+(?:shorter|lower|less)\b(?!\s+time)", re.I)
# "reduces inference time to 30% of the original": the new time, not the cut.
TO_LEVEL = re.compile(r"\bto\s*$", re.I)
# "98% of the original throughput", "60% of the acceleration": a share of a rate, not a
# gain in it.
SHARE_OF = re.compile(r"\s+of\b", re.I)
# A rate that went down is a slow-down: "throughput drops by 30%", "30% lower
# throughput", "speed is reduced tenfold", "decreases inference speed by 20%". Not
# the first half of a compound ("reduced-order models", "low-rank").
_DROP = (
    r"\b(?:reduc(?:e|es|ed|ing|tions?)|decreas\w*|lower(?:s|ed|ing)?|less|drops?|"
    r"dropp(?:ed|ing)|declin\w*|fall(?:s|ing)?|fell|degrad\w*|los(?:s|e|es|t|ing))\b(?!-)"
)
DROP = re.compile(_DROP, re.I)
# ... and a verb saying so just before the speed word: "reduces the throughput by".
DROP_BEFORE = re.compile(
    r"\b(?:reduc|decreas|lower|dropp?|degrad)(?:e|es|ed|ing|s)?\s+"
    r"(?:(?:the|its|their|our|by)\s+)?(?:[\w-]+\s+)?$",
    re.I,
)
SPEED_WORD = re.compile(r"\b(?:fast|faster|speed\w*|accelerat\w*|quick\w*)\b", re.I)
# A sentence with no digit and none of these words holds no magnitude. Plain substring
# tests on the lower-cased sentence: a regex alternation of words is far slower.
_DIGIT = re.compile(r"\d")
_HINT_WORDS = (
    "fold",
    "twice",
    "doubl",
    "halv",
    "in half",
    "tripl",
    "order",
    "exponential",
    "quadratic",
    "cubic",
    "polynomial",
    "hundred",
    "thousand",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)
_SPEED_HINTS = (
    "fast",
    "speed",
    "accelerat",
    "latenc",
    "throughput",
    "time",
    "quick",
    "fps",
    "second",
    "efficien",
    "wall",
)


class ClaimFilter:
    """Cheap pre-check: a speed word and something that could be a magnitude.

    Built once per abstract, it keeps only the hint words the abstract holds, so
    that each of its sentences is tested against those few (a word missing from
    the abstract is missing from every sentence of it) rather than all of them.
    """

    def __init__(self, text: str) -> None:
        self._low = text.lower()
        self.speed = [w for w in _SPEED_HINTS if w in self._low]
        self._words: list[str] | None = None  # found when first needed: digits are common

    def __call__(self, text: str) -> bool:
        low = text.lower()
        if not any(w in low for w in self.speed):
            return False
        if _DIGIT.search(text):
            return True
        if self._words is None:
            self._words = [w for w in _HINT_WORDS if w in self._low]
        return any(w in low for w in self._words)

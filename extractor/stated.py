"""Does a speedup's quote state the factor the answer claims?

A model was seen answering `factor: 1000` with the quote `"3x faster"`: the
quote is grounded in the abstract, the number is made up. This module reads
every factor a quote can give, so the schema's validator can turn a factor no
reading gives into a re-ask. It is apart from schema.py because it is a reader
of text (numbers, number words, percentages, orders of magnitude), not a part
of the answer's shape.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import Speedup


# Words that state a magnitude, as numbers ('sixfold' and 'six-fold' are read as
# 'six' and 'fold'). A quote is read leniently: each word and number in it is a
# candidate, in every reading LABELLING.md allows, so a factor that matches none
# was not taken from the quote.
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "million": 1e6,
    "billion": 1e9, "twice": 2, "double": 2, "doubled": 2, "doubles": 2, "doubling": 2,
    "thrice": 3, "triple": 3, "tripled": 3, "triples": 3, "tripling": 3, "quadruple": 4,
    "quadrupled": 4, "quadrupling": 4, "half": 2, "halve": 2, "halved": 2, "halves": 2,
    "halving": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "tenth": 10,
}
# Words that state a magnitude without a number: the claim's factor is null.
_NO_NUMBER = re.compile(r"orders?\W+of\W+magnitude|exponential|polynomial|quadratic|cubic",
                        re.I)
_ONE_ORDER = re.compile(r"\b(?:an|one)\W+order\W+of\W+magnitude", re.I)
_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[a-z]+", re.I)
_TEN_TO = re.compile(r"10\s*\^\s*\{?\s*(\d{1,3})")  # 10^3, 10^{3}


def stated_factors(text: str) -> set[float] | None:
    """Every factor a reading of `text` (a speedup's quote) can give, or None
    when it states no magnitude at all (no number, no magnitude word).

    Lenient on purpose: each number stands for itself, for a percentage (37% ->
    1.37; a time cut by 50% -> 2.0; a time cut to 25% -> 4.0), for a power of ten
    when the quote speaks of orders of magnitude, and times a following
    "thousand"/"million"; the ratio of any two of its numbers ("from 120 s to
    3 s" -> 40) and `parse_speedup`'s own reading are added. A label needs the
    exact reading; this only catches a factor the quote cannot give, since a
    re-ask the model fails again costs the whole paper."""
    from .normalize import parse_speedup  # normalize -> rules -> schema: imported late

    words = [t.lower() for t in _TOKEN.findall(text)]
    numbers = [float(t.replace(",", "")) if t[0].isdigit()
               else _WORD_NUMBERS.get(t.removesuffix("fold")) for t in words]
    values = [n for n in numbers if n is not None and n > 0]
    if not values and not _NO_NUMBER.search(text):
        return None
    percent = "%" in text or "percent" in text.lower()
    orders = re.search(r"orders?\W+of\W+magnitude", text, re.I) is not None
    factors: set[float] = set()
    for n in values:
        factors.add(n)
        if percent:
            factors.add(1 + n / 100)
            if n < 100:
                factors.update((1 / (1 - n / 100), 100 / n))
        if orders and n <= 308:
            factors.add(10.0**n)
    for n, scale in itertools.pairwise(numbers):
        if n is not None and scale in (1000, 1e6, 1e9):
            factors.add(n * scale)
    # "from 120 s to 3 s": a model may divide one time by the other
    factors.update(max(a, b) / min(a, b) for a, b in itertools.combinations(values[:12], 2))
    factors.update(10.0 ** int(e) for e in _TEN_TO.findall(text))
    if _ONE_ORDER.search(text):
        factors.add(10.0)  # not for "several orders of magnitude": that factor is null
    parsed = parse_speedup(text)
    factors.update(f for f in parsed or () if f is not None)
    return factors


def _close(value: float, factors: set[float]) -> bool:
    """`value` is one of `factors`, as rounded as a label writes it (1.18 for 1/0.85)."""
    return any(abs(value - f) <= 0.02 * f + 0.005 for f in factors)


def unstated_claim(speedup: Speedup) -> str | None:
    """What is wrong with `speedup`'s factors given its quote, or None."""
    factors = stated_factors(speedup.text)
    if factors is None:
        return f"{speedup.text!r} states no magnitude"
    wrong = [f"{name} {value:g}" for name, value in
             (("factor", speedup.factor), ("factor_max", speedup.factor_max))
             if value is not None and not _close(value, factors)]
    if wrong:
        return f"{' and '.join(wrong)} not stated by {speedup.text!r}"
    return None

"""A magnitude in a sentence, read as numbers: `6x`, `sixfold`, `37%`, `10^4`, `3 orders
of magnitude`, `doubling`, `2x to 30x`.

Design note. `extractor.normalize` decides whether a magnitude is a speed claim and
what factor it makes, from its cue; this module only reads what the magnitude
itself says (its kind and its numbers), with no regard to any cue. It is kept
apart because that reading is a layer of its own below the claim rules: it knows
number words, powers of ten and what a float can hold, and nothing about speed.
The patterns it matches are `lexicon.py`'s.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import lexicon as lx


@dataclass(frozen=True)
class Mag:
    """One magnitude: its span in the sentence, its kind, and its number or range."""

    start: int
    end: int
    kind: str  # mult, pct, null, double, halve
    low: float | None
    high: float | None


def number(token: str | None) -> float | None:
    """Digits, a number word or a power of ten as a float; None when it is no number."""
    if token is None:
        return None
    token = re.sub(r"\s+", " ", token.strip().lower())
    power = lx.POW_EXPONENT.search(token)
    if power:  # "10^4", "10^{-6}", "10⁴"
        return _power_of_ten(float((power.group(1) or power.group(2)).translate(lx.SUPERSCRIPTS)))
    if token in lx.NUMBER_WORDS:
        return float(lx.NUMBER_WORDS[token])
    try:
        value = float(token.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # "999...9x" past 1e308 is no number


def _power_of_ten(exponent: float | None) -> float | None:
    """10 ** exponent, or None past the largest float (`1,000 orders of magnitude`)."""
    if exponent is None or exponent > 308:
        return None
    return 10.0**exponent


def magnitude(m: re.Match[str]) -> Mag:
    """The kind and numbers of one match of `lexicon.MAGNITUDE`."""
    g = m.groupdict()
    s, e = m.start(), m.end()
    if g["o1"]:
        low = _power_of_ten(number(g["o1"]))
        high = _power_of_ten(number(g["o2"] or g["o3"]))
        if low is None:
            return Mag(s, e, "null", None, None)
        return Mag(s, e, "mult", low, high)
    if g["oplain"]:
        if g["onull"] or g["oplain"].lower() == "orders":
            return Mag(s, e, "null", None, None)
        return Mag(s, e, "mult", 10.0, None)
    if g["r1"] or g["r1b"]:
        low = number(g["r1"] or g["r1b"])
        return Mag(s, e, "pct" if g["rp"] else "mult", low, number(g["r2"]))
    if g["n"]:
        return Mag(s, e, "mult", number(g["n"]), None)
    if g["fold"]:
        return Mag(s, e, "mult", float(lx.FOLD_WORDS[g["fold"].lower()]), None)
    if g["pct"]:
        return Mag(s, e, "pct", number(g["pct"]), None)
    if g["fac"]:
        return Mag(s, e, "mult", number(g["fac"]), None)
    if g["half"]:
        return Mag(s, e, "halve", 2.0, None)
    if g["twice"]:
        return Mag(s, e, "mult", 2.0, None)
    if g["dbl"]:
        word = g["dbl"].lower()
        if word.startswith(("halv", "in")):
            return Mag(s, e, "halve", 2.0, None)
        return Mag(s, e, "double", 2.0 if word.startswith("doubl") else 3.0, None)
    return Mag(s, e, "null", None, None)  # exponential / quadratic speedup


def magnitudes(sent: str) -> list[Mag]:
    """Every magnitude of a sentence, in order; a part of a formula (`64×64`) is none."""
    mags = []
    low = lx.lowered(sent)
    found = lx.MAGNITUDE.finditer(sent) if low is None else lx.MAGNITUDE_LOWER.finditer(low)
    for m in found:
        if lx.FORMULA_BEFORE.search(sent, max(0, m.start() - 2), m.start() + 1) and not (
            m.group("qual")
        ):
            continue  # "R^3times", "n_1 times": part of a formula
        if lx.FORMULA_AFTER.match(sent, m.end()):
            continue  # "64×64", "1 times 1 convolutions"
        mags.append(magnitude(m))
    for b in lx.BARE.finditer(sent):
        if not any(x.start <= b.start("b1") < x.end for x in mags):
            start = b.start("qual") if b.group("qual") else b.start("b1")
            mags.append(
                Mag(start, b.end(), "mult", number(b.group("b1")), number(b.group("b2")))
            )
    return sorted(mags, key=lambda x: x.start)

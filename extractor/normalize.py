"""Speed claims in plain English -> numbers.

A speed claim is a magnitude (`6x`, `sixfold`, `37%`) tied to a cue that says
what got bigger or smaller; `rules/claims.py` reads the claims of one sentence
and has the design note on cues.

`find_speedups` adds the sentence-level rules of LABELLING.md: a claim needs
the paper as its owner (a sentence about "surrogate models" in general, with no
`we`, `our`, `proposed` or coined name, is about prior work, and so is one whose
subject is `previous methods` or that `have been shown`), a claim on a speed word
other fields share (`faster`, `accelerated`, `latency`) needs a computational
subject (`rules/owner.py`: the star that `rotates 3 times faster` is no code),
and the baseline is kept only when the sentence names something more specific
than "previous methods" (`rules/baselines.py`). `parse_speedup` runs the same
machinery on a short phrase such as an LLM's answer, where a bare magnitude
(`6x`, `13.9`) is taken as the factor.

Only stdlib `re` is used; every pattern is compiled once at import.
"""

from __future__ import annotations

import re
from dataclasses import replace

from . import latex
from .rules import lexicon as lx
from .rules import owner
from .rules.claims import FoundSpeedup, claims_in
from .rules.magnitudes import Mag, magnitude, magnitudes, number
from .rules.text import split_sentences


def find_speedups(text: str, own_names: set[str] | None = None) -> list[FoundSpeedup]:
    """Every speed claim in `text`, in order, one entry per magnitude.

    `own_names` are names known to be the paper's (its coined method name): a
    sentence that mentions one is about the paper even without `we` or `our`.
    LaTeX (`$10\\times$ faster`) is read as a reader sees it; each quote is still
    the verbatim slice of `text`, markup and all.
    """
    converted = latex.plain(text)
    if converted is None:
        return _find_speedups(text, own_names)
    out = []
    for s in _find_speedups(converted.text, own_names):
        start, end = converted.span(s.start, s.end)
        out.append(replace(s, text=text[start:end], start=start, end=end))
    return out


def _find_speedups(text: str, own_names: set[str] | None) -> list[FoundSpeedup]:
    may_hold_claim = lx.ClaimFilter(text)
    if not may_hold_claim.speed:
        return []  # no speed word anywhere: no sentence can hold a claim
    names = own_names or set()
    out: list[FoundSpeedup] = []
    earlier = owner.Introduced(names)
    sentences = split_sentences(text)
    anchors = owner.PaperNames([s.text for s in sentences], names)
    for sentence in sentences:
        earlier.see(sentence.text)
        if not may_hold_claim(sentence.text):
            continue
        claims = claims_in(sentence, anchors)
        if claims and (owner.owned(sentence.text, names) or earlier.refers(sentence.text)
                       or owner.named(sentence.text, anchors.names)
                       ) and not owner.background(sentence.text, anchors):
            prior = owner.prior_from(sentence.text, names)
            out.extend(c for c in claims if prior is None or c.start < sentence.start + prior)
    return out


# "in 30% of the time", "30% of the original runtime": the share of a time that is
# left, a level (100/p), whether or not a word says the time went down.
_SHARE_OF_TIME = re.compile(
    r"\s*of\s+(?:the|its|their|our)\s+(?:[\w'’-]+\s+){0,2}?"
    r"(?:time|run(?:-|\s+)?times?|running\s+times?|latenc(?:y|ies)|duration)\b",
    re.I,
)
# "speedup: 3x", "throughput: 2x higher": in a phrase, a colon after a speed word
# labels its value; in an abstract it ends a clause (lexicon.BOUNDARY).
_LABEL_COLON = re.compile(r"\s*:\s+")


def _unlabelled(phrase: str) -> str:
    """`phrase` with the colon after each rate or time cue made a space."""
    for c in reversed(list(lx.CUE.finditer(phrase))):
        label = _LABEL_COLON.match(phrase, c.end())
        if c.lastgroup in ("rate", "time") and label:
            phrase = f"{phrase[: c.end()]} {phrase[label.end() :]}"
    return phrase


def _share_of_time(phrase: str) -> Mag | None:
    """The percentage that `phrase` says is a share of a time (`in 30% of the time`)."""
    return next((m for m in magnitudes(phrase) if m.kind == "pct" and m.low is not None
                 and _SHARE_OF_TIME.match(phrase, m.end)), None)


def parse_speedup(phrase: str) -> tuple[float | None, float | None] | None:
    """(factor, factor_max) of one speed phrase, or None when it is not a speed claim.

    `'6x faster'` -> (6.0, None); `'2x to 30x'` -> (2.0, 30.0); `'orders of
    magnitude faster'` -> (None, None); `'15% lower latency'` -> (1.18, None);
    `'in 25% of the time'` -> (4.0, None); `'4x less memory'` -> None. A bare
    magnitude with no cue at all (`'6x'`, `'13.9'`) is taken as the factor: the
    caller already knows it is a speedup. `speedup: 3x` reads as `speedup 3x`.
    """
    converted = latex.plain(phrase)  # a quote of `$10\\times$ faster`
    phrase = _unlabelled(" ".join((converted.text if converted else phrase).split()))
    if not phrase:
        return None
    for sentence in split_sentences(phrase):
        claims = claims_in(sentence)
        if claims:
            return claims[0].factor, claims[0].factor_max
    if share := _share_of_time(phrase):  # running in p% of the time is a 100/p speed-up
        slower = not 0 < share.low < 100 or lx.NEGATION_ANY.search(phrase)
        return None if slower else (round(100 / share.low, 2), None)
    if lx.CUE.search(phrase) or lx.NEGATION_ANY.search(phrase):
        return None
    bare = lx.BARE_PHRASE.fullmatch(phrase)
    if bare:
        return number(bare.group("a")), number(bare.group("b"))
    m = lx.MAGNITUDE.search(phrase)
    if m is None:
        return None
    mag = magnitude(m)
    if mag.kind == "pct" and mag.low is not None:
        return round(1 + mag.low / 100, 4), None
    if mag.kind in ("mult", "null", "double"):
        return mag.low, mag.high
    return None

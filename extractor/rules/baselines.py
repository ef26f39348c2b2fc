"""What a speed claim is measured against: its baseline, when its sentence names one.

Design note (LABELLING.md): the baseline is kept only when the claim's own
sentence names something more specific than prior work in general (`SciPy`,
`the log-softmax`, `conventional PDE solvers`, not `previous methods`). A
sentence names it in one of these ways, tried in this order:

- right after the claim: `6x faster than SciPy`, `twice as fast as X`, also past
  a coordinated second claim (`>1000x speed-up and >30x memory reduction over X`)
  or a short phrase (`1.9x faster on a Pixel 7 than X`), or as whose rate it is
  (`5x the throughput of vLLM`);
- inside the claim's own quote (`faster than vLLM on A100 and 2x on H100`: 2x);
- before it: `Compared to SciPy, ...`, or a comparison whose claim follows
  (`similar performance to X and they are up to 4000x faster`);
- as whose time went down: `cuts 21% from the training time for ISTA-Net+`.

Numbers and names listed in parallel pair in order (`21% and 42% ... for A and B`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..schema import MAX_BASELINE
from . import baseline_words as bw
from . import lexicon as lx
from .owner import COMMON_CAPS


@lru_cache(maxsize=4)
def comparisons(sent: str) -> tuple[re.Match[str], ...]:
    """The sentence's comparisons that come before a claim (`compared with X,`),
    found once per sentence (cached) and only for a claim that names no baseline
    after it: scanning the sentence up to each claim was quadratic, 0.6 s for a
    20,000-character abstract of `2x faster` repeated, and scanning every sentence
    that might hold a claim was 2% of the rules' time."""
    return tuple(sorted([*bw.BASE_BEFORE.finditer(sent), *bw.COMPARABLE.finditer(sent)],
                        key=lambda m: m.end()))


def baseline(sent: str, lo: int, hi: int) -> tuple[str | None, int, int]:
    """The named comparator of the claim at sent[lo:hi], and the span widened to hold it."""
    after = (bw.AS_FAST_AS if sent[:hi].endswith("as") else bw.BASE_AFTER).match(sent, hi)
    if after is None and (co := bw.CO_CLAIM.match(sent, hi) or bw.GAP.match(sent, hi)):
        after = bw.BASE_AFTER.match(sent, co.end())
    if after is None and bw.THE_RATE.search(sent, lo, hi):
        after = bw.RATE_OF.match(sent, hi)
    if after:
        np = named(after.group("np"))
        if np:
            return np, lo, after.start("np") + len(np)
    for inside in bw.CMP_INSIDE.finditer(sent, lo, hi):
        np = named(inside.group("np"))
        if np and inside.start("np") + len(np) <= hi:
            return np, lo, hi  # the quote already holds it
    for before in comparisons(sent):
        if before.end() > lo:
            break
        np = named(before.group("np"))
        if np:
            return np, before.start("cmp"), hi
    return None, lo, hi


def timed_name(sent: str, cue_end: int, hi: int) -> tuple[str | None, int]:
    """`cuts 21% from the training time for ISTA-Net+`: whose time went down is what
    the claim compares against, when it is a name: every word has a capital or a
    digit (not `for long sequences`), and it is not a class of models (`LLMs`). A
    workload described in words (`of zoom-in simulations of Milky Way-mass haloes`,
    `for BERT pre-training`) is what was timed, not a comparator. The quote widens
    to hold it."""
    m = bw.TIME_OF.match(sent, cue_end)
    np = named(m.group("np")) if m else None
    words = [w for w in np.split() if w.lower() not in _JOINING] if np else []
    if not words or not all(_NAME_WORD.search(w) for w in words) or all(
        w.upper() in COMMON_CAPS for w in words
    ):
        return None, hi
    return np, max(hi, m.start("np") + len(np))


_JOINING = {"the", "and", "or", "a", "an"}
_NAME_WORD = re.compile(r"[A-Z\d]")


_TRAILING_AND = re.compile(r"\s+(?:and|or)$", re.I)


def named(np: str) -> str | None:
    """The comparator as written, or None when it is unnamed prior work."""
    np = bw.NP_STOP.sub("", np).strip().rstrip(".")
    np = _TRAILING_AND.sub("", np)  # "than FlashAttention and reaches a 3.5x speedup"
    words = np.split()
    if not words or len(words) > 8 or len(np) > MAX_BASELINE or words[0][0].isdigit():
        return None
    rest = [w.lower() for w in words if w.lower() not in bw.GENERIC_MOD]
    if not rest or all(w in bw.GENERIC_HEAD for w in rest):
        return None
    return np


def paired(baselines: list[str | None]) -> list[str | None]:
    """The baselines of numbers that share one cue (`21% and 42% ...`): when all
    are one list of as many names (`for ISTA-Net+ and COAST`), one name each, in
    order, as `respectively` would."""
    first = baselines[0]
    names = lx.NAME_LIST.split(first) if first and len(baselines) > 1 else []
    if len(names) == len(baselines) and all(b == first for b in baselines):
        return list(names)
    return baselines

"""The speed claims of one sentence: magnitudes tied to cues.

Design note. A speed claim is a *magnitude* (`6x`, `sixfold`, `37%`, `3 orders of
magnitude`, `doubling`) tied to a *cue* that says what got bigger or smaller. The
cue decides everything LABELLING.md cares about:

- a rate cue (`faster`, `speedup`, `throughput`) takes a percentage as 1 + p,
  unless the rate fell (`throughput drops by 30%`), the percentage is a share
  of it (`98% of the original throughput`) or a multiple is 1 or less (`0.8
  times the speed`): those are slow-downs;
- a time cue (`latency`, `training time`, `wall-clock`) needs a word saying the
  time went down (`reduces`, `lower`, `improvement`), and then a percentage p
  means the new time is (1 - p) of the old, a factor of 1 / (1 - p);
- a decoy cue (`memory`, `parameters`, `FLOPs`, `cheaper`, `accuracy`, `sampling
  steps`, ...) or a slow-down cue (`slower`, `overhead`) means it is not a speed
  claim at all.

The cue is looked for first in the few words after the magnitude (`4x lower
latency`, `3x less memory`) and then in the same clause before it (`speeds up
training by 2x`, `reduces latency by 50%`), nearest first. A magnitude with no
cue is not a claim: that one rule rejects `64times64`, `16times the token length`
and `ShuffleNet V2 (2.0x)` without a list of special cases.

Numbers listed under one cue share it (`45x and 6150x speedups`), unless
`respectively` pairs them with a list of quantities; a cue past the next
number is that number's. What a magnitude's own words say (`sixfold`, `10^4`,
`2x to 30x`) is read in `magnitudes.py`; which sentences may hold the paper's
claims is `normalize.find_speedups`'s call.

Only stdlib `re` is used; every pattern is compiled once at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import baselines, owner
from . import lexicon as lx
from .magnitudes import Mag, magnitudes
from .text import Sentence


@dataclass(frozen=True)
class FoundSpeedup:
    """One speed claim found in a text; `text == source[start:end]`."""

    factor: float | None
    factor_max: float | None
    baseline: str | None
    text: str
    start: int
    end: int


def _reciprocal(p: float) -> float:
    """A time cut by p percent is a speedup of 1 / (1 - p), shown to 2 decimals."""
    return round(1 / (1 - p / 100), 2)


def _cue(sent: str, mag: Mag, stop: int) -> re.Match[str] | None:
    """The cue that says what `mag` measures: a cue leading straight into it
    (`speedup of 10x`, `accelerates inference by 2.5x`, `accuracy by 5%`), else the cue after
    it, else the nearest before it. `stop` is where the next claim starts: a
    cue past it is that claim's (`10x fewer evaluations, leading to 8x faster`)."""
    before = _cue_before(sent, mag)
    if before is not None and (lx.LEAD if before.lastgroup in ("rate", "time") else
                               lx.LEAD_NEAR).fullmatch(sent, before.end(), mag.start):
        return before  # a decoy too: "improves accuracy by 5% at the same speed"
    limit = min(len(sent), mag.end + 60, stop)
    for pattern in (lx.BOUNDARY, lx.AND_CLAUSE):
        found = pattern.search(sent, mag.end, limit)
        if found:
            limit = found.start()
    for c in lx.CUE.finditer(sent, mag.end, limit):
        if c.start() - mag.end <= 40:
            return c
        break
    return before


def _cue_before(sent: str, mag: Mag) -> re.Match[str] | None:
    """The nearest cue before `mag` in its clause."""
    cues = _clause_cues(sent, mag.start)
    if not cues:
        return None
    c = cues[-1]
    if c.lastgroup == "decoy":  # "in terms of speed and accuracy by 10x"
        speed = [x for x in cues[:-1] if x.lastgroup in ("rate", "time")]
        if speed and re.fullmatch(r"\s*(?:and|or|,)\s*", sent[speed[-1].end() : c.start()]):
            return speed[-1]
    return c


def _clause_cues(sent: str, end: int) -> list[re.Match[str]]:
    """The cues in the 70 characters before `end`, from the last clause boundary on."""
    begin = max(0, end - 70)
    for b in lx.BOUNDARY.finditer(sent, begin, end):
        begin = b.end()
    return list(lx.CUE.finditer(sent, begin, end))


def _runs(sent: str, mags: list[Mag]) -> list[range]:
    """The indices of magnitudes listed together under one cue (`45x and 6150x`,
    `2x to 30x`, `10%, 20% and 30%`), one range per list, single ones included."""
    runs = []
    i = 0
    while i < len(mags):
        j = i
        while (j + 1 < len(mags) and _listable(mags[j], mags[j + 1])
               and lx.MAG_LIST.fullmatch(sent, mags[j].end, mags[j + 1].start)):
            j += 1
        runs.append(range(i, j + 1))
        i = j + 1
    return runs


def _listable(a: Mag, b: Mag) -> bool:
    """Whether two magnitudes can share one cue: a percentage and a multiple cannot
    (`a utilization of 54% and 1.7x higher throughput`: 54% is no speed-up)."""
    return {a.kind, b.kind} != {"pct", "mult"}


def _stops(sent: str, mags: list[Mag], runs: list[range]) -> list[int]:
    """Where the claim after each magnitude starts: at the next magnitude, unless
    the two share their cue (`45x and 6150x speedups`, `2x to 30x faster`)."""
    stops = [len(sent)] * len(mags)
    for run in runs:
        if run.stop < len(mags):
            stops[run.stop - 1] = mags[run.stop].start
    return stops


def _respective(sent: str, mags: list[Mag], runs: list[range]) -> dict[int, re.Match[str]]:
    """`improves AP and FPS by 10% and 12%, respectively`: the i-th magnitude of a
    list closed by `respectively` measures the i-th of the cues listed before it,
    so only 12% is a speed claim."""
    paired: dict[int, re.Match[str]] = {}
    for run in runs:
        if len(run) > 1 and lx.RESPECTIVELY.match(sent, mags[run[-1]].end):
            cues = _clause_cues(sent, mags[run[0]].start)[-len(run) :]
            if len(cues) == len(run):
                paired.update(zip(run, cues, strict=True))
    return paired


def _factor(mag: Mag, value: float | None, cue: str, window: str,
            level: bool = False, dropped: bool = False) -> float | bool | None:
    """`value` as a speedup factor for this cue; False when it is not a speed claim.
    `level` says the percentage is the new level, not the change: a time cut *to*
    it (`to 30% of the original`), a rate that is that share of another (`98% of
    the original throughput`). `dropped` says a rate went down (`throughput drops
    by 30%`): a slow-down, whatever the number."""
    if mag.kind == "null":
        return None
    if value is None or value <= 0:
        return False
    if cue == "time":
        if mag.kind == "double":
            return False  # doubling a time is a slow-down
        if lx.INCREASE.search(window) and not lx.REDUCE_STRICT.search(window):
            return False
        if mag.kind != "halve" and not lx.REDUCE.search(window):
            return False
        if mag.kind == "pct" and level:
            return False if value >= 100 else round(100 / value, 2)
        if mag.kind == "pct":
            return False if value >= 100 else _reciprocal(value)
        return value
    if mag.kind == "halve" or dropped:
        return False  # halving a rate, or any fall in it, is a slow-down
    if mag.kind == "pct" and level:
        return round(value / 100, 4) if value > 100 else False
    if mag.kind == "pct":
        return round(1 + value / 100, 4)
    if mag.kind == "mult" and value <= 1:
        return False  # "0.8 times the speed of the baseline": slower than it
    return value


def claims_in(sentence: Sentence, names: owner.PaperNames | None = None
               ) -> list[FoundSpeedup]:
    """The claims of one sentence. `names` (the paper's own names) is given when
    the sentence comes from an abstract: then a claim on a speed word that also
    names the physical world needs a computational subject (`rules/owner.py`); a
    phrase given to `parse_speedup` is known to be a speed claim already."""
    sent = sentence.text
    found: list[tuple[Mag, FoundSpeedup]] = []
    mags = magnitudes(sent)
    runs = _runs(sent, mags)
    respective = _respective(sent, mags, runs) if "respectively" in sent else {}
    last: tuple[Mag, re.Match[str]] | None = None  # the claim before, and its cue
    subjects: owner.Subjects | None = None  # found when a claim first needs them
    for i, (mag, stop) in enumerate(zip(mags, _stops(sent, mags, runs), strict=True)):
        c = respective.get(i) or _cue(sent, mag, stop)
        if c is None and last is not None and lx.ELLIPSIS.fullmatch(sent, last[0].end, mag.start):
            c = last[1]  # "by 270x and the end-to-end synthesis by 38x": the same cue
        if c is None:
            bracketed = (
                sent[mag.start - 1 : mag.start] == "(" and sent[mag.end : mag.end + 1] == ")"
            )
            if bracketed and mag.kind == "mult" and lx.SPEED_WORD.search(sent):
                found.append((mag, _entry(sentence, mag.start, mag.end, mag.low, None)))
            elif mag.kind == "null" and lx.EXP_SPEEDUP.match(sent, mag.start):
                found.append((mag, _entry(sentence, mag.start, mag.end, None, None)))
            continue
        if c.lastgroup not in ("rate", "time"):
            continue
        lo, hi = min(mag.start, c.start()), max(mag.end, c.end())
        if c.lastgroup == "time" and hi == mag.end and (shorter := lx.SHORTER.match(sent, hi)):
            hi = shorter.end()  # "time-to-solution is 5 times shorter (than X)"
        if lx.NEGATION.search(sent, max(0, lo - 30), lo):
            continue
        window = sent[max(0, lo - 40) : hi]
        level = lx.TO_LEVEL.search(sent, max(0, mag.start - 4), mag.start) is not None
        if c.lastgroup == "rate":
            level = level or lx.SHARE_OF.match(sent, mag.end) is not None
        dropped = c.lastgroup == "rate" and bool(
            lx.DROP.search(sent, lo, hi) or lx.DROP_BEFORE.search(sent, max(0, lo - 40), lo)
        )
        factor = _factor(mag, mag.low, c.lastgroup, window, level, dropped)
        if factor is False or lx.THAN_EXPECTED.match(sent, hi):
            continue
        if names is not None and lx.GENERIC_CUE.fullmatch(c.group()):
            subjects = subjects or owner.Subjects(sent, names.names, names.computing)
            if not subjects.computational(lo):
                continue  # "the star rotates 3 times faster": a finding about the world
        last = (mag, c)
        if c.lastgroup == "time":  # "cuts 21% from the training time": the cut is the claim
            lo = min(lo, _reduction_start(sent, lo, hi))
        high = (_factor(mag, mag.high, c.lastgroup, window, level, dropped)
                if mag.high is not None else None)
        high = high if isinstance(high, float) else None
        if factor is not None and high is not None and high < factor:
            factor, high = high, factor  # "30x to 2x": factor is the lower end
        if factor is not None and high == factor:
            high = None
        timed = c.end() if c.lastgroup == "time" else None
        found.append((mag, _entry(sentence, lo, hi, factor, high, timed)))
    return _without_restatements(_paired_baselines(sent, found), sentence.start)


def _paired_baselines(sent: str, found: list[tuple[Mag, FoundSpeedup]]
                      ) -> list[tuple[Mag, FoundSpeedup]]:
    """Claims whose numbers share one cue take one name each from a parallel
    list of baselines (see `baselines.paired`)."""
    out = list(found)
    for run in _runs(sent, [mag for mag, _ in found]):
        if len(run) == 1:
            continue
        names = baselines.paired([out[k][1].baseline for k in run])
        for k, name in zip(run, names, strict=True):
            out[k] = (out[k][0], replace(out[k][1], baseline=name))
    return out


def _reduction_start(sent: str, lo: int, hi: int) -> int:
    """Where the word that says a time went down starts, when it comes before the
    claim's span (`decrease inference latency up to 4.5x`); else `lo`. A quote
    without it (`inference latency up to 4.5x`) would not say which way it went."""
    if lx.REDUCE.search(sent, lo, hi):
        return lo
    before = list(lx.REDUCE.finditer(sent, max(0, lo - 40), lo))
    return before[-1].start() if before else lo


def _without_restatements(found: list[tuple[Mag, FoundSpeedup]],
                          offset: int) -> list[FoundSpeedup]:
    """Drop a claim whose magnitude repeats, inside the quote of the claim before,
    that claim's factor: "an order of magnitude (10x) speedup" is one claim of
    10x, not two. Claims of other factors in one span ("speedups of 45x and
    6150x") stay, and so does a factor said twice for two baselines ("by up to
    29x, 29x, and 3x"). `offset` is the sentence's start in the text."""
    kept: list[FoundSpeedup] = []
    for mag, claim in found:
        if kept and claim.factor is not None and claim.factor == kept[-1].factor and (
            kept[-1].start <= offset + mag.start < kept[-1].end
        ):
            continue
        kept.append(claim)
    return kept


def _entry(
    sentence: Sentence, lo: int, hi: int, factor: float | None, high: float | None,
    timed: int | None = None,
) -> FoundSpeedup:
    baseline, lo, hi = baselines.baseline(sentence.text, lo, hi)
    if baseline is None and timed is not None:
        baseline, hi = baselines.timed_name(sentence.text, timed, hi)
    text = sentence.text[lo:hi]
    start = sentence.start + lo
    return FoundSpeedup(factor, high, baseline, text, start, start + len(text))

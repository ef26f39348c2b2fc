"""Sentence splitting with offsets, shared by every rule module.

Design note: abstracts are one line of prose with LaTeX remnants, decimals,
`e.g.`, `et al.` and URLs, so a sentence ends at `.`, `!` or `?` followed by
space and an upper-case letter, a digit or an opening bracket, unless the word
before the stop is a known abbreviation. Offsets are kept so that every
extracted item can point back into the abstract.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_END = re.compile(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(
    r"(?:\be\.g|\bi\.e|\bet\s+al|\bvs|\bcf|\bFig|\bEq|\bSec|\bNo|\bresp|\bapprox|\betc|"
    r"\bDr|\bProf|\bMr|\bMs|\bSt|\b[A-Z])$"
)


@dataclass(frozen=True)
class Sentence:
    """One sentence and where it starts in the abstract."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@lru_cache(maxsize=8)
def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split `text` into sentences; `text[s.start:s.end] == s.text` for each.

    Cached for the last few texts: the speed, dataset and method rules each read
    the same abstract's sentences in turn.
    """
    out: list[Sentence] = []
    begin = 0
    for m in _END.finditer(text):
        if _ABBREV.search(text, max(0, m.start() - 8), m.start()):
            continue
        _add(text, begin, m.end(), out)
        begin = m.end()
    _add(text, begin, len(text), out)
    return tuple(out)


def _add(text: str, begin: int, end: int, out: list[Sentence]) -> None:
    chunk = text[begin:end]
    stripped = chunk.lstrip()
    lead = len(chunk) - len(stripped)
    stripped = stripped.rstrip()
    if stripped:
        out.append(Sentence(stripped, begin + lead))


def sentence_at(sentences: Sequence[Sentence], starts: Sequence[int], at: int) -> Sentence | None:
    """The sentence holding offset `at`, found by bisecting `starts` (the
    sentences' starts, in order), or None when `at` falls between sentences."""
    i = bisect.bisect_right(starts, at) - 1
    return sentences[i] if i >= 0 and at < sentences[i].end else None

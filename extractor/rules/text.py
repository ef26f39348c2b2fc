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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_NEXT_STARTS = r"(?=\s+[\"'(\[]?[A-Z0-9])"
_END = re.compile(r"[.!?]" + _NEXT_STARTS)
# The same for a text with no `!` or `?` (most abstracts): `re` skips ahead to a
# single character far faster than to any of three (a quarter of the time).
_END_DOT = re.compile(r"\." + _NEXT_STARTS)
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
    ends = _END if "!" in text or "?" in text else _END_DOT
    for m in ends.finditer(text):
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


class Words:
    """`word in Words(text)`: whether some word of `text` (split at whitespace),
    stripped of `EDGE`, is `word`; the same answer as a set of them all.

    A title asks about a few of its words, so each is looked for with `str.find`
    and the characters around it checked: building the set of every word of the
    abstract was 4% of the rules backend's time. The set is still built when
    the finds run long (a word repeated inside others, `Learn` in `Learning
    Learning ...`, or a title of many words), so the cost stays linear."""

    EDGE = ".,;:()[]'\""
    _FINDS = 32  # finds before the set is built instead

    def __init__(self, text: str) -> None:
        self._text = text
        self._finds = self._FINDS
        self._all: set[str] | None = None

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        if word and (word.strip(self.EDGE) != word or word.split() != [word]):
            return False  # a stripped word has no edge character and no space
        if self._all is None and word:
            found = self._find(word)
            if found is not None:
                return found
        if self._all is None:
            self._all = {w.strip(self.EDGE) for w in set(self._text.split())}
        return word in self._all

    def _find(self, word: str) -> bool | None:
        """Whether `word` occurs as a whole stripped word; None when out of finds."""
        text, edge = self._text, self.EDGE
        at = -1
        while self._finds:
            self._finds -= 1
            at = text.find(word, at + 1)
            if at < 0:
                return False
            start, end = at, at + len(word)
            while start and text[start - 1] in edge:
                start -= 1
            while end < len(text) and text[end] in edge:
                end += 1
            if (not start or text[start - 1].isspace()) and (
                end == len(text) or text[end].isspace()
            ):
                return True
        return None


def may_hold(text: str, words: Iterable[str]) -> bool:
    """False when `text` surely cannot match a case-blind pattern every match of
    which holds one of `words` (lower case): a few substring tests, far cheaper
    than the pattern itself, where most texts hold none of the words. Only ASCII
    text is ruled out, since case-blind matching also equates a few other letters
    with ASCII ones (`ſ` with `s`, `ı` with `i`)."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in words)


def sentence_at(sentences: Sequence[Sentence], starts: Sequence[int], at: int) -> Sentence | None:
    """The sentence holding offset `at`, found by bisecting `starts` (the
    sentences' starts, in order), or None when `at` falls between sentences."""
    i = bisect.bisect_right(starts, at) - 1
    return sentences[i] if i >= 0 and at < sentences[i].end else None

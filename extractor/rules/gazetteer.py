"""Whole-word lookup of known names (datasets, devices) in an abstract.

Design note: a regex alternation over a thousand names is slow (every alias is
tried at every character), so the text is cut into word tokens once and each run
of 1 to N tokens is looked up in a dict: linear in the text, independent of the
gazetteer's size. Matches are case-sensitive and reported as written; a
case-folded second dict catches `Imagenet` or `CIFAR10` spelled differently, but
only for long names and tokens with a capital or a digit, so `kinetics` the word
never becomes `Kinetics` the dataset.

The data files live in `extractor/data/` next to this package and are read with
`importlib.resources`, so they ship inside the wheel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# A word: no surrounding punctuation, but inner dots, dashes and apostrophes kept
# ("CIFAR-10.", "SQuAD 1.1", "WMT'14").
_STOP = r"\s,;:()\[\]{}\"/~'‘’*.!?×"
_WORD = rf"[^{_STOP}]+(?:[.'’!?*]+[^{_STOP}]+)*"
_TOKEN = re.compile(rf"(?<![^{_STOP}]){_WORD}")
# Only words that start with a capital or a digit can start most names, so those
# are the only ones visited; the few names that start in lower case (`nuScenes`,
# `miniImageNet`) are found with plain substring search. The capital comes first
# and the look-behind after it, so that `re` skips ahead by that character set
# (a lookbehind first would be tried at every character: 2.5 times slower).
_CAPITAL_TOKEN = re.compile(
    rf"[A-Z0-9](?<![^{_STOP}][A-Z0-9])[^{_STOP}]*(?:[.'’!?*]+[^{_STOP}]+)*"
)
_VARIANT_SUFFIX = re.compile(r"-(?:SXM\d?|PCIe|\d+\s?GB)(?:-[\w]+)*$")
_COUNT = re.compile(r"\d+x(?=[A-Z])")
_NEXT = re.compile(rf"[ ]({_WORD})")
_CAP_OR_DIGIT = re.compile(r"[A-Z0-9]")


@dataclass(frozen=True)
class Hit:
    """One gazetteer name found in a text: `text == source[start:end]`."""

    text: str
    start: int
    end: int
    canonical: str
    flag: str  # the row's third column: "", "context" or "compute"

    @property
    def context(self) -> bool:
        return self.flag == "context"


@dataclass(frozen=True)
class _Entry:
    canonical: str
    flag: str


class Gazetteer:
    """Names from a `canonical<TAB>alias|alias[<TAB>flag]` file. The flag says what
    evidence an ambiguous name needs (`context`, `compute`): the caller checks it."""

    def __init__(self, rows: list[tuple[str, list[str], str]]):
        self.exact: dict[str, _Entry] = {}
        self.folded: dict[str, tuple[_Entry, str]] = {}  # with the alias, as spelled
        self.odd: list[tuple[str, _Entry]] = []
        self.prefixes: set[str] = set()
        self.heads: set[str] = set()  # every alias's first word, case-folded
        lower_first: set[str] = set()
        for canonical, aliases, flag in rows:
            for alias in aliases:
                entry = _Entry(canonical, flag)
                self.exact.setdefault(alias, entry)
                if len(alias) >= 5 and flag != "context":
                    self.folded.setdefault(alias.casefold(), (entry, alias))
                words = alias.split(" ")
                self.heads.add(words[0].casefold())
                if any(c in alias for c in "/,;:()") or not _TOKEN.fullmatch(words[0]):
                    self.odd.append((alias, entry))  # found by substring search
                elif not _CAP_OR_DIGIT.match(alias):
                    lower_first.add(words[0])
                for n in range(1, len(words)):
                    prefix = " ".join(words[:n])
                    self.prefixes.add(prefix)
                    self.prefixes.add(prefix.casefold())
        # Names that start in lower case, grouped by their first three characters and
        # found by the longest prefix each group shares (`ogb`, `mini`, `permuted`): one
        # substring search per group, not one per name, and a long prefix is both
        # found faster and found less often inside other words (`per` in `super`).
        groups: dict[str, list[str]] = {}
        for word in sorted(lower_first):
            groups.setdefault(word[:3], []).append(word)
        self.lower_stems = {_shared_prefix(words): words for words in groups.values()}

    def _longest(self, text: str, s: int, e: int) -> tuple[_Entry, int] | None:
        """The longest name starting with the word at text[s:e]."""
        if text[s:e].casefold() not in self.heads:
            return None  # one set lookup rules out the ~99% of words that start no name
        best = None
        while True:
            cand = text[s:e]
            entry = self.exact.get(cand)
            if entry is None and _CAP_OR_DIGIT.search(cand):
                folded = self.folded.get(cand.casefold())
                if folded is not None and _same_words(cand, folded[1]):
                    entry = folded[0]
            if entry is not None:
                best = (entry, e)
            if cand not in self.prefixes and cand.casefold() not in self.prefixes:
                return best
            nxt = _NEXT.match(text, e)
            if nxt is None:
                return best
            e = nxt.end(1)

    def find(self, text: str) -> list[Hit]:
        """Every non-overlapping name in `text`, longest first at each position."""
        starts = list(_capital_words(text))
        for stem, words in self.lower_stems.items():
            at = text.find(stem)
            while at >= 0:
                if (at == 0 or text[at - 1] in _STOP_CHARS) and any(
                    text.startswith(w, at) for w in words
                ):
                    starts.append(_word(text, *_TOKEN.match(text, at).span()))
                at = text.find(stem, at + 1)
        hits: list[Hit] = []
        end = -1
        for s, e, folded, plain in sorted(starts):
            if s < end or (plain and folded not in self.heads):
                continue  # most words start no name and hold no count or variant suffix
            found = self._longest(text, s, e)
            if found is None and text[s : s + 1].isdecimal() and (  # a count starts so
                count := _COUNT.match(text, s, e)
            ):
                s = count.end()  # "8xA100": eight of a name
                found = self._longest(text, s, e)
            if found is None and "-" in text[s:e]:
                bare = _VARIANT_SUFFIX.search(text, s, e)  # "A100-80GB" is an A100
                if bare and bare.start() > s:
                    found = self._longest(text, s, bare.start())
            if found is not None:
                entry, end = found
                hits.append(Hit(text[s:end], s, end, entry.canonical, entry.flag))
        for alias, entry in self.odd:
            at = text.find(alias)
            if at >= 0 and not any(h.start <= at < h.end for h in hits):
                hits.append(Hit(alias, at, at + len(alias), entry.canonical, entry.flag))
        return sorted(hits, key=lambda h: h.start)


def _shared_prefix(words: list[str]) -> str:
    """The longest prefix of all of `words` (sorted): that of the first and the last."""
    first, last = words[0], words[-1]
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _same_words(cand: str, alias: str) -> bool:
    """Whether a case-folded match spells each word as a name: `Imagenet` is ImageNet,
    but `IBM quantum computer` is no `IBM Quantum`, since a word the name writes with
    a capital is an ordinary word when the text writes it all in lower case."""
    return not any(w.islower() and a[:1].isupper()
                   for w, a in zip(cand.split(" "), alias.split(" "), strict=False))


@lru_cache(maxsize=8)
def _capital_words(text: str) -> tuple[tuple[int, int, str, bool], ...]:
    """The words that start with a capital or a digit (see `_word`); cached, since
    every gazetteer reads the same abstract in turn."""
    return tuple(_word(text, *m.span()) for m in _CAPITAL_TOKEN.finditer(text))


def _word(text: str, s: int, e: int) -> tuple[int, int, str, bool]:
    """The word at text[s:e] without an owner's `'s`, as (start, end, its case-folded
    form, whether it is plain: neither a count such as `8xA100` nor hyphenated such
    as `A100-80GB`). Only a plain word's folded form can start a name: most words
    are ruled out by it, once for every gazetteer."""
    if text.endswith(("'s", "’s"), s, e) and e - s > 2:
        e -= 2
    word = text[s:e]
    return s, e, word.casefold(), not word[:1].isdecimal() and "-" not in word


_STOP_CHARS = set(" \t\n,;:()[]{}\"/~'‘’*.!?×")


@cache
def load(name: str) -> Gazetteer:
    """The gazetteer in `extractor/data/<name>.tsv`, parsed once per process."""
    rows = []
    text = resources.files("extractor").joinpath("data", f"{name}.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        aliases = [a.strip() for a in parts[1].split("|") if a.strip()] if len(parts) > 1 else []
        rows.append((parts[0], aliases or [parts[0]], parts[2].strip() if len(parts) > 2 else ""))
    return Gazetteer(rows)

"""Datasets and benchmarks: a shipped gazetteer plus patterns for names it lacks.

Design note. Three sources, in order of trust:

1. the gazetteer (`extractor/data/datasets.tsv`): well-known names, reported as
   written; names that are also ordinary words or other fields' acronyms (`Adult`,
   `MATH`, `PTB`, `C4`) count only where the sentence shows a dataset is meant
   (`senses.py`);
2. naming patterns: `the X dataset`, `X benchmark(s)`, `A, B and C datasets`,
   `a new dataset, X,`, `X, a novel benchmark`, where X looks like a name (a
   capital inside, a digit, or a capitalised word that does not start the
   sentence);
3. lists: in `on A, B, and C` where one item is a known dataset, the other
   name-like items are datasets too (`Caltech CUB, Dogs and Cars`).

Names of models and methods (`ResNet`, `BERT`, `CLIP`), equations and physical
systems (`Navier-Stokes`, `Lorenz96`) and the paper's own method name are never
datasets; nor, from other fields, modalities, methods, diseases and programs
before a kind word (`two public EEG datasets`, `the GROMACS suite`) or the
quantity a percentage is `in` (`a 2% decrease in GDP`): see `senses.py`.
LABELLING.md counts a wrong name as much as a missing one, so every pattern
insists on a name-like token rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .gazetteer import load
from .not_datasets import NOT_DATA, is_model
from .senses import datasets_meant, kind_of_data, measured_quantity, never_a_dataset
from .text import split_sentences

_NAME_TOKEN = re.compile(r"(?:[A-Z0-9][\w.+&'-]*[\w+]|[A-Z0-9]|[a-z]+[A-Z0-9][\w.+&'-]*[\w+])")
# Words that name a collection. Searched in the lower-cased sentence with no leading
# assertion, which lets `re` skip ahead by first letter: several times faster than
# a case-insensitive pattern starting with \b.
_KIND = re.compile(
    r"data ?sets?|benchmarks?|corpus|corpora|test sets?|suites?|challenges?|leaderboards?|"
    r"databases?|archives?|collections?|splits?"
)
# fmt: off
_KIND_HINTS = (
    "data", "benchmark", "corpus", "corpora", "test set", "suite", "challenge", "leaderboard",
    "archive", "collection", "split",
)
# fmt: on
_MODIFIER = {"image", "benchmark", "classification", "evaluation", "real-world", "public"}
_DETERMINERS = {"The", "This", "These", "Our", "A", "An", "Its", "Their"}
_SEPARATOR = {"and", "or", "&"}
_NAMED_AFTER = re.compile(
    r"\s*(?:~|,|:|\s)\s*(?:(?:called|named|termed|dubbed)\s+)?[\"“]?"
    r"(?P<name>(?:[A-Z0-9][\w.+&'-]*[\w+]|[a-z]+[A-Z0-9][\w.+&'-]*[\w+])"
    r"(?:\s+[A-Z0-9][\w.+&'-]*[\w+]){0,3})"
    r"(?=[\"”]|\s*[,.;:)(]|\s+(?:which|that|consisting|containing|comprising|with|of|for|to|"
    r"can|is|was|are|contains|includes)\b)"
)
# "gains of 9.4% on 2WikiMultihop", "74.6% top-1 accuracy on ImageNet": a result on a name.
_RESULT_ON = re.compile(
    r"%\s+(?P<between>(?:[\w-]+\s+){0,4}?)(?P<prep>on|in)\s+(?:the\s+)?"
    r"(?P<name>[A-Z0-9][\w.+&'-]*(?:[a-z][A-Z]|[A-Z]{2}|\d)[\w.+&'-]*)"
)
_PAREN = re.compile(r"\s*\((?:e\.g\.,?\s*|i\.e\.,?\s*)?(?P<list>[^()]{2,200})\)")
_APPOSITION_TAIL = re.compile(r",\s*(?:a|an|the)\s+(?:[\w-]+\s+){0,4}$")
_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")




@dataclass(frozen=True)
class Found:
    """One dataset name as written and its span in the abstract."""

    name: str
    start: int
    end: int
    known: bool = False  # from the gazetteer, so never second-guessed as a model name
    # named as a dataset by the sentence itself ("X, a novel dataset", "a dataset,
    # termed X"), so kept even when X is also the paper's own name
    introduced: bool = False


_NAME_PARTS = re.compile(r"[\s-]")
_A_MAGNITUDE = re.compile(r"[\d.,]+\s*(?:x|×|%|-?fold|times)")
_NUMBER_START = re.compile(r"\d+[-./]")
_LETTERS_AND_MORE = re.compile(r"[A-Za-z]{2}|[A-Za-z]\d|\d[A-Za-z]")
_CAPS_OR_DIGIT = re.compile(r"[A-Z].*[A-Z]|\d|[a-z][A-Z]")


def _name_like(name: str, sentence_start: bool) -> bool:
    """A token sequence that reads as a proper name rather than an English word."""
    if not name or name in NOT_DATA or name.split()[0] in NOT_DATA or is_model(name):
        return False
    if never_a_dataset(name):
        return False
    if any(part in NOT_DATA for part in _NAME_PARTS.split(name)):
        return False
    if _A_MAGNITUDE.fullmatch(name):
        return False  # "1.8x on MT-bench and 4x with ...": a magnitude
    if _NUMBER_START.match(name) or not _LETTERS_AND_MORE.search(name):
        return False  # "10", "2.0", "100-LT": a fragment, not a name
    if _CAPS_OR_DIGIT.search(name):
        return True
    return name[0].isupper() and not sentence_start and len(name) > 2


def _items(group: str, offset: int, sent_start: int) -> list[Found]:
    """Split "A, B and C" into name-like items with their offsets."""
    out = []
    pos = 0
    for part in _SPLIT.split(group):
        at = group.find(part, pos)
        pos = at + len(part)
        name = part.strip().removeprefix("the ").strip().rstrip(".")
        start = offset + group.find(name, at)
        if name and _name_like(name, start == sent_start):
            out.append(Found(name, start, start + len(name)))
    return out


def _list_before(text: str, pos: int, lo: int) -> tuple[int, int] | None:
    """The span of the name list ("A, B and C") that ends right before `pos`.

    Walks back over whitespace-separated words, which is far cheaper than a
    regex that tries every start position of the sentence.
    """
    words = [(m.start(), m.end()) for m in _WORDS.finditer(text, max(lo, pos - 200), pos)]
    end = None
    start = None
    for i in range(len(words) - 1, -1, -1):
        s, e = words[i]
        word = text[s:e]
        bare = word.rstrip(",")
        if end is None and bare.lower() in _MODIFIER:
            continue
        if bare in _SEPARATOR and start is not None:
            continue
        if bare in _DETERMINERS or bare in _OPENERS:
            break  # "The NHANES dataset", "On A, B and C": no part of the first name
        if bare == "of" and start is not None and text[start].isupper() and i > 0:
            s0, e0 = words[i - 1]
            if s0 > lo and text[s0].isupper() and text[s0:e0] not in NOT_DATA:
                continue  # "the Web of Science database"
        if _NAME_TOKEN.fullmatch(bare) or (
            bare.startswith("(") and bare.endswith(")") and _NAME_TOKEN.fullmatch(bare[1:-1])
        ):  # "Pointer Value Retrieval (PVR) benchmark" keeps its acronym
            if end is None:
                end = s + len(bare)
            start = s
            continue
        break
    if start is None or end is None:
        return None
    return start, end


def _list_after(text: str, pos: int, hi: int) -> int:
    """Where the name list that continues from `pos` ends."""
    end = pos
    for m in _WORDS.finditer(text, pos, min(hi, pos + 200)):
        bare = m.group(0).strip(",.")
        if bare in _SEPARATOR or not bare:
            continue
        if _NAME_TOKEN.fullmatch(bare):
            end = m.start() + len(bare)
            if m.group(0).endswith("."):
                break
            continue
        break
    return end


_WORDS = re.compile(r"[^\s]+")
# "a new dataset, X", "a dataset, termed X": the sentence introduces X as data, which
# "on the BEIR benchmark, XTR is ..." does not.
_INTRODUCED = re.compile(
    r"\b(?:new|novel|our|introduc\w*|present\w*|releas\w*|propos\w*|construct\w*|"
    r"collect\w*|curat\w*|called|named|termed|dubbed)\b",
    re.I,
)
# "X, a framework for benchmark ...": the kind word is not the apposition's head.
_PREPOSITION = re.compile(r"\s(?:for|of|on|in|to|with|from|by|that|which)\s")
# A list that goes on past a known name needs a conjunction, or an end after it.
_UNCLOSED_OK = re.compile(r"\s(?:and|or|&)\s")
_CLOSED = re.compile(r"\s*(?:[.,;:)]|$|(?:data ?sets?|benchmarks?)\b)")
# "On A, B and C, BLC improves ...": after a list closed by "and"/"or", a comma and
# a name followed by a lower-case word (the clause's verb) start the main clause;
# the name is its subject, not another item. A kind word there still ends the list.
_CLAUSE_AFTER = re.compile(r"\s+(?!(?:data ?sets?|benchmarks?|corpus|corpora|suites?)\b)[a-z]")
# Capitalised words that open a sentence or phrase ("On A, B and C", "Across A and
# B"): the walk back over a list stops there, so the first name is not "On A".
_OPENERS = {
    "In", "On", "For", "Across", "Using", "Through", "With", "By", "To", "From", "Over",
    "Then", "Here", "Both", "All", "Each", "Also", "Additionally", "Moreover", "Finally",
    "Furthermore", "However", "Specifically", "Notably", "Further", "Extensive",
    "Experiments", "Results", "Evaluated", "Evaluating", "Tested", "Testing",
}


# Kind words that, capitalised, end the name they follow ("NASA Exoplanet Archive").
_NAME_END = {"archive", "database", "corpus", "collection"}


def _from_patterns(text: str, lo: int, hi: int, known: list[tuple[int, int]]) -> list[Found]:
    """Names that the sentence text[lo:hi] marks as datasets by how it words them."""
    out: list[Found] = []
    low = text[lo:hi].lower()
    for k in _KIND.finditer(low):
        ks, ke = lo + k.start(), lo + k.end()
        if (k.start() and low[k.start() - 1].isalnum()) or low[k.end() : k.end() + 1].isalpha():
            continue  # "metadata", "benchmarking"
        kind = text[ks:ke]
        span = _list_before(text, ks, lo)
        if span and (into := next((k for k in known if k[0] < span[0] < k[1]), None)):
            span = (into[0], span[1])  # "the Genome in a Bottle HG002 benchmark": one name
        if span and not kind_of_data(text, span, kind, lo):
            if kind[0].isupper() and kind.lower() in _NAME_END and " and " not in text[span[0]:ks]:
                span = (span[0], ke)  # "the NASA Exoplanet Archive": the word ends the name
            out.extend(_items(text[span[0] : span[1]], span[0], lo))
        if k.group(0).startswith(("data", "bench", "corpus")) and (kind[0].islower() or ks == lo):
            m = _NAMED_AFTER.match(text, ke, hi)  # not "the Corpus Callosum"
            if m and _name_like(m.group("name"), False):
                introduced = bool(_INTRODUCED.search(text, max(lo, ks - 40), m.start("name")))
                out.append(Found(m.group("name"), m.start("name"), m.end("name"),
                                 introduced=introduced))
        m = _PAREN.match(text, ke, hi) if k.group(0).startswith(("data", "bench")) else None
        if m and "," in m.group("list"):
            items = _items(m.group("list"), m.start("list"), lo)
            if len(items) == len(_SPLIT.split(m.group("list").strip())):
                out.extend(items)
        tail = _APPOSITION_TAIL.search(text, max(lo, ks - 60), ks)
        if tail:
            span = _list_before(text, tail.start(), lo)
            if span and " and " not in text[span[0] : span[1]]:
                name = text[span[0] : span[1]]
                if _name_like(name, span[0] == lo):
                    out.append(Found(name, span[0], span[1],
                                     introduced=not _PREPOSITION.search(tail.group(0))))
    if "%" in text[lo:hi]:
        for m in _RESULT_ON.finditer(text, lo, hi):
            name = m.group("name").rstrip(".")
            if measured_quantity(text, m):
                continue
            if _name_like(name, False):
                out.append(Found(name, m.start("name"), m.start("name") + len(name)))
    for s, e in known:
        start = _list_before(text, s, lo)
        first = start[0] if start else s
        last = _list_after(text, e, hi)
        if last > e and not _UNCLOSED_OK.search(text, first, last) and not _CLOSED.match(
            text, last
        ):  # "on resized ImageNet, RCIG sees ...": a comma that ends a phrase, not a list
            last = e
        elif last > e and _CLAUSE_AFTER.match(text, last):
            comma = text.rfind(",", first, last)
            if comma >= e and _UNCLOSED_OK.search(text, first, comma):
                last = comma  # "On A, B and C, BLC improves": BLC is the subject
        group = text[first:last]
        if (first, last) != (s, e) and ("," in group or " and " in group):
            out.extend(_items(group, first, lo))
    return out


def find_datasets(text: str, own_names: set[str] | None = None) -> list[Found]:
    """Dataset and benchmark names in `text`, as written, in order of first mention."""
    own = {n for n in (own_names or set()) if n}
    found: list[Found] = []
    hits = load("datasets").find(text)
    sentences = split_sentences(text)
    known: list[tuple[int, int]] = []
    for h, meant in zip(hits, datasets_meant(text, hits, sentences), strict=True):
        if _defined_acronym(text, h.start, h.end) or not meant:
            continue
        if not h.context:  # no list is extended from an ambiguous name
            known.append((h.start, h.end))
        end = h.end
        if resolution := _RESOLUTION.match(text, end):  # "ImageNet 64x64"
            end = resolution.end()
        elif edition := _EDITION.match(text, end):  # "MS-COCO 2017", spelled as written
            end = edition.end()
        found.extend(_shared_stem(text, Found(text[h.start : end], h.start, end, known=True)))
    # Only the kind words the abstract holds can be in one of its sentences: most
    # abstracts hold one or two, and each sentence is tested for those alone.
    low = text.lower()
    hints = [k for k in _KIND_HINTS if k in low]
    for sent in sentences:
        mine = [k for k in known if sent.start <= k[0] < sent.end]
        if mine or (hints and any(k in sent.text.lower() for k in hints)):
            found.extend(_from_patterns(text, sent.start, sent.end, mine))
    return _dedupe(found, own)


def _shared_stem(text: str, hit: Found) -> list[Found]:
    """`CIFAR-10/100`, `CIFAR-10, -20, -100`, `SQuAD v1.1/v2.0`: one name whose
    number is followed by more numbers names one dataset per number, and a
    suffix after the last (`CIFAR-10/100-LT`) belongs to each of them."""
    stem = _NUMBERED.fullmatch(hit.name)
    if stem is None:
        return [hit]
    out = [hit]
    at = hit.end
    while (m := _MORE_NUMBERS.match(text, at)) is not None:
        name = stem.group("stem") + m.group("num")
        out.append(Found(name, m.start("num"), m.end("num"), known=True))
        at = m.end()
    suffix = _SUFFIX.match(text, at) if len(out) > 1 else None
    if suffix:
        out = [Found(f.name + suffix.group(0), f.start, f.end, known=True) for f in out]
    return out


_NUMBERED = re.compile(r"(?P<stem>.*?(?:[-\s]v?|[A-Za-z]))\d+(?:\.\d+)?")
_MORE_NUMBERS = re.compile(
    r"(?:/|,\s*(?:and\s+)?(?=-\d)|\s+and\s+(?=-\d))-?v?(?P<num>\d+(?:\.\d+)?)\b"
)
_SUFFIX = re.compile(r"-[A-Z]{1,4}\b")
_RESOLUTION = re.compile(r"[ -]?\d{2,4}\s?(?:x|×|times)\s?\d{2,4}\b")
# A year after a known name is its edition (`iNaturalist 2018`, `COCO 2017 val`) when
# the name ends there; `ImageNet 2048-dimensional`, `CIFAR-10 2000 images` and
# `COCO 2014-2017` are counts and spans, not editions.
_EDITION = re.compile(
    r" (?:19[89]\d|20[0-2]\d)(?=\s*(?:[(),.;:]|$)|\s+(?:and|or)\s+(?!\d)|"
    r"\s+(?:val\w*|test\w*|train\w*|dev|data ?sets?|benchmarks?|challenges?|splits?)\b)"
)


def _defined_acronym(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is "(X)" right after the words it abbreviates."""
    if text[start - 1 : start] != "(" or text[end : end + 1] != ")":
        return False
    letters = [c for c in text[start:end].lower() if c.isalpha()]
    words = re.findall(r"[A-Za-z]+", text[max(0, start - 80) : start - 1])[-len(letters) - 2 :]
    initials = "".join(w[0].lower() for w in words)
    return "".join(letters) in initials or initials.endswith("".join(letters[:2]))


def _dedupe(found: list[Found], own: set[str]) -> list[Found]:
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Found] = []
    seen: set[str] = set()
    for f in found:
        if any(o.start <= f.start < o.end for o in out):
            continue  # inside a longer name already taken
        key = f.name.casefold()
        if key in seen or (f.name in own and not f.introduced) or (
            not f.known and is_model(f.name)
        ):
            continue
        seen.add(key)
        out.append(f)
    return out

"""Find quotes and names in the abstract they came from.

Models copy quotes imperfectly: a doubled space, a line break folded away, a
different case, a soft hyphen or zero-width space (Unicode format characters,
which text copied from a web page carries) left out. A quote counts as found
when it matches after folding runs of whitespace and case and dropping format
characters; the offsets returned always point into the original text, so
`abstract[start:end]` is what the reader highlights.

Unicode has two spellings of most accented letters: `é` as one character (NFC,
what most text and every model writes) or as `e` plus a combining accent (NFD,
what macOS file names and some PDF extractors give). The cache key folds them
to one, so one cached answer serves both; quotes and names are therefore found
across the two as well, each character decomposed while folding, and the
offsets still index the text as given (an NFD abstract's offsets count its
combining accents).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from . import latex

_SPACE = re.compile(r"\s+")


def _fold(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space, drop format characters and
    casefold, keeping a map from each folded character back to its index in the
    original text."""
    chars: list[str] = []
    index: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space and chars:
                chars.append(" ")
                index.append(i)
            in_space = True
            continue
        if not ch.isprintable() and unicodedata.category(ch) == "Cf":
            continue  # a soft hyphen or zero-width space: copied by one side, not the other
        in_space = False
        folded = ch.casefold()
        if not folded.isascii():  # é and e + U+0301 fold alike (canonical equivalence)
            folded = unicodedata.normalize("NFD", folded)
        # casefold and NFD may expand one character (ß -> ss, é -> e + U+0301);
        # map each piece to i.
        chars.extend(folded)
        index.extend([i] * len(folded))
    return "".join(chars), index


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Return (start, end) of `quote` in `text`, or None when it is not there."""
    quote = quote.strip()
    if not quote:
        return None
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    span = _find_folded(text, quote)
    if span is not None:
        return span
    converted = latex.plain(text)  # "10× faster" quotes "$10\\times$ faster"
    if converted is None:
        return None
    quoted = latex.plain(quote)
    span = _find_folded(converted.text, quoted.text if quoted else quote)
    return converted.span(*span) if span else None


def _find_folded(text: str, quote: str) -> tuple[int, int] | None:
    folded_text, index = _fold(text)
    folded_quote = _fold(quote)[0].strip()
    at = folded_text.find(folded_quote) if folded_quote else -1
    if at < 0:
        return None
    return index[at], index[at + len(folded_quote) - 1] + 1


_WORD = re.compile(r"[^\W_]+")


def name_in(text: str, name: str) -> bool:
    """Whether `name` is written in `text`: as a run of whole words up to case,
    spacing and punctuation (`CIFAR10` finds `CIFAR-10`; `MNIST` does not find
    `FashionMNIST`), or word by word in any order (`Caltech Dogs` in
    `Caltech CUB, Dogs and Cars`)."""
    return not unwritten(text, [name])


def unwritten(text: str, names: list[str]) -> list[str]:
    """The names that `text` does not write (see `name_in`). The text is folded
    once, and split into words only if a name is not found as written. Both are
    read in NFC, so an accented name is found however either spells it."""
    folded = unicodedata.normalize("NFC", text).casefold()
    words: list[str] | None = None
    missing = []
    for name in names:
        folded_name = unicodedata.normalize("NFC", name).casefold()
        wanted = _WORD.findall(folded_name)
        if wanted and _whole(folded, folded_name.strip()):  # as written: most names
            continue
        if wanted and words is None:
            words = _WORD.findall(folded)
            joined = "".join(words)
            bounds = set(itertools.accumulate(map(len, words), initial=0))
        if not wanted or not (set(wanted) <= set(words) or _run(wanted, joined, bounds)):
            missing.append(name)
    return missing


def _run(wanted: list[str], joined: str, bounds: set[int]) -> bool:
    """Whether the name's letters are a run of whole words of the text, found in the
    text's words joined together: linear time, whatever the name and the text."""
    letters = "".join(wanted)
    at = joined.find(letters)
    while at >= 0:
        if at in bounds and at + len(letters) in bounds:
            return True
        at = joined.find(letters, at + 1)
    return False


def _whole(text: str, part: str) -> bool:
    """Whether `part` occurs in `text` not glued to a letter or digit on either side."""
    if not part:
        return False
    at = text.find(part)
    while at >= 0:
        end = at + len(part)
        glued_before = part[0].isalnum() and at > 0 and text[at - 1].isalnum()
        glued_after = part[-1].isalnum() and end < len(text) and text[end].isalnum()
        if not (glued_before or glued_after):
            return True
        at = text.find(part, at + 1)
    return False

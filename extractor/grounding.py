"""Find quotes and names in the abstract they came from.

Models copy quotes imperfectly: a doubled space, a line break folded away, a
different case. A quote counts as found when it matches after folding runs of
whitespace and case; the offsets returned always point into the original text,
so `abstract[start:end]` is what the reader highlights.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def _fold(text: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space and casefold, keeping a map from
    each folded character back to its index in the original text."""
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
        in_space = False
        folded = ch.casefold()
        # casefold may expand one character (ß -> ss); map each piece to i.
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
    folded_text, index = _fold(text)
    folded_quote, _ = _fold(quote)
    folded_quote = folded_quote.strip()
    at = folded_text.find(folded_quote)
    if at < 0:
        return None
    last = index[at + len(folded_quote) - 1]
    return index[at], last + 1

"""LaTeX in an abstract -> the plain text a reader sees, with a map back.

Design note. arXiv abstracts (and so the arXiv snapshot that batch runs read)
are written in LaTeX: `$10\\times$ faster`, `a $\\sim$1000x speedup`, `a 30\\%
cut`, `\\textbf{4x}`. The speed-up rules read plain English, and a model that
quotes `10× faster` has quoted `$10\\times$ faster` faithfully. `plain` drops
math delimiters, braces and font commands and spells the few symbols that
carry meaning for a claim (`\\times`, `\\sim`, `\\approx`, `\\%`, thin spaces,
the `--` of a range); every other command is left as written. Each plain
character keeps the span of the original it came from, so what is found in
the plain text is reported as the original slice, quote and offsets verbatim.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_SYMBOLS = {"times": "×", "sim": "~", "approx": "~", "%": "%", ",": " ", ";": " ", ":": " ",
            " ": " ", "!": ""}
_TOKEN = re.compile(
    r"\\(?P<symbol>(?:times|sim|approx)(?![A-Za-z])|[%,;: !])"
    r"|\\(?:mathbf|mathrm|mathit|textbf|textit|textrm|text|emph|boldsymbol|bm)(?![A-Za-z])"
    r"|\\[()\[\]]|\$|[{}]|(?P<dash>---?)"
)


@dataclass(frozen=True)
class Plain:
    """`text` with its LaTeX markup read, as segments: `text[at[k]:]` starts the k-th,
    copied from `original[source[k]:]`, or spelling the symbol `original[source[k]:
    until[k]]` when `copied[k]` is False."""

    text: str
    at: list[int]
    source: list[int]
    until: list[int]
    copied: list[bool]
    size: int  # the original's length

    def _original(self, i: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.at, i) - 1
        if self.copied[k]:
            j = self.source[k] + i - self.at[k]
            return j, j + 1
        return self.source[k], self.until[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original of text[start:end], with the markup around it that `plain`
        dropped (`$10\\times$ faster`, `\\textbf{4x} faster`), so quotes stay whole."""
        lo = self._original(start - 1)[1] if start else 0
        hi = self._original(end)[0] if end < len(self.text) else self.size
        return lo, hi


def plain(text: str) -> Plain | None:
    """`text` as a reader sees it, or None when it holds no LaTeX markup at all.

    Work is per markup token, not per character: the copied runs between tokens
    are sliced whole."""
    if "\\" not in text and "$" not in text:
        return None
    pieces: list[str] = []
    at: list[int] = []
    source: list[int] = []
    until: list[int] = []
    copied: list[bool] = []
    length = 0

    def add(piece: str, start: int, end: int, copy: bool) -> None:
        nonlocal length
        if piece:
            pieces.append(piece)
            at.append(length)
            source.append(start)
            until.append(end)
            copied.append(copy)
            length += len(piece)

    done = 0
    for m in _TOKEN.finditer(text):
        add(text[done : m.start()], done, m.start(), True)
        symbol = "–" if m.group("dash") else _SYMBOLS.get(m.group("symbol") or "", "")
        add(symbol, m.start(), m.end(), False)
        done = m.end()
    add(text[done:], done, len(text), True)
    return Plain("".join(pieces), at, source, until, copied, len(text))

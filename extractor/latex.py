"""LaTeX in an abstract -> the plain text a reader sees, with a map back.

Design note. arXiv abstracts (and so the arXiv snapshot that batch runs read)
are written in LaTeX: `$10\\times$ faster`, `a $\\sim$1000x speedup`, `a 30\\%
cut`, `\\textbf{4x}`. The speed-up rules read plain English, and a model that
quotes `10× faster` has quoted `$10\\times$ faster` faithfully. `plain` drops
math delimiters, braces and font commands and spells the few symbols that
carry meaning for a claim (`\\times`, `\\sim`, `\\approx`, `\\%`, thin spaces,
the `--` of a range, ties, escaped characters) and the accents and letters of
names (`Poincar\\'e`, `{\\L}ojasiewicz`); citations and labels go with their
argument; every other command is left as written. Each plain character keeps
the span of the original it came from, so what is found in the plain text is
reported as the original slice, quote and offsets verbatim.

Invisible format characters are dropped from the reading too, LaTeX or not: a
soft hyphen (U+00AD, which text copied from a web page carries inside words:
`A\u00ad100`, `6\u00adfold`, `Image\u00adNet`), a zero-width space or joiner, a
word joiner, a direction mark. A reader sees `A100`, and so must the rules.
(grounding.py ignores the same characters when it looks for a quote.)
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

_SYMBOLS = {"times": "×", "sim": "~", "approx": "~", ",": " ", ";": " ", ":": " ", " ": " ",
            "!": ""}
# Accents over a letter (`Poincar\\'e`, `Schr\\"{o}dinger`) as Unicode combining marks.
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327"}
# Unicode format characters (category Cf) that no reader sees: the soft hyphen,
# Arabic letter mark, Mongolian vowel separator, zero-width space, non-joiner and
# joiner, direction marks and embeddings, word joiner and invisible operators,
# isolates, and the zero-width no-break space (a byte order mark inside text).
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
# A tie, `TPU~v4`, `Fig.~3`, `see~\cite{x}`: a space that does not break, after a
# word and before one (or a command, math, a bracket). Not `(~1000x)` (about), nor
# `/~user` or `~/data` (paths), nor between digits: `3~5x` is a range as authors
# type it, and arXiv shows it so.
_TIE = r"(?<=[\w.)\]}])(?P<tie>~)(?=[\w\\${(\[])(?!(?<=\d~)\d)"
# What makes a text read otherwise than it is written: markup, an invisible
# character, or a tie (the one trace of LaTeX in many arXiv abstracts: `e.g.~iLQR`,
# `dataset~Dash-Cam-Pose`), looked for only where there is a `~`: a search for the
# three at once took 8 times as long as the first two alone.
_READ_OTHERWISE = re.compile(r"[\\$" + _INVISIBLE + "]")
_A_TIE = re.compile(_TIE)
_LETTERS = {"L": "Ł", "l": "ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ",
            "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı"}
_TOKEN = re.compile(
    # Every token starts with one of these (a tie's look-behind takes no character):
    # testing for them first spares `re` trying each alternative at every character.
    r"(?=[\\~${}\-" + _INVISIBLE + "])(?:"
    r"\\(?P<escape>[&_#$%{}])"  # "\\$5", "R\\&D"
    r"|\\(?:cite[pt]?|ref|eqref|label|footnote)\*?(?:\[[^\]]*\])?\{[^{}]*\}"  # with its argument
    r"|" + _TIE +
    r"|\\(?P<symbol>(?:times|sim|approx)(?![A-Za-z])|[,;: !])"
    r"|\\(?:math(?:bf|rm|it|cal|sf|tt|bb)|text(?:bf|it|rm|sc|tt|sf|up)?|emph|boldsymbol|bm)"
    r"(?![A-Za-z])"
    r"|\\(?:sc|em|bf|it|rm|tt|sf|sl)\s+"  # the old switches: {\\sc LegendreTron}
    r"|\\(?P<accent>['`^\"~=.]|[uvHc](?=[{ ]))\s*\{?(?P<base>[A-Za-z])\}?"
    r"|\\(?P<letter>ss|ae|AE|oe|OE|aa|AA|[LlOoi])(?![A-Za-z])\{?\}?"
    r"|\\[()\[\]]|\$|[{}]|(?P<dash>---?)"
    r"|(?P<invisible>[" + _INVISIBLE + "]+)"
    r")"
)


@dataclass(frozen=True)
class Plain:
    """`text` with its LaTeX markup read, as segments: `text[at[k]:]` starts the k-th,
    copied from `original[source[k]:]`, or spelling the symbol `original[source[k]:
    until[k]]` when `copied[k]` is False."""

    text: str
    at: tuple[int, ...]
    source: tuple[int, ...]
    until: tuple[int, ...]
    copied: tuple[bool, ...]
    original: str

    def _original(self, i: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.at, i) - 1
        if self.copied[k]:
            j = self.source[k] + i - self.at[k]
            return j, j + 1
        return self.source[k], self.until[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original of text[start:end], with the markup that opens or closes it
        (`$10\\times$ faster`, `\\textbf{4x} faster`), so quotes stay whole; not the
        `$` that closes what came before (`8$\\times$A100` gives `A100`). An
        invisible character at either end is no markup: it stays out."""
        before = self._original(start - 1)[1] if start else 0
        first, last = self._original(start)[0], self._original(end - 1)[1]
        after = self._original(end)[0] if end < len(self.text) else len(self.original)
        opens = [m.start() for m in _TOKEN.finditer(self.original, before, first)
                 if not m.group("invisible") and self._opens(m)]
        closes = [m.end() for m in _TOKEN.finditer(self.original, last, after)
                  if not m.group("invisible") and not self._opens(m)]
        return (opens[0] if opens else first), (closes[-1] if closes else last)

    def _opens(self, token: re.Match[str]) -> bool:
        mark = token.group()
        if mark == "$":  # the first of a pair opens; an escaped `\\$` is no delimiter
            before = self.original[: token.start()]
            return (before.count("$") - before.count("\\$")) % 2 == 0
        return mark not in ("}", "\\)", "\\]")


def _spelled(token: re.Match[str]) -> str:
    """What a markup token reads as: a symbol, a letter, or nothing."""
    if token.group("dash"):
        return "–"
    if token.group("escape"):
        return token.group("escape")
    if token.group("tie"):
        return " "
    if token.group("accent"):
        return unicodedata.normalize("NFC", token.group("base") + _ACCENTS[token.group("accent")])
    if token.group("letter"):
        return _LETTERS[token.group("letter")]
    return _SYMBOLS.get(token.group("symbol") or "", "")


@functools.lru_cache(maxsize=16)
def plain(text: str) -> Plain | None:
    """`text` as a reader sees it, or None when it holds no LaTeX markup and no
    invisible character at all.

    Work is per markup token, not per character: the copied runs between tokens
    are sliced whole. The last few readings are kept: the rules read an abstract
    once for every field and once for its speed-ups, and grounding reads it for
    each quote."""
    if not (_READ_OTHERWISE.search(text) or ("~" in text and _A_TIE.search(text))):
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
        add(_spelled(m), m.start(), m.end(), False)
        done = m.end()
    add(text[done:], done, len(text), True)
    return Plain("".join(pieces), tuple(at), tuple(source), tuple(until), tuple(copied), text)

"""The checks an abstract and a title pass before anything is sent, and the form
of their text that goes into the cache key.

They are apart from extract.py because they depend on nothing but the text:
no backend, no cache, no settings beyond a length limit. A bad abstract is
refused here, before it costs a call, with a message that says what to do.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InputError

MAX_TITLE_CHARS = 1_000


def normalize_text(text: str) -> str:
    """The form of the text that goes into the cache key: NFC, single spaces."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


# Category Cc (a fixed set: U+0000-U+001F and U+007F-U+009F) is what bytes that are
# not text leave behind. Format characters (Cf: soft hyphen, zero-width space and
# joiner, LRM, bidi marks, from `&shy;`, emoji, Arabic and Hebrew) are text, and
# so are private-use characters (Co: PDF extractors map Symbol-font glyphs there)
# and unassigned ones (Cn: to this Python, every character of a newer Unicode).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _control_chars(text: str) -> int:
    """How many characters are control characters (category Cc) other than
    whitespace. The str methods and the pattern run in C, so the usual
    all-printable text costs two passes, not a Python loop over every character
    (0.3 ms an abstract in a batch run); text with format characters, which are
    not `isprintable()`, costs one more."""
    visible = "".join(text.split())  # split() drops exactly the isspace() characters
    if visible.isprintable():
        return 0
    return len(_CONTROL.findall(visible))


def _check_encodable(text: str, what: str) -> None:
    """Refuse a lone surrogate (U+D800-U+DFFF), which stands for no character.

    It comes from an escape such as "\\ud83d" in JSON, or from bytes that are not
    UTF-8 read with errors="surrogateescape" (what Python does with argv, and
    with stdin under a C or UTF-8 locale, for Latin-1 text). No backend can send
    it and the cache key cannot hash it, so it failed deep inside a call, as a
    UnicodeEncodeError or an "unexpected error"; the rules backend even answered.
    One encode runs in C: far cheaper than the call it saves."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise InputError(
            f"{what} holds a lone surrogate {char!r} at character {exc.start:,}, which is not "
            "text: decode the input with its real encoding (bytes that are not UTF-8, such "
            "as Latin-1, read as UTF-8 give these), or remove it"
        ) from None


_RAISE_MAX_CHARS = "raise the limit (Options.max_chars, --max-chars) or shorten it"
_FIXED_TITLE_LIMIT = "the title limit is fixed: shorten the title, or leave it out"


def check_text(value: object, what: str, limit: int, remedy: str = _RAISE_MAX_CHARS) -> str:
    """Return `value` stripped, or raise InputError saying what is wrong with it;
    `remedy` says what to do about text over `limit`."""
    if isinstance(value, bytes | bytearray):
        raise InputError(f"{what} is bytes; decode it to str first (e.g. data.decode('utf-8'))")
    if not isinstance(value, str):
        raise InputError(f"{what} must be a str, not {type(value).__name__}")
    _check_encodable(value, what)
    # A leading byte order mark (U+FEFF), which Notepad writes and a file read as
    # "utf-8" keeps (stdin, open()), is no part of the text. batch's readers drop it
    # ("utf-8-sig"); here it is dropped for every other caller, so that it is not
    # sent, keys no other cache entry and changes nothing the rules read. Text
    # without one is stripped, and keyed, exactly as before.
    text = value.strip().removeprefix("\ufeff").lstrip()
    if "\x00" in text or _control_chars(text) > len(text) // 20:
        raise InputError(f"{what} looks like binary data (control characters), not text")
    if len(text) > limit:
        raise too_long(what, limit, len(text), remedy)
    return text


def too_long(what: str, limit: int, size: int | None = None,
             remedy: str = _RAISE_MAX_CHARS) -> InputError:
    """The error for text over `limit` characters; `size` is None when the text was
    not read to its end to count them (`extractor extract` reads standard input
    only as far as the limit)."""
    said = f"{size:,} characters, over the limit of {limit:,}" if size is not None \
        else f"over the limit of {limit:,} characters"
    return InputError(f"{what} is {said}; it is not truncated silently: {remedy}")


def check_input(abstract: object, title: object, max_chars: int) -> tuple[str, str]:
    """The abstract and the title, stripped (a missing title is ""), or InputError."""
    abstract = check_text(abstract, "abstract", max_chars)
    if not abstract:
        raise InputError("abstract is empty (or only whitespace); there is nothing to extract")
    # max_chars is the abstract's: a title over its own fixed limit is no title
    title = check_text("" if title is None else title, "title", MAX_TITLE_CHARS,
                       _FIXED_TITLE_LIMIT)
    return abstract, title

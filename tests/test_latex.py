"""LaTeX read as plain text, every span mapped back to the original."""

from __future__ import annotations

from extractor.grounding import find_quote
from extractor.latex import plain

TEXT = r"Ours is $10\times$ faster, a $\sim$1000x gain, 30\% less time; \textbf{4x} cheaper."


def test_plain_text_is_left_alone():
    assert plain("A plain abstract, 10x faster.") is None


def test_plain_reads_the_symbols_and_drops_the_markup():
    assert plain(TEXT).text == "Ours is 10× faster, a ~1000x gain, 30% less time; 4x cheaper."
    assert plain(r"a thin\,space, a range 2--4, an em---dash").text == (
        "a thin space, a range 2–4, an em–dash")
    assert plain(r"\alpha and \timestamp stay").text == r"\alpha and \timestamp stay"


def test_a_plain_span_maps_back_to_the_original_with_its_markup():
    """`10× faster` is `$10\\times$ faster` in the abstract: the `$` that open and close
    it come along, so a quote is never cut inside its markup."""
    converted = plain(TEXT)
    for seen, original in [("10× faster", r"$10\times$ faster"), ("~1000x", r"$\sim$1000x"),
                           ("30% less", r"30\% less"), ("4x cheaper", r"\textbf{4x} cheaper"),
                           ("Ours", "Ours")]:
        at = converted.text.find(seen)
        start, end = converted.span(at, at + len(seen))
        assert TEXT[start:end] == original


def test_find_quote_grounds_a_quote_that_reads_the_latex():
    """A model that quotes `10× faster` for `$10\\times$ faster` quoted faithfully."""
    start, end = find_quote(TEXT, "10× faster")
    assert TEXT[start:end] == r"$10\times$ faster"
    assert find_quote(TEXT, r"$10\times$ faster") == (start, end)
    assert find_quote(TEXT, "11× faster") is None

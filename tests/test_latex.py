"""LaTeX read as plain text, every span mapped back to the original."""

from __future__ import annotations

import pytest

from extractor.grounding import find_quote
from extractor.latex import plain
from extractor.rules.summary import extract_spans

TEXT = r"Ours is $10\times$ faster, a $\sim$1000x gain, 30\% less time; \textbf{4x} cheaper."


def test_plain_text_is_left_alone():
    assert plain("A plain abstract, 10x faster.") is None


def test_plain_reads_the_symbols_and_drops_the_markup():
    assert plain(TEXT).text == "Ours is 10× faster, a ~1000x gain, 30% less time; 4x cheaper."
    assert plain(r"a thin\,space, a range 2--4, an em---dash").text == (
        "a thin space, a range 2–4, an em–dash")
    assert plain(r"\alpha and \timestamp stay").text == r"\alpha and \timestamp stay"


def test_plain_reads_accents_letters_and_old_font_switches():
    """Names come out as written in print: `Poincar\\'e` is Poincaré."""
    assert plain(r"Poincar\'e, Schr\"{o}dinger, Erd\H{o}s, {\L}ojasiewicz, \c{c}a").text == (
        "Poincaré, Schrödinger, Erdős, Łojasiewicz, ça")
    assert plain(r"{\sc LegendreTron} and {\em decompositions}").text == (
        "LegendreTron and decompositions")
    assert plain(r"\omega, \item, \Lambda").text == r"\omega, \item, \Lambda"


def test_plain_reads_ties_and_escapes_and_drops_citations():
    """`TPU~v4` is `TPU v4` in print, `\\$5` a dollar, `\\cite{x}` nothing to read."""
    assert plain(r"on TPU~v4 at \$5, R\&D, f\_k, 30\% less; see~\cite{a} and \citep[p.~3]{b}"
                 ).text == "on TPU v4 at $5, R&D, f_k, 30% less; see  and "
    assert extract_spans("T", r"We train on TPU~v4 pods; ours is $2\times$ faster."
                         ).summary.hardware == ["TPU v4"]
    text = r"It costs \$5, and ours is $10\times$ faster."  # an escaped $ opens nothing
    converted = plain(text)
    at = converted.text.find("10×")
    start, end = converted.span(at, at + len("10× faster"))
    assert text[start:end] == r"$10\times$ faster"


def test_a_tie_is_read_as_a_space_when_it_is_the_abstracts_only_latex():
    """Many arXiv abstracts keep a tie and no other markup (`e.g.~iLQR`), and a
    tie alone did not make the text LaTeX: the method read `dataset~Dash-Cam-Pose`."""
    assert plain("e.g.~iLQR, a new dataset~Dash-Cam-Pose").text == (
        "e.g. iLQR, a new dataset Dash-Cam-Pose")
    method = extract_spans("", "We propose a new dataset~Dash-Cam-Pose, of dash-cam clips."
                           ).summary.method
    assert "~" not in method and "dataset Dash-Cam-Pose" in method


@pytest.mark.parametrize("text", ["up to 3~5x faster", "see https://x.edu/~user/code",
                                  "in ~/data", "a ~15% cut", "an approach (~1000x) to", "~x x~"])
def test_a_tilde_that_is_no_tie_is_kept(text):
    """Between digits a tilde is a range as authors type it (arXiv shows it so);
    in a path it is a home directory; after a space or a bracket, about."""
    assert plain(text) is None
    assert plain(text + r" $x$").text == text + " x"


def test_a_range_typed_with_a_tilde_stays_a_range_in_an_abstract_with_latex():
    """`3~5x` in an abstract with math elsewhere read `3 5x`: a 5x claim."""
    speedups = extract_spans("", r"Ours achieves a 3~5x speedup over PyTorch at $O(n)$ cost."
                             ).summary.speedups
    assert [(s.factor, s.factor_max) for s in speedups] == [(3.0, 5.0)]


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


def test_the_rules_read_an_arxiv_abstract_as_plain_text_with_offsets_into_the_original():
    """Names, task and method come out plain; quotes verbatim; every span points into
    the text as given (`A100`, not the `$` that closes `8$\\times$` before it)."""
    title = r"FlashLin: Linear-Time Attention with $\textbf{IO}$-Awareness"
    abstract = (r"We propose \textsc{FlashLin}, an IO-aware exact attention algorithm. FlashLin "
                r"trains GPT-2 $3\times$ faster than HuggingFace on 8$\times$A100 GPUs and "
                r"reaches 61.4\% on the Long Range Arena benchmark.")
    spans = extract_spans(title, abstract)
    summary = spans.summary
    assert summary.task == "linear-time attention with IO-awareness"
    assert summary.method.startswith("FlashLin, an IO-aware exact attention algorithm")
    assert [(s.factor, s.text) for s in summary.speedups] == [
        (3, r"$3\times$ faster than HuggingFace")]
    assert summary.hardware == ["A100"] and summary.datasets == ["Long Range Arena"]
    for span, name in zip(spans.hardware + spans.datasets, summary.hardware + summary.datasets,
                          strict=True):
        assert abstract[span.start : span.end] == name
    assert abstract[spans.speedups[0].start : spans.speedups[0].end] == summary.speedups[0].text


def test_the_check_of_how_a_token_starts_changes_no_token():
    """_TOKEN first checks for a character a token can start with; without that check
    it finds the same tokens in a text holding every kind of them."""
    import re

    from extractor import latex

    whole = latex._TOKEN.pattern.replace(r"(?=[\\~${}\-" + latex._INVISIBLE + "])", "", 1)
    assert whole != latex._TOKEN.pattern
    text = (
        r"\$5 R\&D \cite[p. 3]{x} TPU~v4 a ~ b $10\times$ \sim \approx \, \; \: \  \! "
        r"\textbf{4x} \mathcal{O} \emph{e} \bm{x} {\sc Legendre} \'e \"{o} \u{a} \c c "
        r"{\L}ojasiewicz \ss \ae \i 1--2 a---b \( x \) \[ y \] {} -- ~x x~ "
        r"3~5 /~u ~/d (~9) a.~b c)~(d "
        "ac\u00adcel\u200berator \ufeffA\u2060100"
    )
    for t in (text, text.upper(), text.replace(" ", "")):
        assert [(m.span(), m.groupdict()) for m in latex._TOKEN.finditer(t)] == [
            (m.span(), m.groupdict()) for m in re.finditer(whole, t)
        ]

"""Rendering the user prompt: the paper's text goes in as text, whatever it holds."""

from __future__ import annotations

from extractor.prompts import load_prompt


def test_placeholders_in_the_papers_text_stay_text():
    """A title holding `{abstract}` is not filled with the abstract, nor an
    abstract holding `{title}` with the title; LaTeX braces pass through."""
    prompt = load_prompt()
    title, abstract = "Learning {abstract} maps", "We bound $\\|x\\|_{2}$ and {title} here."
    rendered = prompt.render(title, abstract)
    assert rendered.count(title) == 1 and rendered.count(abstract) == 1
    assert rendered == prompt.user_template.replace("{title}", "\0").replace(
        "{abstract}", "\1").replace("\0", title).replace("\1", abstract)

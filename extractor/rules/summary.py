"""One abstract in, a PaperSummary plus the offsets of every item out.

Design note: this is the only module that knows about all the rule sets; each
of them is pure and returns spans, and here they are put together in the order
LABELLING.md defines. The paper's coined names are found first and passed on,
because they decide two things elsewhere: a speed claim whose sentence names the
method belongs to the paper, and the method's name is never a dataset.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from .. import latex
from ..normalize import find_speedups
from ..schema import (
    MAX_NAMES,
    MAX_SPEEDUPS,
    PaperSummary,
    Speedup,
    claim_repeat,
    first_of_each,
    name_repeat,
)
from .datasets import find_datasets
from .gist import Phrase, coined_names, find_method, find_task
from .hardware import find_hardware
from .topic import find_topic


@dataclass(frozen=True)
class Span:
    """Where an item came from: `source` is "title" or "abstract"."""

    source: str
    start: int
    end: int


@dataclass(frozen=True)
class SpannedSummary:
    """The summary and, item for item, the span each part was read from."""

    summary: PaperSummary
    task: Span
    method: Span
    speedups: list[Span] = field(default_factory=list)
    hardware: list[Span] = field(default_factory=list)
    datasets: list[Span] = field(default_factory=list)


# The task and method of a paper with no word at all in its title or abstract.
NO_TEXT = "(no text)"


def _never_blank(phrase: Phrase, sources: tuple[tuple[str, str, latex.Plain | None], ...],
                 n: int, plains: dict[str, latex.Plain | None]
                 ) -> tuple[Phrase, latex.Plain | None]:
    """`phrase` (and the plain reading its offsets are in), or, when it holds no
    word, the first `n` words of the first source that has any: the title, the
    abstract read as plain text, the abstract as written. A paper whose title or
    abstract is only LaTeX or punctuation (`\\textbf{}`, `...`, `$$ $$`) leaves the
    rules no word to take, and the schema refuses an empty task or method: such
    a paper would fail, where it should get an answer as poor as its text."""
    if phrase.text.strip():
        return phrase, plains[phrase.source]
    for text, source, plain in sources:
        if found := list(itertools.islice(re.finditer(r"\S+", text), n)):
            words = " ".join(match.group() for match in found)
            return Phrase(words, source, found[0].start(), found[-1].end()), plain
    # No word anywhere: only a direct call gets here (inputs.check_text refuses a
    # blank abstract before any backend is asked), and it still gets a valid summary.
    return Phrase(NO_TEXT, "abstract", 0, 0), None


def _back(plain: latex.Plain | None, source: str, start: int, end: int) -> Span:
    """The span in the original text of a span found in its plain reading."""
    if plain is not None and start < end:
        start, end = plain.span(start, end)
    return Span(source, start, end)


def extract_spans(title: str, abstract: str) -> SpannedSummary:
    """Run every rule on one paper; offsets point into the title or the abstract.

    LaTeX (arXiv's `\\textsc{FlashLin}`, `8$\\times$A100`) is read as a reader sees
    it, so names, the task and the method come out plain; every offset still
    points into the text as given, and speed-up quotes are its verbatim slices."""
    plain_title, plain_abstract = latex.plain(title or ""), latex.plain(abstract)
    title = plain_title.text if plain_title else title or ""
    text = plain_abstract.text if plain_abstract else abstract
    plains = {"title": plain_title, "abstract": plain_abstract}
    coined = coined_names(title, text)
    names = set(coined)
    task = find_task(title, text) if title.strip() else find_topic(text)
    method = find_method(title, text, coined, task if title.strip() else None)
    sources = ((title, "title", plain_title), (text, "abstract", plain_abstract),
               (abstract, "abstract", None))
    task, task_plain = _never_blank(task, sources, 8, plains)
    method, method_plain = _never_blank(method, sources, 15, plains)
    # The schema's bounds: a quote of at most 300 characters, names of at most 80.
    # The schema drops repeats; dropping them here first keeps each span beside its item.
    speeds = first_of_each(
        (s for s in find_speedups(abstract, own_names=names) if len(s.text) <= 300), claim_repeat
    )[:MAX_SPEEDUPS]
    hardware = first_of_each(
        (h for h in find_hardware(text) if len(h.name) <= 80), lambda h: name_repeat(h.name)
    )[:MAX_NAMES]
    datasets = first_of_each(
        (d for d in find_datasets(text, own_names=names) if len(d.name) <= 80),
        lambda d: name_repeat(d.name),
    )[:MAX_NAMES]
    summary = PaperSummary(
        task=task.text[:160],
        method=method.text[:240],
        speedups=[
            Speedup(factor=s.factor, factor_max=s.factor_max, baseline=s.baseline, text=s.text)
            for s in speeds
        ],
        hardware=[h.name for h in hardware],
        datasets=[d.name for d in datasets],
    )
    return SpannedSummary(
        summary=summary,
        task=_back(task_plain, task.source, task.start, task.end),
        method=_back(method_plain, method.source, method.start, method.end),
        speedups=[Span("abstract", s.start, s.end) for s in speeds],  # already the original's
        hardware=[_back(plain_abstract, "abstract", h.start, h.end) for h in hardware],
        datasets=[_back(plain_abstract, "abstract", d.start, d.end) for d in datasets],
    )


"""One abstract in, a PaperSummary plus the offsets of every item out.

Design note: this is the only module that knows about all the rule sets; each
of them is pure and returns spans, and here they are put together in the order
LABELLING.md defines. The paper's coined names are found first and passed on,
because they decide two things elsewhere: a speed claim whose sentence names the
method belongs to the paper, and the method's name is never a dataset.
"""

from __future__ import annotations

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
from .gist import coined_names, find_method, find_task
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
    coined = coined_names(title, text)
    names = set(coined)
    task = find_task(title, text) if title.strip() else find_topic(text)
    method = find_method(title, text, coined, task if title.strip() else None)
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
    plains = {"title": plain_title, "abstract": plain_abstract}
    return SpannedSummary(
        summary=summary,
        task=_back(plains[task.source], task.source, task.start, task.end),
        method=_back(plains[method.source], method.source, method.start, method.end),
        speedups=[Span("abstract", s.start, s.end) for s in speeds],  # already the original's
        hardware=[_back(plain_abstract, "abstract", h.start, h.end) for h in hardware],
        datasets=[_back(plain_abstract, "abstract", d.start, d.end) for d in datasets],
    )


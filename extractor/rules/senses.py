"""Whether a name the gazetteers know is used in the sense they mean.

Design note. The gazetteers were tuned on machine-learning abstracts, but the
rules read every field's: `SST` is a GLUE task and sea-surface temperature,
`M4` a forecasting competition and a globular cluster, `Snapdragon` a chip and
a plant, `TPU` a tensor processing unit and thermoplastic polyurethane. Each
check here asks the text for evidence of the gazetteer's sense, and is kept
apart from the name patterns so that the evidence is one reviewable list:

- an ambiguous dataset name (a `context` row) counts in a sentence about
  datasets or benchmarks, as what experiments ran on (`experiments on
  MuJoCo`), or coordinated with another known name in a sentence about data
  (`the SPICE and QM9 pre-training data`). `data`, `experiments` and `tested`
  alone are no evidence: every empirical field has data and experiments;
- an ambiguous device name (a `compute` row) counts in an abstract that talks
  about computing at all; a device class that is also an everyday object
  (`mobile phones`, `laptops`) counts in a sentence that talks about computing;
- an acronym that the abstract spells out as something else (`Thermoplastic
  polyurethane (TPU)`, `Marvel Cinematic Universe (MCU)`) means that thing
  everywhere in the abstract.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .gazetteer import load
from .text import Sentence

# A sentence about datasets or benchmarks.
_ABOUT_DATASETS = re.compile(
    r"\b(?:data\s?sets?|benchmarks?|corpus|corpora|tasks?|environments?|games?|suites?|"
    r"evaluat\w*|trained)\b",
    re.I,
)
# A sentence about data of any kind: evidence only with more beside it.
_ABOUT_DATA = re.compile(r"\b(?:data|experiments?|tested)\b", re.I)
# "experiments on MuJoCo", "trained on Adult": what the experiments ran on.
_RAN_ON = re.compile(
    r"(?:\bexperiments?\s+(?:on|in|with)|\b(?:tested|trained|evaluated|results)\s+on)"
    r"\s+(?:the\s+)?$",
    re.I,
)
# What stands between two coordinated names: "A, B", "A and B", "A, and B".
_BETWEEN = re.compile(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&)\s+")


@lru_cache(maxsize=64)
def _about(sentence: str) -> tuple[bool, bool]:
    """Whether a sentence is about datasets, and whether about data: asked once per
    sentence however many names it holds (`MATH data MATH data ...` was quadratic)."""
    return bool(_ABOUT_DATASETS.search(sentence)), bool(_ABOUT_DATA.search(sentence))


def dataset_sense(
    text: str, sent: Sentence, span: tuple[int, int], neighbours: list[tuple[int, int]]
) -> bool:
    """Whether the ambiguous name at `span`, in `sent`, names a dataset; `neighbours`
    are the spans of the gazetteer names just before and just after it."""
    about_datasets, about_data = _about(sent.text)
    if about_datasets:
        return True
    start, end = span
    if _RAN_ON.search(text, max(sent.start, start - 40), start):
        return True
    return about_data and any(
        _BETWEEN.fullmatch(text, e, start) or _BETWEEN.fullmatch(text, end, s)
        for s, e in neighbours
    )


# ---------------------------------------------------------------- names no pattern may take


@cache
def _never() -> frozenset[str]:
    return frozenset(load("not_datasets").exact)


def never_a_dataset(name: str) -> bool:
    """Modalities, methods, diseases and programs (`data/not_datasets.tsv`), and
    assays by their form (`RNA-seq`, `scRNA-seq`, `ChIP-seq`)."""
    return name in _never() or name.lower().endswith("-seq")


# One name before a plural kind word, counted or with no article ("two public EEG
# datasets", "COVID-19 datasets from 30 countries", "refined against DFT benchmarks"),
# says what kind of data there is, not which: named ones take an article or a list.
_COUNTED = re.compile(
    r"(?:\d[\d,]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"several|multiple|many|various|numerous|few|some|other|additional|more))\s+"
    r"(?:[a-z][\w-]*\s+){0,2}$",
    re.I,
)
_ARTICLE = re.compile(r"\b(?:the|our|these|this|its|their)\s+(?:[a-z][\w-]*\s+){0,2}$", re.I)
_PLURAL_KINDS = {"datasets", "data sets", "benchmarks", "suites", "challenges", "databases",
                 "archives", "collections", "corpora"}
_LIST = re.compile(r",|\s(?:and|or|&)\s")


def kind_of_data(text: str, span: tuple[int, int], kind: str, lo: int) -> bool:
    """Whether the one name at `span`, before the kind word `kind` in the sentence
    starting at `lo`, says what kind of data is meant rather than which.

    A program's `suite` is never a dataset's name ("the GROMACS suite"); a
    benchmark suite is found by its other kind word ("the OpenML benchmark suite")."""
    if kind.lower().startswith("suite"):
        return True
    if _LIST.search(text, span[0], span[1]):
        return False  # "the GDSC and CCLE datasets": a list names datasets
    before = text[max(lo, span[0] - 40) : span[0]]
    if _COUNTED.search(before):
        return True
    return kind.lower() in _PLURAL_KINDS and not _ARTICLE.search(before)


# "a 2% decrease in GDP", "20% lower in ADHD": after a change, `in` names what changed.
_CHANGE = re.compile(
    r"\b(?:increase[sd]?|decrease[sd]?|reduc\w*|rise|rose|drops?|dropped|declines?|declined|"
    r"falls?|fell|growth|lower|higher|less|more|fewer|larger|smaller|greater|change[sd]?|"
    r"improve\w*|gains?|loss|cut)\s",
    re.I,
)
# "20% in COVID-19 patients", "in CO2 emissions": the name modifies a noun after it.
_NOUN_AFTER = re.compile(
    r"\s+(?!(?:and|or|with|while|when|than|compared|over|versus|vs|respectively|at|for|on|"
    r"in|of|to|by|but|after|before|across|under|using|from|as|is|are|was|were)\b)[a-z]{3,}\b"
)


def measured_quantity(text: str, m: re.Match[str]) -> bool:
    """Whether the name a result is `in` (`m`: its `between`, `prep` and `name`
    groups) is the quantity that changed rather than the benchmark it was measured on."""
    return m.group("prep") == "in" and bool(
        _CHANGE.search(m.group("between")) or _NOUN_AFTER.match(text, m.end("name"))
    )


# ---------------------------------------------------------------- devices

# Words that talk about computing. No `model`, `data` or bare `compute`: a menu-cost
# model, survey data and "we compute the amplitude" are not about computers. No
# `TPU` either: it is one of the words this gates.
_COMPUTING = re.compile(
    r"\b(?:GPUs?|CPUs?|FPGAs?|chips?|processors?|hardware|on-device|computers?|"
    r"computational|simulat\w*|inference|neural|algorithms?|software|implement\w*|"
    r"execut\w*|deploy\w*|run|runs|running|ran|real[- ]time|latency|throughput|runtimes?|"
    r"FLOPS?|kernels?|parallel\w*|benchmark\w*|speed-?ups?)\b",
    re.I,
)
# An abstract about machine learning computes even when it names no computer...
_LEARNING = re.compile(r"\b(?:learning|train(?:ed|ing))\b", re.I)
# ...but students learn and health workers train: in the one sentence that names an
# everyday device, only what is done on it counts.
_DEVICE_USE = re.compile(
    r"\b(?:TPUs?|comput\w*|design\w*|pipelines?|processe[sd]|processing\s+time)\b", re.I
)


# A sentence about particle beams: its `accelerator` is no chip.
_BEAMS = re.compile(
    r"\b(?:beams?|particles?|electrons?|protons?|positrons?|ions|hadrons?|muons?|[kMGT]eV|"
    r"CERN|DESY|Fermilab|SLAC|magnets?|cavit(?:y|ies)|RF|linacs?|synchrotrons?|colliders?|"
    r"lasers?|wakefield|plasma)\b"
)
# "the Gaudi framework": a program named like a device.
_PROGRAM_AFTER = re.compile(r"\s+(?:framework|software|library|package|toolkit|toolbox)\b")


@lru_cache(maxsize=16)
def about_computing(abstract: str) -> bool:
    """Whether an abstract talks about computing at all."""
    return _COMPUTING.search(abstract) is not None or _LEARNING.search(abstract) is not None


@lru_cache(maxsize=16)
def uses_a_device(sentence: str) -> bool:
    """Whether a sentence talks about computing on a device (`runs on a laptop`,
    `a dedicated ASIC design`), rather than owning one (`mobile phone adoption`)."""
    return _COMPUTING.search(sentence) is not None or _DEVICE_USE.search(sentence) is not None


@lru_cache(maxsize=16)
def about_beams(sentence: str) -> bool:
    """Whether a sentence is about particle beams (`the accelerator hardware,
    including magnets and RF cavities`, `tests on accelerators at CERN`)."""
    return _BEAMS.search(sentence) is not None


def program_after(text: str, end: int) -> bool:
    """Whether the name ending at `end` names a program (`the Gaudi framework`)."""
    return _PROGRAM_AFTER.match(text, end) is not None


# "(TPU)", "(MCUs)", "(A100)" right after what they abbreviate.
_PARENTHESISED = re.compile(r"\(([A-Za-z][A-Za-z0-9-]{1,9}?)s?\)")
# What a device acronym abbreviates: "tensor processing unit", "application-specific
# integrated circuit", "microcontroller unit", "Intelligence Processing Unit".
_DEVICE_WORDS = re.compile(
    r"process|unit\b|units\b|circuit|controller|gate array|accelerat|chip|comput|graphic|"
    r"tensor|neural|device|hardware|GPU",
    re.I,
)


def spelled_otherwise(text: str) -> frozenset[str]:
    """Acronyms the abstract spells out as something that is no device, which then
    mean that thing throughout: `Thermoplastic polyurethane (TPU)`, `Marvel
    Cinematic Universe (MCU)`, `Australian Securities and Investments Commission
    (ASIC)`, `AerMet 100 (A100)`."""
    if "(" not in text:
        return frozenset()
    out = set()
    for m in _PARENTHESISED.finditer(text):
        acronym = m.group(1)
        before = text[max(0, m.start() - 80) : m.start()]
        words = re.findall(r"[A-Za-z0-9]+", before)
        letters = [c.lower() for c in acronym if c.isalpha()]
        digits = "".join(c for c in acronym if c.isdigit())
        spelled = words[-len(letters) - 2 :]
        initials = "".join(w[0].lower() for w in spelled if w[0].isalpha())
        if not letters or not (
            "".join(letters) in initials or initials.endswith("".join(letters[:2]))
        ):
            continue  # "on a GPU (A100)": an example, not a definition
        if digits and digits not in spelled:
            continue
        if not _DEVICE_WORDS.search(" ".join(words[-len(letters) :])):
            out.add(acronym)
    return frozenset(out)

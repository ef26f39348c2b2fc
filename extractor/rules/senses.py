"""Whether a name is used in the sense the rules look for.

Design note. The gazetteers and patterns were tuned on machine-learning
abstracts, but the rules read every field's: `SST` is a GLUE task and
sea-surface temperature, `M4` a forecasting competition and a globular cluster,
`Snapdragon` a chip and a plant, `TPU` a tensor processing unit and
thermoplastic polyurethane, `EEG datasets` a kind of data and no name. Each check
here asks the text for evidence of the sense meant, and is kept apart from the
name patterns so that the evidence is one reviewable list:

- an ambiguous dataset name (a `context` row) counts in a sentence about
  datasets, benchmarks, tasks or environments, as what ran on it (`experiments
  on MuJoCo`, `results on Weather`), beside another ambiguous name in a sentence
  about data (`the SPICE and QM9 pre-training data`), or in a list with one that
  counts. `data`, `experiments` and `tested` alone are no evidence: every
  empirical field has data and experiments;
- a word a pattern finds before `datasets` is no name when it is a modality, a
  method, a disease or a program (`data/not_datasets.tsv`, and any `-seq`
  assay), when it is counted or bare before a plural (`two public EEG
  datasets`), or before a program's `suite`; a name a percentage is `in` is the
  quantity that changed after a change word (`a 2% decrease in GDP`);
- an ambiguous device name (a `compute` row) counts in an abstract that talks
  about computing at all; a device class that is also an everyday object
  (`mobile phones`, `laptops`) counts in a sentence that computes on it, and
  `accelerator` not in a sentence about particle beams;
- an acronym that the abstract spells out as something that is no device
  (`Thermoplastic polyurethane (TPU)`, `Marvel Cinematic Universe (MCU)`) means
  that thing everywhere in the abstract.

Evidence is asked once per sentence (cached), never once per mention: a
20,000-character abstract of one word repeated must stay linear.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .gazetteer import Hit, load
from .text import Sentence, sentence_at

# A sentence about datasets or benchmarks.
_ABOUT_DATASETS = re.compile(
    r"\b(?:data\s?sets?|benchmarks?|corpus|corpora|tasks?|environments?|games?|suites?|"
    r"evaluat\w*|trained)\b",
    re.I,
)
# A sentence about data of any kind: evidence only with more beside it.
_ABOUT_DATA = re.compile(r"\b(?:data|experiments?|tested)\b", re.I)
# "experiments on MuJoCo", "results on Weather", "trained on Adult": what ran on it.
_RAN_ON = re.compile(
    r"\b(?:experiments?(?:\s+(?:conducted|performed|carried\s+out))?\s+(?:on|in|with)|"
    r"(?:tested|trained|evaluated|results|(?:pre-?)?train|fine-?tune[sd]?)\s+on)"
    r"\s+(?:the\s+|both\s+)?$",
    re.I,
)
# What stands between two coordinated names: "A, B", "A and B", "A, and the B".
_BETWEEN = re.compile(r"(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&)\s+)(?:the\s+)?")


@lru_cache(maxsize=64)
def _about(sentence: str) -> tuple[bool, bool]:
    """Whether a sentence is about datasets, and whether about data: asked once per
    sentence however many names it holds (`MATH data MATH data ...` was quadratic)."""
    return bool(_ABOUT_DATASETS.search(sentence)), bool(_ABOUT_DATA.search(sentence))


def datasets_meant(text: str, hits: list[Hit], sentences: tuple[Sentence, ...]) -> list[bool]:
    """For each gazetteer hit (in order), whether it names a dataset: always for a
    plain row; for a `context` row, by the evidence in the design note, and never
    at the start of a sentence (`Kinetics of the oxygen evolution reaction`). A
    name coordinated with one that counts counts too (`results on Weather and
    Traffic`, `on OpenWebText and the Pile`): one sweep each way carries that
    along a list in linear time."""
    if not any(h.context for h in hits):
        return [True] * len(hits)
    starts = [s.start for s in sentences]
    meant: list[bool] = []
    able: list[bool] = []  # not at a sentence start
    for h in hits:
        if not h.context:
            meant.append(True)
            able.append(True)
            continue
        sentence = sentence_at(sentences, starts, h.start)
        able.append(sentence is not None and h.start > sentence.start)
        meant.append(able[-1] and (
            _about(sentence.text)[0]
            or _RAN_ON.search(text, max(sentence.start, h.start - 50), h.start) is not None
        ))
    # hit i is coordinated with hit i - 1
    linked = [i > 0 and able[i] and able[i - 1] and (hits[i].context or hits[i - 1].context)
              and _BETWEEN.fullmatch(text, hits[i - 1].end, hits[i].start) is not None
              for i in range(len(hits))]
    for i in range(1, len(hits)):  # "the SPICE and QM9 pre-training data": two ambiguous
        if linked[i] and hits[i].context and hits[i - 1].context:
            sentence = sentence_at(sentences, starts, hits[i].start)
            if sentence is not None and _about(sentence.text)[1]:
                meant[i] = meant[i - 1] = True
    for i in range(1, len(hits)):
        meant[i] = meant[i] or (linked[i] and meant[i - 1])
    for i in range(len(hits) - 1, 0, -1):
        meant[i - 1] = meant[i - 1] or (linked[i] and meant[i])
    return meant


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
_LEARNING = re.compile(r"\b(?:learning|train(?:s|ed|ing))\b", re.I)
# ...but students learn and health workers train: in the one sentence that names an
# everyday device, only what is done on it counts ("trained on a laptop" does).
_DEVICE_USE = re.compile(
    r"\b(?:TPUs?|comput\w*|design\w*|pipelines?|processe[sd]|processing\s+time|fps|"
    r"frames\s+per\s+second|efficient|lightweight|quantiz\w*|compress\w*|accelerators?|"
    r"TOPS|\d+\s?nm|"
    r"train(?:ed|ing)?\s+(?:[\w-]+\s+){0,4}?on)\b",
    re.I,
)


# A sentence about particle beams: its `accelerator` is no chip.
_BEAMS = re.compile(
    r"\b(?:beams?|particles?|electrons?|protons?|positrons?|ions|hadrons?|muons?|[kMGT]eV|"
    r"CERN|DESY|Fermilab|SLAC|magnets?|cavit(?:y|ies)|RF|linacs?|synchrotrons?|colliders?|"
    r"lasers?|wakefield|plasma)\b"
)
# "the Gaudi framework": a program named like a device.
_PROGRAM_AFTER = re.compile(r"\s+(?:framework|software|library|package|toolkit|toolbox)\b")
# Variable stars in a cluster are numbered V1, V2, ... (`the variable star V100`): a
# device's name right after a kind of star is that star. `variables` and `binary`
# name stars only where the abstract is not about computing (`1024 binary variables
# V100 ...` is a solver's).
_STAR_BEFORE = re.compile(r"\b(?:stars?|Cepheids?|RR\s+Lyrae|Miras?|novae?|pulsars?)\s+$", re.I)
_VARIABLE_BEFORE = re.compile(r"\b(?:variables?|binar(?:y|ies))\s+$", re.I)


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


def star_before(text: str, start: int) -> bool:
    """Whether the name starting at `start` names a star (`the variable star V100`)."""
    if _STAR_BEFORE.search(text, max(0, start - 20), start):
        return True
    return (_VARIABLE_BEFORE.search(text, max(0, start - 20), start) is not None
            and not about_computing(text))


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

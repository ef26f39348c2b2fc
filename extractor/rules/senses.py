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


def dataset_sense(
    text: str, sent: Sentence, span: tuple[int, int], others: list[tuple[int, int]]
) -> bool:
    """Whether the ambiguous name at `span`, in `sent`, names a dataset; `others` are
    the spans of the other gazetteer names in the abstract."""
    if _ABOUT_DATASETS.search(sent.text):
        return True
    start, end = span
    if _RAN_ON.search(text, max(sent.start, start - 40), start):
        return True
    return bool(_ABOUT_DATA.search(sent.text)) and any(
        _BETWEEN.fullmatch(text, e, start) or _BETWEEN.fullmatch(text, end, s)
        for s, e in others
        if sent.start <= s < sent.end
    )

"""Hardware: specific devices from a gazetteer, device classes from patterns.

Design note (LABELLING.md): a specific device keeps its name as written, with
the vendor or family word the text puts in front of it (`NVIDIA A100`, `GeForce
RTX 3090`); a trailing `GPU`/`GPUs` belongs to that mention and does not add a
separate `GPU`. Everything else is reduced to a plain class: `200 GPU-hours`,
`multiple GPUs` -> `GPU`; `resource-constrained edge devices` -> `edge devices`.
Chip classes are singular, device populations keep their plural. Bare
`hardware`, `computational resources` and `cluster` are never hardware.

Short device names that mean other things (`T4`, `M2`, `Hexagon`, `Quest 2`)
need a vendor word before them or `GPU`/`chip` after them. A class word right
before a device (`on GPU V100`) belongs to it, as a trailing one does.

The rules read every field's abstracts, where devices are also plants
(`Snapdragon`), surnames (`Jetson`), particles (`Graviton`), steels (`AerMet 100
(A100)`), polymers (`thermoplastic polyurethane (TPU)`) and what people own
(`mobile phone adoption`); `senses.py` holds the evidence each such name or
class needs, and the `compute` rows of the gazetteer and the gates in `CLASSES`
say which ones need it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .gazetteer import load
from .senses import (
    about_beams,
    about_computing,
    program_after,
    spelled_otherwise,
    star_before,
    uses_a_device,
)
from .text import sentence_at, split_sentences

_VENDOR = re.compile(
    r"(?:(?:NVIDIA|Nvidia|nVidia|AMD|Intel|Google|Apple|Qualcomm|Arm|ARM|Xilinx|AMD Xilinx|"
    r"Samsung|Huawei|Raspberry|Cloud|Amazon|AWS|IBM|MediaTek|Meta|Oculus)\s+)?"
    r"(?:(?:GeForce|Tesla|Quadro|Instinct|Radeon|Jetson|Snapdragon|Core|Xeon|Cloud)\s+)?$"
)
_SUFFIX = re.compile(
    r"(?:\s+(?:Tensor\s+Core\s+|laptop\s+)?(?:GPUs?|graphics\s+cards?|cards?|chips?|SoCs?|"
    r"boards?|processors?|CPUs?|accelerators?|devices?|supercomputers?|Superchips?|"
    r"(?:PCIe|SXM\d?)(?:\s+GPUs?)?|\(\d+\s*GB\)|\d+\s*GB(?:\s+GPUs?)?))+"
)
# A memory or form-factor variant written onto the name ("A100-80GB", "A100-SXM4-80GB"),
# which the gazetteer reads as the bare name.
_VARIANT = re.compile(r"(?:-(?:SXM\d?|PCIe|\d+\s?GB))+")
# At most two more tokens ("Xeon Gold 6248", "M2 Pro Max"): unbounded, "A100 A100 ..."
# made each hit read to the end of the text, quadratic in the abstract's length.
_MODEL_NUMBER = re.compile(
    r"(?:\s+(?:[A-Z]{0,2}\d{3,5}[A-Za-z]{0,3}|[A-Z]{1,2}\d{2}[A-Z]{0,2}|Max|Pro|Ultra|NX|Nano|"
    r"Mini)){1,2}(?![\w-])"
)
# "an Apple M1 laptop": a machine word after a name makes it that machine's chip.
_MACHINE_AFTER = re.compile(r"\s+(?:laptops?|workstations?|desktops?|servers?|nodes?|machines?)\b")
_LEADING_CLASS = re.compile(r"\b(?:GPUs?|CPUs?|TPUs?)\s+$")
_CONTEXT_AFTER = re.compile(
    r"\s+(?:Tensor\s+Core\s+)?(?:GPUs?|chips?|SoC|Max|Pro|supercomputers?|Superchips?)\b"
)

# (keyword, pattern, class[, gate]): the pattern runs only when the abstract holds the
# keyword as the pattern reads it (a case-blind pattern's in the lower-cased abstract, a
# case-sensitive one's as written: `NPU`, never the `npu` of `input`), a substring test
# that costs almost nothing; most abstracts name no hardware at all. A gate asks for
# evidence (senses.py): EVERYDAY classes are also what people own and use (`mobile phone
# adoption`, `students who used laptops`), so their sentence must talk about computing on
# them; BEAMS classes are also particle accelerators; ABSTRACT classes are also other
# things' acronyms (`TPU and PLA specimens`), so their abstract must talk about
# computing somewhere.
EVERYDAY, BEAMS, ABSTRACT = "everyday", "beams", "abstract"
CLASSES: list[tuple[str, re.Pattern[str], str] | tuple[str, re.Pattern[str], str, str]] = [
    ("gpu", re.compile(r"\bGPUs?\b|\bGPU-\w+|\bmulti-GPU\b", re.I), "GPU"),
    ("graphics", re.compile(r"\bgraphics\s+processing\s+units?\b", re.I), "GPU"),
    ("cpu", re.compile(r"\bCPUs?\b|\bCPU-\w+", re.I), "CPU"),
    ("central", re.compile(r"\bcentral\s+processing\s+units?\b", re.I), "CPU"),
    ("core", re.compile(r"\bmulti-?core\s+processors?\b", re.I), "CPU"),
    ("TPU", re.compile(r"\bTPUs?\b"), "TPU", ABSTRACT),
    ("tensor processing", re.compile(r"\btensor\s+processing\s+units?\b", re.I), "TPU"),
    ("fpga", re.compile(r"\bFPGAs?\b", re.I), "FPGA"),
    ("programmable", re.compile(r"\bfield[- ]programmable\s+gate\s+arrays?\b", re.I), "FPGA"),
    ("ASIC", re.compile(r"\bASICs?\b"), "ASIC", EVERYDAY),
    ("NPU", re.compile(r"\bNPUs?\b"), "NPU"),
    ("neural processing", re.compile(r"\bneural\s+processing\s+units?\b", re.I), "NPU"),
    (
        "accelerator",
        re.compile(
            r"\b(?:hardware|AI|DNN|deep[- ]learning|neural(?:[- ]network)?|ML|custom|"
            r"specialized|specialised|dedicated|domain-specific|analog|photonic|optical|"
            r"multiple|GPU|TPU)\s+accelerators?\b|\baccelerator\s+(?:units?|chips?|hardware|"
            r"cards?)\b|\bon\s+accelerators\b",
            re.I,
        ),
        "accelerator",
        BEAMS,
    ),
    (
        "edge",
        re.compile(
            r"\bedge[- ](?:devices?|hardware|platforms?|processors?|nodes?|computing\s+devices?|"
            r"AI\s+devices?|GPUs?)\b",
            re.I,
        ),
        "edge devices",
    ),
    ("phone", re.compile(r"\b(?:mobile|cell|smart)[- ]?phones?\b", re.I), "mobile phones",
     EVERYDAY),
    (
        "mobile",
        re.compile(r"\bmobile\s+(?:devices?|platforms?|hardware|processors?|SoCs?|chips?)\b", re.I),
        "mobile devices",
    ),
    ("controller", re.compile(r"\bmicro-?controllers?\b", re.I), "microcontrollers"),
    ("MCU", re.compile(r"\bMCUs?\b"), "microcontrollers"),
    (
        "embedded",
        re.compile(
            r"\bembedded\s+(?:devices?|systems?|platforms?|hardware|boards?|processors?|GPUs?)\b",
            re.I,
        ),
        "embedded devices",
    ),
    ("IoT", re.compile(r"\bIoT\s+devices?\b"), "IoT devices"),
    ("internet", re.compile(r"\bInternet[- ]of[- ]Things\s+devices?\b", re.I), "IoT devices"),
    ("wearable", re.compile(r"\bwearable\s+devices?\b|\bwearables\b", re.I), "wearable devices"),
    (
        "quantum",
        re.compile(r"\bquantum\s+(?:computers?|hardware|processors?|chips?)\b", re.I),
        "quantum computer",
    ),
    # "gate-defined quantum devices in bilayer graphene": the object of study
    ("quantum", re.compile(r"\bquantum\s+devices?\b", re.I), "quantum computer", EVERYDAY),
    ("NISQ", re.compile(r"\bNISQ\s+(?:devices?|computers?|hardware)\b"), "quantum computer"),
    ("anneal", re.compile(r"\bquantum\s+annealers?\b", re.I), "quantum annealer"),
    (
        "neuromorphic",
        re.compile(
            r"\bneuromorphic\s+(?:hardware|chips?|processors?|devices?|platforms?|systems?)\b", re.I
        ),
        "neuromorphic hardware",
    ),
    ("supercomputer", re.compile(r"\bsupercomputers?\b", re.I), "supercomputer"),
    ("laptop", re.compile(r"\blaptops?\b", re.I), "laptop", EVERYDAY),
]
# CLASSES as find_hardware reads them, worked out once: whether the keyword is looked for
# in the lower-cased abstract (a case-blind pattern's), and the gate or None.
_CHECKS = [(keyword, bool(pattern.flags & re.IGNORECASE), pattern, name, gate[0] if gate else None)
           for keyword, pattern, name, *gate in CLASSES]


@dataclass(frozen=True)
class Found:
    """One hardware item and the span of the abstract it came from."""

    name: str
    start: int
    end: int


class _Spans:
    """Whether a position falls in any of some spans: merged, then bisected.

    Checking every class mention against every device span was quadratic: 1.7 s
    for a 20,000-character abstract of `A100 GPU` repeated."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def __call__(self, at: int) -> bool:
        i = bisect.bisect_right(self.starts, at) - 1
        return i >= 0 and at < self.ends[i]


class _Otherwise:
    """Whether a name is an acronym the abstract spells out as no device; the
    abstract is read for definitions only when some name asks (most name none)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.acronyms: frozenset[str] | None = None

    def __call__(self, name: str) -> bool:
        if self.acronyms is None:
            self.acronyms = spelled_otherwise(self.text)
        return name.removesuffix("s") in self.acronyms


def _in_sense(text: str, at: int, gate: str) -> bool:
    """Whether the class word at `at` means compute, by its sentence or abstract."""
    if gate == ABSTRACT:
        return about_computing(text)
    sentences = split_sentences(text)
    found = sentence_at(sentences, [s.start for s in sentences], at)
    sentence = found.text if found else ""
    if gate == BEAMS:
        return not about_beams(sentence)
    return uses_a_device(sentence)


def find_hardware(text: str) -> list[Found]:
    """Devices and device classes in `text`, in order of first mention."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    gazetteer = load("hardware")
    otherwise = _Otherwise(text)
    computing: bool | None = None  # asked of the whole abstract once, if a name needs it
    for hit in gazetteer.find(text):
        vendor = _VENDOR.search(text, max(0, hit.start - 40), hit.start)
        start = vendor.start() if vendor and vendor.group(0) else hit.start
        if hit.context and start == hit.start and not _CONTEXT_AFTER.match(text, hit.end):
            continue
        if program_after(text, hit.end) or otherwise(hit.text) or star_before(text, hit.start):
            continue  # "AerMet 100 (A100) steel", "the Gaudi framework", "variable star V100"
        end = hit.end
        if hit.text.endswith("s") and hit.text[:-1] in gazetteer.exact:
            end -= 1  # "A100s" -> "A100"
        model = _MODEL_NUMBER.match(text, hit.end)  # "Xeon Gold 6248", "M2 Max"
        if model:
            end = model.end()
        name = re.sub(r"\s+", " ", text[start:end])
        after = max(end, hit.end)
        if variant := _VARIANT.match(text, after):
            after = variant.end()  # "A100-80GB GPUs": the GPUs are still the A100's
        suffix = _SUFFIX.match(text, after)
        lead = _LEADING_CLASS.search(text, max(0, start - 12), start)
        if hit.flag == "compute" and start == hit.start and not (
            model or suffix or lead or _MACHINE_AFTER.match(text, hit.end)
        ):
            if computing is None:
                computing = about_computing(text)
            if not computing:
                continue  # "Snapdragon and Trillium populations", "the approach of Jetson"
        found.append(Found(name, start, end))
        taken.append((lead.start() if lead else start,
                      suffix.end() if suffix else after))
    low = text.lower()
    inside = _Spans(taken)
    for keyword, blind, pattern, name, gate in _CHECKS:
        if keyword not in (low if blind else text):
            continue
        for m in pattern.finditer(text):
            if inside(m.start()) or otherwise(m.group(0)):
                continue
            if gate and not _in_sense(text, m.start(), gate):
                continue
            found.append(Found(name, m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    seen: set[str] = set()
    out = []
    for f in found:
        key = f.name.casefold()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out

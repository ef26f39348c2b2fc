"""Whose speed claim it is: the paper's own, and about computation.

Design note (LABELLING.md): a speed-up is a claim that something the paper
itself proposes runs faster. `normalize` finds claims sentence by sentence;
this module decides two things about each, kept apart from the cue words of
`lexicon` because they read the sentence around the claim, not the claim:

- `owned`: the sentence is about the paper's work, not prior work in general
  (`we`, `our`, `proposed`, a coined name, or weaker signs such as `results`;
  `Introduced`: or a definite noun phrase for what an earlier sentence of the
  paper's introduced, `We present a GPU port. The GPU port ...`). Claims whose
  subject is prior work (`Recent GPU codes achieved 100x speedups`, `have been
  shown to`) are not the paper's unless its own voice is in the sentence
  (`prior_from`).
- `computational`: a claim whose speed word also describes the physical world
  (`faster`, `speed`, `accelerated`, `latency`, `less time`; lexicon.GENERIC_CUE)
  needs a computational subject (`Subjects`): a word of computing (`COMPUTE`),
  a coined name, or a name the paper gives its method (`PaperNames`). `We find
  that the star rotates 3 times faster than the Sun` has `we` in it, but what is
  faster is a star; `our GPU code runs 40 times faster` is a claim. The words
  before a finding's `that` (`we show that`, `simulations reveal that`) are the
  frame, not the subject, so they do not count. A speed cue that names
  computation itself (`training time`, `throughput`, `speedup`) needs no such
  test, and lends its sentence's other claims a computational subject (`2.3x
  higher throughput and 40% lower latency`). In an abstract about computing in
  words no other field uses (`COMPUTING`), the paper's own voice computes too
  (`We reduce latency by 40%`, `It cuts tail latency`), except in a sentence
  about particle beams (`we accelerate 30 keV electrons by 20%`).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from functools import cached_property

from .senses import about_beams

# Ownership: a claim needs the paper (or its coined method) as its subject.
OWN = re.compile(
    r"\b(?:we|our|us|ours|proposed|propose|this|it|its|which|new|novel|results?|"
    r"experiments?|experimental|empirical\w*|evaluations?|implementation|achiev\w+|"
    r"demonstrat\w+|shows?|showing|shown|enabl\w+|yield\w*|deliver\w*|obtain\w*|"
    r"attain\w*|provid\w+|leads?|outperform\w*|here|using)\b",
    re.I,
)
COINED = re.compile(r"\b(?:[A-Z][a-z0-9]+[A-Z]\w*|[A-Z]{2,}\w*|\w+-[A-Z]\w*)")
# fmt: off
COMMON_CAPS = {
    "ML", "AI", "GPU", "GPUS", "CPU", "CPUS", "TPU", "PDE", "PDES", "ODE", "ODES", "DNN",
    "DNNS", "NN", "NNS", "LLM", "LLMS", "CNN", "CNNS", "RNN", "RNNS", "GNN", "GNNS", "RL",
    "SGD", "FFT", "CUDA", "API", "PBS", "SOTA", "ROM", "ROMS", "FEM", "CFD",
}
# fmt: on

# What computes: the nouns (and a few verbs) of software, hardware and numerical
# work. Words that name things in other fields as often (`model`, `network`,
# `system`) count only as the paper's own (`our model`); `program`, `procedure`,
# `engine`, `new` not at all.
COMPUTE = re.compile(
    r"\b(?:algorithm\w*|method\w*|solvers?|solv(?:e|es|ed|ing)|codes?|implement\w*|"
    r"software|librar(?:y|ies)|kernels?|[cgt]pus?|fpgas?|hardware|neural|transformers?|"
    r"architectures?|frameworks?|approach(?:es)?|techniques?|schemes?|pipelines?|"
    r"simulat\w*|emulat\w*|surrogates?|inference|training|trains|comput\w*|runtimes?|"
    r"iterat\w*|optimi[sz]\w*|sampl(?:er|ers|ing)|decod\w*|encod\w*|estimators?|"
    r"numerical(?:ly)?|parallel\w*|compil\w*|quer(?:y|ies)|databases?|operators?|"
    r"processors?|parsers?|schedulers?|llms?|molecular\s+dynamics|ab\s+initio|first[\s-]principles|dft|"
    r"monte\s+carlo|finite[\s-](?:elements?|differences?|volumes?)|"
    r"proposed|ours|we\s+(?:are|were|run|ran)|"
    r"our\s+(?:[\w-]+\s+){0,2}?(?:models?|networks?|systems?))\b",
    re.I,
)
# A coined name written in CamelCase or with capitals about a hyphen (`TailorNet`,
# `R-Sparse`), but not a chemical formula (`NaCl`, `LiFePO4`), which is made of
# element symbols, nor a compound such as `multi-GPU`.
CAMEL = re.compile(r"\b(?:[A-Z][a-z0-9]+[A-Z]\w*|[A-Z]\w*-[A-Z]\w*)")
FORMULA = re.compile(r"(?:[A-Z][a-z]?\d*)+")
# The frame of a finding: what comes before its `that` is not what got faster.
FINDING_THAT = re.compile(
    r"\b(?:find|finds|found|show|shows|showed|shown|demonstrat\w*|reveal\w*|observ\w*|"
    r"suggest\w*|indicat\w*|report\w*|conclud\w*|confirm\w*|establish\w*|estimat\w*|"
    r"infer\w*|argue\w*|note\w*|see|saw|discover\w*|document\w*|predict\w*|measur\w*|"
    r"detect\w*)\s+(?:[\w-]+\s+)?that\b",
    re.I,
)

# Where the claim's sentence surely ends, even where the splitter ran on ("at 300 K.
# All simulations were ..." reads `K.` as an initial).
STOP = re.compile(r"[.;]\s+(?=[A-Z])|;")

# Prior work as the subject: "GPUs have been shown to provide speedups of 10-100x",
# "Recent GPU codes achieved 100x speedups", "It is well known that FFT is 10 times
# faster", "Previous token pruning methods achieved 3x speedups".
PRIOR = re.compile(
    r"\b(?:(?:has|have|had)\s+(?:also\s+)?been\s+(?:shown|demonstrated|reported|found|"
    r"observed)|(?:well|widely)[\s-]known|previously|in\s+the\s+past|literature|"
    r"(?:previous|prior|existing|earlier|early|recent|past|other|traditional|conventional)"
    r"\s+(?:[\w-]+\s+){0,3}?(?:works?|studies|codes|methods|approaches|implementations|"
    r"solvers|systems|techniques|algorithms|models|efforts|attempts|research|papers|"
    r"versions|tools|packages|libraries))\b",
    re.I,
)
# ... unless it is what the claim is compared with: "compared with previous methods, ".
COMPARED = re.compile(
    r"\b(?:than|over|to|with|versus|vs\.?|against|outperform\w*|beat\w*|surpass\w*|"
    r"beyond)\s+(?:(?:the|all|most|many)\s+)?$",
    re.I,
)
# The paper's own voice, which no mention of prior work overrules.
STRONG = re.compile(
    r"\b(?:we|our|us|ours|proposed|propose|here|new|novel|"
    r"this\s+(?:paper|work|study|article|letter))\b",
    re.I,
)


# A name the paper gives what it proposes: straight after the verb ("We propose DDIM++",
# "we introduce MergeFormer") when it looks coined, or as an acronym in brackets in a
# sentence that proposes ("We propose Masked Structural Growth (MSG)").
_PROPOSING = r"\b(?:propos|present|introduc|develop|design|call|nam|term|dub)(?:e|es|ed|ing|s)?\s+"
# ... or a capitalised word set off as what the paper presents ("We present Zephyr, a
# key-value store"): a system named with an ordinary word.
NAMED = re.compile(_PROPOSING + r"(?P<name>[A-Z][\w+-]*?[A-Z\d+][\w+-]*|"
                   r"[A-Z][a-z]{2,}(?=,\s+(?:a|an)\s))")
PROPOSING = re.compile(_PROPOSING, re.I)
ACRONYM = re.compile(r"\((?P<name>[A-Z][a-z]?[A-Z][\w+-]*)\)")


# A speed word that names computation itself, elsewhere in the sentence, makes the
# sentence's other claims computational too: "2.3x higher throughput and 40% lower
# latency than vLLM".
COMPUTING_CUE = re.compile(
    r"\b(?:throughput|speed-?ups?|wall-?clock|(?:training|inference|run|execution|"
    r"compilation|query|decoding|generation)[\s-]?times?|runtimes?|tokens?/s|fps|FLOPS|"
    r"queries\s+per\s+second)\b",
    re.I,
)
# An abstract about computing in words no other field shares (`simulation`, `model`,
# `method` and `run` are every field's), where the paper's own voice (`we reduce
# latency by 40%`, `it cuts tail latency`, `X, which is 3x faster`) is the subject
# of its own claims.
COMPUTING = re.compile(
    r"\b(?:[GCT]PUs?|FPGAs?|ASICs?|hardware|software|algorithms?|compil\w+|kernels?|"
    r"implementations?|inference|neural|LLMs?|transformers?|deep\s+learning|"
    r"machine\s+learning|distributed|caches?|databases?|quer(?:y|ies)|servers?|serving|"
    r"throughput|speed-?ups?|runtimes?|solvers?|codes?|parsers?|schedulers?|compute)\b",
    re.I,
)
# Not `its`, which is as often the physical subject's ("the soliton relaxes to its
# steady state 5 times faster").
VOICE = re.compile(r"\b(?:we|our|it|which)\b", re.I)


class PaperNames:
    """The paper's own names (the title's) and those its abstract gives what it proposes
    (`MSG`, `DDIM++`): computational subjects wherever they appear again. The abstract
    is read for them only when a claim first needs them: reading every abstract's
    sentences for them cost 8% of the rules backend's time."""

    def __init__(self, sentences: Sequence[str], own_names: set[str]) -> None:
        self._sentences = sentences
        self._own = own_names

    @cached_property
    def computing(self) -> bool:
        """Whether the abstract is about computing, so that its own voice computes."""
        return any(COMPUTING.search(s) for s in self._sentences)

    @cached_property
    def names(self) -> set[str]:
        names = set(self._own)
        for s in self._sentences:
            if PROPOSING.search(s):
                names.update(m.group("name") for m in NAMED.finditer(s))
                names.update(m.group("name") for m in ACRONYM.finditer(s))
        return names


def named(sentence: str, names: set[str]) -> bool:
    """Whether the sentence names one of the paper's own names."""
    return any(n and n in sentence for n in names)


def owned(sentence: str, own_names: set[str]) -> bool:
    """Whether the sentence is about the paper's own work rather than prior work."""
    if OWN.search(sentence) or named(sentence, own_names):
        return True
    return any(t.upper() not in COMMON_CAPS for t in COINED.findall(sentence))


# The nouns a sentence introduces ("We present a GPU port", "... on the quantum
# annealer"), and the definite ones a later sentence refers back with ("The GPU port
# cuts ...", "the annealer finds ...").
INTRODUCED = re.compile(r"\b(?:a|an|our|the|its)\s+((?:[\w-]+\s+){0,3}[\w-]+)", re.I)
DEFINITE = re.compile(r"\b(?:the|this|these)\s+((?:[\w-]+\s+){0,2}[\w-]+)", re.I)
# Words too common to tie two sentences together.
_LOOSE = {
    "that", "this", "with", "from", "than", "which", "into", "over", "time", "times",
    "data", "results", "result", "have", "been", "also", "both", "each", "other", "same",
    "such", "more", "most", "only", "first", "show", "shows", "paper", "work",
    "study", "case", "cases", "used", "using", "number", "order", "speed", "speedup",
}  # fmt: skip


class Introduced:
    """What the paper's own earlier sentences introduced, so that a sentence naming it
    again by a definite noun phrase is the paper's too: `We present a GPU port. The GPU
    port cuts the wall-clock time ..., a 5-fold speedup over the CPU code.` The earlier
    sentences are read only when a claim's sentence has no other sign of the paper."""

    def __init__(self, own_names: set[str]) -> None:
        self._names = own_names
        self._pending: list[str] = []
        self._words: set[str] = set()

    def see(self, sentence: str) -> None:
        """Note a sentence; the one being judged is noted before it is judged."""
        self._pending.append(sentence)

    def refers(self, sentence: str) -> bool:
        """Whether a definite noun phrase of `sentence` names what an earlier sentence
        in the paper's own voice (`we`, `our`, its name) introduced."""
        current = self._pending.pop()
        for s in self._pending:
            if STRONG.search(s) or named(s, self._names):
                for m in INTRODUCED.finditer(s):
                    self._words.update(_content(m.group(1)))
        self._pending = [current]
        return any(w in self._words for m in DEFINITE.finditer(sentence)
                   for w in _content(m.group(1)))


def _content(phrase: str) -> list[str]:
    return [w for w in phrase.lower().split() if len(w) >= 4 and w not in _LOOSE]


# Background told as such: "In contrast, Grover's algorithm achieves only a quadratic
# speedup", "Speculative decoding achieves 2-3x speedups but requires a draft model".
CONTRAST_OPEN = re.compile(r"\s*(?:in\s+contrast|by\s+contrast|conversely)\b", re.I)
DRAWBACK = re.compile(
    r"\bbut\s+(?:it\s+|they\s+)?(?:also\s+|often\s+|still\s+|usually\s+|typically\s+)?"
    r"(?:requires?|suffers?|incurs?|needs?|relies|rely|degrades?|sacrifices?|lacks?|fails?|"
    r"introduces?|comes?\s+at|is\s+limited|are\s+limited|struggles?|remains?\s+limited)\b",
    re.I,
)
# A name opening the sentence as the subject of a claim verb: "FlashAttention achieved a
# 3x speedup over standard attention".
NAMED_SUBJECT = re.compile(
    r"\s*(?P<name>[A-Z][\w+.-]*)\s+(?:[\w-]+\s+)?(?:has\s+|have\s+|can\s+)?"
    r"(?:achiev|provid|yield|deliver|offer|obtain|attain|enabl|show|demonstrat|report)\w*\b"
)


def background(sentence: str, names: PaperNames) -> bool:
    """Whether a sentence without the paper's own voice or name tells of others' work:
    it opens with a contrast (`In contrast, ...`), puts a drawback after the claim
    (`... but requires a separate draft model`), or opens with a coined name that is
    not the paper's as the subject of `achieves`/`provides` (`FlashAttention achieved
    a 3x speedup`). The last needs the paper's own names to be known (its title's, or
    those it proposes), since a coined name is otherwise taken to be the paper's."""
    if STRONG.search(sentence) or named(sentence, names.names):
        return False
    if CONTRAST_OPEN.match(sentence) or DRAWBACK.search(sentence):
        return True
    m = NAMED_SUBJECT.match(sentence)
    if m is None or not names.names:
        return False
    name = m.group("name")
    coined = COINED.fullmatch(name) and name.upper() not in COMMON_CAPS
    return bool(coined) and not any(n in name or name in n for n in names.names if n)


def prior_from(sentence: str, own_names: set[str]) -> int | None:
    """Where prior work becomes the subject of the sentence's claims: the first mention
    of it as a subject (not as a comparator: `faster than previous methods`), when
    the sentence has no voice of the paper's own (`we`, `our`, its name); claims
    after that point are prior work's. Found once per sentence."""
    if STRONG.search(sentence) or named(sentence, own_names):
        return None
    if any(not FORMULA.fullmatch(t) for t in CAMEL.findall(sentence)):
        return None  # a coined name (`FooNet`): the paper's, as far as can be told
    for m in PRIOR.finditer(sentence):
        if not COMPARED.search(sentence, max(0, m.start() - 30), m.start()):
            return m.start()
    return None


class Subjects:
    """Where a sentence names something that computes, found once per sentence, so
    that each of its claims is judged in logarithmic time: a rescan per claim was
    quadratic (22 s for 20,000 characters of `2x faster` repeated)."""

    def __init__(self, sent: str, own_names: set[str], voice: bool = False) -> None:
        self._frames = [m.end() for m in FINDING_THAT.finditer(sent)]
        self._stops = [m.start() for m in STOP.finditer(sent)]
        self._always = COMPUTING_CUE.search(sent) is not None
        anchors = [m.start() for m in COMPUTE.finditer(sent)]
        if voice and not about_beams(sent):  # `we accelerate 30 keV electrons by 20%`
            anchors += [m.start() for m in VOICE.finditer(sent)]
        anchors += [m.start() for m in CAMEL.finditer(sent) if not FORMULA.fullmatch(m.group())]
        for name in own_names:
            at = sent.find(name) if name else -1
            while at >= 0:
                anchors.append(at)
                at = sent.find(name, at + 1)
        self._anchors = sorted(anchors)

    def computational(self, lo: int) -> bool:
        """Whether the claim starting at `lo` is about computation: its sentence, past
        the frame of a finding (`we find that ...`), names something that computes,
        the paper's own name, or a coined one; or the sentence names computation in
        a speed word of its own (`throughput`)."""
        if self._always:
            return True
        frame = bisect.bisect_right(self._frames, lo) - 1
        begin = self._frames[frame] if frame >= 0 else 0
        stop = bisect.bisect_left(self._stops, lo)
        end = self._stops[stop] if stop < len(self._stops) else math.inf
        first = bisect.bisect_left(self._anchors, begin)
        return first < len(self._anchors) and self._anchors[first] < end

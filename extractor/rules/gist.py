"""Task and method from the title and abstract: the best honest heuristic.

Design note. Without a model there is no understanding, only the conventions of
how papers are titled and how abstracts announce a contribution:

- method: the coined name (`NeuPL: ...`, `... (SKR)`, `called X`) followed by the
  object of the first `we propose / introduce / present / develop ...`, cut to
  LABELLING.md's 15 words;
- task: the title with its method part removed. `Name: description` keeps the
  description; `X via/using/through Y` keeps X; `Method for Task` keeps Task;
  a leading verb (`Accelerating`, `Towards`, `On the`) is dropped. The result is
  lower-cased except words the abstract itself capitalises mid-sentence (proper
  names such as `Krylov`) and acronyms, and cut to 2-8 words. When the title
  yields less than two words, `the problem of X` / `we study X` in the abstract
  is used instead.

Every phrase is returned with its (source, start, end) so a reader can see
where it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import split_sentences


@dataclass(frozen=True)
class Phrase:
    """A task or method phrase and the span of the title or abstract it came from."""

    text: str
    source: str  # "title" or "abstract"
    start: int
    end: int


# fmt: off
_NOMINAL_ING = {
    "learning", "training", "sampling", "modeling", "modelling", "computing", "clustering",
    "forecasting", "planning", "reasoning", "ranking", "scheduling", "tracking", "matching",
    "parsing", "pruning", "encoding", "decoding", "editing", "rendering", "processing",
    "programming", "mining", "testing", "pretraining", "pre-training", "fine-tuning",
    "finetuning", "prompting", "solving", "understanding", "embedding", "embeddings",
    "meta-learning", "hashing", "labeling", "labelling", "inpainting", "denoising",
    "captioning", "grounding", "scaling", "sensing", "filtering", "smoothing", "routing",
    "reconstruction", "morphing", "bootstrapping", "boosting", "bagging", "thresholding",
}
# fmt: on
_LEAD_DROP = re.compile(
    r"^(?:(?:on|towards?|revisiting|rethinking|beyond|when|how|why|what|is|are|can|do|does|"
    r"a|an|the|one|new|novel|simple|improved|improving|enabling|accelerating|boosting|"
    r"enhancing|scaling\s+up|unlocking|bridging|achieving|making|rethinking|demystifying|"
    r"understanding)\s+)+",
    re.I,
)
_VERB_LEAD = re.compile(
    r"(?:.*\s)?(?:improving|enabling|accelerating|boosting|enhancing|scaling\s+up|unlocking|"
    r"bridging|achieving|making|demystifying|understanding)\s+$",
    re.I,
)
# fmt: off
_METHOD_HEADS = {
    "loss", "network", "net", "transformer", "model", "method", "framework", "approach",
    "algorithm", "architecture", "attention", "estimator", "optimizer", "layer", "module",
    "kernel", "scheme", "strategy", "technique", "regularization", "regularizer", "prior",
    "objective", "representation", "embedding", "encoder", "decoder", "policy", "solver",
    "operator", "system", "tool", "toolkit", "library", "pipeline", "benchmark", "dataset",
    "preconditioning", "initialization", "sampler", "distillation", "augmentation",
}
# fmt: on
_STRONG_TAIL = re.compile(
    r"\s+(?:via|using|through|based\s+on|leveraging|powered\s+by)\s+.*$", re.I
)
_WEAK_TAIL = re.compile(r"\s+(?:with|by|from|under|without)\s+.*$", re.I)
# Matched against the lower-cased abstract and without a leading \b, so that `re`
# can skip ahead by first letter; the word boundary is checked by hand.
_PROPOSE = re.compile(
    r"(?:we|this\s+(?:paper|work|article|study|note|letter)|our\s+(?:paper|work))\s+"
    r"(?:also\s+|first\s+|further\s+|then\s+|here\s+|therefore\s+|thus\s+)?"
    r"(?P<verb>propose|introduce|present|develop|design|devise|put\s+forward|describe|"
    r"formulate|derive|establish|construct|provide|build|create|release|offer|give|"
    r"study|analy[sz]e|investigate|prove|show|consider|explore|examine|characteri[sz]e|"
    r"address|tackle)(?:s|d)?\b"
)
# fmt: off
_VERB_RANK = {
    "propose": 0, "introduce": 0, "present": 1, "develop": 1, "design": 2, "devise": 2,
    "put forward": 2, "formulate": 3, "derive": 3, "establish": 3, "construct": 3,
    "build": 3, "create": 3, "release": 4, "describe": 4, "provide": 4, "offer": 4,
    "give": 4, "prove": 8, "show": 8, "study": 5, "analyze": 5, "analyse": 5,
    "investigate": 5, "consider": 6, "explore": 6, "examine": 6, "characterize": 5,
    "characterise": 5, "address": 6, "tackle": 6,
}
# fmt: on
_PROBLEM_VIA = re.compile(
    r"^(?:this|these|both|such|the\s+above|this\s+important)\s+(?:\w+\s+){0,2}?"
    r"(?:issues?|problems?|gaps?|challenges?|limitations?|questions?|shortcomings?|"
    r"drawbacks?|bottlenecks?)\s+(?:via|by|with|through|using|and\s+propose)\s+",
    re.I,
)
_CLAUSE_END = re.compile(
    r"[.;:]\s|[.;:]$|,\s+(?:which|that|and\s+(?:we|show|demonstrate))\b|"
    r"\s+(?:and\s+)?(?:show|demonstrate|prove)\s+that\b",
    re.I,
)
_PROBLEM = re.compile(
    r"\b(?:the\s+(?:problem|task|question|challenge)\s+of|we\s+(?:study|address|consider|"
    r"tackle|investigate)|this\s+(?:paper|work)\s+(?:studies|addresses|considers|tackles|"
    r"investigates))\s+(?P<np>[^.,;:()]+)",
    re.I,
)
_PAREN_ACRONYM = re.compile(r"\((?P<short>[A-Z][\w-]*[A-Z]\w*)\)")
_CALLED = re.compile(
    r"(?:called|named|dubbed|termed|coined)\s+(?P<name>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)"
)
_CALLED_HINTS = ("called", "named", "dubbed", "termed", "coined")


def _words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def coined_names(title: str, abstract: str) -> list[str]:
    """Names the paper gives its own contribution, most trusted first."""
    names = []
    head, sep, _ = title.partition(":")
    if (
        sep
        and 0 < len(head.split()) <= 4
        and len(head) <= 40
        and (len(head.split()) == 1 or re.search(r"[a-z][A-Z]|[A-Z]{2}|\d", head))
    ):
        names.append(head.strip())
    if any(h in abstract for h in _CALLED_HINTS):
        names.extend(m.group("name") for m in _CALLED.finditer(abstract))
    return list(dict.fromkeys(n for n in names if n))


def find_method(title: str, abstract: str, names: list[str] | None = None) -> Phrase:
    """What the paper proposes, starting with its coined name when it has one."""
    best = None
    low = abstract.lower()
    if len(low) != len(abstract):  # a character whose lower case is longer: rare
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in abstract)
    for m in _PROPOSE.finditer(low):
        if m.start() and low[m.start() - 1].isalnum():
            continue
        rank = _VERB_RANK.get(re.sub(r"\s+", " ", m.group("verb").lower()), 9)
        if best is None or rank < best[0]:
            best = (rank, m)
        if rank == 0:
            break
    if names is None:
        names = coined_names(title, abstract)
    if best is not None and best[0] < 8:  # "we show that ..." states a result, not a method
        m = best[1]
        rest = abstract[m.end() : m.end() + 400]
        stop = _CLAUSE_END.search(rest)
        if stop and len(rest[: stop.start()].split()) <= 5 and rest[stop.start()] == ",":
            stop = _CLAUSE_END.search(rest, stop.end())  # "X (SKR), which ..." goes on
        obj = rest[: stop.start() if stop else len(rest)].strip(" ,")
        start = m.end() + (len(rest) - len(rest.lstrip(" ,")))
        obj = re.sub(r"^(?:here|in\s+this\s+(?:paper|work))\s*,?\s+", "", obj)
        obj = _PROBLEM_VIA.sub("", obj)
        as_a = re.search(r"\s+as\s+(?:a|an|the)\s+(?:solution|remedy|way|means|step)\b", obj)
        if as_a and len(obj[: as_a.start()].split()) >= 2:
            obj = obj[: as_a.start()]  # "NeuPL as a solution to both issues" -> "NeuPL"
        obj = re.sub(
            r"^to\s+(?:use|employ|leverage|learn|train|apply|combine|adopt|add)\s+", "", obj
        )  # "this issue via a novel technique" -> the technique
        obj = re.sub(r"^(?:that|how|to)\s+", "", obj) if best[0] >= 5 else obj
        if len(obj.split()) >= 2:
            text = _with_name(obj, names)
            return Phrase(_words(text, 15), "abstract", start, start + len(obj))
    _, sep, tail = title.partition(":")
    if sep and names:
        text = f"{names[0]}, {tail.strip()}"
        return Phrase(_words(text, 15), "title", 0, len(title))
    if title.strip():  # an analysis paper: its title says what it contributes
        return Phrase(_words(title, 15), "title", 0, len(title))
    first = split_sentences(abstract)[0] if abstract.strip() else None
    if first is None:
        return Phrase("", "abstract", 0, 0)
    return Phrase(_words(first.text, 15), "abstract", first.start, first.end)


def _with_name(obj: str, names: list[str]) -> str:
    inside = [n for n in names if n in obj]
    paren = re.search(r"\((?P<n>[A-Z][\w-]*(?:[a-z][A-Z]|[A-Z]{2}|-[A-Z])[\w-]*)\)", obj)
    if not inside and paren:
        inside = [paren.group("n")]
    if not names and not inside:
        return obj
    name = inside[0] if inside else names[0]
    if obj.startswith(name) or re.match(rf"(?:[A-Z][\w-]*\s+){{1,6}}\({re.escape(name)}\)", obj):
        return obj  # already starts with the name or its spelled-out form
    if name in obj:
        obj = re.sub(
            rf"\s*(?:,\s*)?(?:called|named|dubbed|termed|coined)\s+{re.escape(name)}"
            rf"|\s*\({re.escape(name)}\)",
            "",
            obj,
        )
        if obj.startswith(name):
            return obj
    return f"{name}, {obj}"


def _case(word: str, lower: set[str], midcaps: set[str]) -> str:
    """Lower-case a title word unless it is an acronym or a proper name in the abstract."""
    if "-" in word:
        return "-".join(_case(part, lower, midcaps) for part in word.split("-"))
    core = word.strip("()[],.")
    if _ACRONYMISH.search(core):
        return word
    if core in midcaps and core.lower() not in lower:
        return word
    return word.lower()


_ACRONYMISH = re.compile(r"[A-Z].*[A-Z]|\d|^[a-z]+[A-Z]")


def _overlap(phrase: str, abstract: str) -> float:
    """Share of the phrase's content words that the abstract also uses."""
    words = [w for w in re.findall(r"[a-z][a-z-]{3,}", phrase.lower())]
    if not words:
        return 0.0
    low = abstract.lower()
    return sum(w in low for w in words) / len(words)


def find_task(title: str, abstract: str) -> Phrase:
    """The problem the paper addresses as a 2-8 word lower-case noun phrase."""
    t = " ".join(title.split())
    start = 0
    sep_at = min((i for i in (t.find(": "), t.find("? ")) if i > 0), default=-1)
    if sep_at > 0:
        head, tail = t[:sep_at], t[sep_at + 1 :].strip()
        named = re.search(r"[a-z][A-Z]|[A-Z]{2}|\d", head) and len(head.split()) <= 4
        if t[sep_at] == "?" or named or len(head.split()) <= 2:
            start, t = sep_at + 2, tail
        elif _overlap(tail, abstract) > _overlap(head, abstract):
            start, t = sep_at + 2, tail  # "Get the Best of Both Worlds: <the real topic>"
        else:
            t = head
    t = t.replace("?", "").strip()
    article = bool(re.match(r"(?:a|an)\s", t, re.I))
    lead = _LEAD_DROP.match(t)
    if lead and len(t[lead.end() :].split()) >= 2:
        t = t[lead.end() :]
    else:
        lead = None
    cut = _STRONG_TAIL.search(t)
    if cut and len(t[: cut.start()].split()) >= 2:
        t = t[: cut.start()]
    else:
        cut = _WEAK_TAIL.search(t)
        if cut and len(t[: cut.start()].split()) >= 3:
            t = t[: cut.start()]
    first = t.split()[0].lower() if t.split() else ""
    verb_dropped = bool(lead and _VERB_LEAD.match(lead.group(0)))
    if first.endswith("ing") and first not in _NOMINAL_ING and len(t.split()) >= 3:
        t = t.split(" ", 1)[1]  # "Accelerating data generation" -> "data generation"
        verb_dropped = True
    if " for " in t and not verb_dropped:
        before, after = t.split(" for ", 1)
        head = before.split()[-1].lower() if before.split() else ""
        method_head = head in _METHOD_HEADS or head.removesuffix("s") in _METHOD_HEADS
        if 2 <= len(after.split()) <= 8 and (method_head or article):
            t = after  # "A General Neural Operator Transformer for Operator Learning"
    seen = {w.strip(".,;:()[]'\"") for w in abstract.split()}
    lower = {w for w in seen if w[:1].islower()}
    midcaps = seen - lower
    words = [_case(w, lower, midcaps) for w in t.split()][:8]
    while words and words[-1].lower() in {"for", "of", "in", "on", "and", "with", "to", "a"}:
        words.pop()
    if len(words) >= 2:
        at = title.find(t.split()[0], start) if t.split() else 0
        return Phrase(" ".join(words), "title", max(at, 0), max(at, 0) + len(t))
    m = _PROBLEM.search(abstract)
    if m:
        np = re.sub(
            r"^(?:the\s+)?(?:problem|task|question|challenge)\s+of\s+",
            "",
            m.group("np"),
            flags=re.I,
        )
        np = " ".join(np.split()[:8])
        return Phrase(
            np.lower() if not re.search(r"[A-Z]{2}", np) else np,
            "abstract",
            m.start("np"),
            m.start("np") + len(np),
        )
    text = " ".join(words) or _words(title.lower(), 8)
    return Phrase(text, "title", 0, len(title))

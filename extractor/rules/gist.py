"""Task and method from the title and abstract: the best honest heuristic.

Design note. Without a model there is no understanding, only the conventions of
how papers are titled and how abstracts announce a contribution. Each rule below
is a convention that holds across papers, never a fix for one paper; each was
kept only if it helped on the development half of the gold set, and the other
half is scored only in aggregate (see tests/test_rules.py for one example each).

- method (`find_method`): the object of the best `we propose / introduce /
  present / develop ...` clause, preferring one that names its contribution
  (`we introduce the Gaunt Tensor Product`) over an unnamed `we propose an
  approach`. The coined name goes first, spelled out when the abstract (or a
  `CLLMs: Consistency Large Language Models` title) spells out the acronym
  (`Sorting Krylov Recycling (SKR), ...`). Praise and purpose clauses are
  dropped, and `which sorts` / `to reuse` become `sorting` / `reusing`: the gold
  labels write what a method does as a participle. The rest of the 15 words go
  to what the labels add (`compose.py` decides how many each): how the next
  sentences say it works (`EE selectively obfuscates ...`, `mechanism.py`),
  another contribution (`with a branching heuristic`), the title's `via X`, and
  the title's own words for the method before its task (`Variance Reduced
  Halpern Iteration for ...`). The clause rules: `proposals.py`, `contribution.py`. The
  object of `we study / analyse X` is written `analysis of X`: LABELLING.md's
  method of an analysis paper is the analysis. With no such clause: `Name,
  description` from a `Name: description` title, else the title itself (an
  analysis paper); with no title either, the rest of the first `we show that
  X` sentence, else the opening sentence. Expect little more from extraction:
  the gold methods are abstractive. `benchmarks/method_ceiling.py` picks, by
  looking at the gold, the best title or abstract sentence cut to 15 words
  (0.43 over all papers) and the best run of up to 15 words anywhere (0.61);
  these rules reach 0.42 on the development half and 0.37 on the held-out half.
- task (`find_task`): the title with its method part removed. `Name: description`
  keeps the description, and so does a slogan head (`Recursions Are All You
  Need: ...`); `X via/using/driven by Y` keeps X; `Method for Task` keeps Task,
  also through a `with` (`Methods with Parallel Speedup for Task`); a claim
  title (`X Boosts Y`) keeps Y; a leading verb (`Accelerating`, `Towards`, `On
  the`) is dropped. The result is lower-cased except words the abstract itself
  capitalises mid-sentence (proper names such as `Krylov`) and acronyms, loses
  its articles (they are not scored and would crowd out content words) and is
  cut to 2-8 words. When the title yields less than two words, `the problem of
  X` / `we study X` in the abstract is used instead (`problem_statement`). With
  no title at all, `topic.find_topic` reads the task from the abstract alone.

Every phrase is returned with its (source, start, end) so a reader can see
where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from .compose import METHOD_WORDS, compose, drop_generic, subjects, title_gloss
from .contribution import (
    expand,
    is_method,
    is_named,
    new_words,
    secondary,
    title_mechanism,
    with_name,
)
from .cut import words
from .mechanism import coordinated, how_clause, relative_to_participle
from .proposals import STUDY_RANK, proposals
from .text import Words, split_sentences


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
    "iteration", "projection", "averaging", "descent", "procedure", "protocol", "paradigm",
    "heuristic", "mechanism", "variant", "cell", "formulation",
}
# fmt: on
_STRONG_TAIL = re.compile(
    r"\s+(?:via|using|through|based\s+on|leveraging|"
    r"(?:powered|driven|guided|inspired|informed|enabled|aided|assisted)\s+by)\s+.*$",
    re.I,
)
# A slogan before the colon ("Recursions Are All You Need: ...") is not the topic.
_SLOGAN = re.compile(r"\b(?:is|are|all\s+you\s+need|let'?s|meets?|matters?)\b", re.I)
# "Softplus Attention Boosts Length Extrapolation": a claim title; its object is the task.
_CLAIM = re.compile(
    r"\s(?:boosts|improves|enables|accelerates|helps|beats|outperforms|speeds\s+up|unlocks)"
    r"\s+(?P<obj>.+)$",
    re.I,
)
_WEAK_TAIL = re.compile(r"\s+(?:with|by|from|under|without)\s+.*$", re.I)
_PROBLEM = re.compile(
    r"\b(?:the\s+(?:problem|task|question|challenge)\s+of|we\s+(?:study|address|consider|"
    r"tackle|investigate)|this\s+(?:paper|work)\s+(?:studies|addresses|considers|tackles|"
    r"investigates))\s+(?P<np>[^.,;:()]+)",
    re.I,
)
_CALLED = re.compile(
    r"(?:called|named|dubbed|termed|coined)\s+(?P<name>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)"
)
_CALLED_HINTS = ("called", "named", "dubbed", "termed", "coined")


def coined_names(title: str, abstract: str) -> list[str]:
    """Names the paper gives its own contribution, most trusted first.

    A `Name: description` title's head counts when it looks coined (`NeuPL`,
    `R-Sparse`, `4-bit Shampoo`) or when the abstract uses the same words
    (`Neural Tangent Kernel: ...` and `the Neural Tangent Kernel (NTK)`).
    """
    names = []
    head, sep, _ = title.partition(":")
    if sep and _is_title_name(head, abstract):
        names.append(head.strip())
    if any(h in abstract for h in _CALLED_HINTS):
        names.extend(m.group("name") for m in _CALLED.finditer(abstract))
    return list(dict.fromkeys(n for n in names if n))


_COINED_LOOK = re.compile(r"[a-z][A-Z]|[A-Z]{2}|\d")  # "NeuPL", "GNOT", "4-bit Shampoo"
_ARTICLE_START = re.compile(r"(?:a|an)\s", re.I)


def _is_title_name(head: str, abstract: str) -> bool:
    """Whether the part of the title before its colon is the method's name."""
    n = len(head.split())
    if not 0 < n <= 4:
        return False
    coined = len(head) <= 40 and (n == 1 or _COINED_LOOK.search(head))
    return bool(coined) or (n >= 2 and head.strip().lower() in abstract.lower())


_FIRST_WORDS = 12  # what later parts are compared with, to add only new words
# A title part made only of these ("A Fast Algorithm", "General Framework") names nothing.
_PLAIN_TITLE = {
    "a", "an", "the", "of", "for", "and", "new", "novel", "fast", "faster", "efficient",
    "general", "unified", "simple", "framework", "algorithm", "algorithms", "method",
    "methods", "approach", "model", "models", "scalable", "practical", "improved", "power",
}  # fmt: skip


_DANGLING_TAIL = re.compile(r"\s+(?:for|of|in|on|to|with|and|towards?)\s*$", re.I)


_ALSO_VERB = re.compile(r"(?:and|or)\s+[a-z]+ing(?:\s+|$)", re.I)


def _after_lead(text: str, lead: re.Match[str], least: int = 2) -> str:
    """`text` after its lead words and a gerund joined to them: "Understanding and
    Robustifying X" -> "X" (not "and Robustifying X"), if `least` words remain."""
    rest = text[lead.end() :]
    also = _ALSO_VERB.match(rest)
    return rest[also.end() :] if also and len(rest[also.end() :].split()) >= least else rest


def _title_method(title: str, task: Phrase, text: str) -> str:
    """The title's words before its task (`Variance Reduced Halpern Iteration for ...`)."""
    if task.source != "title" or task.start <= 0:
        return ""
    before = title[: task.start].split(":")[-1]
    before = _DANGLING_TAIL.sub("", before.strip(" :,"))
    lead = _LEAD_DROP.match(before)
    if lead:
        before = _after_lead(before, lead, least=0)
    content = [w for w in re.findall(r"[\w-]+", before.lower()) if w not in _PLAIN_TITLE]
    if len(before.split()) < 2 or not content or not new_words(before, text):
        return ""
    return before


def find_method(
    title: str, abstract: str, names: list[str] | None = None, task: Phrase | None = None
) -> Phrase:
    """What the paper proposes, starting with its coined name when it has one.

    `names` and `task` are what `coined_names` and `find_task` return; pass them
    when they are already known, to spare the work.
    """
    if names is None:
        names = coined_names(title, abstract)
    found = proposals(abstract)
    if found:
        # A contribution the abstract names is the one LABELLING.md puts first.
        best = next((p for p in found if p.rank <= 3 and is_named(p.text, names)), None)
        # Then one that is a method, not a result (`we establish convergence guarantees`).
        if best is None:
            best = next((p for p in found if is_method(p.text)), found[0])
        glossed = title_gloss(title, abstract, names)
        full = with_name(best.text, names, glossed)
        full = drop_generic(coordinated(relative_to_participle(full)))
        if best.rank == STUDY_RANK and not is_named(full, names):
            full = f"analysis of {full}"  # LABELLING.md: an analysis paper's method is the analysis
        text = words(full, _FIRST_WORDS)
        how = how_clause(abstract, best.end, subjects(text, names))
        parts = {
            "first": full,
            "how": coordinated(how) if how and new_words(how, text) else "",
            "with": secondary(found, best, text, 5) or "",
            "via": title_mechanism(title, text, 6) or "",
            "title": _title_method(title, task or find_task(title, abstract), text),
        }
        return Phrase(compose(parts), "abstract", best.start, best.end)
    _, sep, tail = title.partition(":")
    if sep and names:
        text = f"{expand(names[0], abstract) or names[0]}, {tail.strip()}"
        return Phrase(words(text, METHOD_WORDS), "title", 0, len(title))
    if title.strip():  # an analysis paper: its title says what it contributes
        return Phrase(words(title, METHOD_WORDS), "title", 0, len(title))
    sentences = split_sentences(abstract)
    if not sentences:
        return Phrase("", "abstract", 0, 0)
    # No title either: what the paper says it does beats its opening background.
    for sentence in sentences:
        said = _WE_DO.match(sentence.text)
        if said and sentence.text[said.end() :].strip():
            start = sentence.start + said.end()
            text = words(sentence.text[said.end() :], METHOD_WORDS).rstrip(".!?")
            return Phrase(text, "abstract", start, sentence.end)
    first = sentences[0]
    text = words(first.text, METHOD_WORDS).rstrip(".!?")
    return Phrase(text, "abstract", first.start, first.end)


# "In this paper, we show that X", "This work presents X": X is what it does.
_WE_DO = re.compile(
    r"(?:(?:in\s+)?(?:this|the\s+present)\s+(?:paper|work|article|note|study)[\s,]*|here[\s,]*)?"
    r"(?:we|this\s+(?:paper|work|article|note|study))\s+(?:(?:also|further|then|first|now)\s+)?"
    r"[a-z]+\s+(?:that\s+)?",
    re.I,
)


def lower_case(word: str, seen: Container[str]) -> str:
    """Lower-case a title word unless it is an acronym or a proper name in the abstract.

    A proper name is a word the abstract writes capitalised and never in lower case.
    """
    if "-" in word:
        return "-".join(lower_case(part, seen) for part in word.split("-"))
    core = word.strip("()[],.")
    if _ACRONYMISH.search(core):
        return word
    low = core.lower()
    if not core[:1].islower() and core in seen and not (low[:1].islower() and low in seen):
        return word
    return word.lower()


ARTICLES = {"a", "an", "the"}
_DANGLING = {"for", "of", "in", "on", "and", "with", "to"}
_ACRONYMISH = re.compile(r"[A-Z].*[A-Z]|\d|^[a-z]+[A-Z]")


def _overlap(phrase: str, abstract: str) -> float:
    """Share of the phrase's content words that the abstract also uses."""
    words = [w for w in re.findall(r"[a-z][a-z-]{3,}", phrase.lower())]
    if not words:
        return 0.0
    low = abstract.lower()
    return sum(w in low for w in words) / len(words)


def _cut_weak_tail(t: str) -> str:
    """`X with Y` keeps X when X has three words or more."""
    cut = _WEAK_TAIL.search(t)
    return t[: cut.start()] if cut and len(t[: cut.start()].split()) >= 3 else t


def find_task(title: str, abstract: str) -> Phrase:
    """The problem the paper addresses as a 2-8 word lower-case noun phrase."""
    t = " ".join(title.split())
    start = 0
    sep_at = min((i for i in (t.find(": "), t.find("? ")) if i > 0), default=-1)
    if sep_at > 0:
        head, tail = t[:sep_at], t[sep_at + 1 :].strip()
        named = _COINED_LOOK.search(head) and len(head.split()) <= 4
        if t[sep_at] == "?" or named or len(head.split()) <= 2 or _SLOGAN.search(head):
            start, t = sep_at + 2, tail
        elif _overlap(tail, abstract) > _overlap(head, abstract):
            start, t = sep_at + 2, tail  # "Get the Best of Both Worlds: <the real topic>"
        else:
            t = head
    t = t.replace("?", "").strip()
    claim = _CLAIM.search(t)
    if claim and len(claim.group("obj").split()) >= 2:
        start, t = start + claim.start("obj"), claim.group("obj")
    article = bool(_ARTICLE_START.match(t))
    lead = _LEAD_DROP.match(t)
    if lead and len(t[lead.end() :].split()) >= 2:
        t = _after_lead(t, lead)
    else:
        lead = None
    cut = _STRONG_TAIL.search(t)
    # "Methods with Parallel Speedup for X": the `for` rule below decides first.
    deferred = not cut and bool(_WEAK_TAIL.search(t.split(" for ", 1)[0])) and " for " in t
    if cut and len(t[: cut.start()].split()) >= 2:
        t = t[: cut.start()]
    elif not deferred:
        t = _cut_weak_tail(t)
    split = t.split()
    first = split[0].lower() if split else ""
    verb_dropped = bool(lead and _VERB_LEAD.match(lead.group(0)))
    if first.endswith("ing") and first not in _NOMINAL_ING and len(split) >= 3:
        if split[1].lower() not in ("and", "or"):
            t = t.split(" ", 1)[1]  # "Accelerating data generation" -> "data generation"
            verb_dropped = True
        elif split[2].lower().endswith("ing") and len(split) >= 5:
            t = t.split(" ", 3)[3]  # "Understanding and Robustifying X" -> "X"
            verb_dropped = True
        # else "Relabeling and Function Call Enhanced Decompile": nouns, kept
    if " for " in t and not verb_dropped:
        before, after = t.split(" for ", 1)
        before = _WEAK_TAIL.sub("", before)  # "Methods with Parallel Speedup" -> "Methods"
        head = before.split()[-1].lower() if before.split() else ""
        method_head = head in _METHOD_HEADS or head.removesuffix("s") in _METHOD_HEADS
        if 2 <= len(after.split()) <= 8 and (method_head or article):
            t = after  # "A General Neural Operator Transformer for Operator Learning"
    if deferred:
        t = _cut_weak_tail(t)
    seen = Words(abstract)
    words = [lower_case(w, seen) for w in [w for w in t.split() if w.lower() not in ARTICLES][:8]]
    while words and words[-1].lower().rstrip(",;") in _DANGLING:
        words.pop()
    if words:
        words[-1] = words[-1].rstrip(",;:")
    if len(words) >= 2:
        at = title.find(t.split()[0], start) if t.split() else 0
        return Phrase(" ".join(words), "title", max(at, 0), max(at, 0) + len(t))
    stated = problem_statement(abstract)
    if stated:
        return stated
    text = " ".join(words) or " ".join(title.lower().split()[:8])
    return Phrase(text, "title", 0, len(title))


# "we address these issues": a pointer back to earlier text, not a topic.
POINTER = re.compile(r"(?:it|its|this|these|those|they|their|such|we|our|here|there|one)\b",
                     re.I)


def problem_statement(abstract: str) -> Phrase | None:
    """`the problem of X`, `we study X`, `this paper addresses X`: X, at most 8 words."""
    m = _PROBLEM.search(abstract)
    if not m or POINTER.match(m.group("np")):
        return None
    np = re.sub(
        r"^(?:(?:the\s+)?(?:problem|task|question|challenge)\s+of\s+)?(?:(?:a|an|the)\s+)?",
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

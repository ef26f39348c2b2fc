"""How the contribution works: the sentence after the announcement that says so.

Design note. An abstract usually announces its contribution in one clause (`we
introduce Equivariant Encryption (EE), a novel paradigm designed to ...`) and
says how it works in the next sentence or two, with the contribution as the
subject (`EE selectively obfuscates internal representations ...`, `Our method
uses orthogonal bases to ...`, `In each iteration, FOSI splits the function
...`, `This is achieved by refining ...`). LABELLING.md's method is the name
followed by that how, and the gold labels write it as a participle (`EE,
selectively obfuscating internal representations`), so `how_clause` finds such
a sentence, keeps its predicate and turns the verb into its -ing form.

A predicate that reports a result (`EE achieves`, `our method outperforms`,
`it is fast`) says nothing about the mechanism and is skipped; so is any
sentence more than a few sentences after the announcement, where the subject
is more often the evaluation than the design.
"""

from __future__ import annotations

import re

from .text import split_sentences

# fmt: off
# Verbs that report how well the contribution does, not how it works.
_RESULT_VERBS = {
    "achieves", "attains", "outperforms", "surpasses", "improves", "reduces", "accelerates",
    "speeds", "yields", "shows", "demonstrates", "exhibits", "obtains", "converges",
    "matches", "enjoys", "performs", "scales", "runs", "remains", "retains", "maintains",
    "offers", "provides", "allows", "has", "does", "was", "is", "needs", "requires", "works",
    "generalizes", "generalises", "beats", "delivers", "reaches", "establishes",
    "guarantees", "ensures", "saves", "leads", "results", "becomes", "seems", "appears",
    "admits", "advances", "sets", "boosts", "excels", "compares", "costs", "takes",
    "succeeds", "fails", "recovers", "solves", "handles", "supports", "includes",
    "contains", "represents", "serves", "outputs", "produces", "addresses", "tackles",
    "mitigates", "alleviates", "overcomes", "avoids", "eliminates", "lowers", "increases",
    "decreases", "cuts", "halves", "doubles", "brings", "comes", "goes", "gets", "makes",
    "opens", "paves", "bridges", "closes", "holds", "lies", "stands", "ranks", "wins",
}
# fmt: on
# `EE consists of ...`, `NIO is based on ...`: a copula that does describe the design.
_DESIGN_COPULA = re.compile(
    r"(?:is|are)\s+(?:based|built|grounded|founded)\s+(?:up)?on|consists?\s+of|"
    r"is\s+composed\s+of|relies\s+on|builds\s+(?:up)?on"
)
_GENERIC_SUBJECT = (
    r"(?:our|the\s+proposed|the\s+new|this|the)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:method|approach|framework|model|algorithm|technique|architecture|system|scheme|"
    r"design|pipeline|module|strategy|procedure|network|solver|estimator|optimizer)"
)
# `This is achieved by refining ...`: the means, already an -ing form.
_ACHIEVED_BY = re.compile(
    r"^(?:this|which)\s+is\s+(?:achieved|accomplished|done|realized|realised|enabled|"
    r"made\s+possible|implemented)\s+(?:by|through|via)\s+(?P<rest>.+)$",
    re.I,
)
_STOP = re.compile(
    r";\s|:\s(?!\S*\d\))|,\s+(?:which|thus|thereby|hence|so\s+that|and\s+(?:we|it|thus))\b"
)
_LOOKAHEAD = 3  # sentences after the announcement that may still describe the design


def participle(verb: str, *, base: bool = False) -> str:
    """The -ing form of a third-person verb: `obfuscates` -> `obfuscating`; with
    `base`, of a bare infinitive (`propose to bias` -> `biasing`, not `biaing`).

    English spelling rules only: `-ies` -> `-ying`, `-sses/-shes/-ches/-xes/-zes`
    lose `es`, a silent `e` is dropped, and a one-vowel stem ending in one
    consonant after its vowel doubles it (`maps` -> `mapping`).
    """
    v = verb.lower()
    if base:
        stem = v
    elif v.endswith("ies") and len(v) > 4:
        return v[:-3] + "ying"
    elif v.endswith(("sses", "shes", "ches", "xes", "zes")):
        return v[:-2] + "ing"
    else:
        stem = v[:-1] if v.endswith("s") else v
    if stem.endswith("e") and not stem.endswith(("ee", "ye", "oe")):
        return stem[:-1] + "ing"
    if stem in _STRESSED_LAST:
        return stem + stem[-1] + "ing"  # "embeds" -> "embedding", "refers" -> "referring"
    vowels = [c for c in stem if c in "aeiou"]
    if (
        len(vowels) == 1
        and len(stem) >= 3
        and stem[-1] not in "aeiouwxy"
        and stem[-2] in "aeiou"
        and stem[-3] not in "aeiou"
    ):
        return stem + stem[-1] + "ing"
    return stem + "ing"


# Verbs of two or more syllables stressed on the last, which double its consonant too.
_STRESSED_LAST = {
    "embed", "refer", "transfer", "infer", "confer", "defer", "prefer", "occur", "recur",
    "incur", "deter", "admit", "permit", "commit", "submit", "omit", "emit", "transmit",
    "control", "compel", "propel", "excel", "begin", "forget", "regret", "equip", "patrol",
}  # fmt: skip
_LINKING_ADVERBS = {"thus", "also", "then", "further", "therefore", "hence", "now", "still"}
_PLURAL_HEADS = {
    "methods", "models", "algorithms", "networks", "layers", "frameworks", "approaches",
    "schemes", "systems", "solvers", "techniques", "modules", "operators", "estimators",
    "optimizers", "variants", "architectures", "policies", "agents", "kernels", "features",
}  # fmt: skip
_GENERIC_AT = re.compile(_GENERIC_SUBJECT, re.I)
_AFTER_SUBJECT = re.compile(r"(?:'s)?\s+(?:(?P<adv>[a-z]+ly)\s+)?(?P<pred>.+)$", re.S)
_THIRD_PERSON = re.compile(r"[a-z]+s")  # "sorts", "recycles": a verb after the subject
_LEAD_IN = re.compile(r"[^,]{0,120},\s+")  # "Unlike fully homomorphic approaches, EE ..."


def _subject_match(text: str, names: list[str]) -> re.Match[str] | None:
    """What follows the subject, when the sentence is about the named contribution.

    The subject may come after one introductory phrase (`In each iteration,`).
    Matching names by `startswith` keeps this one precompiled pattern per
    sentence, not one compiled per paper.
    """
    lead = _LEAD_IN.match(text)
    for at in (0, lead.end()) if lead else (0,):
        end = next((at + len(n) for n in names if text.startswith(n, at)), None)
        if end is None:
            g = _GENERIC_AT.match(text, at)
            end = g.end() if g else None
        if end is not None:
            m = _AFTER_SUBJECT.match(text, end)
            if m:
                return m
    return None


def how_clause(abstract: str, after: int, names: list[str]) -> str | None:
    """The predicate of the first sentence after `after` that says how the named thing works."""
    names = sorted({n for n in names if n}, key=len, reverse=True)
    later = [s for s in split_sentences(abstract) if s.start >= after][:_LOOKAHEAD]
    for sent in later:
        text = sent.text.rstrip(".")
        m = _ACHIEVED_BY.match(text)
        if m:
            return _clip(m.group("rest"))
        m = _subject_match(text, names)
        if not m:
            continue
        pred = m.group("pred")
        cop = _DESIGN_COPULA.match(pred)
        if cop:
            verb = cop.group(0).split()
            if verb[0] in ("is", "are"):
                lead = " ".join(verb[1:])  # "is based on X" -> "based on X"
            else:
                lead = " ".join([participle(verb[0]), *verb[1:]])  # "consisting of X"
            return _clip(f"{lead}{pred[cop.end() :]}".replace(" :", ""))
        first, _, rest = pred.partition(" ")
        if first in _LINKING_ADVERBS and rest:  # "AID thus combines X": the verb is next
            first, _, rest = rest.partition(" ")
        # "CD methods converge": the subject goes on with a plural noun, not a verb.
        if (not _THIRD_PERSON.fullmatch(first) or first in _RESULT_VERBS or not rest
                or first in _PLURAL_HEADS):
            continue
        adv = f"{m.group('adv')} " if m.group("adv") else ""
        return _clip(f"{adv}{participle(first)} {rest}")
    return None


def _clip(pred: str) -> str:
    """The predicate up to the end of its clause."""
    stop = _STOP.search(pred)
    return (pred[: stop.start()] if stop else pred).strip(" ,")


_RELATIVE = re.compile(
    r"(?:,\s*|\s+)(?<!\bof\s)(?<!\bin\s)(?<!\bby\s)(?<!\bto\s)(?<!\bon\s)"
    r"\b(?:that|which)\s+(?P<adv>[a-z]+ly\s+)?(?P<verb>[a-z]+s)\b(?!\s+(?:to|been)\b)"
    r"(?:\s+and\s+(?P<verb2>[a-z]+s)\b)?"  # "that detects and disrupts X"
)
_NOT_VERB = {"is", "has", "was", "does", "its", "this", "thus", "always", "perhaps", "as", "us"}


# "X, updating Y and incorporates Z": a second verb, known by the object after it.
_AND_VERB = re.compile(
    r"\s+and\s+(?P<verb>[a-z]+[^s\W]s)\s+(?=(?:the|a|an|its|their|our|this|these|it|them|"
    r"two|three|several|new|novel|additional)\b)"
)


def coordinated(text: str) -> str:
    """A second verb after a participle in the labels' shape, or the end of the text.

    "updating X and incorporates Y" reads "updating X and incorporating Y"; a
    second verb that reports a result ("and improves the performance of GANs",
    "and offers several advantages") says nothing of the method and ends it.
    Only after an -ing word, so that "a model that learns X and uses Y" is left
    to `relative_to_participle`.
    """
    m = _AND_VERB.search(text) if "and" in text else None  # a cheap test first
    if not m or not re.search(r"\b[a-z]+ing\b", text[: m.start()]):
        return text
    verb = m.group("verb")
    if verb in _RESULT_VERBS:
        return text[: m.start()]
    return f"{text[: m.start()]} and {participle(verb)} {text[m.end() :]}"


def relative_to_participle(text: str) -> str:
    """`a model which predicts X` -> `a model predicting X`, the gold labels' shape.

    The labels write what a method does as a participle after its head noun
    and almost never keep `that` or `which`; a copula or auxiliary is left as
    it is, because its participle would change the meaning.
    """

    def sub(m: re.Match[str]) -> str:
        verb = m.group("verb")
        if verb in _NOT_VERB or verb.endswith("ss"):
            return m.group(0)
        lead = ", " if m.group(0).startswith(",") else " "
        out = f"{lead}{m.group('adv') or ''}{participle(verb)}"
        second = m.group("verb2")
        if second:
            done = second in _NOT_VERB or second.endswith("ss")
            out += f" and {second if done else participle(second)}"
        return out

    if "that" not in text and "which" not in text:
        return text  # a cheap test first: most objects have no relative clause
    return _RELATIVE.sub(sub, text)

"""How an abstract announces its contribution: the clauses `gist.find_method` reads.

Design note. LABELLING.md's method is short and dense (about 12 words: the coined
name, then what the thing is and how it works), while abstracts announce it in
a long clause full of praise and purpose. These pure string rules turn that
clause into the label's shape, and each one exists because it removes words a
gold label never has or adds words it usually has:

- `proposals.py` finds every `we propose X` and cleans its object; here `is_method`
  (not `convergence guarantees` or `upper bounds`, which are results) and
  `is_named` tell `find_method` which of them to take.
- `expand` / `with_name`: an acronym that the abstract spells out (`Sorting
  Krylov Recycling (SKR)`, matched by initials) is written spelled out and
  moved to the front, as LABELLING.md's own example does; a name already
  spelled out (`Neural Tangent Kernel`) gains the acronym the abstract gives it.
- `secondary` / `title_mechanism`: a second contribution (`we design a branching
  heuristic`) and the title's `via X` part add the how that the first clause
  usually lacks, in the words left under the 15-word limit.
Cutting to a word budget is `cut.words`.
"""

from __future__ import annotations

import re

from .cut import words
from .proposals import Proposal

# A second object that is about the problem or the results, not another component.
_NOT_METHOD = re.compile(
    r"(?:(?:a|an|the|our|some|several|new)\s+)?(?:\w+\s+)?(?:task|problem|challenge|question|"
    r"issue|analysis|guarantees?|foundation|bounds?|insights?|performance|applications?|"
    r"settings?|results?|connections?|relationship)\b",
    re.I,
)
# "we release our code on GitHub", "we provide an implementation of the proposed":
# where to get the method, not a second part of it.
_RELEASE = re.compile(r"\b(?:code|implementations?|github|open[- ]source|software)\b", re.I)
_NOT_IN_NAME = {
    "a", "an", "the", "we", "our", "novel", "new", "namely", "called", "named", "termed",
    "dubbed", "propose", "introduce", "present", "this", "is", "as",
}  # fmt: skip
_NAMED = re.compile(r"^(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)+|\([A-Z][\w-]*[A-Z][\w-]*\)")
_PAREN_NAME = re.compile(r"\((?P<n>[A-Z][\w-]*(?:[a-z][A-Z]|[A-Z]{2}|-[A-Z])[\w-]*)\)")
_HEAD_END = re.compile(r",|\s+(?:that|which|to|for|where|whose|by|in\s+order)\s+|\s+\(")
_LETTERS = re.compile(r"^[a-z]|[A-Z]")  # an acronym's letters: "CLLMs" -> C, L, L, M
_PARTS = re.compile(r"[-/]")
_OURS_BEFORE = re.compile(r"\b(?:our|proposed|novel|new)\s+$")
_CONTENT = re.compile(r"[a-z][a-z-]{3,}")
_TITLE_VIA = re.compile(r"\s(?:via|using|through|with|by|based\s+on|leveraging)\s+(.*)$", re.I)


def is_method(obj: str) -> bool:
    """Whether the object is a thing built, not a result or a problem (`upper bounds on X`)."""
    return not _NOT_METHOD.match(obj)


def is_named(obj: str, names: list[str]) -> bool:
    """Whether the object's head is a name: `the Gaunt Tensor Product`, `a method (SKR)`."""
    head = " ".join(obj.split()[:6])
    if _NOT_METHOD.match(head):
        return False  # "the performance of SKR" names it but is not it
    return bool(_NAMED.search(head)) or any(n in head for n in names)


def expand(name: str, abstract: str) -> str | None:
    """`Sorting Krylov Recycling (SKR)` for SKR, when the abstract spells the acronym out.

    The words before `(SKR)` are taken back to the furthest one that starts with
    the acronym's first letter, provided their initials (hyphenated parts count)
    hold all but one of its letters in order, and no article or verb intervenes.
    """
    if " " in name:  # already spelled out: add the acronym the abstract gives it
        m = re.search(rf"{re.escape(name)} (\([A-Z][\w-]*[A-Z][\w-]*\))", abstract)
        return f"{name} {m.group(1)}" if m else None
    letters = [c.lower() for c in _LETTERS.findall(name)]
    if len(letters) < 2:
        return None
    at = abstract.find(f"({name})")
    if at <= 0:
        return None
    before = abstract[max(0, at - 160) : at].split()[-(len(letters) + 3) :]
    best = 0
    for k in range(1, len(before) + 1):
        w = before[-k]
        if w[-1] in ",.;:" or w.lower() in _NOT_IN_NAME:
            break
        if w[0].lower() != letters[0]:
            continue
        initials = [p[0].lower() for x in before[-k:] for p in _PARTS.split(x) if p]
        hit = i = 0
        for c in letters:
            j = next((j for j in range(i, len(initials)) if initials[j] == c), None)
            if j is not None:
                hit, i = hit + 1, j + 1
        if hit >= max(2, len(letters) - 1):
            best = k
    return f"{' '.join(before[-best:])} ({name})" if best else None


def with_name(obj: str, names: list[str], abstract: str) -> str:
    """Put the coined name, spelled out where the abstract does, at the front of `obj`."""
    inside = [n for n in names if n in obj]
    paren = _PAREN_NAME.search(obj)
    if not inside and paren:
        acr = paren.group("n")
        lead = obj[: obj.find(expand(acr, abstract) or acr)]
        if len(lead.split()) <= 5 or _OURS_BEFORE.search(lead):
            inside = [acr]  # "a novel architecture (NIOs)", "our proposed X (GFUCB)"
    if not names and not inside:
        return obj
    name = inside[0] if inside else names[0]
    full = expand(name, abstract) or name
    if re.fullmatch(rf"(?:the\s+)?\(?{re.escape(_acronym(full))}\)?", obj):
        return full  # "we study the NTK": the name is all the object says
    at = obj.lower().find(full.lower())  # "Tropical attention, ..." names it too
    if at >= 0 and len(obj[:at].split()) <= 2:
        return obj  # "the accelerated optimistic gradient (AOG) algorithm": named up front
    if name in obj:
        obj = re.sub(
            rf",?\s*(?:(?:called|named|dubbed|termed|coined|namely)\s+)?(?:the\s+)?"
            rf"{re.escape(full)}|\s*\({re.escape(name)}\)|^{re.escape(name)}\b",
            "",
            obj,
        ).strip(" ,-")
    return f"{full}, {obj}" if obj else full


def _acronym(full: str) -> str:
    """`NTK` of `Neural Tangent Kernel (NTK)`; the name itself when none is given."""
    m = re.search(r"\(([^()]+)\)$", full)
    return m.group(1) if m else full


def new_words(a: str, b: str) -> bool:
    """Whether most content words of `a` are not already in `b`."""
    bl = b.lower()
    content = _CONTENT.findall(a.lower())
    return bool(content) and sum(w not in bl for w in content) / len(content) > 0.5


def secondary(found: list[Proposal], first: Proposal, text: str, n: int) -> str | None:
    """The head of another contribution (`we design a new branching heuristic`)."""
    for p in found:
        head = _HEAD_END.split(p.text, 1)[0]
        if (p.rank > 4 or p.start == first.start or len(head.split()) < 2
                or _NOT_METHOD.match(head) or _RELEASE.search(head)):
            continue
        return words(head, n) if new_words(head, text) else None
    return None


def title_mechanism(title: str, text: str, n: int) -> str | None:
    """The title's `via Krylov Subspace Recycling` part, when the text lacks it."""
    m = _TITLE_VIA.search(title.split(": ", 1)[-1])
    return words(m.group(1), n) if m and new_words(m.group(1), text) else None

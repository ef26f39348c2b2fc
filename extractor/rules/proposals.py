"""Every `we propose X` of an abstract, its object cut to the shape of a method label.

Design note. Abstracts announce their contribution in a long clause full of
praise and purpose, while LABELLING.md's method is short and dense (see
`contribution.py`). The rules here find every such clause and remove from its
object the words a gold label never has. They are kept apart from
`contribution.py`, which judges and completes the object `gist.find_method`
picks (is it a method, is it named, the acronym spelled out, a second
contribution, the title's `via X`): finding and cleaning the clause is most of
the patterns, and it needs none of that.

- `proposals`: every `we propose / introduce / present / develop ...` object, best
  verb first, up to the end of its clause; `find_method` takes the first that
  names its contribution, else the first that is a method (`is_method`: not
  `convergence guarantees` or `upper bounds`, which are results). An adverb may
  come between (`we formally introduce`), and `we focus on X, and propose Y`
  proposes Y. `we prove / show` a noun (`new convergence rates for X`) is a weak
  last resort; `we show that` states a result and is never one. Objects that
  only point elsewhere (`the following two settings`) or are not a method
  (`three experiments`), and `this work builds upon` (prior work), are dropped.
  Praise (`a novel, simple yet effective`, and after an article `an efficient,
  robust`) is removed, and so is a praising relative clause (`a representation
  that is fast and lightweight`). A purpose clause (`... to reduce the memory
  footprint`) is cut when enough content comes before it: the purpose restates
  the task. A second verb of the same `we` (`we propose X, and study its
  convergence`) ends the object, while `we describe and analyze X` shares it;
  `we propose to reuse X` proposes `reusing X`, the participle the gold labels
  use.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .mechanism import participle
from .text import may_hold

_ADVERBS = (
    r"(?:also\s+|first\s+|further\s+|then\s+|here\s+|therefore\s+|thus\s+)?"
    r"(?:[a-z]+ly\s+)?"  # "we theoretically study", "we formally introduce"
)
# Who proposes, then the verb. Matched against the lower-cased abstract, one pattern
# per subject (see `_proposing`); there is no leading \b, so that `re` skips ahead to
# the subject's first word, and the word boundary is checked by hand.
_SUBJECTS = (
    rf"we\s+{_ADVERBS}",
    rf"this\s+(?:paper|work|article|study|note|letter)\s+{_ADVERBS}",
    rf"our\s+(?:paper|work)\s+{_ADVERBS}",
    # "we focus on X, and propose Y": the subject is still `we` (see `_we_before`).
    r"and\s+(?=(?:propose|introduce|present|develop|design|devise)[sd]?\s)",
)
_VERB = (
    r"(?P<verb>propose|introduce|present|develop|design|devise|put\s+forward|describe|"
    r"formulate|derive|establish|construct|provide|build|create|release|offer|give|"
    r"study|analy[sz]e|investigate|prove|show|consider|explore|examine|characteri[sz]e|"
    r"address|tackle)(?:s|d)?\b"
)
_PROPOSERS = tuple(re.compile(subject + _VERB) for subject in _SUBJECTS)


def _proposing(low: str) -> list[re.Match[str]]:
    """Every `we propose`, `this paper presents`, ... in `low`, in order: what one
    pattern of the subjects as alternatives would find, since no two of them can
    overlap (each starts with its own first word and a space, which none holds
    inside). One pattern per subject is twice as fast: `re` skips ahead to a first
    word far faster than to any of its four first letters."""
    return sorted((m for p in _PROPOSERS for m in p.finditer(low)), key=lambda m: m.start())
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
STUDY_RANK = 5  # study, analyse, investigate, characterise: the object is what is analysed
_RESULT_RANK = 8  # prove, show: `we show that X` states a result, it proposes nothing
_PROBLEM_VIA = re.compile(
    r"^(?:this|these|both|such|the\s+above|this\s+important)\s+(?:\w+\s+){0,2}?"
    r"(?:issues?|problems?|gaps?|challenges?|limitations?|questions?|shortcomings?|"
    r"drawbacks?|bottlenecks?)\s+(?:via|by|with|through|using|and\s+propose)\s+",
    re.I,
)
_CLAUSE_END = re.compile(
    # Each stop starts with a stop or a space: testing that first spares `re` trying
    # every alternative, case-blind, at each letter (half the time).
    r"(?=[\s,.;:])(?:"
    r"[.;:]\s|[.;:]$|,\s+(?:which|that|and\s+(?:we|show|demonstrate))\b|"
    r"\s+(?:and\s+)?(?:show|demonstrate|prove)\s+that\b|"
    # "we propose X, and study its convergence": a second verb of `we` ends X.
    r",?\s+and\s+(?:then\s+|also\s+)?(?:study|analy[sz]e|prove|establish|provide|evaluate|"
    r"validate|apply|test|derive|conduct|demonstrate|show|reveal|compare|observe|discuss|"
    r"illustrate|highlight|identify|obtain|find|explore|examine|investigate|verify|confirm)\s|"
    # "we study X numerically, observe Y, and compare it": a list of what `we` do.
    r",\s+(?:observe|compare|discuss|reveal|illustrate|identify|obtain)\s"
    r")",
    re.I,
)
_TO_VERB = re.compile(r"^to\s+(?:([a-z]+ly)\s+)?(?!be\b)([a-z][\w-]*)")  # "to explicitly assign"
_COVERB = re.compile(
    r"\s+and\s+(?:[a-z]+ly\s+)?(?:propose|introduce|present|develop|design|study|analy[sz]e|"
    r"evaluate|implement|describe|test|investigate|examine|explore|characteri[sz]e|confirm|"
    r"validate|verify|apply|extend)[sd]?(?=\s)",
    re.I,
)
# Praise carries no information about the method: "a novel, simple yet effective X" is X.
_PRAISE_WORDS = (
    r"efficient|fast|effective|general|flexible|lightweight|accurate|robust|practical|"
    r"versatile|unified|elegant"
)
_HYPE = re.compile(
    r"\b(?P<article>(?:a|an)\s+)?(?:(?:novel|new|(?:simple|straightforward)(?:\s*,?\s*yet\s+"
    r"(?:novel|effective|powerful|efficient))?|first|principled|generic|powerful|comprehensive),?\s+"
    # "a novel and efficient X": the `and` goes with the praise, or "an and efficient X" is left
    rf"(?:and\s+(?=(?:{_PRAISE_WORDS}|novel|new|simple|principled|powerful)\b))?)+"
    r"(?=(?P<next>(?!(?:and|or)\b)[\w-]))",  # "new and existing X" is not praise
    re.I,
)
# "an efficient, lightweight X" is X too: how good a method is, is not what it is (the
# gold labels keep these words under one time in ten). Only after an article, so
# that terms such as "fast Fourier transform" or "sample efficient" are kept.
_PRAISE = re.compile(
    rf"\b(?P<article>(?:a|an|the|our)\s+)(?:(?:{_PRAISE_WORDS}|"
    r"(?:highly|computationally|very)\s+efficient),?\s+(?:and\s+)?)+"
    r"(?=(?P<next>(?!fourier|multipole|marching)[a-z][\w-]*))",
    re.I,
)
# "a representation that is fast and lightweight" is a representation: the clause praises.
_PRAISE_CLAUSE = re.compile(
    r",?\s+(?:that|which)\s+(?:is|are)\s+(?:both\s+|highly\s+|very\s+|provably\s+)?"
    r"(?:fast|faster|efficient|effective|simple|accurate|robust|lightweight|scalable|flexible|"
    r"practical|general|versatile|easy|cheap|memory-efficient|interpretable)\b.*$",
    re.I,
)
# A word every match of each pattern above holds: most objects hold none, and testing
# for them is far cheaper than the substitution (see `text.may_hold`).
_HYPE_NEEDS = ("novel", "new", "simple", "straightforward", "first", "principled", "generic",
               "powerful", "comprehensive")
_PRAISE_NEEDS = tuple(_PRAISE_WORDS.split("|"))  # "highly efficient" holds "efficient"
_PRAISE_CLAUSE_NEEDS = ("that", "which")
# "X to reduce the memory footprint": the purpose restates the task, not the method.
_PURPOSE = re.compile(
    r",?\s+(?:(?:in\s+order\s+)?to|designed\s+(?:to|for)|aim(?:ed|ing)\s+(?:at|to)|"
    r"that\s+aims\s+to|serving\s+to|capable\s+of|toward|towards)\s+(?=[a-z])"
)
# An object that only points elsewhere, or is not a method at all.
_VACUOUS = re.compile(
    r"(?:the\s+following|the\s+case|this|these|those|it|them|both|such)\b(?:\s+\S+){0,3}$|"
    # "we consider the case where ...": a setting; "a theory we develop that unifies X":
    # `we develop` sits inside a relative clause and has no object of its own.
    r"the\s+(?:case|setting|situation|scenario)\s+(?:where|when|in\s+which|of)\b|"
    # "we derive and empirically confirm X": the object belongs to the second verb.
    r"(?:that|which|who|whose|where|and|or)\b|"
    r"(?:\S+\s+){0,3}(?:experiments?|results?|evidence|examples?|description|"
    r"overview)(?=[\s,]|$)",
    re.I,
)
# Without these, "an unsupervised approach" is all that is left before a purpose.
_GENERIC = {
    "approach", "method", "methods", "framework", "technique", "algorithm", "model",
    "architecture", "paradigm", "scheme", "system", "solution", "strategy", "mechanism",
    "variant", "variants", "methodology", "family", "unified", "general", "unsupervised",
    "simple", "efficient", "fast",
}  # fmt: skip


class Proposal(NamedTuple):
    """One announced contribution: its verb's rank, the cleaned object, the raw span."""

    rank: int
    text: str
    start: int
    end: int


def proposals(abstract: str) -> list[Proposal]:
    """Every usable `we propose X`, best verb first; `we show that` states a result."""
    low = abstract.lower()
    if len(low) != len(abstract):  # a character whose lower case is longer: rare
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in abstract)
    found = []
    for m in _proposing(low):
        if m.start() and low[m.start() - 1].isalnum():
            continue
        if m.group(0).startswith("and") and not _we_before(low, m.start()):
            continue
        rank = _VERB_RANK.get(_SPACES.sub(" ", m.group("verb")), 9)
        if rank == _RESULT_RANK and _RESULT_OBJECT.match(low, m.end()) is None:
            rank -= 1  # "we prove new convergence rates for X": a result named as a thing
        if rank < _RESULT_RANK:
            p = _antecedent(abstract, m.start(), m.end(), rank) or _object(abstract, m.end(), rank)
            if len(p.text.split()) >= 2 and not _VACUOUS.match(p.text):
                found.append(p)
    return sorted(found, key=lambda p: p.rank)


_SPACES = re.compile(r"\s+")
# "we show that", "we prove how", "we show empirically": a statement, not a thing.
_RESULT_OBJECT = re.compile(r"\s+(?:that|how|why|when|whether|what|[a-z]+ly|it|this|these|to)\b")
_WE = re.compile(r"\bwe\s")


def _we_before(low: str, at: int) -> bool:
    """Whether `we` is the subject of the `and propose` at `at`.

    `we focus on X and propose Y` and `we show that X, and propose Y` share
    `we`; `previous studies ... and propose Y` has another subject, and so has
    `we show that X is flexible and introduces Y` (no comma after the `that`).
    """
    start = max(low.rfind(". ", 0, at), low.rfind("; ", 0, at)) + 1
    before = low[start:at]
    we = _WE.search(before)
    return bool(we) and (" that " not in before[we.end() :] or before.rstrip().endswith(","))


_WHICH = re.compile(r",\s+(?:which|that)\b")
_HERE = re.compile(r"^(?:here|in\s+this\s+(?:paper|work))\s*,?\s+")
_AS_A = re.compile(r"\s+as\s+(?:a|an|the)\s+(?:solution|remedy|way|means|step)\b")
_TO_USE = re.compile(r"^to\s+(?:use|employ|leverage|learn|train|apply|combine|adopt|add)\s+")
_THAT_HOW = re.compile(r"^(?:that|how|to)\s+")
_UPON = re.compile(r"(?:up)?on\b")
_LONG_WORD = re.compile(r"[\w-]{4,}")


def _object(abstract: str, at: int, rank: int) -> Proposal:
    """The object of a proposing verb, up to the end of its clause, without filler."""
    co = _COVERB.match(abstract, at)
    if co:  # "we describe and analyze X": both verbs share X
        at = co.end()
    rest = abstract[at : at + 400]
    stop = _CLAUSE_END.search(rest)
    if (stop and len(rest[: stop.start()].split()) <= 5
            and _WHICH.match(stop.group(0))):
        stop = _CLAUSE_END.search(rest, stop.end())  # "X (SKR), which ..." goes on
    raw = rest[: stop.start() if stop else len(rest)]
    start = at + len(raw) - len(raw.lstrip(" ,"))
    end = at + len(raw.rstrip(" ,"))
    obj = _HERE.sub("", raw.strip(" ,"))
    obj = _PROBLEM_VIA.sub("", obj)
    as_a = _AS_A.search(obj)
    if as_a and len(obj[: as_a.start()].split()) >= 2:
        obj = obj[: as_a.start()]  # "NeuPL as a solution to both issues" -> "NeuPL"
    obj = _TO_USE.sub("", obj)  # "this issue via a novel technique" -> the technique
    obj = _THAT_HOW.sub("", obj) if rank >= 5 else obj
    # "we propose to reuse the Hessian" proposes reusing it: the labels' participle.
    obj = _TO_VERB.sub(
        lambda m: (f"{m.group(1)} " if m.group(1) else "") + participle(m.group(2), base=True), obj
    )
    if _UPON.match(obj):
        return Proposal(rank, "", start, end)  # "this work builds upon ...": prior work
    if may_hold(obj, _HYPE_NEEDS):
        obj = _HYPE.sub(_article, obj)
    if may_hold(obj, _PRAISE_NEEDS):
        obj = _PRAISE.sub(_article, obj)
    if may_hold(obj, _PRAISE_CLAUSE_NEEDS):
        obj = _PRAISE_CLAUSE.sub("", obj)
    purpose = _PURPOSE.search(obj)
    if purpose:
        before = _LONG_WORD.findall(obj[: purpose.start()].lower())
        if sum(w not in _GENERIC for w in before) >= 2:
            obj = obj[: purpose.start()]
    # "we study the NTK numerically": how the study was done, not what it is about.
    obj = _MANNER.sub("", obj.strip(" ,-"))
    return Proposal(rank, obj.strip(" ,-"), start, end)


# A manner adverb closing the object ("numerically", "empirically", "efficiently"),
# known by an adjective's ending before -ly, so that no verb or noun in -ly ("apply",
# "family", "anomaly", "assembly", "rally") is ever taken for one.
_MANNER = re.compile(r"\s+[a-z]{3,}(?:al|ive|ous|[ae]nt|ate|ful)ly$")


# Words before `we` that make it the subject of its own sentence, not of a clause
# inside a noun phrase: "In this paper we", "To this end we", "Here we".
_NOT_ANTECEDENT = {
    "paper", "work", "article", "study", "note", "letter", "section", "chapter", "here",
    "also", "then", "thus", "first", "now", "therefore", "finally", "further", "and", "or",
    "but", "so", "hence", "end", "contrast", "particular", "addition", "summary", "short",
    "result", "instead", "today", "way", "sum", "turn", "fact", "practice", "if",
    "when", "where", "while", "as", "because", "since", "although", "though", "how", "what",
}  # fmt: skip
_DETERMINERS = {"the", "a", "an", "our", "this", "these", "its", "their", "each"}
_COPULA = {"is", "are", "was", "were"}
_MODALS = {"can", "could", "may", "might", "will", "would", "should", "must", "does", "has", "have"}
_AFTER_ANTECEDENT = {"for", "in", "on", "at", "by", "with", "from", "that", "which"}


def _antecedent(abstract: str, we_at: int, verb_end: int, rank: int) -> Proposal | None:
    """The thing proposed when `we propose` sits inside its noun phrase.

    "The objective function we propose is associated with X", "The network (DTN)
    we present employs Y", "a CFG encoding that we propose for Z", "a theory we
    develop that unifies W": the verb has no object of its own (what follows is
    the sentence's predicate, a purpose or a relative clause), so the object is
    the noun phrase before `we`, with what the predicate says about it.

    Only a bounded stretch either side is read (ten words back, 400 characters
    on), or a text repeating "we propose" would cost time quadratic in its length.
    """
    if not abstract.startswith(("we ", "We "), we_at):
        return None
    # Most `we` open their sentence or follow "In this paper": told by one word, cheaply.
    if _own_clause(abstract[abstract.rfind(" ", 0, max(0, we_at - 1)) + 1 : we_at].strip()):
        return None
    window = max(0, we_at - 160)  # ten words
    sentence_at = max(abstract.rfind(". ", window, we_at), abstract.rfind("; ", window, we_at))
    cut = sentence_at < 0 and window > 0  # the sentence starts before the window
    sentence_at = window if cut else sentence_at + 1
    before = [(m.start(), m.group()) for m in _WORD.finditer(abstract, sentence_at, we_at)]
    before = before[1:] if cut else before  # the first may be part of a word
    if before and before[-1][1].lower() in ("that", "which"):
        before.pop()
    if len(before) < 2:
        return None
    if _own_clause(before[-1][1]):  # the word before "that we"
        return None
    phrase: list[tuple[int, str]] = []  # back to its determiner, at most ten words
    for at, word in reversed(before[-10:]):
        if word[-1] in ",;:" or word.lower() in _COPULA:
            break
        phrase.insert(0, (at, word))
        if word.lower() in _DETERMINERS:
            break
    if not phrase or phrase[0][1].lower() not in _DETERMINERS:
        return None
    words_ = [word for _, word in phrase]
    np_text = " ".join([words_[0].lower(), *words_[1:]])  # "The" opening the sentence
    after = abstract[verb_end : verb_end + 400]
    rest = after.lstrip()
    rest_at = verb_end + len(after) - len(rest)
    nxt = rest.split(" ", 1)[0].lower().strip(",")
    if nxt in _AFTER_ANTECEDENT:  # a purpose or a relative clause: kept, after the thing
        head = f"{np_text} "
    elif nxt in _COPULA:
        rest = rest[len(nxt) :].lstrip()
        rest_at = verb_end + len(after) - len(rest)
        # "is associated with X": what it is; "is the Sobolev norm": it is that norm.
        head = f"{np_text} " if rest.split(" ", 1)[0].endswith("ed") else ""
    elif nxt in _MODALS:  # "the loss function we propose can help": the thing alone
        return Proposal(rank, np_text, phrase[0][0], verb_end)
    elif len(phrase) == len(before) and not cut and re.fullmatch(r"[a-z]+[^s]s", nxt):
        head = f"{np_text}, {participle(nxt)} "  # "The DTN we present employs X"
        rest, rest_at = rest[len(nxt) :].lstrip(), rest_at + len(nxt)
    else:
        return None
    p = _object(head + rest, 0, rank)
    return Proposal(rank, p.text, phrase[0][0], max(verb_end, rest_at + p.end - len(head)))


def _own_clause(word: str) -> bool:
    """Whether `word`, just before `we`, makes `we` open a clause of its own: a
    sentence end or comma, "In this paper", "To this end", "Here", an adverb."""
    low = word.lower()
    return not word or word[-1] in ".,;:" or low in _NOT_ANTECEDENT or low.endswith("ly")


_WORD = re.compile(r"\S+")


def _article(m: re.Match[str]) -> str:
    """Drop the praise; keep `a`/`an`, agreeing with the word that now follows."""
    article = (m.group("article") or "").strip().lower()
    if not article:
        return ""
    if article in ("the", "our"):
        return m.group("article")
    return "an " if m.group("next")[0].lower() in "aeiou" else "a "

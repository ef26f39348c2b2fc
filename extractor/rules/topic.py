"""The task of a paper given without its title: the topic its abstract opens with.

Design note. `extract(abstract)` is often called with no title, and the task
rules (`gist.find_task`) read the task mostly from the title. Without one,
two conventions of abstracts are left. A paper may state its problem (`we
study X`, `the problem of X`: `gist.problem_statement`). Otherwise it opens on
its field: the subject of the first sentence that is not about the paper
itself (`While multitask representation learning has become ...`,
`Second-order optimizers have ...`) is the topic. Openers (`Recently,`, `In
recent years,`, `Unlike prior work,`) are skipped, and the subject ends at its
verb or at a clause boundary. A sentence that is about the paper (`We show
...`, `This paper ...`) or points back (`These systems ...`) gives no topic.
With neither convention, the first sentence is read as if it were the title,
without its announcement (`In this paper, we present`). Measured with the
titles removed from fixtures/gold.jsonl, task token F1 goes from 0.261 to
0.323 on the development half and from 0.228 to 0.260 on the held-out half
(with titles, 0.55: the title is the better source by far).
"""

from __future__ import annotations

import re
from dataclasses import replace

from .cut import words as trimmed
from .gist import ARTICLES, POINTER, Phrase, find_task, lower_case, problem_statement
from .text import split_sentences

# Openers that put the topic later in the sentence: adverbs and subordinators.
_OPENER = re.compile(
    r"^(?:(?:while|although|though|despite|as|since|because|given\s+that|with|recently|"
    r"in\s+recent\s+years|over\s+the\s+(?:past|last)\s+\w+(?:\s+\w+)?|nowadays|today|"
    r"currently|at\s+present|in\s+(?:this|the)\s+(?:paper|work|study|article|note|era\s+of)|"
    r"traditionally|"
    r"historically|typically|however|moreover)\b[\s,]*)+",
    re.I,
)
# A leading phrase closed by a comma: "At initialization, ...", "Unlike X, ...".
_LEAD_PHRASE = re.compile(
    r"^(?:at|in|on|by|unlike|despite|for|from|to|with|under|after|before|beyond|although|"
    r"while|though|as|since|because|when|if|[a-z]+ing)\b[^,]{0,80},\s*",
    re.I,
)
# Where the subject ends: a clause boundary, a common verb of opening sentences,
# a relative pronoun or an adverb that sits before a verb.
_SUBJECT_END = re.compile(
    r"[,;:(\[]|\s(?:is|are|was|were|has|have|had|can|could|may|might|will|would|should|"
    r"must|remains?|plays?|stands?|becomes?|became|enables?|achieves?|achieved|offers?|"
    r"provides?|relies|rely|hinges?|requires?|suffers?|leads?|led|shows?|showed|"
    r"demonstrates?|demonstrated|emerged|gained|attracts?|attracted|received|allows?|"
    r"allowed|underpins?|lies|lie|depends?|involves?|aims?|seeks?|presents?|poses?|"
    r"arises?|arise|appears?|such\s+as|which|that|who|where|when|in\s+which|do|does|did|"
    r"often|usually|typically|commonly|widely|increasingly|recently|successfully|"
    r"continues?)\b",
    re.I,
)
# Determiners and hedges that the labels leave out of a topic.
_VAGUE_HEAD = re.compile(
    r"^(?:(?:the|a|an|many|most|some|several|various|modern|recent|existing|current|"
    r"large[- ]scale|standard|classical|conventional)\s+|"
    r"(?:advances|progress|developments)\s+in\s+|(?:wide\s+)?(?:range|variety|number)\s+of\s+)",
    re.I,
)
# A sentence about the paper itself.
_SELF = re.compile(r"(?:we|our|here|this\s+(?:paper|work|article|study))\b", re.I)
# Its announcing words: "In this paper, we present", "This work introduces".
_SELF_LEAD = re.compile(
    r"^(?:(?:in|with)\s+this\s+(?:paper|work|article|study|note)\s*,?\s*|here\s*,?\s*)?"
    r"(?:we|this\s+(?:paper|work|article|study|note))\s+(?:\w+ly\s+)?(?:propose|present|"
    r"introduce|develop|study|stud(?:y|ies)|analy[sz]e|consider|investigate|describe|provide|"
    r"prove|show|reveal|identify|extend|construct|apply|give|derive|design|address|tackle|"
    r"explore|examine|establish|build|offer)s?\b\s*(?:that\s+)?",
    re.I,
)


def find_topic(abstract: str) -> Phrase:
    """A 2-8 word topic for an abstract with no title (see the module note)."""
    sentences = split_sentences(abstract)
    opening = sentences[:3]
    stated = problem_statement(abstract)
    if stated and len(stated.text.split()) >= 2 and opening and stated.start < opening[-1].end:
        return replace(stated, text=trimmed(stated.text, 8))  # not "... from PDEs and"
    # How the abstract writes each word away from a sentence's start, where
    # capitals are only positional: `lower_case` keeps proper names by it.
    seen = {w.strip(".,;:()[]'\"") for s in sentences for w in s.text.split()[1:]}
    for sentence in opening:
        text = _OPENER.sub("", sentence.text)
        if _SELF.match(text):
            continue
        text = _OPENER.sub("", _LEAD_PHRASE.sub("", text))
        end = _SUBJECT_END.search(text)
        subject = text[: end.start()] if end else text
        while vague := _VAGUE_HEAD.match(subject):
            subject = subject[vague.end() :]
        subject = subject.strip()
        words = [lower_case(w, seen) for w in subject.split() if w.lower() not in ARTICLES]
        words = trimmed(" ".join(words), 8).split()
        if len(words) >= 2 and not POINTER.match(subject):
            at = abstract.find(subject, sentence.start)
            return Phrase(" ".join(words), "abstract", at, at + len(subject))
    # Read as a title, the first sentence without its "In this paper, we present":
    # what the paper presents stands in for the topic it does not state.
    opening_text = _SELF_LEAD.sub("", abstract.split(".")[0])
    first = find_task(_cut(opening_text, 120), abstract)
    return Phrase(trimmed(first.text, 8), "abstract", first.start, first.end)


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending on a whole word."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]

"""Cutting a phrase to a word budget without leaving it dangling.

Design note. The labels hold at most 8 (task) and 15 (method) words, and every
part of a method is cut to its share (`compose.py`). A cut at a word count
leaves whatever came last: `of the`, `, and`, `that is based`, an aside left
open (`X (one for plasticity,`), a clause two words old (`X that we call`), a
verb whose object was cut (`a framework for sparsifying`, `systematically
computing`, `X and preserves an object's`) or a participle waiting for its
complement (`an algorithm inspired`). `words` backs off over each of these until what is left names
something; an -ing noun (`Hebbian learning`) stays.
"""

from __future__ import annotations

_TAIL_WORDS = {
    "a", "an", "the", "of", "for", "to", "in", "on", "and", "or", "with", "by", "that",
    "which", "is", "are", "its", "their", "from", "at", "as", "via", "i.e.", "e.g.", "both",
    "while", "this", "these", "we", "it", "any", "each", "such", "than", "into", "through",
    "between", "over", "under", "within", "across", "using", "where", "whose", "based", "aimed",
    "can", "could", "may", "might", "will", "would", "should", "must", "be", "been", "being",
    "was", "were", "has", "have", "does", "do", "not", "our", "similar", "comparable", "able",
    "how", "when", "whether", "why", "what", "only", "most", "but", "yet", "nor",
}  # fmt: skip
_RELATIVE = {"that", "which", "where", "whose", "who", "whereby"}


def words(text: str, n: int) -> str:
    """The first `n` words, without a dangling `of the`, `, and` or `through` at the
    end, nor an aside or a clause cut open by the limit (`X (one for plasticity,`,
    `X that we call` -> `X`)."""
    every = text.split()
    kept = _without_open_clause(every[:n]) if len(every) > n else every[:n]
    if "(" in text:
        kept = _before_open_aside(kept)
    while True:
        while len(kept) > 1 and (kept[-1].lower().strip(",;:") in _TAIL_WORDS or kept[-1] in "-,"):
            kept.pop()
        if len(every) == len(kept) or not kept:
            break
        shorter = _without_cut_verb(kept, every[len(kept)])
        if shorter == kept:
            break
        kept = _without_open_clause(shorter)
    return " ".join(kept).rstrip(",;:(")


def _without_open_clause(kept: list[str]) -> list[str]:
    """A clause the limit cut after two words says nothing: "X that we call" -> "X"."""
    for at in range(max(len(kept) - 3, 2), len(kept)):
        if kept[at].lower() in _RELATIVE:
            return kept[:at]
    return kept


# Before an -ing word, these make it a verb (`for sparsifying`, `, building`,
# `systematically computing`); after a noun or an adjective it is a noun (`deep learning`).
_VERB_BEFORE = {
    "for", "by", "of", "in", "on", "via", "through", "while", "when", "after", "before",
    "without", "thus", "thereby", "then",
}  # fmt: skip
# After an -ing word, these are its object: `making a large class`, `finding that`.
_OBJECT_START = {
    "a", "an", "the", "its", "their", "our", "his", "her", "each", "all", "this", "these",
    "those", "them", "it", "that", "how", "what", "whether", "which", "both", "such", "any",
}  # fmt: skip
# Before an owner (`an object's`): a noun cannot come between them, so after `and`
# the word before is a verb (`and preserves an object's`).
_DETERMINERS = {
    "a", "an", "the", "its", "their", "our", "each", "all", "this", "these", "both", "such",
}  # fmt: skip
# After a participle in -ed, these open its complement: `inspired [by X]`.
_PREPOSITIONS = {
    "by", "in", "on", "with", "from", "to", "for", "as", "at", "under", "into", "over",
    "via", "through", "across", "within", "upon",
}  # fmt: skip


def _without_cut_verb(kept: list[str], next_word: str) -> list[str]:
    """`kept` without an -ing verb whose object the limit cut off, nor its adverb, nor a
    participle in -ed whose complement it cut off.

    "a framework for sparsifying [the activations ...]" names no method, nor does
    "systematically computing [the fixed points ...]"; both are cut back to what
    they do name ("a framework", nothing). A noun in -ing stays ("Hebbian learning").
    """
    word = kept[-1].lower()  # a comma after it would close its phrase: "sampling,"
    if word.endswith(("'s", "’s")):  # the owner of a noun the limit cut off
        if len(kept) > 3 and kept[-2].lower() in _DETERMINERS and kept[-4].lower() in (
                "and", "or"):
            return kept[:-4]  # "X and preserves an object's": a second verb and its object
        return kept[:-1]
    if word.endswith("ed") and word.isalpha() and next_word.lower() in _PREPOSITIONS:
        return kept[:-1]  # "an algorithm inspired [by X]", "a layer trained [on Y]"
    before = kept[-2].lower() if len(kept) > 1 else ""
    if not (word.endswith("ing") and len(word) > 5 and word.isalpha()):
        return kept
    verb = (
        len(kept) == 1
        or before.endswith(",")
        or before in _VERB_BEFORE
        or (before.endswith("ly") and before.isalpha())
        or next_word.lower() in _OBJECT_START
        # "detecting and disrupting [scam conversations]": the second of two verbs
        or (before == "and" and len(kept) > 2 and kept[-3].lower().endswith("ing"))
    )
    if not verb:
        return kept
    kept = kept[:-1]
    if kept and kept[-1].lower().endswith("ing") and kept[-1].isalpha():
        kept = kept[:-1]  # "allowing [learning the model]": the verb that took it
    while kept and kept[-1].lower().endswith("ly") and kept[-1].isalpha():
        kept = kept[:-1]  # "systematically"
    return kept


def _before_open_aside(kept: list[str]) -> list[str]:
    """The words before the first parenthesis left open, if two or more remain."""
    unclosed: list[int] = []  # the words that opened a parenthesis still open
    for at, word in enumerate(kept):
        for char in word:
            if char == "(":
                unclosed.append(at)
            elif char == ")" and unclosed:
                unclosed.pop()
    return kept[: unclosed[0]] if unclosed and unclosed[0] >= 2 else kept

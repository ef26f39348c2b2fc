"""The words and patterns that find what a speed claim is measured against.

Kept apart from `lexicon.py` (the words of the claims themselves) for the same
reason that module exists: `baselines.py` decides, this module only names
things, so a reviewer can read every word the baseline rules react to in one
place.
"""

from __future__ import annotations

import re

# Baselines: "than X", "over X", "compared to X" in the claim's own sentence.
_CMP = (
    r"than|over|compared\s+(?:to|with|against)|relative\s+to|versus|vs\.?|against|"
    r"in\s+comparison\s+(?:to|with)|with\s+respect\s+to"
)
# A name runs on past a dot inside it (`llama.cpp`, `PyTorch 2.0`, `GPT-3.5`): only a
# dot before a space or the end ends it.
_NP = r"(?P<np>[^,.;:()]+(?:\.(?=\w)[^,.;:()]*)*)"
# Not a comparator: a number, or "over a wide range of sizes".
_NOT_CMP = (r"(?!\d|up\s+to|more\s+than|(?:a\s+)?(?:wide\s+|broad\s+|large\s+)?"
            r"(?:range|variety|number|spectrum)\s+of\b)")
BASE_AFTER = re.compile(rf"[\s,]*(?:{_CMP})\s+{_NOT_CMP}{_NP}", re.I)
# "twice as fast as FlashAttention-2": the cue itself ends in the comparison.
AS_FAST_AS = re.compile(rf"\s+(?!\d|up\s+to|more\s+than){_NP}")
# "2.8x speedup in decoding latency over X", "1.9x faster on a Pixel 7 than X": a short
# prepositional phrase between the claim and its comparison.
GAP = re.compile(
    r"\s+(?:in|on|at|for|during|across|with)\s+(?:[\w.+/-]+\s+){1,5}?"
    r"(?=(?:than|over|compared|relative|versus|vs\.?|against|in\s+comparison)\s)",
    re.I,
)
# "5x the throughput of vLLM", "twice the speed of Mamba": the rate of what.
THE_RATE = re.compile(r"\bthe\s+(?:[\w-]+\s+)?(?:throughput|speed)$", re.I)
RATE_OF = re.compile(rf"\s+of\s+{_NP}", re.I)
# "faster than vLLM on A100 and 2x on H100": a comparison inside the second claim's
# quote, between its cue and its number, is its baseline too.
CMP_INSIDE = re.compile(rf"\s(?:{_CMP})\s+{_NOT_CMP}{_NP}", re.I)
# "the training time for ISTA-Net+", "the latency of BERT": whose time it is.
TIME_OF = re.compile(rf"\s+(?:for|of)\s+{_NP}", re.I)
BASE_BEFORE = re.compile(
    r"(?:^|[,;]\s*)(?P<cmp>(?:when\s+)?(?:compared\s+(?:to|with|against)|relative\s+to|"
    r"in\s+comparison\s+(?:to|with)|against))\s+" + _NP + ",",
    re.I,
)
# "similar performance to vanilla transformers and they are up to 4000x faster",
# "better scores than the exact computation with over 4x speedup": a comparison
# earlier in the sentence names what the claim after it is measured against.
COMPARABLE = re.compile(
    r"\b(?:similar|comparable|competitive|on\s+par|better|higher|lower|match(?:es|ing)?)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:to|with|than)\s+(?P<cmp>(?P<np>[^,.;:()]{1,80}?)),?\s+"
    r"(?:with|and|despite|while|whereas|yet)\b",
    re.I,
)
# ">1000x speed-up and >30x memory reduction over X": the baseline after a second,
# coordinated claim is the first one's too.
CO_CLAIM = re.compile(
    r"\s+and\s+[~>≈]?\s*\d[^,.;:]{0,40}?(?=\s+(?:than|over|compared|relative|versus|against)\b)",
    re.I,
)
# "than TimesNet and training requires 60% less memory", "than S4 and the model needs
# ...": "and", a short subject and a verb start a clause of their own. Only -s forms:
# a past participle after "and" may still be part of the name ("and the kernels used
# in X"), and nouns that double as verbs ("runs", "leads") are left out.
_CLAUSE_VERB = (
    r"requires|needs|uses|consumes|drops|falls|reaches|achieves|reduces|improves|cuts|"
    r"lowers|increases|decreases|remains|stays|scales|matches|outperforms|yields|provides|"
    r"delivers|offers|enables|takes|shrinks|grows|halves|doubles|saves|attains|obtains|"
    r"maintains|preserves|supports|speeds"
)
NP_STOP = re.compile(
    r"\s+(?:on|in|for|while|with|without|when|where|which|that|at|across|under|by|using|"
    r"during|as|to|from|respectively|(?:and|or)\s+(?:is|are|was|were|has|have|can|could|we|"
    r"it|also|achiev\w*|reduc\w*|improv\w*|maintain\w*|preserv\w*|requir\w*|uses?|shows?|"
    r"(?=\d)|"  # "over cuBLAS and 2.1x over cuDNN": the next claim
    rf"(?:(?:the|a|an|its|our|their)\s+)?(?:[\w-]+\s+){{0,2}}?(?:{_CLAUSE_VERB}))|"
    r"thanks|due|despite|but|whereas|through|via|"
    r"achiev\w*|reach\w*|is|are|was|were|has|have|we|it|showing|demonstrat\w*|"
    # "than BWA-MEM running on 32 threads": a participle describes how the name ran
    r"running|executing|executed|implemented|deployed|compiled|written|trained|evaluated|"
    r"measured|tested|operating|"
    r"in\s+terms)\b.*",
    re.I,
)
# fmt: off
GENERIC_MOD = {
    "the", "a", "an", "previous", "prior", "existing", "current", "other", "competing",
    "state-of-the-art", "sota", "related", "recent", "several", "many", "all", "most",
    "strong", "leading", "alternative", "commonly", "used", "popular", "best", "its",
    "their", "our", "state", "of", "art", "comparable", "these", "those", "various",
    "typical", "earlier", "well-known", "representative", "advanced", "established",
    "baseline", "prevailing", "mainstream", "similar", "standard", "conventional",
    "traditional", "classical", "original", "vanilla",
}
# fmt: on
# fmt: off
GENERIC_HEAD = {
    "method", "methods", "approach", "approaches", "baseline", "baselines", "work", "works",
    "technique", "techniques", "algorithm", "algorithms", "model", "models", "solution",
    "solutions", "art", "counterpart", "counterparts", "alternative", "alternatives",
    "implementation", "implementations", "methodology", "methodologies", "framework",
    "frameworks", "system", "systems", "solver", "solvers", "literature", "ones",
}
# fmt: on

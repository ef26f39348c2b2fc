"""The `rules` backend: deterministic extraction with no model and no network.

It is the offline baseline every LLM backend must beat and the fallback when no
API key is configured. All the work is in `extractor.rules`; this file only
adapts it to the backend seam. It is not cached (`cacheable = False`): running
the rules is faster than a disk lookup. `RULES_VERSION` is part of `identity()`
and must be bumped whenever a rule or a gazetteer changes the answers.
"""

from __future__ import annotations

from typing import Any

from ..result import Usage
from ..rules.summary import SpannedSummary, extract_spans
from .base import Backend, BackendConfig, Completion, Request, check_options

RULES_VERSION = "1.6.1"

__all__ = ["RULES_VERSION", "RulesBackend", "SpannedSummary", "extract_spans"]


class RulesBackend(Backend):
    """Patterns and gazetteers: no model, endpoint, key or mode to read."""

    name = "rules"
    cacheable = False
    reads = frozenset()

    def __init__(self, config: BackendConfig | None = None):
        self.config = config or BackendConfig()
        check_options(self.name, self.config.options, ())

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": None, "version": RULES_VERSION}

    def complete(self, request: Request) -> Completion:
        spanned = extract_spans(request.title or "", request.abstract)
        return Completion(summary=spanned.summary, usage=Usage(), reasks=0, model=None)

    async def acomplete(self, request: Request) -> Completion:
        # A millisecond or so of pure CPU: run it on the loop. The default
        # worker thread per call only added handoffs and GIL contention (a
        # 10,000-record batch ran 10-17% faster without it).
        return self.complete(request)

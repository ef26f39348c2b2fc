"""What a caller gets back: the summary plus an honest account of how it was made."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from .schema import PaperSummary, Speedup

# No request takes or gives this many tokens (context windows are a few million):
# a count over it is no count. One of 10**30, or 1e300 read as a whole number,
# overflowed the int64 column of a Parquet output and ended the batch run.
MAX_TOKENS = 10**9


def tokens(value: object) -> int:
    """`value` as a count of tokens: a whole number from 0 to MAX_TOKENS (12.0 is
    12), else 0.

    Counts come from whatever a server puts in its usage block. A fractional
    count (`12.5`) failed Meta's validation after the answer was paid for, a
    string made the sum raise inside instructor's hook (a warning traceback,
    and no count), and a negative one made totals and cost negative. A count
    that is no count is ignored rather than failing the answer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return 0
    if isinstance(value, numbers.Integral):
        return int(value) if 0 <= value <= MAX_TOKENS else 0
    number = float(value)
    return int(number) if 0 <= number <= MAX_TOKENS and number.is_integer() else 0  # not nan


@dataclass(frozen=True)
class Usage:
    """Token counts, summed over every model call one extraction made. Each
    count is kept as `tokens` reads it, whoever built the Usage (a backend of
    any origin included), so no count can fail a result or go negative."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __post_init__(self) -> None:
        for name in ("prompt_tokens", "completion_tokens"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= MAX_TOKENS:
                object.__setattr__(self, name, tokens(value))

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


class Meta(BaseModel):
    """How the summary was produced. `evidence[i]` is the (start, end) offset of
    `speedups[i].text` in the abstract string exactly as the caller passed it
    (leading whitespace counted; an NFD abstract's combining accents counted),
    so `abstract[start:end]` is the claim; None when it could not be found
    (possible only for answers that skipped grounding, e.g. old cache entries).
    `dropped_datasets` are names the backend returned that the title and abstract
    never write, removed from the summary."""

    model_config = ConfigDict(frozen=True)

    backend: str
    model: str | None
    prompt_hash: str
    cache_hit: bool
    attempts: int
    reasks: int
    usage: dict[str, int]
    latency_s: float
    evidence: list[tuple[int, int] | None]
    dropped_datasets: list[str] = []


class Extraction(BaseModel):
    """One extracted paper. The summary's fields are readable directly
    (`result.speedups[0].factor`) so the common case needs no `.summary`."""

    model_config = ConfigDict(frozen=True)

    summary: PaperSummary
    meta: Meta

    @property
    def task(self) -> str:
        return self.summary.task

    @property
    def method(self) -> str:
        return self.summary.method

    @property
    def speedups(self) -> list[Speedup]:
        return self.summary.speedups

    @property
    def hardware(self) -> list[str]:
        return self.summary.hardware

    @property
    def datasets(self) -> list[str]:
        return self.summary.datasets

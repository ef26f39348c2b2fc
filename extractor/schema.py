"""The typed answer: what one abstract is summarised into.

Field meanings are exactly those of LABELLING.md, and the field descriptions
below are what the model reads (instructor sends them in the JSON Schema), so
they restate the labelling rules in brief.

Every list and string carries `maxItems`/`maxLength`: small models were seen
repeating list items until they ran out of tokens when the schema left them
unbounded. The bounds are generous for real abstracts.

Grounding: when validation knows the abstract, each speedup quote must occur
in it, and must state the claim's magnitude: a quote with no number or
magnitude word in it (`"a"`), or a factor that no reading of its quote gives
(1000 for `"3x faster"`), is a validation error too (`stated.py`). Either
way instructor re-asks the model with that message. The abstract comes either
from pydantic's context
(`model_validate(data, context={"abstract": text})`) or from `grounded_in()`.
Backends use the latter: instructor renders every message as a Jinja template
when it is given a `context`, so an abstract containing `{{`, `{%` or `{#`
(LaTeX does) would be rewritten or crash before it reached the model.

A task or method that is empty (or only whitespace, which is stripped) is a
validation error, re-asked like any other, so it is never cached. It is a
validator, not `min_length=1`: a constraint goes into the JSON Schema, which
every request carries (the tool's parameters, or the prompt in JSON modes) and
whose hash is in the cache key, so it would have changed every request body:
every cached answer and every replay recording would have missed. A validator
checks the same and sends the same schema. An answer cached empty before is
refused when read back (each hit is validated again) and asked anew.

The JSON Schema is built once per class and set of arguments: instructor's
JSON modes write it into every request's prompt, and pydantic builds it anew on
each call, 2.3 ms of CPU that was a third of a JSON-mode client's time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .grounding import find_quote
from .stated import unstated_claim

_ABSTRACT: ContextVar[str | None] = ContextVar("extractor_abstract", default=None)


@contextmanager
def grounded_in(abstract: str) -> Iterator[None]:
    """Validate speedup quotes against `abstract` for the duration of the block."""
    token = _ABSTRACT.set(abstract)
    try:
        yield
    finally:
        _ABSTRACT.reset(token)


T = TypeVar("T")

MAX_SPEEDUPS = 16
MAX_BASELINE = 120  # characters: a comparator's name, not a sentence
MAX_NAMES = 24

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


def first_of_each(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """The items in order, without those whose key was seen before: how the
    summary drops repeated names and claims (the rules backend drops them the
    same way first, so that each item keeps its span)."""
    seen: set[Hashable] = set()
    kept = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            kept.append(item)
    return kept


def name_repeat(name: str) -> str:
    """Names that differ only in case are one name; the first spelling is kept."""
    return name.strip().casefold()


def claim_repeat(claim: Any) -> tuple[float | None, float | None, str]:
    """A speedup (or anything with its fields) that says the same as another."""
    return claim.factor, claim.factor_max, claim.text.strip().casefold()


def _dedupe(items: list[str]) -> list[str]:
    return first_of_each(items, name_repeat)


def _no_nul(value: Any, info: ValidationInfo) -> Any:
    """Refuse a NUL (U+0000) in a field's text. An abstract never holds one (it is
    refused as binary), so it is no copy of the paper's words; JSON carries it as
    `\\u0000`, and it was accepted, cached and written to every output. A
    validator, not a pattern: see the module note on the JSON Schema."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise ValueError(f"the {info.field_name} holds a NUL character (\\u0000), which is "
                         "no text; write it without")
    return value


class Speedup(BaseModel):
    """One claim that something the paper proposes is faster, with a magnitude."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    factor: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,  # JSON has no Infinity: it would corrupt every output format
        description=(
            "How many times faster, as a number: '6x' -> 6, 'up to 4000x' -> 4000, "
            "'3 orders of magnitude' -> 1000, a p% gain in speed -> 1 + p/100 ('37% "
            "faster' -> 1.37), a p% cut in time or latency -> 1 / (1 - p/100) ('reduces "
            "time by 75%' -> 4, '15% lower latency' -> 1.18). For a range, the lower end. "
            "null when no number is given ('orders of magnitude faster')."
        ),
    )
    factor_max: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Upper end of a range ('2x to 30x' -> 30); otherwise null, 'up to N' "
                    "included.",
    )
    baseline: str | None = Field(
        default=None,
        max_length=MAX_BASELINE,
        description=(
            "What the claim is compared against, when its own sentence names it, with or "
            "without 'than' ('SciPy', 'conventional PDE solvers'); null for unnamed prior "
            "work ('previous methods', 'baselines')."
        ),
    )
    text: str = Field(
        min_length=1,
        max_length=300,
        description=(
            "The shortest verbatim span of the abstract holding the magnitude, the "
            "speed word and the baseline if named. Copy it exactly."
        ),
    )

    _text_has_no_nul = field_validator("baseline", "text")(_no_nul)

    @field_validator("baseline")
    @classmethod
    def _empty_baseline_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Speedup:
        if self.factor is not None and self.factor_max == self.factor:
            self.factor_max = None  # "up to 4000x" given as 4000 to 4000: one number, no range
        if self.factor_max is not None:
            if self.factor is None:
                raise ValueError(
                    "factor_max is set but factor is null; put the lower end in factor"
                )
            if self.factor_max < self.factor:
                raise ValueError(
                    f"factor_max ({self.factor_max}) is below factor ({self.factor}); "
                    "factor is the lower end of a range, factor_max the upper"
                )
        return self


class PaperSummary(BaseModel):
    """A typed summary of one paper: its task, method, speed-up claims, hardware and
    datasets, each as the title and abstract state them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    task: str = Field(
        max_length=160,
        description=(
            "The problem the paper addresses, a short lower-case noun phrase of 2 to 8 "
            "words (proper names keep their case)."
        ),
    )
    method: str = Field(
        max_length=240,
        description=(
            "What the paper itself proposes or contributes, at most 15 words, starting "
            "with its coined name if it has one; for an analysis paper, the analysis."
        ),
    )
    speedups: list[Speedup] = Field(
        default_factory=list,
        max_length=MAX_SPEEDUPS,
        description=(
            "One entry per claim that the paper's own contribution is faster (time, "
            "throughput, latency) by a stated magnitude, one entry per number. Not "
            "memory, parameter, FLOPs, data, sampling-step or function-evaluation "
            "reductions, not lower cost, accuracy or convergence rates, not claims about "
            "prior work."
        ),
    )
    hardware: list[Name] = Field(
        default_factory=list,
        max_length=MAX_NAMES,
        description=(
            "Compute the paper runs on or targets: a device as written ('A100', 'TPU v4'), "
            "with no vendor the text does not state, or a plain class ('GPU', 'CPU', "
            "'FPGA', 'edge devices', 'mobile phones')."
        ),
    )
    datasets: list[Name] = Field(
        default_factory=list,
        max_length=MAX_NAMES,
        description=(
            "Each named dataset or benchmark used or introduced, one entry each, spelled "
            "as written ('ImageNet', 'CIFAR-10'). Not unnamed data, equations, physical "
            "systems, methods or models."
        ),
    )

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            text = _schema_text(cls, args, tuple(sorted(kwargs.items())))
        except TypeError:  # an unhashable argument: build it as pydantic would
            return super().model_json_schema(*args, **kwargs)
        return json.loads(text)  # a new dict each time, as pydantic's: callers edit it

    _text_has_no_nul = field_validator("task", "method", "hardware", "datasets")(_no_nul)

    @field_validator("task", "method")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        # Not `min_length=1`: see the module note on what the JSON Schema may not change.
        if not value.strip():
            raise ValueError(f"the {info.field_name} is empty; write {_WANTED[info.field_name]}")
        return value

    @field_validator("hardware", "datasets")
    @classmethod
    def _no_duplicates(cls, items: list[str]) -> list[str]:
        return _dedupe(items)

    @field_validator("speedups")
    @classmethod
    def _quotes_are_grounded(cls, speedups: list[Speedup], info: ValidationInfo) -> list[Speedup]:
        abstract = (info.context or {}).get("abstract", _ABSTRACT.get())
        if abstract is None:
            return _dedupe_speedups(speedups)
        missing = [s.text for s in speedups if find_quote(abstract, s.text) is None]
        if missing:
            quoted = "; ".join(repr(m) for m in missing)
            raise ValueError(
                f"these speedup texts are not in the abstract: {quoted}. Each text must "
                "be copied verbatim from the abstract; drop any claim you cannot quote."
            )
        unstated = [problem for s in speedups if (problem := unstated_claim(s))]
        if unstated:
            raise ValueError(
                f"these speedups do not match their texts: {'; '.join(unstated)}. Each text "
                "must hold the magnitude, and factor must be the number it states ('6x' -> 6, "
                "'37% faster' -> 1.37, 'reduces time by 50%' -> 2); drop a claim with no "
                "magnitude."
            )
        return _dedupe_speedups(speedups)


# What a re-ask asks for in place of an empty task or method.
_WANTED = {"task": "the problem the paper addresses, in 2 to 8 words",
           "method": "what the paper proposes or contributes, in at most 15 words"}

MAX_REASON = 300  # characters of a validator's, a server's or a model's words in a message


def encodable(text: str) -> bool:
    """Whether `text` can be written as UTF-8. A lone surrogate (U+D800-U+DFFF),
    which a server's JSON can hold as an escape such as "\\ud800", cannot: it
    stands for no character, and failed the cache write and every output file."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """`text` with every run of whitespace (line breaks included) one space, cut
    to `limit` characters: words from a validator, a server or a model, shown in
    an error message, which is always one line. A lone surrogate is written as
    its escape (`\\ud800`): the message goes into a batch's log row, and one
    that cannot be written as UTF-8 stopped the whole run."""
    text = " ".join(text.encode("utf-8", "backslashreplace").decode("utf-8").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_error(exc: ValidationError) -> str:
    """Where and why `exc` failed, on one bounded line: the first error's
    location and message (`speedups.0.factor: Input should be greater than 0`),
    and how many more there are. pydantic's own first line ("1 validation
    error for PaperSummary") names neither, and ValidationFailed carried only
    that. A tool-call count that is not one (instructor's `list[any]` check:
    Anthropic answered with text only) is said as such."""
    errors = exc.errors(include_url=False)
    if not errors:
        return one_line(str(exc))
    error = errors[0]
    if exc.title.startswith("list[") and error["type"] in ("too_short", "too_long"):
        reason = ("the answer holds no tool call (the model wrote text instead)"
                  if error["type"] == "too_short" else "the answer holds more than one tool call")
    else:
        message = error["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in error["loc"])
        reason = f"{where}: {message}" if where else message
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more)"
    return one_line(reason)


@functools.lru_cache(maxsize=16)  # bounded, should a caller make a subclass per call
def _schema_text(cls: type[PaperSummary], args: tuple[Any, ...],
                 kwargs: tuple[tuple[str, Any], ...]) -> str:
    return json.dumps(super(PaperSummary, cls).model_json_schema(*args, **dict(kwargs)))


def _dedupe_speedups(speedups: list[Speedup]) -> list[Speedup]:
    return first_of_each(speedups, claim_repeat)

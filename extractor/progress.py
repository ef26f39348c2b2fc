"""What a batch run tells its user: the live progress line and the run summary.

Design note. The progress line is plain text rewritten in place on stderr
(carriage return, erase to end of line) a few times a second: done/total,
rate, ETA, cache hits, failures. It is drawn only when stderr is a terminal,
so logs and CI output stay clean, and never needs a dependency. The total is
the number of records this run will do (after duplicates, other shards and
records already in the output are taken out), counted by a pass over the
input of its own, beside the run (`batch._count`); until then the line
shows what is done.

The summary is one JSON object, printed and written beside the output. Counts
are for this run; `output` describes the output file as it stands afterwards,
which is what the exit code reflects. Cost is an estimate from a small price
table (USD per million input/output tokens, list prices when this was written)
or `--price-per-mtok`; tokens the cache saved are not counted, because they
were not spent.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from .dumps import Malformed

# USD per million (input, output) tokens. Keys match a model name exactly or
# as the prefix of a dated snapshot ("gpt-4o-mini-2024-07-18").
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-3.5-turbo": (0.50, 1.50),
}
MAX_LISTED = 50  # malformed lines listed in the summary; all are counted


OPENAI_ENDPOINT = "https://api.openai.com/"


def price_for(model: str | None, endpoint: str | None = None) -> tuple[float, float] | None:
    """The table's price for `model`, matching dated snapshots by prefix. The
    table is OpenAI's list prices, so a model named so at another endpoint (a
    local server sent the default `gpt-4o-mini`, a proxy with its own prices)
    is not priced from it."""
    if not model or (endpoint is not None and not endpoint.startswith(OPENAI_ENDPOINT)):
        return None
    matches = [name for name in PRICES if model == name or model.startswith(name + "-")]
    return PRICES[max(matches, key=len)] if matches else None


@dataclass
class Tally:
    """Running counts for one run; `add` is called once per finished record.

    Every record read is counted once more, where it went:
    read == done + failed + unfinished + skipped + duplicates + other_shard.
    `cached` is part of `done` and `reused_ids` of `duplicates`; malformed
    lines are no records. `planned` records were handed on to be extracted;
    those not finished when a run stops early (in flight, or read ahead) are
    `unfinished`."""

    read: int = 0
    planned: int = 0
    done: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    duplicates: int = 0
    reused_ids: int = 0  # duplicates by id whose abstract differs from the first's
    first_reused: str | None = None
    other_shard: int = 0
    over_limit: bool = False  # records were left for a later run (--limit)
    failed_found: int = 0  # --retry-failed: the output's failed records found in the inputs
    malformed: list[Malformed] = field(default_factory=list)
    malformed_count: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    on_bad_line: Callable[[Malformed], None] | None = None

    def add(self, ok: bool, cache_hit: bool, usage: dict[str, int], error_type: str | None) -> None:
        if ok:
            self.done += 1
            self.cached += cache_hit
        else:
            self.failed += 1
            self.errors[error_type or "Error"] += 1
        self.prompt_tokens += usage.get("prompt_tokens", 0)
        self.completion_tokens += usage.get("completion_tokens", 0)

    def bad_line(self, bad: Malformed) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MAX_LISTED:
            self.malformed.append(bad)
            if self.on_bad_line is not None:
                self.on_bad_line(bad)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def unfinished(self) -> int:
        return self.planned - self.finished

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Progress:
    """The live line on stderr; silent unless `enabled`."""

    INTERVAL = 0.25

    def __init__(self, tally: Tally, total: int | None, enabled: bool,
                 stream: TextIO | None = None) -> None:
        self.tally = tally
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._last = 0.0

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < self.INTERVAL):
            return
        self._last = now
        self.stream.write("\r" + self.line()[: self._width() - 1] + "\x1b[K")
        self.stream.flush()

    def _width(self) -> int:
        """The terminal's width, read at each redraw (it may be resized). A line
        as wide as the terminal wraps, and the carriage return goes back only to
        the start of its last row: on a 40-column terminal each redraw left a
        line behind. So the line is cut one short of the width."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):  # no terminal (UnsupportedOperation too)
            columns = shutil.get_terminal_size().columns
        return max(columns, 2)

    def line(self) -> str:
        t = self.tally
        rate = t.finished / t.elapsed if t.elapsed > 0 else 0.0
        if self.total:
            left = max(self.total - t.finished, 0)
            eta = _clock(left / rate) if rate > 0 else "--:--"
            head = f"{t.finished:,}/{self.total:,} {100 * t.finished / self.total:3.0f}%"
        else:
            eta, head = "--:--", f"{t.finished:,}"
        return (f"batch {head}  {rate:,.1f}/s  ETA {eta}  cached {t.cached:,}  "
                f"failed {t.failed:,}")

    def warn(self, message: str) -> None:
        """A line of its own on stderr, above the progress line."""
        clear = "\r\x1b[K" if self.enabled else ""
        self.stream.write(f"{clear}extractor: {message}\n")
        self.stream.flush()
        self._last = 0.0  # redraw the progress line at the next update

    def finish(self) -> None:
        if self.enabled:
            self.update(force=True)
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def summary(tally: Tally, *, run: dict[str, Any], output: dict[str, Any],
            price: tuple[float, float] | None) -> dict[str, Any]:
    """The run summary as a JSON-ready dict."""
    wall = tally.elapsed
    tokens = tally.prompt_tokens + tally.completion_tokens
    cost = None
    if price is not None:
        cost = round((tally.prompt_tokens * price[0] + tally.completion_tokens * price[1]) / 1e6, 6)
    elif tokens == 0:
        cost = 0.0
    return {
        **run,
        "counts": {
            "read": tally.read, "done": tally.done, "cached": tally.cached,
            "failed": tally.failed, "unfinished": tally.unfinished, "skipped": tally.skipped,
            "duplicates": tally.duplicates,
            "reused_ids": tally.reused_ids, "other_shard": tally.other_shard,
            "malformed": tally.malformed_count,
        },
        "errors": dict(tally.errors),
        "malformed_lines": [
            {"file": bad.path, "line": bad.line, "reason": bad.reason} for bad in tally.malformed
        ],
        "tokens": {"prompt": tally.prompt_tokens, "completion": tally.completion_tokens,
                   "total": tokens},
        "wall_s": round(wall, 3),
        "throughput_per_s": round(tally.finished / wall, 2) if wall > 0 else None,
        "price_per_mtok": list(price) if price else None,
        "cost_usd": cost,
        "output": output,
    }

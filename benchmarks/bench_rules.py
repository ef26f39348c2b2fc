"""Abstracts per second of the `rules` backend on one core, over every dump.

Run from the repository root:

    python benchmarks/bench_rules.py [--dumps ../shared/dumps] [--repeat 5]

The dumps are parsed here, simply and on purpose without `extractor.dumps`, so
the benchmark measures the rules alone: the header lines listed in the dumps'
README are dropped, a leading "Subscribe" glued to the first title is cut, and
the remaining non-empty lines alternate title / abstract. Duplicate abstracts
are kept (a batch run would see them too). The process is pinned to one CPU
where the OS allows it; the best of `--repeat` timed passes is reported, after
one warm-up pass that loads the gazetteers.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.backends.base import BackendConfig, Request, Sampling  # noqa: E402
from extractor.backends.rules import RulesBackend  # noqa: E402

HEADERS = {
    "new",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
}
DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")


def read_dump(path: Path) -> list[tuple[str, str]]:
    """(title, abstract) pairs of one dump file."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    while lines and (lines[0] in HEADERS or DATE.match(lines[0])):
        lines.pop(0)
    if lines and lines[0].startswith("Subscribe"):
        lines[0] = lines[0][len("Subscribe") :]
    return list(zip(lines[0::2], lines[1::2], strict=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=Path, default=ROOT.parent / "shared" / "dumps")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    papers = [p for f in sorted(args.dumps.glob("*.txt")) for p in read_dump(f)]
    if not papers:
        sys.exit(f"no dumps found in {args.dumps}")
    backend = RulesBackend(BackendConfig())
    requests = [
        Request(
            title=t,
            abstract=a,
            system="",
            user="",
            prompt_hash="",
            schema_hash="",
            sampling=Sampling(),
            max_reasks=0,
        )
        for t, a in papers
    ]
    for r in requests:  # warm-up: gazetteers, regex caches
        backend.complete(r)
    best = float("inf")
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        for r in requests:
            backend.complete(r)
        best = min(best, time.perf_counter() - start)
    rate = len(requests) / best
    print(f"command: python benchmarks/bench_rules.py --repeat {args.repeat}")
    print(f"{len(requests)} abstracts in {best:.3f} s on one core: {rate:,.0f} abstracts/s")


if __name__ == "__main__":
    main()

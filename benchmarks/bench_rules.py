"""Abstracts per second of the `rules` backend on one core, over every dump.

Run from the repository root:

    python benchmarks/bench_rules.py [--dumps ../shared/dumps] [--repeat 5]

The dumps are read with the library's own reader (`extractor.dumps.read`,
text format) before any timing starts, so the timed passes measure the rules
alone. Duplicate abstracts are kept (a batch run would see them too). The
process is pinned to one CPU where the OS allows it; the best of `--repeat`
timed passes is reported, after one warm-up pass that loads the gazetteers.

Then the worst case: abstracts of 20,000 characters (the default `max_chars`)
made of one phrase repeated (`A100 GPU`, `CIFAR-10 and`, `2x faster`, ...), the
inputs on which a rule that looks back over its sentence turns quadratic. The
slowest of them is reported in milliseconds per abstract.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.backends.base import BackendConfig, Request, Sampling  # noqa: E402
from extractor.backends.rules import RulesBackend  # noqa: E402
from extractor.dumps import read  # noqa: E402


def read_dump(path: Path) -> list[tuple[str, str]]:
    """(title, abstract) pairs of one dump file, through the library's reader."""
    return [(r.title, r.abstract) for r in read([path], fmt="text")]


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
    worst = max((_time_one(backend, phrase), phrase) for phrase in HOSTILE)
    print(f"slowest hostile abstract (20,000 characters of {worst[1]!r} repeated): "
          f"{worst[0] * 1000:,.0f} ms")


HOSTILE = ["A100 GPU ", "A100 ", "CIFAR-10 and ", "2x faster ", "we propose ",
           "compared with X, 2x faster ", "the X dataset ", "on the X benchmark ",
           "Capital Words ", "We propose X, which ", "1,", "( ", "The X we propose is ",
           "our $2\\times$ faster ", "similar to X and 2x faster ", "cut 2% and 4% for A and B ",
           "CIFAR-10/100/", "HIV and ", "10^4 times faster ", "EEG datasets "]


def _time_one(backend: RulesBackend, phrase: str) -> float:
    abstract = (phrase * (20_000 // len(phrase)))[:20_000]
    request = Request(title="T", abstract=abstract, system="", user="", prompt_hash="",
                      schema_hash="", sampling=Sampling(), max_reasks=0)
    start = time.perf_counter()
    backend.complete(request)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()

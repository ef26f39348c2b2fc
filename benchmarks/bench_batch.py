"""Batch runs: throughput against a slow server, warm-cache rate, instructor modes, memory.

    python benchmarks/bench_batch.py            # everything, full size (30-50 min here)
    python benchmarks/bench_batch.py --quick    # fewer records (~1 min)
    python benchmarks/bench_batch.py throughput warm memory --records 16000 \\
        --memory-records 1000000

What each figure means:

- throughput: `batch.run` over N generated abstracts at concurrency 64 against
  FakeOpenAIServer answering every request after 200 ms, as a fraction of the
  ideal 64 / 0.2 s = 320 abstracts/s. Measured three times in one run: with
  the `openai` backend (the real SDK and instructor, end to end) in one
  process and in two worker processes (`--workers 2`, 32 in flight each; the
  wall time includes starting them, 1-2 s of imports), and with `wire`, a
  minimal HTTP client registered here that speaks the same protocol, which
  shows what the batch layer itself sustains. The server runs in its own process so that its 64
  threads do not compete with the client for one GIL. Each figure also gives
  the CPU milliseconds per abstract spent by the client (parent and workers)
  and by the server, which share the machine's cores, and `steady_ratio`: the
  same fraction while the output grew from 20% to 80% (start-up and the tail
  left out; the target is judged on `ratio`, wall time from start to end).
- warm: the same run into a fresh output with every answer already in the
  cache: abstracts per second (nothing is sent).
- modes: the same kind of run, one process, a quarter of the records, once per
  instructor mode (`tools`, `json`, `md_json`, `json_schema`), and once more in
  `json` mode with the JSON Schema built anew for every request, as pydantic
  does and as this library did before `PaperSummary` kept it (`json_rebuilt`):
  the ratio to ideal and the client CPU per abstract of each.
- memory: peak RSS (ru_maxrss) of a separate `extractor batch` process over a
  generated JSONL dump of 1,000,000 abstracts with the rules backend and no
  cache. Before the run the process holds only its imports; the growth is the
  dedup/resume set (two 64-bit hashes per record with a source id).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor import Backend, BackendConfig, Completion, Extractor, PaperSummary, Usage, register
from extractor.batch import Limits, RunConfig, run

DELAY = 0.2
CONCURRENCY = 64
TARGETS = {"throughput": 0.90, "warm": 2000.0, "memory_mb": 300.0}

_SENTENCES = [
    "We propose {m}, a {a} method for {t}.",
    "Experiments on {d} show that {m} is {n}x faster than {b} on an NVIDIA {h} GPU.",
    "Our analysis explains why {b} fails on {t} at scale.",
    "The approach reduces memory by {n}% while matching the accuracy of {b}.",
    "We release code and models for {t} to support further research.",
    "Compared with {b}, training converges {n} times faster on {d}.",
    "Theoretical results bound the error of {m} under mild assumptions.",
    "Ablations on {d} isolate the contribution of each component of {m}.",
    "Existing approaches to {t} either scale poorly with problem size or need costly tuning.",
    "Unlike {b}, {m} needs no hand-crafted preconditioner and adapts to the input.",
    "On {d}, {m} reaches the accuracy of {b} with {n} times fewer iterations.",
    "We further show that the method transfers to related tasks without retraining.",
    "A user study and a cost analysis confirm the practical value of {m} for {t}.",
    "Our implementation runs on a single {h} and is open source.",
]
_WORDS = {
    "m": ["SKR", "FlashSolve", "GraphMix", "SparseNet", "KryloNet", "TurboGen", "FastPDE"],
    "a": ["scalable", "simple", "differentiable", "sparse", "adaptive", "hierarchical"],
    "t": ["operator learning", "molecular property prediction", "image segmentation",
          "language model pre-training", "neural architecture search", "PDE solving"],
    "d": ["ImageNet", "CIFAR-10", "PDEBench", "QM9", "WikiText-103", "COCO"],
    "b": ["GMRES", "PyTorch", "SciPy", "the dense baseline", "Adam", "FlashAttention"],
    "h": ["A100", "V100", "H100", "RTX 3090"],
}


def abstract(rng: random.Random, number: int) -> str:
    picks = {key: rng.choice(values) for key, values in _WORDS.items()}
    sentences = [s.format(n=rng.randint(2, 90), **picks) for s in rng.sample(_SENTENCES, 14)]
    return f"In study {number}, " + " ".join(sentences)


def write_dump(path: Path, records: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as stream:
        for number in range(records):
            stream.write(json.dumps({"id": f"G{number}", "title": f"Generated paper {number}",
                                     "abstract": abstract(rng, number)}) + "\n")


# -- the server, in its own process ------------------------------------------------


class Server:
    """FakeOpenAIServer(delay=...) in a child process; stops when we close its stdin."""

    def __init__(self, delay: float) -> None:
        code = ("import sys; from extractor.testing import FakeOpenAIServer; "
                f"s = FakeOpenAIServer(delay={delay}).start(); print(s.url, flush=True); "
                "sys.stdin.read()")
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


# -- a minimal backend speaking the same protocol -------------------------------------


class Wire(Backend):
    """POST /chat/completions over plain asyncio streams with keep-alive, parse the
    answer. No SDK, no instructor: what is left is the batch layer and the server."""

    name = "wire"

    def __init__(self, url: str) -> None:
        host_port = url.split("//", 1)[1].split("/", 1)[0]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.path = "/" + url.split("//", 1)[1].split("/", 1)[1].rstrip("/") + "/chat/completions"
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    @property
    def model(self) -> str:
        return "m"

    async def acomplete(self, request: Any) -> Completion:
        body = json.dumps({"model": "m", "messages": [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.user}]}).encode()
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\ncontent-type: "
                f"application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode()
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection(
            self.host, self.port)
        writer.write(head + body)
        await writer.drain()
        headers = (await reader.readuntil(b"\r\n\r\n")).decode().lower().split("\r\n")
        length = next(int(h.split(":")[1]) for h in headers if h.startswith("content-length"))
        answer = json.loads(await reader.readexactly(length))
        self.idle.append((reader, writer))
        usage = answer["usage"]
        summary = PaperSummary.model_validate_json(answer["choices"][0]["message"]["content"])
        return Completion(summary, Usage(usage["prompt_tokens"], usage["completion_tokens"]), 0,
                          "m")


# -- the measurements ------------------------------------------------------------------


def client_cpu_s() -> float:
    """CPU seconds of this process and its reaped children (the batch workers;
    the server is reaped only when it is closed)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sizes:
    """Samples the output file's size while a run writes it, to tell the steady
    rate from start-up: rows are near enough one size that bytes stand for rows."""

    def __init__(self, path: Path, every: float = 0.25) -> None:
        self.path, self.every, self.samples = path, every, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self.stop.wait(self.every):
            with contextlib.suppress(FileNotFoundError):
                self.samples.append((time.perf_counter(), self.path.stat().st_size))

    def steady_rate(self, records: int) -> float | None:
        """Records per second while the output grew from 20% to 80% of its size."""
        final = self.path.stat().st_size
        middle = [(t, b) for t, b in self.samples if 0.2 * final <= b <= 0.8 * final]
        if len(middle) < 2 or middle[-1][0] == middle[0][0]:
            return None
        (t0, b0), (t1, b1) = middle[0], middle[-1]
        return (b1 - b0) / final * records / (t1 - t0)


def timed_run(dump: Path, out: Path, extractor: Extractor, workers: int = 1,
              server: Server | None = None) -> dict[str, Any]:
    config = RunConfig(limits=Limits(concurrency=CONCURRENCY), quiet=True, workers=workers)
    cpu, server_cpu = client_cpu_s(), process_cpu_s(server.process.pid) if server else 0.0
    sizes = Sizes(out)
    sizes.thread.start()
    started = time.perf_counter()
    try:
        summary = run([dump], out, extractor, config)
    finally:
        sizes.stop.set()
    summary["measured_wall_s"] = time.perf_counter() - started
    summary["steady_per_s"] = sizes.steady_rate(summary["counts"]["done"])
    records = max(summary["counts"]["done"], 1)
    summary["client_cpu_ms"] = (client_cpu_s() - cpu) * 1000 / records
    if server:
        summary["server_cpu_ms"] = (process_cpu_s(server.process.pid) - server_cpu) * 1000 / records
    return summary


def throughput_and_warm(records: int, work: Path, which: list[str]) -> dict[str, Any]:
    dump = work / "dump.jsonl"
    write_dump(dump, records)
    server = Server(DELAY)
    figures: dict[str, Any] = {}
    try:
        register("wire", lambda config: Wire(server.url))
        # The wire client is registered at run time, so it cannot run in spawned workers.
        for backend, workers in (("wire", 1), ("openai", 1), ("openai", 2)):
            name = backend if workers == 1 else f"{backend}_workers{workers}"
            extractor = Extractor(backend, model="m", base_url=server.url,
                                  cache=work / f"cache-{name}")
            with extractor:
                cold = timed_run(dump, work / f"cold-{name}.jsonl", extractor, workers, server)
                rate = records / cold["measured_wall_s"]
                assert cold["counts"]["done"] == records, cold["counts"]
                figures[f"throughput_{name}"] = {
                    "abstracts_per_s": round(rate, 1), "ideal_per_s": CONCURRENCY / DELAY,
                    "ratio": round(rate / (CONCURRENCY / DELAY), 3),
                    "steady_ratio": cold["steady_per_s"] and round(
                        cold["steady_per_s"] / (CONCURRENCY / DELAY), 3),
                    "wall_s": round(cold["measured_wall_s"], 2), "workers": workers,
                    "client_cpu_ms_per_abstract": round(cold["client_cpu_ms"], 2),
                    "server_cpu_ms_per_abstract": round(cold["server_cpu_ms"], 2)}
                if "warm" in which and workers == 1:
                    warm = timed_run(dump, work / f"warm-{backend}.jsonl", extractor)
                    assert warm["counts"]["cached"] == records, warm["counts"]
                    figures[f"warm_{backend}"] = {
                        "abstracts_per_s": round(records / warm["measured_wall_s"], 1),
                        "wall_s": round(warm["measured_wall_s"], 3)}
    finally:
        server.close()
    return figures


def modes(records: int, work: Path) -> dict[str, Any]:
    """One process, each instructor mode, and JSON mode with the schema built
    for every request as pydantic does unless `PaperSummary` caches it (the
    code before that cache): what a mode costs the client."""
    dump = work / "modes.jsonl"
    write_dump(dump, records, seed=2)
    server = Server(DELAY)
    figures: dict[str, Any] = {}
    runs = [(m, m) for m in ("tools", "json", "md_json", "json_schema")] + [
        ("json_rebuilt", "json")]
    try:
        for name, mode in runs:
            extractor = Extractor("openai", cache=work / f"cache-mode-{name}",
                                  config=BackendConfig(model="m", base_url=server.url, mode=mode))
            cached = PaperSummary.__dict__["model_json_schema"]
            if name.endswith("_rebuilt"):  # pydantic's own: it builds the schema on each call
                PaperSummary.model_json_schema = classmethod(  # type: ignore[method-assign]
                    BaseModel.model_json_schema.__func__)  # type: ignore[attr-defined]
            try:
                with extractor:
                    cold = timed_run(dump, work / f"mode-{name}.jsonl", extractor, 1, server)
            finally:
                PaperSummary.model_json_schema = cached  # type: ignore[method-assign]
            assert cold["counts"]["done"] == records, cold["counts"]
            figures[f"mode_{name}"] = {
                "ratio": round(records / cold["measured_wall_s"] / (CONCURRENCY / DELAY), 3),
                "client_cpu_ms_per_abstract": round(cold["client_cpu_ms"], 2)}
    finally:
        server.close()
    return figures


# On Linux a process inherits its parent's peak RSS through fork and exec, so
# the measured process is started by a small launcher, not by this (large) one,
# and VmHWM (peak RSS of its own address space) is reported as a cross-check.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
_CHILD = """
import contextlib, io, json, resource, sys, time

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

from extractor.cli import main
before = status("VmRSS")
out = io.StringIO()
started = time.perf_counter()
with contextlib.redirect_stdout(out):
    code = main(["batch", sys.argv[1], "-o", sys.argv[2], "--backend", "rules", "--no-cache",
                 "--quiet"])
summary = json.loads(out.getvalue())
print(json.dumps({"exit": code, "rss_after_imports_kb": before, "vm_hwm_kb": status("VmHWM"),
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "counts": summary["counts"], "wall_s": round(time.perf_counter() - started, 1)}))
"""


def memory(records: int, work: Path) -> dict[str, Any]:
    dump = work / "big.jsonl"
    started = time.perf_counter()
    write_dump(dump, records, seed=1)
    made = time.perf_counter() - started
    command = [sys.executable, "-c", _LAUNCHER, sys.executable, "-c", _CHILD, str(dump),
               str(work / "big-out.jsonl")]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(f"the memory run failed:\n{child.stderr}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return {"records": records, "dump_mb": round(dump.stat().st_size / 2**20),
            "dump_written_s": round(made, 1), "peak_rss_mb": round(result["peak_rss_kb"] / 1024, 1),
            "vm_hwm_mb": round(result["vm_hwm_kb"] / 1024, 1),
            "rss_after_imports_mb": round(result["rss_after_imports_kb"] / 1024, 1),
            "run_wall_s": result["wall_s"], "done": result["counts"]["done"],
            "exit": result["exit"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", nargs="*",
                        help="throughput, warm, modes and/or memory (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer records: a one-minute run")
    parser.add_argument("--records", type=int, help="abstracts for throughput/warm (16,000)")
    parser.add_argument("--memory-records", type=int, help="abstracts for memory (1,000,000)")
    args = parser.parse_args()
    args.which = args.which or ["throughput", "warm", "modes", "memory"]
    if unknown := set(args.which) - {"throughput", "warm", "modes", "memory"}:
        parser.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    records = args.records or (640 if args.quick else 16_000)
    memory_records = args.memory_records or (50_000 if args.quick else 1_000_000)
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        if {"throughput", "warm"} & set(args.which):
            figures |= throughput_and_warm(records, work, args.which)
            for name, value in figures.items():
                print(f"{name}: {json.dumps(value)}", flush=True)
        if "modes" in args.which:
            for name, value in modes(records // 4, work).items():
                figures[name] = value
                print(f"{name}: {json.dumps(value)}", flush=True)
        if "memory" in args.which:
            figures["memory"] = memory(memory_records, work)
            print(f"memory: {json.dumps(figures['memory'])}", flush=True)
    checks = []
    for name in ("openai_workers2", "openai", "wire"):
        if f"throughput_{name}" in figures:
            ratio = figures[f"throughput_{name}"]["ratio"]
            checks.append((f"throughput/ideal ({name})", ratio, TARGETS["throughput"], ">="))
    for backend in ("openai", "wire"):
        if f"warm_{backend}" in figures:
            rate = figures[f"warm_{backend}"]["abstracts_per_s"]
            checks.append((f"warm cache abstracts/s ({backend})", rate, TARGETS["warm"], ">="))
    if "memory" in figures:
        mb = figures["memory"]["peak_rss_mb"]
        label = f"peak RSS MB, {figures['memory']['records']:,} abstracts (rules)"
        checks.append((label, mb, TARGETS["memory_mb"], "<="))
    for label, value, target, op in checks:
        ok = value >= target if op == ">=" else value <= target
        print(f"{'PASS' if ok else 'MISS'}  {label}: {value} (target {op} {target})")


if __name__ == "__main__":
    main()

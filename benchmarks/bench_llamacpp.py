"""Seconds per abstract and tokens per second for a local GGUF model on this
machine: the llamacpp backend in-process, and the openai backend against
llama-cpp-python's OpenAI-compatible server running the same model.

    python benchmarks/bench_llamacpp.py                  # bundled SmolLM2-135M, 3 abstracts
    python benchmarks/bench_llamacpp.py --model ~/models/qwen2.5-7b-instruct-q4_k_m.gguf \\
        --n 5 --threads 8 --max-tokens 512

The abstracts are the first --n papers of a real dump (default: the first dump
under /work/shared/dumps), parsed simply: header lines dropped, then non-empty
lines alternate title / abstract. The cache is off, so every call runs the model.

The first call of each run pays for evaluating the ~800-token system prompt;
later calls reuse it (llama.cpp keeps the longest common prefix in its KV
cache), so "warm" means abstracts 2..n. Wall-clock figures depend on whatever
else the machine is doing: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from extractor import BackendConfig, Extractor, Options, Sampling, ValidationFailed
from extractor.backends.llamacpp import LlamaCppBackend, resolve_model_path
from extractor.dumps import read

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "dumps"


def read_dump(path: Path, n: int) -> list[tuple[str, str]]:
    """The first `n` (title, abstract) pairs of a dump, through the library's reader."""
    return [(r.title, r.abstract) for r in read([path], fmt="text")][:n]


@dataclass
class Run:
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    valid: bool


def measure(ex: Extractor, papers: list[tuple[str, str]]) -> list[Run]:
    runs = []
    for title, abstract in papers:
        started = time.perf_counter()
        try:
            result = ex.extract(abstract, title, use_cache=False)
            usage, valid = result.meta.usage, True
            prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
        except ValidationFailed as exc:
            prompt, completion, valid = exc.usage.prompt_tokens, exc.usage.completion_tokens, False
        runs.append(Run(time.perf_counter() - started, prompt, completion, valid))
        print(f"    {len(runs)}. {runs[-1].seconds:6.2f} s  prompt {prompt:5d}  "
              f"completion {completion:4d}  {'valid' if valid else 'ValidationFailed'}",
              flush=True)
    return runs


def summarise(label: str, runs: list[Run]) -> str:
    total = sum(r.seconds for r in runs)
    completion = sum(r.completion_tokens for r in runs)
    tokens = sum(r.prompt_tokens + r.completion_tokens for r in runs)
    warm = runs[1:] or runs
    warm_mean = sum(r.seconds for r in warm) / len(warm)
    return (f"{label:<11} {total / len(runs):7.2f} s/abstract (warm {warm_mean:.2f})  "
            f"{completion / total:6.1f} completion tok/s  {tokens / total:7.1f} total tok/s  "
            f"{sum(r.valid for r in runs)}/{len(runs)} valid")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    model: Path, n_ctx: int, threads: int | None, log: Path
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx)]
    if threads:
        command += ["--n_threads", str(threads)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"llama_cpp.server exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    process.kill()
    raise SystemExit("llama_cpp.server did not start within 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="GGUF file (default: $EXTRACTOR_GGUF or the bundled one)")
    parser.add_argument("--dump", type=Path, default=min(DUMPS.glob("*.txt"), default=None))
    parser.add_argument("--n", type=int, default=3, help="abstracts to run (default 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads (default: its own, half the logical cores)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()

    import llama_cpp

    papers = read_dump(args.dump, args.n)
    model = resolve_model_path(BackendConfig(model=args.model))
    options = {"n_ctx": args.n_ctx} | ({"n_threads": args.threads} if args.threads else {})
    run_options = Options(sampling=Sampling(max_tokens=args.max_tokens))
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"model: {model.name} ({model.stat().st_size / 1e6:.0f} MB), "
          f"llama-cpp-python {llama_cpp.__version__}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical "
          f"cores, threads={args.threads or 'default'}, n_ctx={args.n_ctx}, "
          f"max_tokens={args.max_tokens}; load average {os.getloadavg()[0]:.2f}")
    print(f"abstracts: first {len(papers)} of {args.dump} "
          f"({sum(len(a) for _, a in papers) // len(papers)} characters on average)")

    started = time.perf_counter()
    backend = LlamaCppBackend(BackendConfig(model=str(model), options=options))
    print(f"\nin-process (llamacpp backend), model loaded in {time.perf_counter() - started:.2f} s")
    with Extractor(backend, options=run_options, cache=False) as ex:
        lines = [summarise("in-process", measure(ex, papers))]

    if not args.skip_server:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            process, url = start_server(model, args.n_ctx, args.threads, Path(tmp) / "server.log")
            print(f"\nserver (openai backend, mode tools, {url}), "
                  f"up in {time.perf_counter() - started:.2f} s")
            try:
                with Extractor("openai", base_url=url, model=model.stem, options=run_options,
                               config=BackendConfig(mode="tools", timeout=600),
                               cache=False) as ex:
                    lines.append(summarise("server", measure(ex, papers)))
            finally:
                process.terminate()
                process.wait(timeout=30)

    print(f"\nload average now {os.getloadavg()[0]:.2f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

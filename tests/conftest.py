"""Shared fixtures: a loopback OpenAI-compatible server, isolated caches, and a
guard that fails any test trying to reach a non-loopback address."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from extractor import Extractor, Options, RetryPolicy
from extractor.testing import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[1]
DUMPS = REPO.parent / "shared" / "dumps"

ABSTRACT = (
    "Learning neural operators for solving partial differential equations requires "
    "costly data generation. We propose Sorting Krylov Recycling (SKR), which sorts "
    "linear systems and recycles Krylov subspaces, achieving a remarkable speedup of "
    "up to 13.9 times over GMRES on an NVIDIA A100 GPU. Experiments use the PDEBench dataset."
)
TITLE = "Accelerating Data Generation for Neural Operators via Krylov Subspace Recycling"
GOOD = {
    "task": "data generation for training neural operators",
    "method": "Sorting Krylov Recycling (SKR), which sorts linear systems and recycles subspaces",
    "speedups": [
        {
            "factor": 13.9,
            "factor_max": None,
            "baseline": "GMRES",
            "text": "speedup of up to 13.9 times over GMRES",
        }
    ],
    "hardware": ["NVIDIA A100"],
    "datasets": ["PDEBench"],
}
FAST_RETRY = Options(retry=RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=0.05))


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Any connection to a non-loopback address fails the test at once."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise AssertionError(f"test tried to reach {address}: only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No test sees the developer's keys, backend choice or cache."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "EXTRACTOR_BACKEND",
        "EXTRACTOR_MODEL",
        "ANTHROPIC_API_KEY",
        "EXTRACTOR_RECORDINGS",
        "EXTRACTOR_GGUF",
        "ANTHROPIC_BASE_URL",
        "EXTRACTOR_PROMPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(tmp_path / "default-cache"))


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def make_extractor(server, tmp_path):
    """An openai-backend Extractor pointed at the loopback server."""
    made = []

    def make(cache=False, options=FAST_RETRY, **config):
        extractor = Extractor(
            "openai",
            model="test-model",
            base_url=server.url,
            cache=(tmp_path / "cache") if cache is True else cache,
            options=options,
            **config,
        )
        made.append(extractor)
        return extractor

    yield make
    for extractor in made:
        extractor.close()

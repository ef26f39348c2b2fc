"""Shared fixtures: a loopback OpenAI-compatible server, isolated caches, and a
guard that fails any test trying to reach a non-loopback address."""

from __future__ import annotations

import gzip
import ipaddress
import json
import socket
import threading
from collections.abc import Callable
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


class BodyServer:
    """A raw HTTP/1.1 server on loopback that answers every request with a body
    the fakes cannot send: `declared` claims 2 GiB in Content-Length, `chunked`
    sends chunks with no length given; either stops at `MOST` bytes (so that a
    client with no bound fails, and does not fill the machine's memory) or when
    the client hangs up. `gzip` sends `MOST` bytes compressed to 64 KiB. `answer`
    sends `answer(request)` chunked, with no Content-Length. `sent` counts the
    body bytes that went out."""

    DECLARED = 2 * 1024**3
    MOST = 64 * 1024**2

    def __init__(self, mode: str, answer: Callable[[dict], dict] | None = None) -> None:
        self.mode, self.answer, self.sent = mode, answer, 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                while self._one(conn):
                    pass
            except OSError:
                pass  # the client hung up: what this server waits for

    def _one(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            if not (more := conn.recv(65536)):
                return False
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        status = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        if self.mode == "answer":
            data = json.dumps(self.answer(json.loads(body))).encode()
            conn.sendall(status + b"transfer-encoding: chunked\r\n\r\n")
            for at in range(0, len(data), 1000):
                piece = data[at : at + 1000]
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.sendall(b"0\r\n\r\n")
            return True
        if self.mode == "gzip":
            bomb = gzip.compress(b" " * self.MOST)
            conn.sendall(status + b"content-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s"
                         % (len(bomb), bomb))
            self.sent += len(bomb)
            return True
        framing = (b"content-length: %d" % self.DECLARED if self.mode == "declared"
                   else b"transfer-encoding: chunked")
        conn.sendall(status + framing + b"\r\n\r\n")
        piece = b" " * 65536
        while self.sent < self.MOST:
            conn.sendall(piece if self.mode == "declared" else b"10000\r\n%s\r\n" % piece)
            self.sent += len(piece)
        if self.mode == "chunked":
            conn.sendall(b"0\r\n\r\n")
        return False

    def close(self) -> None:
        self._listener.close()

    def __enter__(self) -> BodyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

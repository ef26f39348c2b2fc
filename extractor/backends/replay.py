"""Record a real backend's HTTP answers, and replay them without a network.

The replay backend is the openai backend with an httpx transport underneath
that answers from recordings instead of a server. So a replayed answer goes
through the real SDK, instructor's parsing, its re-asks and our validation,
exactly as it did live; only the bytes come from disk. This is the mocked
backend CI runs the evals with.

A recording is keyed by the SHA-256 of the canonical JSON request body: the
model, the messages (system prompt, title, abstract, any re-ask), the tools
schema and every sampling option. Only the pydantic version inside the docs
link that re-asks quote is masked, so recordings survive a pydantic upgrade.
Anything else that changes the request changes the key, and a request with
no recording is a `ReplayMiss` that says how to re-record, never a silent
fallback. Headers are neither keyed nor stored, so
no API key reaches a recording.

Files are JSONL, one exchange a line: {"key", "model", "prompt_hash",
"request", "response"}. `recordings` names one such file, or a directory whose
*.jsonl files are all read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from ..errors import ConfigError, ExtractorError, PermanentError, ReplayMiss
from ..prompts import load_prompt
from ..schema import encodable
from ._body import bound
from .base import BackendConfig, check_options
from .openai import OpenAIBackend

DEFAULT_RECORDINGS = Path("fixtures/recordings")
_MISS_HEADER = "x-extractor-replay"
_ENCODING = {"content-encoding", "content-length", "transfer-encoding"}


# A re-ask quotes pydantic's error text, which links to docs under the installed
# pydantic's version; that link says nothing about the request, so it is masked.
_PYDANTIC_URL = re.compile(r"https://errors\.pydantic\.dev/[0-9.]+/")


def request_key(body: bytes | str) -> str:
    canonical = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    canonical = _PYDANTIC_URL.sub("https://errors.pydantic.dev/*/", canonical)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_recordings(where: Path) -> dict[str, dict[str, Any]]:
    """Every exchange in `where`: one recording file, or each *.jsonl in a directory."""
    if where.is_file():
        paths = [where]
    elif where.is_dir():
        paths = sorted(where.glob("*.jsonl"))
    else:
        raise ConfigError(
            f"no recordings at {where}; record some with "
            "`extractor record FIXTURES --backend openai ...` or pass recordings=PATH "
            "(a directory of .jsonl recordings, or one such file)"
        )
    found: dict[str, dict[str, Any]] = {}
    places: dict[str, str] = {}  # key -> FILE:LINE it was read from
    for path in paths:
        for number, line in enumerate(_lines(path), 1):
            if not line.strip():
                continue
            place = f"{path}:{number}"
            entry = _exchange(place, line)
            entry.pop("request", None)  # kept for people to read; serving needs only the key
            key = entry["key"]
            if key in found and _answer(found[key]) != _answer(entry):
                # Which one replay served depended on the order of files and lines.
                raise ConfigError(f"{places[key]} and {place} record different answers to "
                                  "one request; delete the one not wanted, or re-record")
            found[key], places[key] = entry, place
    return found


def _lines(path: Path) -> Iterator[str]:
    """The lines of a recordings file, read one at a time: a recording of a large
    run is mostly request bodies, which serving never needs (a 100 MB file held
    whole, with every body parsed, took 437 MB)."""
    try:
        with path.open(encoding="utf-8", newline="\n") as stream:
            yield from stream
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason}), so no recording: "
                          "re-record it, or move it out of the way") from exc


# What a server makes anew for every answer, so the same answer recorded twice
# differs in them; everything else of a response is what replay serves.
_FRESH = frozenset({"id", "created", "system_fingerprint", "timings"})


def _answer(entry: dict[str, Any]) -> Any:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _FRESH}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(entry["response"])


# A chat completion is about eight levels deep; Python's own limit is near 1,000.
_MAX_DEPTH = 200


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and dicts more than `limit` levels, found
    without recursion (recursion is what such a value breaks)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            inside = item.values() if isinstance(item, dict) else item
            stack.extend((v, depth + 1) for v in inside)
    return False


def _exchange(where: str, line: str) -> dict[str, Any]:
    """One recording line, checked for all that serving it needs. A line that
    failed only when its request came failed inside the transport, where the
    SDK takes any error for a connection failure: seconds of retries, then
    "could not reach" a server that does not exist."""
    fix = "re-record, or delete that line"
    try:
        entry = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ConfigError(f"{where}: not a recording line ({exc}); {fix}") from exc
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        raise ConfigError(f"{where}: not a recording line (no \"key\"); {fix}")
    if not isinstance(entry.get("response"), dict):
        raise ConfigError(f"{where}: a recording with no response; re-record")
    if _deeper_than(entry["response"], _MAX_DEPTH):
        # Near 1,000 levels, comparing it with a duplicate or serving it recursed past
        # Python's limit; no answer comes near 200, so the line is refused well before.
        raise ConfigError(f"{where}: a response nested over {_MAX_DEPTH} levels deep, "
                          f"which no API answer is; {fix}")
    if not isinstance(entry.get("model") or "", str):
        raise ConfigError(f"{where}: the model {entry['model']!r} is not a name; {fix}")
    return entry


class _ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(self, recordings: dict[str, dict[str, Any]]) -> None:
        self.recordings = recordings

    def _answer(self, request: httpx.Request) -> httpx.Response:
        entry = self.recordings.get(request_key(request.content))
        if entry is None:
            message = {"error": {"message": "no recording for this request", "type": "replay_miss"}}
            return httpx.Response(404, json=message, headers={_MISS_HEADER: "miss"})
        # Written as JSON with ASCII escapes, as a server may send it: httpx's own
        # `json=` refuses a lone surrogate or NaN, which the SDK reads from a live body.
        return httpx.Response(200, content=json.dumps(entry["response"]).encode("ascii"),
                              headers={"content-type": "application/json"})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self._answer(request)


class ReplayBackend(OpenAIBackend):
    """Answers from recordings; `options={"recordings": PATH}` or
    $EXTRACTOR_RECORDINGS picks a file or directory (default fixtures/recordings)."""

    name = "replay"
    reads = frozenset({"model", "mode"})  # it answers itself: no endpoint, no key
    cacheable = False  # reading a recording is already as cheap as the cache

    def __init__(self, config: BackendConfig) -> None:
        check_options(self.name, config.options, ("recordings",))
        where = Path(
            config.options.get("recordings")
            or os.environ.get("EXTRACTOR_RECORDINGS")
            or DEFAULT_RECORDINGS
        )
        recordings = load_recordings(where)
        if not recordings:
            raise ConfigError(f"{where} holds no recordings; record some with "
                              "`extractor record FIXTURES --backend openai ...`")
        model = _model(where, config.model, recordings)
        self.where = where
        self.prompt_hashes = sorted({e.get("prompt_hash", "?") for e in recordings.values()})
        transport = _ReplayTransport(recordings)
        super().__init__(
            BackendConfig(model=model, base_url="http://replay.invalid/v1", api_key="replay",
                          mode=config.mode, timeout=config.timeout),
            transport=transport,
            async_transport=transport,
        )

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "mode": self.mode}

    def _classify(self, exc: Exception):
        response = getattr(getattr(exc, "__cause__", None), "response", None)
        if response is None:
            response = getattr(exc, "response", None)
        if response is not None and response.headers.get(_MISS_HEADER) == "miss":
            current = load_prompt().hash
            try:
                reask = reask_error(response.request.content)
            except (RuntimeError, httpx.RequestNotRead):  # a response made with no request
                reask = None
            if current not in self.prompt_hashes:
                why = (f"the prompt changed (recorded {', '.join(self.prompt_hashes)}, "
                       f"now {current})")
            elif reask is not None:
                why = (f"a recorded answer fails validation now ({reask}), and the re-ask "
                       "sending that error back has no recording: the validators or their "
                       "messages changed since it was recorded")
            else:
                why = "the abstract, title, schema, model, mode or sampling options differ"
            return ReplayMiss(
                f"no recording in {self.where} for this request to {self.model}: {why}. "
                "Re-record with `extractor record FIXTURES --backend openai --model M "
                "--base-url URL`"
            )
        return super()._classify(exc)


# instructor's own words around the validation error that a re-ask sends back.
_REASK_WORDS = re.compile(r"validation errors? found:|correct your json|recall the function|"
                          r"\d+ validation errors? for ", re.I)


def reask_error(body: bytes | str) -> str | None:
    """The first line of the validation error a re-ask request sends back (its
    field path joined on), or None when the request holds only the system and
    user messages: a miss on a re-ask is the first answer failing validation
    that passed when it was recorded, not another abstract or model."""
    try:
        messages = json.loads(body or b"{}").get("messages")
    except (ValueError, AttributeError):
        return None
    if not isinstance(messages, list) or len(messages) <= 2:
        return None
    last = messages[-1].get("content") if isinstance(messages[-1], dict) else None
    lines = [line.strip() for line in str(last or "").splitlines()]
    lines = [line for line in lines if line and not _REASK_WORDS.match(line)]
    if not lines:
        return "the error it was sent with is not said"
    first = lines[0]
    if " " not in first and len(lines) > 1:  # pydantic's field path, then the error
        first = f"{first}: {lines[1]}"
    first = first.split(" [type=")[0]
    return repr(first if len(first) <= 200 else first[:199] + "…")


def _model(where: Path, asked: str | None, recordings: dict[str, dict[str, Any]]) -> str:
    """The model to replay: the one asked for, else the only one recorded. One that
    no recording names, when every recording names one, would miss every request."""
    named = {e.get("model") for e in recordings.values()}
    models = sorted(m for m in named if m)
    if asked and models and asked not in models and len(models) == len(named):
        raise ConfigError(f"{where} holds recordings of {', '.join(models)} only, not "
                          f"{asked}: pick one of those with --model, or record {asked}")
    if asked or len(models) == 1:
        return asked or models[0]
    if not models:
        raise ConfigError(f"the recordings in {where} name no model; pick the one they were "
                          "made with, with --model")
    raise ConfigError(f"{where} holds recordings of {len(models)} models "
                      f"({', '.join(models)}); pick one with --model")


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError too
        return None


def _line(entry: dict[str, Any], where: str) -> str:
    """One exchange as a line of JSON that reads back as it was.

    A lone surrogate (a server's escape such as "\\ud800") cannot be written
    as UTF-8: the write failed, the SDK retried it as a dropped connection, and
    the answer was lost from a recording said to be complete. Such a line is
    written with ASCII escapes, which read back the same. NaN and Infinity,
    which Python's parser takes but JSON has no number for, made a line no
    other tool reads, and replay failed serving it: that answer is refused."""
    if _deeper_than(entry["response"], _MAX_DEPTH):  # load_recordings would refuse it
        raise PermanentError(f"{where} answered with JSON nested too deeply to record")
    try:
        line = json.dumps(entry, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise PermanentError(f"{where} answered with NaN or Infinity, which JSON has no "
                             "number for: a recording cannot hold that answer") from None
    except RecursionError:
        raise PermanentError(f"{where} answered with JSON nested too deeply to record") from None
    return line if encodable(line) else json.dumps(entry, allow_nan=False)


class RecordingTransport(httpx.BaseTransport):
    """Passes requests to a real transport and appends each successful exchange
    to a JSONL file, flushed as it goes (a crash loses nothing recorded)."""

    def __init__(self, path: Path, model: str, inner: httpx.BaseTransport | None = None) -> None:
        self.path = path
        self.model = model
        self.inner = inner or httpx.HTTPTransport()
        self.prompt_hash = load_prompt().hash
        self.recorded = 0
        self._keys: set[str] = set()  # a request asked twice keeps its first answer
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        response = self.inner.handle_request(request)
        try:  # read here, before the SDK client's size hook sees it: so bounded here too
            bound(response, str(request.url))
            content = response.read()
        except BaseException:
            response.close()
            raise
        answer = _json_or_none(content) if response.status_code == 200 else None
        # A 200 that is not JSON is not stored (replay could not serve it) but is
        # passed on as it came, so the SDK reports it exactly as on a live run.
        key = request_key(body)
        if answer is not None and key not in self._keys:
            entry = {
                "key": key,
                "model": self.model,
                "prompt_hash": self.prompt_hash,
                "request": json.loads(body),
                "response": answer,
            }
            line = _line(entry, str(request.url))
            # Two answers to one request (the same abstract twice, a server that is not
            # deterministic) would make the recording one that replay refuses to load.
            self._keys.add(key)
            with self._lock:
                self._append(line + "\n")
        # The body is decoded now: drop the headers that described its encoding.
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _ENCODING]
        return httpx.Response(response.status_code, headers=headers, content=content)

    def _append(self, line: str) -> None:
        """Add one exchange, or stop the run: an answer that cannot be stored was
        paid for nothing, and so would every retry and every later fixture be."""
        try:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)
        except OSError as exc:
            raise ExtractorError(f"cannot write the recording {self.path}: "
                                 f"{exc.strerror or exc}; the run stopped (free space, "
                                 "or record elsewhere with --out)") from exc
        self.recorded += 1

    def close(self) -> None:
        self.inner.close()

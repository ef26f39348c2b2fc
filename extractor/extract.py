"""Extractor: the layers of one extraction, in order.

    check input -> render Request -> cache -> retry -> backend -> ground -> Extraction

Each layer owns one concern. Input is checked before anything is sent, so a
bad abstract costs nothing. The cache key covers every part of the request
that can change the answer (backend identity, prompt hash, schema hash, every
sampling option, the normalised text). The retry layer retries transient
failures only; instructor's re-asks happen inside the backend and are counted
apart. Whatever the backend returns is validated once more against the
abstract here, so a third-party backend cannot hand back ungrounded quotes,
and only an answer that passed is ever written to the cache. A dataset name
that is not written in the title or abstract is removed and listed in
`meta.dropped_datasets`: datasets are named "as written" (LABELLING.md), so such
a name was made up (a 135M-parameter model invented 259 of its 294), and a
re-ask for it would cost a round trip to fix nothing.

The input checks themselves are in inputs.py, and the module-level extract()
and aextract(), over Extractors shared per set of settings, in shared.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import retry
from .backends import base
from .backends.base import Backend, BackendConfig, Completion, Request, Sampling, create_backend
from .cache import Cache, cache_key
from .errors import BackendError, ConfigError, ExtractorError, ValidationFailed
from .grounding import find_quote, unwritten
from .inputs import check_input, normalize_text
from .prompts import load_prompt
from .result import Extraction, Meta, Usage
from .schema import PaperSummary, encodable, first_error
from .settings import canonical, of_type, whole

CACHE_FORMAT = 1


@dataclass(frozen=True)
class Options:
    """How each abstract is extracted, independent of which backend does it."""

    sampling: Sampling = field(default_factory=Sampling)
    max_reasks: int = 2
    max_chars: int = 20_000
    retry: retry.RetryPolicy = field(default_factory=retry.RetryPolicy)

    def __post_init__(self) -> None:
        of_type(self.sampling, Sampling, "sampling",
                "a Sampling, e.g. Sampling(temperature=0) (from extractor import Sampling)")
        of_type(self.retry, retry.RetryPolicy, "retry",
                "a RetryPolicy, e.g. RetryPolicy(max_attempts=3) (from extractor import "
                "RetryPolicy)")
        canonical(
            self,
            max_reasks=whole(self.max_reasks, "max_reasks (--max-reasks)",
                             "a whole number, 0 or more", minimum=0),
            max_chars=whole(self.max_chars, "max_chars (--max-chars)",
                            "a whole number of at least 1", minimum=1),
        )


@lru_cache(maxsize=1)
def schema_hash() -> str:
    schema = json.dumps(PaperSummary.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:16]


def resolve_backend_name(name: str | None, config: BackendConfig | None = None, *,
                         notice: bool = True) -> str:
    """The backend to use: the argument, else $EXTRACTOR_BACKEND, else openai when
    a base URL is given (`--base-url`, `base_url=`) or OPENAI_API_KEY is set, and
    rules otherwise, with a one-line notice saying so (on stderr: the choice
    decides what a run costs; `--quiet` turns it off).

    A base URL given for this run is an OpenAI-compatible server to ask (a local
    one needs no key), not something for the rules to ignore. $OPENAI_BASE_URL
    alone does not choose: it is often exported for other tools, and would turn
    every default run into calls to that server; the notice says how to use it.
    A model, mode or key given for this run, when the default comes out as the
    rules backend, which reads none of them, is a ConfigError: they were meant
    for a backend that was not named."""
    if name:
        return name
    if env := os.environ.get("EXTRACTOR_BACKEND"):
        return env
    config = config or BackendConfig()
    if config.base_url:
        chosen, why = "openai", "a base URL is given"
    elif os.environ.get("OPENAI_API_KEY"):
        chosen, why = "openai", "OPENAI_API_KEY is set"
    else:
        chosen, why = "rules", "no OPENAI_API_KEY and no EXTRACTOR_BACKEND"
        given = [said for field, said in (("model", "a model"), ("mode", "a mode"),
                                          ("api_key", "an API key")) if getattr(config, field)]
        if given:
            raise ConfigError(
                f"{' and '.join(given)} given, but no backend named: with {why}, the "
                "default is the rules backend, which reads no model, mode or key; name "
                "the backend meant (--backend openai, anthropic, llamacpp, ...)")
        if os.environ.get("OPENAI_BASE_URL"):
            why += "; OPENAI_BASE_URL alone chooses no backend: --backend openai uses it"
    if notice:
        print(f"extractor: using the {chosen} backend ({why})", file=sys.stderr)
    return chosen


@dataclass(frozen=True)
class Recipe:
    """What an Extractor was built from, so another process can build the same
    one (`extractor batch --workers`): picklable, and the cache as a directory."""

    backend: str
    config: BackendConfig
    options: Options
    cache: str | bool

    def build(self) -> Extractor:
        return Extractor(self.backend, config=self.config, options=self.options,
                         cache=self.cache)


def _cache_spec(cache: Cache | str | Path | bool | None) -> str | bool:
    if isinstance(cache, Cache):
        return str(cache.directory)
    if isinstance(cache, str | Path):
        return str(cache)
    return bool(cache)


def _open_cache(cache: Cache | str | Path | bool | None) -> Cache | None:
    if cache is None or cache is False:
        return None
    if cache is True:
        return Cache()
    if isinstance(cache, Cache):
        return cache
    return Cache(cache)


class Extractor:
    """A backend plus the layers around it. Build one and reuse it: it holds the
    backend's connections (or model) and the open cache."""

    def __init__(
        self,
        backend: str | Backend | None = None,
        *,
        model: str | None = None,
        base_url: str | None = None,
        config: BackendConfig | None = None,
        options: Options | None = None,
        cache: Cache | str | Path | bool | None = True,
    ) -> None:
        self.closed = False
        self.options = of_type(Options() if options is None else options, Options, "options",
                               "an Options (from extractor import Options)")
        # None for a Backend instance: it cannot be rebuilt in another process.
        self.recipe: Recipe | None = None
        if isinstance(backend, Backend):
            self.backend = backend
        else:
            config = of_type(BackendConfig() if config is None else config, BackendConfig,
                             "config", "a BackendConfig (from extractor import BackendConfig)")
            overrides = {k: v for k, v in (("model", model), ("base_url", base_url)) if v}
            config = replace(config, **overrides)
            name = resolve_backend_name(backend, config)
            self.backend = create_backend(name, config)
            self.recipe = Recipe(name, config, self.options, _cache_spec(cache))
        base.check_identity(self.backend)
        self.prompt = load_prompt()
        self.cache = _open_cache(cache) if self.backend.cacheable else None

    # -- the layers ------------------------------------------------------------

    def _request(self, abstract: object, title: object) -> Request:
        abstract, title = check_input(abstract, title, self.options.max_chars)
        return Request(
            title=title,
            abstract=abstract,
            system=self.prompt.system,
            user=self.prompt.render(title, abstract),
            prompt_hash=self.prompt.hash,
            schema_hash=schema_hash(),
            sampling=self.options.sampling,
            max_reasks=self.options.max_reasks,
        )

    def key(self, request: Request) -> str:
        """The cache key: everything about the request that can change the answer."""
        return cache_key({
            **self._settings(request.prompt_hash, request.schema_hash, request.sampling),
            "title": normalize_text(request.title),
            "abstract": normalize_text(request.abstract),
        })

    def settings(self) -> dict[str, Any]:
        """What the cache key holds besides the text (backend identity, prompt,
        schema, sampling): answers made with other settings are other answers,
        so a batch output is resumed only with the same (`plan.check_same_run`)."""
        return self._settings(self.prompt.hash, schema_hash(), self.options.sampling)

    def _settings(self, prompt: str, schema: str, sampling: Sampling) -> dict[str, Any]:
        return {"format": CACHE_FORMAT, **self.backend.identity(), "prompt": prompt,
                "schema": schema, "sampling": asdict(sampling)}

    def _cached(self, key: str | None, request: Request, started: float, source: str
                ) -> Extraction | None:
        if key is None:
            return None
        value = self.cache.get(key)
        if value is None:
            return None
        try:  # everything up to the Extraction: an entry that does not make one is a miss
            summary = PaperSummary.model_validate(
                value["summary"], context={"abstract": request.abstract}
            )
            summary, dropped = _named_on_read(summary, value.get("dropped_datasets"), request)
            done = Completion(summary, Usage(), 0, value.get("model"))
            return self._result(request, done, started, cache_hit=True, attempts=0,
                                dropped=dropped, source=source)
        except (KeyError, TypeError, AttributeError, ValidationError):
            self.cache.delete(key)  # an entry we cannot trust is a miss
            return None

    def _grounded(self, completion: Completion, request: Request) -> Completion:
        try:
            summary = PaperSummary.model_validate(
                completion.summary.model_dump(), context={"abstract": request.abstract}
            )
        except ValidationError as exc:
            raise ValidationFailed(
                f"the {self.backend.name} backend returned an answer that fails the schema: "
                f"{first_error(exc)}",
                usage=completion.usage,
                reasks=completion.reasks,
            ) from exc
        return replace(completion, summary=summary)

    def _store(self, key: str | None, result: Extraction) -> None:
        """Store what `result` was made of: only an answer that made an Extraction is
        stored, so what is read back makes one too."""
        if key is not None:
            self.cache.set(key, {
                "summary": result.summary.model_dump(mode="json"),
                "model": result.meta.model,
                "dropped_datasets": result.meta.dropped_datasets,
            })

    def _result(
        self, request: Request, done: Completion, started: float, *, cache_hit: bool,
        attempts: int, dropped: list[str], source: str,
    ) -> Extraction:
        """The Extraction of `done`. `source` is the abstract as the caller passed it:
        the request holds it stripped, and evidence offsets index the caller's string."""
        # The model the server says answered, when it says so as text: a 200 with
        # `"model": 4` is otherwise a good answer, and failed Meta on every cache hit;
        # one with a lone surrogate (`"gpt\\ud800"`) failed the cache write.
        answered = (done.model if isinstance(done.model, str) and encodable(done.model)
                    else None)
        meta = Meta(
            backend=self.backend.name,
            model=answered or self.backend.model,
            prompt_hash=request.prompt_hash,
            cache_hit=cache_hit,
            attempts=attempts,
            reasks=done.reasks,
            usage=done.usage.as_dict(),
            latency_s=round(time.perf_counter() - started, 6),
            evidence=[find_quote(source, s.text) for s in done.summary.speedups],
            dropped_datasets=dropped,
        )
        return Extraction(summary=done.summary, meta=meta)

    def _begin(
        self, abstract: object, title: object, use_cache: bool, refresh: bool, started: float
    ) -> tuple[Request, str | None, Extraction | None]:
        """Check input and build the request; return a cached answer when allowed."""
        self.check_open()
        request = self._request(abstract, title)
        key = self.key(request) if self.cache is not None and use_cache else None
        hit = None if refresh else self._cached(key, request, started, str(abstract))
        return request, key, hit

    def _finish(
        self, request: Request, key: str | None, done: Completion, spent: retry.Spent,
        started: float, source: str,
    ) -> Extraction:
        done = self._grounded(done, request)
        summary, dropped = _named_datasets(done.summary, request)
        # A backend of any origin may hand back something that is no Usage: it
        # counts nothing rather than failing a paid answer.
        usage = done.usage if isinstance(done.usage, Usage) else Usage()
        done = replace(done, summary=summary, usage=usage + spent.usage,
                       reasks=done.reasks + spent.reasks)
        result = self._result(request, done, started, cache_hit=False, attempts=spent.attempts,
                              dropped=dropped, source=source)
        self._store(key, result)
        return result

    # -- the public calls ------------------------------------------------------

    def extract(
        self, abstract: str, title: str | None = None, *, use_cache: bool = True,
        refresh: bool = False,
    ) -> Extraction:
        """Summarise one abstract. `use_cache=False` neither reads nor writes the
        cache; `refresh=True` skips the read but stores the fresh answer."""
        started = time.perf_counter()
        request, key, hit = self._begin(abstract, title, use_cache, refresh, started)
        if hit:
            return hit
        spent = retry.Spent()
        try:
            done = retry.call(lambda: base.call_backend(self.backend, request), self.options.retry,
                              spent)
            return self._finish(request, key, done, spent, started, abstract)
        except BackendError as exc:
            raise spent.charged(exc) from None

    async def aextract(
        self, abstract: str, title: str | None = None, *, use_cache: bool = True,
        refresh: bool = False,
    ) -> Extraction:
        """The async twin of `extract`, for many abstracts in flight at once."""
        started = time.perf_counter()
        request, key, hit = self._begin(abstract, title, use_cache, refresh, started)
        if hit:
            return hit
        spent = retry.Spent()
        try:
            done = await retry.acall(
                lambda: base.acall_backend(self.backend, request), self.options.retry, spent
            )
            return self._finish(request, key, done, spent, started, abstract)
        except BackendError as exc:
            raise spent.charged(exc) from None

    async def aclose(self) -> None:
        """Close the backend's connections bound to the running event loop.
        Await it before your own loop ends if you called `aextract`; `run`
        and `extract_many` own their loops and do it themselves."""
        await self.backend.aclose()

    def check_open(self) -> None:
        """Refuse to work once closed: the connections and cache are gone, and a call
        went on into retries of "could not reach" a server it never asked."""
        if self.closed:
            raise ExtractorError("this Extractor was closed (close() or the end of its "
                                 "`with` block); build a new one")

    def close(self) -> None:
        self.closed = True
        self.backend.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _named_datasets(summary: PaperSummary, request: Request) -> tuple[PaperSummary, list[str]]:
    """The summary without dataset names its title and abstract never write, and those names."""
    if not summary.datasets:
        return summary, []
    dropped = unwritten(f"{request.title}\n{request.abstract}", summary.datasets)
    if not dropped:
        return summary, []
    kept = [name for name in summary.datasets if name not in dropped]
    return summary.model_copy(update={"datasets": kept}), dropped


def _named_on_read(summary: PaperSummary, stored: object, request: Request
                   ) -> tuple[PaperSummary, list[str]]:
    """`_named_datasets` for a cache hit. The check runs on every hit (it costs no
    call), so an entry stored before the check, stale, or edited by hand never
    serves a name the text does not write. The names dropped when the answer was
    made are no longer in its summary, so the stored list is kept too, but only
    where it is a list of names and only the names the text indeed does not write:
    a hit reports as dropped nothing the text names."""
    summary, dropped = _named_datasets(summary, request)
    if not (stored and isinstance(stored, list) and all(isinstance(n, str) for n in stored)):
        return summary, dropped  # most hits store []: the text is not folded again for it
    earlier = unwritten(f"{request.title}\n{request.abstract}", stored)
    return summary, list(dict.fromkeys([*earlier, *dropped]))

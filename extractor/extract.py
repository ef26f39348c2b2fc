"""extract() and aextract(): the layers of one extraction, in order.

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
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import retry
from .backends.base import Backend, BackendConfig, Completion, Request, Sampling, create_backend
from .cache import Cache, cache_key
from .errors import BackendError, InputError, ValidationFailed
from .grounding import find_quote, unwritten
from .prompts import load_prompt
from .result import Extraction, Meta, Usage
from .schema import PaperSummary, first_error
from .settings import canonical, whole

CACHE_FORMAT = 1
MAX_TITLE_CHARS = 1_000


@dataclass(frozen=True)
class Options:
    """How each abstract is extracted, independent of which backend does it."""

    sampling: Sampling = field(default_factory=Sampling)
    max_reasks: int = 2
    max_chars: int = 20_000
    retry: retry.RetryPolicy = field(default_factory=retry.RetryPolicy)

    def __post_init__(self) -> None:
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


def normalize_text(text: str) -> str:
    """The form of the text that goes into the cache key: NFC, single spaces."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _control_chars(text: str) -> int:
    """How many characters are neither printable nor whitespace. The str
    methods run in C, so the usual all-printable text costs two passes, not a
    Python loop over every character (0.3 ms an abstract in a batch run)."""
    visible = "".join(text.split())  # split() drops exactly the isspace() characters
    if visible.isprintable():
        return 0
    return sum(not c.isprintable() for c in visible)


def _check_encodable(text: str, what: str) -> None:
    """Refuse a lone surrogate (U+D800-U+DFFF), which stands for no character.

    It comes from an escape such as "\\ud83d" in JSON, or from bytes that are not
    UTF-8 read with errors="surrogateescape" (what Python does with argv, and
    with stdin under a C or UTF-8 locale, for Latin-1 text). No backend can send
    it and the cache key cannot hash it, so it failed deep inside a call, as a
    UnicodeEncodeError or an "unexpected error"; the rules backend even answered.
    One encode runs in C: far cheaper than the call it saves."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise InputError(
            f"{what} holds a lone surrogate {char!r} at character {exc.start:,}, which is not "
            "text: decode the input with its real encoding (bytes that are not UTF-8, such "
            "as Latin-1, read as UTF-8 give these), or remove it"
        ) from None


_RAISE_MAX_CHARS = "raise the limit (Options.max_chars, --max-chars) or shorten it"
_FIXED_TITLE_LIMIT = "the title limit is fixed: shorten the title, or leave it out"


def check_text(value: object, what: str, limit: int, remedy: str = _RAISE_MAX_CHARS) -> str:
    """Return `value` stripped, or raise InputError saying what is wrong with it;
    `remedy` says what to do about text over `limit`."""
    if isinstance(value, bytes | bytearray):
        raise InputError(f"{what} is bytes; decode it to str first (e.g. data.decode('utf-8'))")
    if not isinstance(value, str):
        raise InputError(f"{what} must be a str, not {type(value).__name__}")
    _check_encodable(value, what)
    text = value.strip()
    if "\x00" in text or _control_chars(text) > len(text) // 20:
        raise InputError(f"{what} looks like binary data (control characters), not text")
    if len(text) > limit:
        raise InputError(
            f"{what} is {len(text):,} characters, over the limit of {limit:,}; it is not "
            f"truncated silently: {remedy}"
        )
    return text


def resolve_backend_name(name: str | None, *, notice: bool = True) -> str:
    """The backend to use: the argument, else $EXTRACTOR_BACKEND, else openai when
    OPENAI_API_KEY is set and rules otherwise, with a one-line notice saying so
    (on stderr: the choice decides what a run costs; `--quiet` turns it off)."""
    if name:
        return name
    if env := os.environ.get("EXTRACTOR_BACKEND"):
        return env
    if os.environ.get("OPENAI_API_KEY"):
        chosen, why = "openai", "OPENAI_API_KEY is set"
    else:
        chosen, why = "rules", "no OPENAI_API_KEY and no EXTRACTOR_BACKEND"
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
        self.options = options or Options()
        # None for a Backend instance: it cannot be rebuilt in another process.
        self.recipe: Recipe | None = None
        if isinstance(backend, Backend):
            self.backend = backend
        else:
            config = config or BackendConfig()
            overrides = {k: v for k, v in (("model", model), ("base_url", base_url)) if v}
            name = resolve_backend_name(backend)
            config = replace(config, **overrides)
            self.backend = create_backend(name, config)
            self.recipe = Recipe(name, config, self.options, _cache_spec(cache))
        self.prompt = load_prompt()
        self.cache = _open_cache(cache) if self.backend.cacheable else None

    # -- the layers ------------------------------------------------------------

    def _request(self, abstract: object, title: object) -> Request:
        abstract = check_text(abstract, "abstract", self.options.max_chars)
        if not abstract:
            raise InputError("abstract is empty (or only whitespace); there is nothing to extract")
        # max_chars is the abstract's: a title over its own fixed limit is no title
        title = check_text("" if title is None else title, "title", MAX_TITLE_CHARS,
                           _FIXED_TITLE_LIMIT)
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
            dropped = value.get("dropped_datasets")
            if not (isinstance(dropped, list) and all(isinstance(n, str) for n in dropped)):
                # stored before datasets were checked (or edited by hand): check now
                summary, dropped = _named_datasets(summary, request)
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
        # `"model": 4` is otherwise a good answer, and failed Meta on every cache hit.
        answered = done.model if isinstance(done.model, str) else None
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
            done = retry.call(lambda: self.backend.complete(request), self.options.retry, spent)
            return self._finish(request, key, done, spent, started, abstract)
        except BackendError as exc:
            raise _with_spent(exc, spent) from None

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
                lambda: self.backend.acomplete(request), self.options.retry, spent
            )
            return self._finish(request, key, done, spent, started, abstract)
        except BackendError as exc:
            raise _with_spent(exc, spent) from None

    async def aclose(self) -> None:
        """Close the backend's connections bound to the running event loop.
        Await it before your own loop ends if you called `aextract`; `run`
        and `extract_many` own their loops and do it themselves."""
        await self.backend.aclose()

    def close(self) -> None:
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


def _with_spent(exc: BackendError, spent: retry.Spent) -> BackendError:
    """Fold the cost of earlier failed attempts into the error the caller sees."""
    exc.usage = spent.usage + exc.usage
    exc.reasks = spent.reasks + exc.reasks
    exc.attempts = spent.attempts
    return exc


_default: dict[tuple[Any, ...], Extractor] = {}

# Every environment variable that changes what `Extractor(backend, model=..., base_url=...)`
# builds: the backend's choice, endpoint, key and model, the cache directory, the prompt.
_SETTINGS_ENV = (
    "EXTRACTOR_BACKEND", "EXTRACTOR_MODEL", "EXTRACTOR_CACHE_DIR", "XDG_CACHE_HOME", "HOME",
    "EXTRACTOR_PROMPTS", "EXTRACTOR_RECORDINGS", "EXTRACTOR_GGUF",
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
)


def _environment() -> str:
    """A digest of the settings the environment holds, API keys included: hashed, so
    the dict of shared Extractors never holds a key in a readable form."""
    digest = hashlib.sha256()
    for name in _SETTINGS_ENV:
        digest.update(f"{name}={os.environ.get(name)!r}\0".encode())
    return digest.hexdigest()


def _shared(backend: str | None, model: str | None, base_url: str | None) -> Extractor:
    """One Extractor per set of resolved settings. Keyed on the arguments alone, the
    first one built was kept after OPENAI_BASE_URL, OPENAI_API_KEY,
    EXTRACTOR_CACHE_DIR or EXTRACTOR_BACKEND changed, and went on asking the old
    endpoint and writing the old cache. One built for older settings is kept, not
    closed: another thread may be using it."""
    key = (backend, model, base_url, _environment())
    if key not in _default:
        _default[key] = Extractor(backend, model=model, base_url=base_url)
    return _default[key]


def extract(
    abstract: str, title: str | None = None, *, backend: str | None = None,
    model: str | None = None, base_url: str | None = None,
) -> Extraction:
    """Summarise one abstract with a shared, cached Extractor for these settings."""
    return _shared(backend, model, base_url).extract(abstract, title)


async def aextract(
    abstract: str, title: str | None = None, *, backend: str | None = None,
    model: str | None = None, base_url: str | None = None,
) -> Extraction:
    """The async twin of `extract`."""
    return await _shared(backend, model, base_url).aextract(abstract, title)

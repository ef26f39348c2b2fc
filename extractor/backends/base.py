"""The one seam every backend implements, and the registry that finds them.

A backend turns a `Request` into a `Completion`: `complete(request)`, plus
`acomplete(request)` for concurrent callers (the default runs `complete` in a
worker thread). It does not cache, retry or check input: the layers in
`extract.py` do that once for every backend. It must translate its own
library's exceptions into `extractor.errors` types, because the retry layer
decides what to retry by those types alone.

Backends are registered by name. Built-ins are declared in pyproject.toml under
the entry-point group `extractor.backends`, exactly as a third-party package
would declare its own, so adding one is adding a file and a line; nothing in
the core branches on a backend's name. `register()` does the same at run time
(tests use it for fakes).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from ..errors import BackendError, ConfigError, ExtractorError, PermanentError
from ..result import Usage
from ..schema import PaperSummary
from ..settings import MAX_SECONDS, canonical, of_type, real, whole

ENTRY_POINT_GROUP = "extractor.backends"


@dataclass(frozen=True)
class BackendConfig:
    """What any backend may be configured with. Unused fields are ignored by
    backends that have no use for them (the rules backend has no model); the
    command line refuses them instead (`Backend.reads`)."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    mode: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("model", "base_url", "mode"):
            of_type(getattr(self, name), str | None, name, "a string or None")
        of_type(self.api_key, str | None, "api_key", "a string or None", secret=True)
        options = of_type(self.options, Mapping, "options",
                          "a dict of option names to values (--option KEY=VALUE)")
        if not all(isinstance(key, str) for key in options):
            raise ConfigError(f"options must be named by strings (--option KEY=VALUE), got "
                              f"{sorted(map(repr, options))}")
        canonical(self, options=dict(options),
                  timeout=real(self.timeout, "timeout (--timeout)",
                               f"a number of seconds above 0 and up to {MAX_SECONDS:,}",
                               above=0, maximum=MAX_SECONDS))


# The settings of a BackendConfig that some backends have no use for, each with
# what it is called on the command line and in words.
SETTINGS = {"model": ("--model", "model"), "base_url": ("--base-url", "base URL"),
            "api_key": ("--api-key", "API key"), "mode": ("--mode", "mode")}


@dataclass(frozen=True)
class Sampling:
    """Every sampling parameter sent to a model; all of it is in the cache key.
    Each is kept in one type (temperature a float, max_tokens and seed ints), so
    `Sampling(temperature=0)` is the same request, key and recording as 0.0."""

    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int | None = 0

    def __post_init__(self) -> None:
        canonical(
            self,
            # the range OpenAI and Anthropic accept
            temperature=real(self.temperature, "temperature", "a number between 0 and 2",
                             minimum=0, maximum=2),
            max_tokens=whole(self.max_tokens, "max_tokens (--max-tokens)",
                             "a whole number of at least 1", minimum=1),
            seed=None if self.seed is None else whole(self.seed, "seed",
                                                      "a whole number or None"),
        )


@dataclass(frozen=True)
class Request:
    """One abstract, rendered and ready for a backend."""

    title: str
    abstract: str
    system: str
    user: str
    prompt_hash: str
    schema_hash: str
    sampling: Sampling
    max_reasks: int


@dataclass(frozen=True)
class Completion:
    """A backend's validated answer and what it cost."""

    summary: PaperSummary
    usage: Usage = field(default_factory=Usage)
    reasks: int = 0
    model: str | None = None


class Backend:
    """Base class for backends. Subclasses set `name` and implement `complete`.

    `identity()` names everything about the backend that changes its answers
    (model, endpoint, mode, its own version); it goes into the cache key.
    `cacheable = False` opts out of the disk cache for backends that are
    cheaper to rerun than to look up.
    """

    name: str = ""
    cacheable: bool = True
    # Which of SETTINGS the backend reads. The command line refuses one given for
    # a backend that ignores it (`--backend rules --mode json`): it was meant for
    # another. A backend that does not say reads them all, and nothing is refused.
    reads: frozenset[str] = frozenset(SETTINGS)
    # Whether a request mostly waits on a server rather than on this machine's
    # cores: then a batch run's parent answers records while its workers start.
    waits_on_server: bool = False

    @property
    def model(self) -> str | None:
        return None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model}

    def complete(self, request: Request) -> Completion:
        # Not abstract: a backend may implement only `acomplete` (batch-only use).
        raise NotImplementedError(f"{type(self).__name__} must implement complete()")

    async def acomplete(self, request: Request) -> Completion:
        return await asyncio.to_thread(self.complete, request)

    def close(self) -> None:
        """Release connections or models; called by Extractor.close()."""

    async def aclose(self) -> None:
        """Release what is bound to the running event loop (an async HTTP
        session). Called by whoever owns the loop, before it ends: `run`,
        `extract_many` and batch workers do; with your own loop, await
        `Extractor.aclose()`. The backend stays usable from another loop."""


Factory = Callable[[BackendConfig], Backend]

_registered: dict[str, Factory] = {}


def check_options(backend: str, options: dict[str, Any], known: tuple[str, ...]) -> None:
    """A key the backend does not read is a ConfigError: a typo (`recording=` for
    `recordings=`) would otherwise fall back to the default and score, or bill,
    something else than was asked for, with nothing said."""
    if unknown := sorted(set(options) - set(known)):
        raise ConfigError(f"unknown {backend} option(s) {', '.join(unknown)}; known: "
                          f"{', '.join(known) or 'none'}")


def register(name: str, factory: Factory) -> None:
    """Make `factory` available as backend `name` (overrides an entry point)."""
    _registered[name] = factory


def unregister(name: str) -> None:
    _registered.pop(name, None)


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_backends() -> list[str]:
    """Every backend name that `create_backend` accepts, sorted."""
    return sorted(set(_registered) | set(_entry_points()))


# This package's backends that need an extra, and its name in pyproject.toml.
_EXTRAS = {"llamacpp": "local", "anthropic": "anthropic"}


def _install_hint(name: str, ep: Any) -> str:
    """How to install what backend `name` lacks: our extra, or another package's own."""
    dist = getattr(ep, "dist", None)
    if dist is not None and dist.name != "extractor":
        return f"it comes from the {dist.name} package: install what that package needs"
    if name in _EXTRAS:
        return f"pip install 'extractor[{_EXTRAS[name]}]'"
    return "the extractor install is incomplete: reinstall it"


def settings_read(name: str) -> frozenset[str]:
    """Which of SETTINGS backend `name` reads (its class's `reads`), without
    building it; all of them for a factory that does not say."""
    return getattr(_factory(name), "reads", frozenset(SETTINGS))


def refuse_unread(names: list[str], config: BackendConfig) -> None:
    """A ConfigError naming each of --model, --base-url, --api-key and --mode
    given in `config` that none of backends `names` reads: the rules backend
    reads none of them, replay and llamacpp no endpoint or key. `eval` gives its
    flags to every backend it scores, so one that some of them read (`--backend
    rules,openai --mode json`) is fine."""
    reads = frozenset().union(*map(settings_read, names))
    if not (keys := [key for key in SETTINGS if getattr(config, key) and key not in reads]):
        return
    flags = " and ".join(SETTINGS[key][0] for key in keys)
    what = " or ".join(SETTINGS[key][1] for key in keys)
    who = (f"the {names[0]} backend reads no {what}" if len(names) == 1
           else f"the backends {', '.join(names)} read no {what}")
    raise ConfigError(f"{flags} given, but {who}: leave {'it' if len(keys) == 1 else 'them'} "
                      "out, or name the backend meant (--backend openai, anthropic, ...)")


def create_backend(name: str, config: BackendConfig | None = None) -> Backend:
    """Build the backend registered as `name`."""
    factory = _factory(name)
    try:
        return factory(config or BackendConfig())
    except ExtractorError:
        raise
    except Exception as exc:  # a factory that takes no config, or fails for its own reasons
        raise ConfigError(f"backend {name!r} could not be built: {_said(exc)} (a factory is "
                          "called with one BackendConfig)") from exc


def _factory(name: str) -> Factory:
    factory = _registered.get(name)
    if factory is None:
        ep = _entry_points().get(name)
        if ep is None:
            known = ", ".join(available_backends()) or "none (is the package installed?)"
            raise ConfigError(f"unknown backend {name!r}; available: {known}")
        try:
            factory = ep.load()
        except ImportError as exc:
            raise ConfigError(f"backend {name!r} needs a package that is not installed "
                              f"({exc}): {_install_hint(name, ep)}") from exc
        except Exception as exc:  # an entry point naming nothing, code that fails on import
            raise ConfigError(f"backend {name!r} could not be loaded from {ep.value}: "
                              f"{_said(exc)}") from exc
    return factory


# -- holding a backend of any origin to the seam's contract ----------------------
#
# Third-party backends are registered exactly as the built-ins are, so the
# core must not trust one more than the other: what breaks the contract is
# reported as the project's own error naming the backend, never as a
# traceback from deep inside the layers.


def _said(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def check_identity(backend: Backend) -> None:
    """`identity()` goes into every cache key and batch output's settings, as JSON:
    check it once, when the Extractor is built, rather than on every call."""
    name = getattr(backend, "name", type(backend).__name__)
    try:
        identity = backend.identity()
        if not isinstance(identity, Mapping):
            raise TypeError(f"it returned a {type(identity).__name__}")
        json.dumps(dict(identity), sort_keys=True)
    except ExtractorError:
        raise
    except Exception as exc:
        raise ConfigError(f"the {name} backend's identity() must return a dict of JSON "
                          f"values (strings, numbers, lists, dicts): {_said(exc)}") from exc


def call_backend(backend: Backend, request: Request) -> Completion:
    """`backend.complete(request)`, its failures and answer held to the contract."""
    try:
        done = backend.complete(request)
    except ExtractorError:
        raise
    except Exception as exc:
        raise _foreign(backend, exc) from exc
    return _checked(backend, done)


async def acall_backend(backend: Backend, request: Request) -> Completion:
    """The async twin of `call_backend`."""
    try:
        done = await backend.acomplete(request)
    except ExtractorError:
        raise
    except Exception as exc:
        raise _foreign(backend, exc) from exc
    return _checked(backend, done)


def _foreign(backend: Backend, exc: Exception) -> BackendError:
    """An exception of no type of ours: a backend is to translate its library's
    errors (TransientError to be retried). Which kind this is cannot be known, so
    it is not retried; the original stays reachable as the error's `__context__`."""
    return BackendError(f"the {backend.name} backend raised {_said(exc)}")


def _checked(backend: Backend, done: object) -> Completion:
    """`done` if it is a Completion holding a PaperSummary; else a PermanentError."""
    if isinstance(done, Completion) and isinstance(done.summary, PaperSummary):
        return done
    what = (f"a Completion whose summary is a {type(done.summary).__name__}"
            if isinstance(done, Completion) else f"a {type(done).__name__}")
    raise PermanentError(f"the {backend.name} backend returned {what}; complete() must "
                         "return Completion(PaperSummary(...))")

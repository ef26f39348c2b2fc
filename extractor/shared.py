"""The module-level extract() and aextract(), and the Extractors they share.

They are apart from extract.py because they are a convenience over it, not a
layer of it: one Extractor is kept per set of settings, and settings include
what the environment holds, so a changed endpoint, key, cache directory or
backend choice is honoured without the caller building an Extractor.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from typing import Any

from .extract import Extractor
from .result import Extraction

_default: dict[tuple[Any, ...], Extractor] = {}
_building = threading.Lock()

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
    found = _default.get(key)
    if found is None:
        # Checked again under the lock: threads that made their first call at once
        # each built one (a connection pool, a loaded model and a notice apiece).
        with _building:
            found = _default.get(key)
            if found is None:
                found = _default[key] = Extractor(backend, model=model, base_url=base_url)
    return found


@atexit.register
def close_shared() -> None:
    """Close every shared Extractor: their connection pools and caches outlive any
    caller's scope, and left to the garbage collector at exit their sockets each
    raised an "unclosed socket" ResourceWarning (seen under `python -X dev` and
    in the test suite). Safe to call more than once; a later call builds anew."""
    with _building:
        extractors = list(_default.values())
        _default.clear()
    for extractor in extractors:
        extractor.close()


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

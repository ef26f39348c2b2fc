"""Typed summaries of paper abstracts through pluggable LLM backends.

    from extractor import extract
    result = extract(abstract, title="...")
    result.speedups[0].factor
"""

from .backends.base import (
    Backend,
    BackendConfig,
    Completion,
    Request,
    Sampling,
    available_backends,
    create_backend,
    register,
)
from .cache import Cache
from .engine import extract_many
from .errors import (
    BackendError,
    ConfigError,
    ExtractorError,
    InputError,
    PermanentError,
    ReplayMiss,
    TransientError,
    ValidationFailed,
)
from .extract import Extractor, Options
from .normalize import find_speedups, parse_speedup
from .result import Extraction, Meta, Usage
from .retry import RetryPolicy
from .schema import PaperSummary, Speedup
from .shared import aextract, extract

__all__ = [
    "Backend",
    "BackendConfig",
    "BackendError",
    "Cache",
    "Completion",
    "ConfigError",
    "Extraction",
    "Extractor",
    "ExtractorError",
    "InputError",
    "Meta",
    "Options",
    "PaperSummary",
    "PermanentError",
    "ReplayMiss",
    "Request",
    "RetryPolicy",
    "Sampling",
    "Speedup",
    "TransientError",
    "Usage",
    "ValidationFailed",
    "aextract",
    "available_backends",
    "create_backend",
    "extract",
    "extract_many",
    "find_speedups",
    "parse_speedup",
    "register",
]

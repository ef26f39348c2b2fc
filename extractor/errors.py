"""The project's exception tree.

Every failure a caller can see is one of these, raised at the layer that owns
it, with a message that says what to do next. Third-party exceptions (openai,
instructor, diskcache, tenacity) are translated where those libraries are
imported and never leak past that border.

    ExtractorError
    ├── InputError            bad abstract: empty, not text, too long
    ├── ConfigError           unknown backend, missing model or key, bad option
    └── BackendError          the backend could not produce a valid answer
        ├── TransientError    429, 5xx, timeout, dropped connection: retried
        ├── PermanentError    401, 403, 4xx, bad request: never retried
        ├── ValidationFailed  the answer broke the schema after every re-ask
        └── ReplayMiss        the replay backend has no recording for a request

InputError also derives from ValueError so that callers who already catch
ValueError for bad arguments keep working.
"""

from __future__ import annotations

from .result import Usage


class ExtractorError(Exception):
    """Base class of every error this library raises on purpose."""


class InputError(ExtractorError, ValueError):
    """The abstract cannot be sent: say what is wrong with it before any call."""


class ConfigError(ExtractorError):
    """The configuration cannot work: an unknown backend, a missing model or key."""


class BackendError(ExtractorError):
    """The backend failed. `usage` and `reasks` say what it spent anyway, so the
    retry layer can report the true cost of a call that needed several tries."""

    def __init__(
        self, message: str, *, usage: Usage | None = None, reasks: int = 0
    ) -> None:
        super().__init__(message)
        self.usage = usage or Usage()
        self.reasks = reasks


class TransientError(BackendError):
    """Worth retrying: rate limits, server errors, timeouts, dropped connections."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, usage=usage)
        self.retry_after = retry_after
        self.status = status


class PermanentError(BackendError):
    """Retrying cannot help: authentication, permissions, a malformed request."""

    def __init__(
        self, message: str, *, status: int | None = None, usage: Usage | None = None
    ) -> None:
        super().__init__(message, usage=usage)
        self.status = status


class ValidationFailed(BackendError):
    """The model's answer still broke the schema after the last re-ask."""


class ReplayMiss(BackendError):
    """The replay backend was asked something it has no recording for."""

"""Checks of settings, shared by every options dataclass and backend.

A setting is checked where it is made (a frozen dataclass's `__post_init__`),
so a bad value is a ConfigError at construction that names the setting and
says what is allowed, never an "unexpected error" from deep inside every call
(`inf` seconds overflow a timer, a float re-ask count is not iterable).

A checked value is also put in one canonical type. The cache key and the
replay backend's key hash JSON, where `0` and `0.0` differ: `Sampling(temperature=0)`
(the README's own example) missed every answer cached by the CLI's `0.0` and
every shipped recording. `bool` is refused though Python counts it as an int:
`True` is no number of tokens.

A setting of the wrong type (`Options(retry={"max_attempts": 3})`,
`BackendConfig(options=None)`) is refused the same way (`of_type`): it used
to build, then fail the first call with a raw AttributeError or TypeError.

An API key is checked where a backend reads it (`usable_key`), since it may
come from the environment.
"""

from __future__ import annotations

import math
import numbers
import re
import urllib.parse
from typing import Any

from .errors import ConfigError

# The longest wait any setting may ask for: a day. `inf` or 1e12 seconds overflow
# the timers under every call (time_t, a thread's wait, time.sleep).
MAX_SECONDS = 86_400


def real(value: object, name: str, allowed: str, *, minimum: float | None = None,
         maximum: float | None = None, above: float | None = None) -> float:
    """`value` as a finite float within the bounds, else a ConfigError saying `allowed`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    number = float(value) + 0.0  # -0.0 is 0.0, and hashes so
    if not (math.isfinite(number)
            and (minimum is None or number >= minimum)
            and (maximum is None or number <= maximum)
            and (above is None or number > above)):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    return number


def whole(value: object, name: str, allowed: str, *, minimum: int | None = None) -> int:
    """`value` as an int (a float only when integral: 1024.0 is 1024), else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    integral = isinstance(value, numbers.Integral) or (
        math.isfinite(value) and float(value).is_integer())
    if not integral or (minimum is not None and int(value) < minimum):
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def http_url(value: str, name: str, key: str = "--api-key") -> str:
    """`value` when it is an http(s) URL with a host. Anything else (`not a url`,
    `ftp://...`, a space inside) failed every call as a connection error,
    retried as transient up to max_attempts times, when no attempt could ever
    succeed.

    Credentials in the URL (`https://user:secret@host/v1`) are refused too:
    the URL is the endpoint every error message, the cache key and each batch
    row names, so the password was printed and stored with it; the sync SDK
    sent them as Basic auth in place of the key, and aiohttp refuses them
    beside an Authorization header, so every async call failed as "could not
    reach", and was retried. `key` says how to pass the key instead. The
    value is never echoed with its credentials."""
    shown = _USERINFO.sub("//***@", value)
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is no number
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// URL such as "
                          f"http://127.0.0.1:8080/v1, got {shown!r}")
    if any(c.isspace() for c in value):  # urlsplit keeps them: "exa mple.com" is a host
        raise ConfigError(f"{name} must be an http:// or https:// URL without spaces or "
                          f"line breaks, got {shown!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{name} holds credentials (user:password@), which would be shown "
                          f"in every error and output that names the endpoint: pass the key "
                          f"with {key} and the URL without them, got {shown!r}")
    return value


def of_type(value: Any, kind: type | tuple[type, ...], name: str, allowed: str, *,
            secret: bool = False) -> Any:
    """`value` when it is a `kind`, else a ConfigError saying `allowed`. A
    `secret` value (a key) is named by its type alone, never shown."""
    if isinstance(value, kind):
        return value
    got = type(value).__name__ if secret else _shown(value)
    raise ConfigError(f"{name} must be {allowed}, got {got}")


def _shown(value: Any, limit: int = 80) -> str:
    """`value`'s repr, cut short: a wrong setting can be a whole document."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def usable_key(value: str | None, name: str) -> str | None:
    """The key without surrounding whitespace, None when nothing is left.

    A key read from a file (`open(f).read()`) or from a `.env` file with CRLF
    line endings ends in a line break, which no key holds and no HTTP header
    can carry: the SDK's transport refused the request before sending it, and
    that became a "could not reach" error retried max_attempts times with no
    request ever sent. So surrounding whitespace is dropped. A character
    inside the key that a header cannot carry (non-ASCII, such as a `…`
    pasted from a web page, or a control character) failed every call as an
    "unexpected error"; it is a ConfigError now, naming the character and
    where it is, never the key."""
    if value is None:
        return None
    key = value.strip()
    for at, char in enumerate(key, 1):
        if not (" " <= char <= "~"):  # printable ASCII, what a header value carries
            what = "a control character" if char.isascii() else "a non-ASCII character"
            raise ConfigError(f"{name} holds {what} (U+{ord(char):04X}) at position {at} of "
                              f"{len(key)}, which cannot be sent in an HTTP header: copy the "
                              "key again from the provider, as plain text")
    return key or None


# The user-info part of a URL (`//user:secret@`), replaced before a URL is shown.
_USERINFO = re.compile(r"//[^/?#]*@")


def canonical(instance: object, **values: object) -> None:
    """Set checked values on a frozen dataclass from its `__post_init__`."""
    for name, value in values.items():
        object.__setattr__(instance, name, value)

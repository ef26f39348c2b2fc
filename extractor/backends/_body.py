"""A bound on the size of a response body, shared by the HTTP backends.

The SDKs read a body whole before they parse it, with no limit: a 1.5 GB
answer from a misbehaving proxy or a wrong `--base-url` took 6.2 GB of memory
before it was refused, and in a batch run a few such answers in flight would
take the machine down. The deadline does not help: on a fast link the whole
body arrives well inside it.

So every SDK client of ours gets an httpx response hook (`event_hooks`,
httpx's documented way in; the SDKs take the client as `http_client`), which
runs before the body is read (`bound`):

- a Content-Length over `MAX_BODY` is refused at once, with nothing read;
- a body without one (chunked, or ended by closing the connection), or a
  compressed one, is counted as httpx decodes it, and refused as soon as it
  passes `MAX_BODY`. Decoded bytes are counted, not bytes received: 1 MB of
  gzip decoded to 1 GiB took 3.2 GB of memory. The count goes on the
  response's own `iter_bytes`/`aiter_bytes`, which is what `read`/`aread`
  take the body from (in httpx and in httpx2 alike); the tests pin that.

Either way it is a PermanentError naming the endpoint and the size: the same
body would come back on a retry. The SDK wraps whatever its client raises as
a connection error, which would be retried; `_border.ours_under` finds
ours under it.

Cost. A batch run's throughput is bound by client CPU, so the common case
costs next to nothing: with a Content-Length and no compression, the hook
reads two headers and counts nothing, since HTTP/1.1 framing already stops
the read at that length (about 1.4 us per response). A counted body costs
one generator step per decoded chunk (about 10 us per response).

`extractor record` reads each body in its own transport, before the SDK
client's hook, so it calls `bound` there itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from ..errors import PermanentError

# A real answer is 1-10 KB (max_tokens 1024, plus the JSON envelope); even
# 100,000 tokens of output, JSON-escaped, fit under this. Parsing holds about
# four times a body, so 64 requests in flight at the cap would hold about 1 GB.
MAX_BODY = 4 * 1024 * 1024


def _refuse(response: Any, where: str, size: int | None) -> PermanentError:
    """The error for a body over the cap: of `size` bytes, or None when counted unread."""
    said = (f"a body of {size:,} bytes, over the {MAX_BODY:,}-byte limit of an answer (a "
            "real one is 1-10 KB)" if size is not None else f"a body over the {MAX_BODY:,}-"
            "byte limit of an answer (read no further; a real one is 1-10 KB)")
    status = response.status_code
    return PermanentError(f"{where} answered{'' if status == 200 else f' {status}'} with "
                          f"{said}: check that the base URL is the API's root", status=status)


def bound(response: Any, where: str) -> None:
    """Refuse the response if its Content-Length is over MAX_BODY; else, unless
    that length bounds it already, count its body as it is decoded."""
    length = response.headers.get("content-length")
    declared = length is not None and length.isascii() and length.isdigit()
    if declared and int(length) > MAX_BODY:
        raise _refuse(response, where, int(length))
    if declared and response.headers.get("content-encoding", "identity") == "identity":
        return
    decoded, adecoded = response.iter_bytes, response.aiter_bytes

    def iter_bytes(chunk_size: int | None = None) -> Iterator[bytes]:
        seen = 0
        for chunk in decoded(chunk_size):
            seen += len(chunk)
            if seen > MAX_BODY:
                raise _refuse(response, where, None)
            yield chunk

    async def aiter_bytes(chunk_size: int | None = None) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in adecoded(chunk_size):
            seen += len(chunk)
            if seen > MAX_BODY:
                raise _refuse(response, where, None)
            yield chunk

    response.iter_bytes, response.aiter_bytes = iter_bytes, aiter_bytes


def hooks(where: str) -> dict[str, list[Callable[[Any], None]]]:
    """`event_hooks` for a sync httpx client whose answers come from `where`."""
    return {"response": [lambda response: bound(response, where)]}


def ahooks(where: str) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """`event_hooks` for an async httpx client (httpx awaits each hook)."""

    async def abound(response: Any) -> None:
        bound(response, where)

    return {"response": [abound]}

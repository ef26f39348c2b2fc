"""Reading `.gz` dumps, apart from `dumps.py` because a gzip stream has failure
modes of its own: one that breaks off (a download cut short) or fails its check
is read up to there and reported at the line it reached (`Gunzipped` counts
the lines it hands out), and a file named `.gz` that is not gzip, or gzipped
Parquet, is refused with what to do. `dumps.py` opens, detects and reads through it.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import Any

from .errors import ConfigError

# What a compressed dump starts with, and the command that unpacks it to a pipe.
PACKED = {b"\x1f\x8b": ("gzip", "zcat"), b"PK\x03\x04": ("zip", "unzip -p"),
          b"\x28\xb5\x2f\xfd": ("zstd", "zstdcat"), b"BZh": ("bzip2", "bzcat"),
          b"\xfd7zXZ\x00": ("xz", "xzcat")}


class Gunzipped(io.RawIOBase):
    """A `.gz` file's content, counting the line breaks handed out: a stream
    that breaks off (a download cut short, a damaged file) is reported after
    the last line that came out whole."""

    def __init__(self, path: Path) -> None:
        self.inner = gzip.open(path, "rb")  # noqa: SIM115 - closed by close()
        self.lines = 0
        self.after_cr = False  # the data handed out last ended in "\r"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # read1, not readinto: that fills the buffer whole, and a stream that breaks
        # off part-way would lose what it had decompressed into it.
        data = self.inner.read1(len(buffer))
        buffer[: len(data)] = data
        # Every break the readers know ("\n", "\r\n", a bare "\r"), a "\r\n" split
        # between two reads counted once.
        self.lines += (data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
                       - (self.after_cr and data.startswith(b"\n")))
        self.after_cr = data.endswith(b"\r")
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


# What reading a damaged or cut-short gzip stream raises.
BROKEN = (EOFError, OSError, zlib.error)


def broken(exc: BaseException) -> str:
    """Why a gzip stream could not be read on, in words."""
    if isinstance(exc, EOFError):
        return "the gzip stream breaks off here (a download cut short?); nothing after it is read"
    return (f"the gzip data is damaged here ({exc}); nothing after it is read, and the lines "
            "before may be damaged too")


def gzipped(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def gzipped_parquet(path: Path, then: str = "") -> ConfigError:
    return ConfigError(f"{path} is gzip-compressed Parquet, which cannot be read compressed "
                       f"(its index is at its end): gunzip it first{then}")


def not_gzip(path: Path) -> ConfigError | None:
    """The error for a `.gz` file that is not gzip at all (None when it is): gzip's
    own "Not a gzipped file (b'{\"')" said neither what the file is nor what to do."""
    with path.open("rb") as stream:
        start = stream.read(16)
    if start.startswith(b"\x1f\x8b"):
        return None
    for magic, (kind, command) in PACKED.items():
        if start.startswith(magic):
            return ConfigError(f"{path} is named .gz but is {kind}-compressed: unpack it first: "
                               f"{command} {path} | extractor batch - ...")
    return ConfigError(f"{path} is named .gz but is not gzip-compressed (it begins {start!r}): "
                       f"if it is a dump as it is, rename it to {path.with_suffix('')} (or "
                       f"pass it as extractor batch - ... < {path})")

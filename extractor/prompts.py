"""Load the prompt text from prompts/ and name it by its content hash.

The prompt is data, not code: it lives in `prompts/system.md` and
`prompts/user.md` so that a change to it is a reviewable diff, and its hash goes
into every cache key, recording key and result. Change one character and old
cache entries stop matching, which is the point.

The files are looked up inside the installed package first (the wheel carries
them as `extractor/prompts/`), then beside the package in a source checkout.
`EXTRACTOR_PROMPTS` points at another directory holding the same two files.

The user template is filled with plain string replacement, not str.format:
abstracts contain braces (LaTeX), and a brace must never be read as a field.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError

_NAMES = ("system.md", "user.md")


@dataclass(frozen=True)
class Prompt:
    system: str
    user_template: str
    hash: str

    def render(self, title: str, abstract: str) -> str:
        # One pass over the template: a title holding "{abstract}" (or an abstract
        # holding "{title}") stays text. Two chained replaces spliced the abstract
        # into such a title.
        fields = {"title": title, "abstract": abstract}
        return _FIELD.sub(lambda m: fields[m.group(1)], self.user_template)


_FIELD = re.compile(r"\{(title|abstract)\}")


def prompt_dir() -> Path:
    override = os.environ.get("EXTRACTOR_PROMPTS")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "prompts", here.parent / "prompts"):
        if (candidate / _NAMES[0]).is_file():
            return candidate
    raise ConfigError(
        f"prompt files not found beside {here}; reinstall the package or set EXTRACTOR_PROMPTS"
    )


@lru_cache(maxsize=8)
def _load(directory: Path) -> Prompt:
    texts = []
    digest = hashlib.sha256()
    for name in _NAMES:
        path = directory / name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read prompt file {path}: {exc}") from exc
        texts.append(text)
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    system, user = texts
    if "{abstract}" not in user:
        raise ConfigError(f"{directory / 'user.md'} must contain the {{abstract}} placeholder")
    return Prompt(system=system.strip(), user_template=user.strip(), hash=digest.hexdigest()[:16])


def load_prompt() -> Prompt:
    """The current prompt; cached per directory for the life of the process."""
    return _load(prompt_dir())

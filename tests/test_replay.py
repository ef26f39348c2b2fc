"""Recording a live backend and replaying it offline, through the same SDK path."""

from __future__ import annotations

import json

import pytest

from extractor import (
    BackendConfig,
    ConfigError,
    Extractor,
    Options,
    ReplayMiss,
    Sampling,
    ValidationFailed,
)
from extractor.cli import main
from extractor.testing import Raw, Reply, Status

from .conftest import ABSTRACT, GOOD, REPO, TITLE, BodyServer

GOLD = {"id": "skr", "title": TITLE, "abstract": ABSTRACT, "labels": GOOD}


@pytest.fixture
def gold(tmp_path):
    path = tmp_path / "gold.jsonl"
    second = dict(GOLD, id="two", abstract=ABSTRACT + " A second paper.")
    path.write_text(json.dumps(GOLD) + "\n" + json.dumps(second) + "\n")
    return path


def record(server, gold, out, *extra):
    return main(
        [
            "record",
            str(gold),
            "--backend",
            "openai",
            "--model",
            "rec-model",
            "--base-url",
            server.url,
            "--api-key",
            "sk-secret",
            "--out",
            str(out),
            *extra,
        ]
    )


def test_a_bad_fixture_file_leaves_the_old_recording_in_place(server, gold, tmp_path, capsys):
    """The fixtures are read before the recording is replaced, not after deleting it."""
    server.push(Reply(GOOD), Reply(GOOD))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, gold, out) == 0
    kept = out.read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert main(["record", str(bad), "--backend", "openai", "--model", "rec-model",
                 "--base-url", server.url, "--api-key", "k", "--out", str(out)]) == 2
    assert "bad.jsonl" in capsys.readouterr().err
    assert out.read_bytes() == kept


def test_a_server_that_answers_nothing_leaves_the_old_recording_in_place(
        server, gold, tmp_path, capsys):
    """The new recording replaces the old one only at the end, and only when it holds
    something: re-recording against a broken server costs nothing recorded."""
    server.push(Reply(GOOD), Reply(GOOD))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, gold, out) == 0
    kept = out.read_bytes()
    capsys.readouterr()
    server.push(*[Status(500)] * 2)
    assert record(server, gold, out, "--max-attempts", "1") == 1
    assert json.loads(capsys.readouterr().out)["out"] is None
    assert out.read_bytes() == kept and not (tmp_path / "rec" / "m.jsonl.partial").exists()


def test_a_run_with_a_failed_fixture_keeps_the_old_recording(server, gold, tmp_path, capsys):
    """A recording missing a fixture would make replay miss it: the whole old one
    stays, and the new one is left beside it as <out>.partial, which is said."""
    server.push(Reply(GOOD), Reply(GOOD))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, gold, out) == 0
    kept = out.read_bytes()
    capsys.readouterr()
    server.push(Status(400), Reply(GOOD))
    assert record(server, gold, out) == 1
    captured = capsys.readouterr()
    stats = json.loads(captured.out)
    partial = tmp_path / "rec" / "m.jsonl.partial"
    assert stats["out"] is None and stats["partial"] == str(partial)
    assert f"{out} was kept" in captured.err and str(partial) in captured.err
    assert out.read_bytes() == kept and len(partial.read_text().splitlines()) == 1


def test_an_earlier_runs_partial_recording_is_never_thrown_away(server, gold, tmp_path, capsys):
    """The message of a run with a failed fixture says to keep <out>.partial; the
    next run (with a bad key, say) deleted it before sending anything."""
    server.push(Reply(GOOD), Reply(GOOD))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, gold, out) == 0
    server.push(Status(400), Reply(GOOD))
    assert record(server, gold, out) == 1
    partial = tmp_path / "rec" / "m.jsonl.partial"
    kept = partial.read_bytes()
    capsys.readouterr()
    assert record(server, gold, out) == 2
    assert "holds an earlier run's recording" in capsys.readouterr().err
    assert partial.read_bytes() == kept
    partial.write_bytes(b"")  # one that recorded nothing is no reason to stop
    server.push(Reply(GOOD), Reply(GOOD))
    assert record(server, gold, out) == 0 and not partial.exists()


def test_the_same_request_twice_is_recorded_once(server, tmp_path, capsys):
    """A server that is not deterministic gives two answers to one request (the
    same abstract twice in the fixtures): replay would refuse such a recording."""
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOLD) + "\n" + json.dumps(dict(GOLD, id="again")) + "\n")
    server.push(Reply(GOOD), Reply(dict(GOOD, task="another answer")))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, path, out) == 0
    assert len(out.read_text().splitlines()) == 1
    replayed = Extractor("replay", config=BackendConfig(model="rec-model", options={
        "recordings": str(out)}), cache=False)
    assert replayed.extract(ABSTRACT, TITLE).summary.task == GOOD["task"]


def test_a_first_recording_with_a_failed_fixture_is_still_written(server, gold, tmp_path, capsys):
    """With no old recording to keep, what was answered is the recording."""
    server.push(Status(400), Reply(GOOD))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, gold, out) == 1
    assert json.loads(capsys.readouterr().out)["out"] == str(out)
    assert len(out.read_text().splitlines()) == 1
    assert not (tmp_path / "rec" / "m.jsonl.partial").exists()


def test_a_recording_that_cannot_be_written_stops_the_run_unretried(
        server, gold, tmp_path, capsys, monkeypatch):
    """A full disk is no connection failure: retrying it pays again for an answer
    that cannot be stored, so the first failed write ends the run, naming the file."""
    import errno
    import pathlib

    opened = pathlib.Path.open

    def full_disk(self, mode="r", *args, **kwargs):
        if self.name.endswith(".partial") and "a" in mode:
            raise OSError(errno.ENOSPC, "No space left on device")
        return opened(self, mode, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", full_disk)
    server.push(Reply(GOOD), Reply(GOOD))
    out = tmp_path / "rec" / "m.jsonl"
    assert record(server, gold, out, "--max-attempts", "3", "--retry-wait", "0.01") == 2
    assert len(server.received) == 1
    err = capsys.readouterr().err
    assert f"cannot write the recording {out}.partial: No space left on device" in err
    assert "could not reach" not in err


@pytest.mark.parametrize("mode", ["declared", "chunked", "gzip"])
def test_record_refuses_a_body_over_the_size_limit(gold, tmp_path, capsys, mode):
    """The recording transport reads each body itself, before the SDK's size hook: it is
    bounded too, a PermanentError per fixture, and nothing is recorded."""
    with BodyServer(mode) as big:
        big.url += "/v1"
        out = tmp_path / "rec" / "m.jsonl"
        assert record(big, gold, out, "--max-attempts", "3") == 1
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert len(failed) == 2 and all("/v1/chat/completions answered with a body" in
                                    str(f) and "PermanentError" in str(f) for f in failed)
    assert not out.exists() and big.sent < 32 * 1024**2


def replay(tmp_path, **kwargs):
    return Extractor(
        "replay",
        config=BackendConfig(options={"recordings": str(tmp_path / "rec")}, **kwargs),
        cache=False,
    )


def test_record_then_replay_gives_the_same_answers_offline(server, gold, tmp_path):
    """Replayed answers equal the live ones and need no server at all."""
    server.push(Reply(GOOD), Reply(dict(GOOD, task="a second task")))
    assert record(server, gold, tmp_path / "rec" / "m.jsonl") == 0
    server.stop()
    extractor = replay(tmp_path)
    assert extractor.extract(ABSTRACT, TITLE).summary.model_dump() == json.loads(
        json.dumps(GOOD)
    ) | {"speedups": [GOOD["speedups"][0]]}
    assert extractor.extract(ABSTRACT + " A second paper.", TITLE).task == "a second task"
    assert extractor.backend.model == "rec-model"


def test_recordings_hold_no_secrets_or_headers(server, gold, tmp_path):
    """The API key and HTTP headers never reach the recording file."""
    server.push(Reply(GOOD), Reply(GOOD))
    record(server, gold, tmp_path / "rec" / "m.jsonl")
    text = (tmp_path / "rec" / "m.jsonl").read_text()
    assert "sk-secret" not in text and "authorization" not in text.lower()
    entry = json.loads(text.splitlines()[0])
    assert set(entry) == {"key", "model", "prompt_hash", "request", "response"}


def test_reasks_are_recorded_and_replayed(server, gold, tmp_path):
    """A recorded re-ask exchange replays with the same re-ask count."""
    server.push(Raw("{not json"), Reply(GOOD), Reply(GOOD))
    record(server, gold, tmp_path / "rec" / "m.jsonl")
    assert len((tmp_path / "rec" / "m.jsonl").read_text().splitlines()) == 3
    result = replay(tmp_path).extract(ABSTRACT, TITLE)
    assert result.meta.reasks == 1


def test_failed_requests_are_not_recorded(server, gold, tmp_path):
    """Only successful exchanges are stored; the retry's answer is."""
    server.push(Status(500), Reply(GOOD), Reply(GOOD))
    assert record(server, gold, tmp_path / "rec" / "m.jsonl", "--max-attempts", "3") == 0
    assert len((tmp_path / "rec" / "m.jsonl").read_text().splitlines()) == 2


def test_a_changed_prompt_is_a_loud_miss(server, gold, tmp_path, monkeypatch):
    """After a prompt change the replay backend says what changed and how to re-record."""
    server.push(Reply(GOOD), Reply(GOOD))
    record(server, gold, tmp_path / "rec" / "m.jsonl")
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "system.md").write_text("A new system prompt.")
    (prompts / "user.md").write_text("{title}\n{abstract}")
    monkeypatch.setenv("EXTRACTOR_PROMPTS", str(prompts))
    with pytest.raises(ReplayMiss, match=r"the prompt changed .*extractor record"):
        replay(tmp_path).extract(ABSTRACT, TITLE)


def test_an_unrecorded_abstract_is_a_miss_not_a_fallback(server, gold, tmp_path):
    """A request with no recording fails; it is never answered some other way."""
    server.push(Reply(GOOD), Reply(GOOD))
    record(server, gold, tmp_path / "rec" / "m.jsonl")
    with pytest.raises(ReplayMiss, match="abstract, title, schema, model, mode or sampling"):
        replay(tmp_path).extract("A paper nobody recorded.", TITLE)
    with pytest.raises(ReplayMiss):
        replay(tmp_path, model="rec-model").extract(ABSTRACT, "Another title")


@pytest.mark.parametrize("mode", ["tools", "json"])
def test_a_miss_on_a_reask_says_the_recorded_answer_fails_validation_now(
    server, gold, tmp_path, mode
):
    """A recorded answer that today's validators refuse makes a re-ask nobody recorded:
    the miss says so, quoting the error, not that the abstract or model differ."""
    server.push(Reply(GOOD), Reply(GOOD))
    record(server, gold, tmp_path / "rec" / "m.jsonl", "--mode", mode)
    path = tmp_path / "rec" / "m.jsonl"
    text = path.read_text()
    assert text.count('\\"factor\\": 13.9') == 2  # the answers, as JSON inside JSON
    path.write_text(text.replace('\\"factor\\": 13.9', '\\"factor\\": 139.0'))
    with pytest.raises(ReplayMiss) as caught:
        replay(tmp_path, mode=mode).extract(ABSTRACT, TITLE)
    message = str(caught.value)
    assert "fails validation now" in message and "factor 139 not stated by" in message
    assert "validators or their messages changed" in message and "extractor record" in message
    assert "abstract, title" not in message and "[type=" not in message


def test_missing_or_broken_recordings_are_config_errors(tmp_path):
    """No directory, or a line that is not a recording, says what to do."""
    with pytest.raises(ConfigError, match="extractor record"):
        replay(tmp_path)
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "x.jsonl").write_text("{broken\n")
    with pytest.raises(ConfigError, match=r"x\.jsonl:1"):
        replay(tmp_path)


@pytest.mark.parametrize("response", [None, "ok", [1]])
def test_a_recording_without_a_response_object_is_refused_on_loading(tmp_path, response):
    """Served, it failed inside the transport as a connection error, after seconds
    of retries; loading names its line instead."""
    (tmp_path / "rec").mkdir()
    entry = {"key": "k", "model": "m"} | ({} if response is None else {"response": response})
    (tmp_path / "rec" / "x.jsonl").write_text(json.dumps(entry) + "\n")
    with pytest.raises(ConfigError, match=r"x\.jsonl:1: a recording with no response; re-record"):
        replay(tmp_path)


def exchange(key="k", model="m", content="an answer", **envelope):
    response = {"id": "chatcmpl-1", "created": 1, **envelope,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    return json.dumps({"key": key, "model": model, "response": response}) + "\n"


def test_a_recordings_file_that_is_not_utf8_is_a_config_error(tmp_path):
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "x.jsonl").write_bytes(b"\xff\xfe{" + exchange().encode("utf-16-le"))
    with pytest.raises(ConfigError, match=r"x\.jsonl is not UTF-8 text"):
        replay(tmp_path)


def test_a_recording_holding_unicode_line_separators_loads_whole(tmp_path):
    """The recorder writes text as it is (ensure_ascii=False), so an abstract from a
    PDF with U+2028 or NEL in it is written raw: only a newline ends a line."""
    from extractor.backends.replay import load_recordings

    line = json.dumps({"key": "k", "model": "m", "request": {"a": "one\u2028two\x85three"},
                       "response": {"choices": []}}, ensure_ascii=False) + "\n"
    (tmp_path / "x.jsonl").write_text(line + exchange("b"), encoding="utf-8")
    assert sorted(load_recordings(tmp_path / "x.jsonl")) == ["b", "k"]


def test_a_model_that_is_not_a_name_is_refused_on_loading(tmp_path):
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "x.jsonl").write_text(exchange("a") + exchange("b", model=5))
    with pytest.raises(ConfigError, match=r"x\.jsonl:2: the model 5 is not a name; re-record"):
        replay(tmp_path)


def nested_line(depth):
    """A recording line whose response holds `depth` lists, one inside another."""
    return '{"key": "k", "model": "m", "response": {"x": ' + "[" * depth + "]" * depth + "}}\n"


@pytest.mark.parametrize("depth", [201, 600])
def test_a_response_nested_past_any_api_answer_is_refused_on_loading(tmp_path, depth):
    """Two such lines under one key were compared by recursion, and at about 950
    levels the RecursionError escaped loading; one such line alone would have
    failed when served. Each is refused, naming its line."""
    line = nested_line(depth)
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "x.jsonl").write_text(exchange("a") + line + line.replace("[]", "[1]"))
    with pytest.raises(ConfigError, match=r"x\.jsonl:2: a response nested over 200 levels deep"):
        replay(tmp_path)


def test_a_response_nested_as_deep_as_allowed_loads(tmp_path):
    from extractor.backends.replay import load_recordings

    (tmp_path / "x.jsonl").write_text(nested_line(199))  # inside {"x": ...}: 200 in all
    assert list(load_recordings(tmp_path / "x.jsonl")) == ["k"]


def test_a_line_cut_short_says_what_to_do(tmp_path):
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "x.jsonl").write_text(exchange("a") + exchange("b")[:40])
    with pytest.raises(ConfigError, match=r"x\.jsonl:2: not a recording line .*re-record, or "
                                          r"delete that line"):
        replay(tmp_path)


def test_two_answers_to_one_request_are_refused_with_both_places(tmp_path):
    """Which one replay served depended on the order of the files: refuse, naming both."""
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "a.jsonl").write_text(exchange("a") + exchange())
    (tmp_path / "rec" / "b.jsonl").write_text(exchange(content="another answer"))
    with pytest.raises(ConfigError, match=r"a\.jsonl:2 and .*b\.jsonl:1 record different "
                                          r"answers to one request"):
        replay(tmp_path)
    (tmp_path / "rec" / "a.jsonl").write_text(exchange() + exchange(content="another answer"))
    with pytest.raises(ConfigError, match=r"a\.jsonl:1 and .*a\.jsonl:2 record different"):
        replay(tmp_path)


def test_the_same_answer_recorded_twice_is_accepted(tmp_path):
    """A server makes a new id and time for every answer: they are no other answer."""
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "a.jsonl").write_text(exchange())
    (tmp_path / "rec" / "b.jsonl").write_text(exchange(id="chatcmpl-2", created=2))
    assert replay(tmp_path).backend.model == "m"


def test_a_model_the_recordings_do_not_hold_is_refused_naming_theirs(tmp_path):
    """Every request would miss: say so once, with the models there are."""
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "a.jsonl").write_text(exchange(model="fm"))
    with pytest.raises(ConfigError, match=r"holds recordings of fm only, not other"):
        replay(tmp_path, model="other")


def test_recordings_that_name_no_model_ask_for_one(tmp_path):
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "a.jsonl").write_text(exchange(model=None))
    with pytest.raises(ConfigError, match=r"name no model; pick the one they were made "
                                          r"with, with --model"):
        replay(tmp_path)
    assert replay(tmp_path, model="fm").backend.model == "fm"


def test_record_on_a_read_only_filesystem_is_one_line(gold, tmp_path, capsys, monkeypatch):
    """Not a traceback, and before any request is paid for."""
    import errno
    import pathlib

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(pathlib.Path, "unlink", read_only)
    monkeypatch.setattr(pathlib.Path, "touch", read_only)
    assert main(["record", str(gold), "--backend", "openai", "--model", "m", "--base-url",
                 "http://127.0.0.1:9/v1", "--api-key", "k", "--out", f"{tmp_path}/r/"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("extractor: ") and len(err.splitlines()) == 1
    assert f"cannot write {tmp_path / 'r' / 'm.jsonl.partial'}: Read-only file system" in err


def test_record_refuses_other_backends(gold, capsys):
    """Recording captures openai-protocol traffic only."""
    assert main(["record", str(gold), "--backend", "rules"]) == 2
    assert "openai backend" in capsys.readouterr().err


def test_the_key_ignores_the_pydantic_version_in_reask_links():
    """A re-ask recorded under pydantic 2.13 replays under 2.14: only the docs link differs."""
    from extractor.backends.replay import request_key

    def body(version):
        text = f"1 validation error\\n  For further information visit https://errors.pydantic.dev/{version}/v/value_error"
        return json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]})

    assert request_key(body("2.13")) == request_key(body("2.14"))
    assert request_key(body("2.13")) != request_key(body("2.13").replace("value_error", "x"))


def test_record_into_a_directory_and_replay_from_one_file(server, gold, tmp_path, capsys):
    """`--out DIR` writes DIR/<model>.jsonl, as replay reads directories; and
    `recordings=` may name that one file."""
    (tmp_path / "rec").mkdir()
    server.push(Reply(GOOD), Reply(GOOD))
    assert record(server, gold, tmp_path / "rec") == 0
    assert json.loads(capsys.readouterr().out)["out"] == str(tmp_path / "rec" / "rec-model.jsonl")
    server.push(Reply(GOOD), Reply(GOOD))  # a directory not made yet, named with a slash
    assert record(server, gold, f"{tmp_path / 'new'}/") == 0
    assert (tmp_path / "new" / "rec-model.jsonl").is_file()
    server.stop()
    single = Extractor("replay", config=BackendConfig(
        options={"recordings": str(tmp_path / "rec" / "rec-model.jsonl")}), cache=False)
    assert single.extract(ABSTRACT, TITLE).task == GOOD["task"]


def test_an_empty_recordings_directory_says_so(tmp_path):
    (tmp_path / "rec").mkdir()
    with pytest.raises(ConfigError, match="holds no recordings"):
        replay(tmp_path)


def test_a_200_that_is_not_json_fails_as_it_would_live(server, gold, tmp_path, capsys):
    """Recording does not turn a lying server into a connection error: the
    failure says what it is, and nothing is stored for it."""
    server.push(*[Status(200, "<html>a login page</html>")] * 2)
    assert record(server, gold, tmp_path / "rec" / "m.jsonl", "--max-attempts", "1") == 1
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert [f["id"] for f in failed] == ["skr", "two"]
    assert all("not JSON" in f["error"] and "PermanentError" in f["error"] for f in failed)
    assert not (tmp_path / "rec" / "m.jsonl").exists()


def _tool_answer(**extra):
    message = {"role": "assistant", "content": None, "tool_calls": [{
        "id": "c", "type": "function",
        "function": {"name": "PaperSummary", "arguments": json.dumps(GOOD)}}]}
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            **extra}


def test_answers_holding_lone_surrogates_are_recorded_and_replay_as_they_ran_live(
        server, gold, tmp_path, capsys):
    """"\\ud800" in a body decodes to no character, which UTF-8 cannot write: the
    write failed, was retried as a dropped connection, and the answer was lost from
    a recording said to be whole. Both are recorded now, and replay as they ran."""
    bad = json.dumps(GOOD | {"task": "data \ud800 generation"}, ensure_ascii=False)
    server.push(Status(200, _tool_answer(x="\ud800")), Raw(bad))
    assert record(server, gold, tmp_path / "rec" / "m.jsonl") == 1
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert [f["id"] for f in failed] == ["two"] and "lone surrogate" in failed[0]["error"]
    assert len(server.received) == 2
    text = (tmp_path / "rec" / "m.jsonl").read_bytes().decode("utf-8")
    assert [json.loads(line)["response"]["choices"][0]["index"] for line in text.splitlines()] \
        == [0, 0]
    extractor = replay(tmp_path)
    assert extractor.extract(ABSTRACT, TITLE).task == GOOD["task"]
    with pytest.raises(ValidationFailed, match="lone surrogate"):
        extractor.extract(ABSTRACT + " A second paper.", TITLE)


@pytest.mark.parametrize("body, said", [
    (json.dumps(_tool_answer())[:-1] + ', "x": NaN}', "NaN or Infinity"),
    (json.dumps(_tool_answer())[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "nested too deeply"),
    (json.dumps(_tool_answer())[:-1] + ', "x": ' + "[" * 300 + "]" * 300 + "}",
     "nested too deeply"),
], ids=["nan", "too-deep", "deeper-than-replay-loads"])
def test_an_answer_no_recording_can_hold_fails_once_saying_why(
        server, gold, tmp_path, capsys, body, said):
    """NaN made a line only Python reads, which replay then failed to serve; JSON too
    deep to parse failed in the transport, was retried, and the retry's answer
    recorded. Each fails its fixture once, and nothing is written for it."""
    server.push(Status(200, body), Reply(GOOD))
    assert record(server, gold, tmp_path / "rec" / "m.jsonl") == 1
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert [f["id"] for f in failed] == ["skr"] and said in failed[0]["error"]
    assert "PermanentError" in failed[0]["error"] and len(server.received) == 2
    assert len((tmp_path / "rec" / "m.jsonl").read_text().splitlines()) == 1


def test_the_shipped_recordings_replay_with_sampling_written_as_the_readme_writes_it():
    """Sampling(temperature=0) sends the request the recordings were made with (0.0)."""
    fixture = json.loads((REPO / "fixtures" / "gold.jsonl").read_text().splitlines()[0])
    config = BackendConfig(options={"recordings": str(REPO / "fixtures" / "recordings")})
    options = Options(sampling=Sampling(temperature=0, max_tokens=1024.0))
    with Extractor("replay", config=config, options=options, cache=False) as extractor:
        assert extractor.extract(fixture["abstract"], fixture["title"]).task


@pytest.mark.parametrize("out", ["{gold}", "{dir}/./gold.jsonl"])
def test_record_never_writes_its_recording_over_the_fixtures(out, server, gold, tmp_path, capsys):
    """`--out` naming the fixtures file is refused before any request: the gold is kept."""
    kept = gold.read_bytes()
    assert record(server, gold, out.format(gold=gold, dir=tmp_path)) == 2
    err = capsys.readouterr().err
    assert "ConfigError" in err and "is both an input and where this run writes" in err
    assert gold.read_bytes() == kept and server.received == []

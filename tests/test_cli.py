"""The extractor command: extract and cache, with the shared backend flags."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extractor.cli import _Terminate, main
from extractor.testing import Reply, Status

from .conftest import ABSTRACT, GOOD, TITLE

GOLD = Path(__file__).parent.parent / "fixtures" / "gold.jsonl"


def openai_flags(server, tmp_path):
    return [
        "--backend",
        "openai",
        "--model",
        "m",
        "--base-url",
        server.url,
        "--cache-dir",
        str(tmp_path / "cache"),
    ]


def test_extract_prints_the_result_as_json(server, tmp_path, capsys):
    """`extractor extract ABSTRACT` prints summary and metadata as JSON."""
    server.push(Reply(GOOD))
    assert main(["extract", ABSTRACT, "--title", TITLE, *openai_flags(server, tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["summary"]["speedups"][0]["factor"] == 13.9
    assert printed["meta"]["backend"] == "openai" and printed["meta"]["evidence"]


def test_extract_refuses_the_name_of_a_file_as_an_abstract(tmp_path, capsys):
    """`extractor extract paper.txt` would summarise the string "paper.txt"."""
    paper = tmp_path / "paper.txt"
    paper.write_text(ABSTRACT)
    assert main(["extract", str(paper), "--backend", "rules", "--no-cache"]) == 2
    assert f"is a file: pass its text with `extractor extract < {paper}`" in \
        capsys.readouterr().err


@pytest.mark.parametrize("abstract", ["x" * 256, "我们提出了一种新的方法" * 9],
                         ids=["256-ascii", "99-cjk"])
def test_a_short_abstract_too_long_to_be_a_file_name_is_summarised(abstract, capsys):
    """A one-line abstract over 255 bytes but under 300 characters is no file name:
    the "is it a file?" probe fails with ENAMETOOLONG, which means "not a file"."""
    assert main(["extract", "--backend", "rules", "--no-cache", abstract]) == 0
    assert json.loads(capsys.readouterr().out)["meta"]["backend"] == "rules"


def test_extract_reads_stdin(server, tmp_path, capsys, monkeypatch):
    """With no abstract argument the abstract comes from stdin."""
    server.push(Reply(GOOD))
    monkeypatch.setattr(sys, "stdin", io.StringIO(ABSTRACT))
    assert main(["extract", *openai_flags(server, tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["task"] == GOOD["task"]


def test_a_byte_order_mark_on_stdin_changes_nothing(tmp_path, capsys, monkeypatch):
    """`extractor extract < notepad.txt` answers as batch does: the BOM is dropped."""
    text = "We propose FooNet, which is 3x faster than BarNet on GPUs."
    answers = []
    for given in ("\ufeff" + text, text):
        stdin = io.TextIOWrapper(io.BytesIO(given.encode()), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["extract", "--backend", "rules", "--no-cache"]) == 0
        answers.append(json.loads(capsys.readouterr().out))
    assert answers[0]["summary"] == answers[1]["summary"]
    assert not answers[0]["summary"]["task"].startswith("\ufeff")


class _Endless(io.TextIOBase):
    """A standard input that never ends, counting what it served."""

    def __init__(self, text):
        self.text, self.served = text, 0

    def read(self, size=-1):
        assert size > 0, "an endless input cannot be read whole"
        self.served += size
        return self.text * size

    def isatty(self):
        return False


@pytest.mark.parametrize("endless, message", [
    ("a", "abstract on standard input is over the limit of 1,000 characters; it is not "
          "truncated silently"),
    ("\n", "standard input holds over 4,000 characters, nearly all of them whitespace"),
])
def test_standard_input_is_read_only_as_far_as_the_limit(endless, message, capsys,
                                                          monkeypatch):
    """A huge file piped by mistake is refused after reading about --max-chars of it."""
    stdin = _Endless(endless)
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["extract", "--backend", "rules", "--no-cache", "--max-chars", "1000"]) == 2
    assert message in capsys.readouterr().err
    assert stdin.served <= 4 * 1000 + 2 * 65536


@pytest.mark.parametrize("text, code", [
    ("\ufeff \n" + "x" * 1000 + "\n" * 2500, 0),
    (" " * 2000 + "x" * 1001, 2),
])
def test_the_limit_on_standard_input_is_on_the_stripped_text(text, code, capsys,
                                                             monkeypatch):
    """Whitespace and a byte order mark around the text do not count to the limit."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main(["extract", "--backend", "rules", "--no-cache", "--max-chars", "1000"]) == code
    assert ("over the limit of 1,000" in capsys.readouterr().err) == bool(code)


def test_bad_input_exits_2_with_one_line(capsys, tmp_path):
    """An empty abstract is a usage error with a message, not a traceback."""
    assert (
        main(["extract", "   ", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("extractor: InputError:") and err.count("\n") == 1


def test_backend_failure_exits_1(server, tmp_path, capsys):
    """A permanent backend error is reported on stderr with exit code 1."""
    server.push(Status(401))
    assert main(["extract", ABSTRACT, *openai_flags(server, tmp_path)]) == 1
    assert "PermanentError" in capsys.readouterr().err


def test_cache_stats_and_clear(server, tmp_path, capsys):
    """`extractor cache stats|clear` report on and empty the cache directory."""
    server.push(Reply(GOOD))
    main(["extract", ABSTRACT, *openai_flags(server, tmp_path)])
    capsys.readouterr()
    main(["cache", "stats", "--cache-dir", str(tmp_path / "cache")])
    assert json.loads(capsys.readouterr().out)["entries"] == 1
    main(["cache", "clear", "--cache-dir", str(tmp_path / "cache")])
    assert "removed 1 entries" in capsys.readouterr().out


def test_cache_stats_and_clear_do_not_create_a_missing_cache(tmp_path, capsys):
    missing = tmp_path / "never-made"
    assert main(["cache", "stats", "--cache-dir", str(missing)]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0
    assert main(["cache", "clear", "--cache-dir", str(missing)]) == 0
    assert "removed 0 entries" in capsys.readouterr().out
    assert not missing.exists()


@pytest.mark.parametrize("where", ["missing", "under a file", "full disk", "empty folder"])
def test_cache_stats_where_there_is_no_cache_says_whether_one_could_be_made(
        where, tmp_path, capsys, monkeypatch):
    """`writable` is in every `cache stats`, as the README documents: with no cache
    there, whether a run could make one (its nearest folder can be written and its
    disk has room); nothing is created to find out."""
    import shutil

    import extractor.cache as cache_module

    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "empty").mkdir()
    directory = {"missing": tmp_path / "new" / "cache", "under a file": tmp_path / "a-file" / "c",
                 "full disk": tmp_path / "new", "empty folder": tmp_path / "empty"}[where]
    if where == "full disk":
        monkeypatch.setattr(cache_module.shutil, "disk_usage",
                            lambda path: shutil._ntuple_diskusage(100, 100, 0))
    assert main(["cache", "stats", "--cache-dir", str(directory)]) == 0
    out, err = capsys.readouterr()
    writable = where in ("missing", "empty folder")
    assert json.loads(out) == {"directory": str(directory), "entries": 0, "size_bytes": 0,
                               "writable": writable}
    assert ("no cache can be made" in err) != writable
    assert not (tmp_path / "new").exists() and list((tmp_path / "empty").iterdir()) == []


def test_cache_clear_removes_an_unreadable_cache_and_only_that(server, tmp_path, capsys):
    """`cache clear` is the way out of a corrupt cache: it deletes the database
    SQLite cannot read, and the next run caches again. Stats still refuses, and
    a readable cache, or a path that is a file, is never deleted this way."""
    cache_dir = tmp_path / "cache"
    server.push(Reply(GOOD), Reply(GOOD))
    main(["extract", ABSTRACT, *openai_flags(server, tmp_path)])
    (cache_dir / "cache.db").write_bytes(b"garbage" * 100)
    (cache_dir / "keep.txt").write_text("not the cache's")
    assert main(["cache", "stats", "--cache-dir", str(cache_dir)]) == 2
    capsys.readouterr()
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0
    assert "removed the unreadable cache database" in capsys.readouterr().out
    assert (cache_dir / "keep.txt").exists() and not (cache_dir / "cache.db").exists()
    main(["extract", ABSTRACT, *openai_flags(server, tmp_path)])
    capsys.readouterr()
    main(["cache", "stats", "--cache-dir", str(cache_dir)])
    assert json.loads(capsys.readouterr().out)["entries"] == 1
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert main(["cache", "clear", "--cache-dir", str(a_file)]) == 2
    assert a_file.read_text() == "x"


def test_no_cache_and_refresh_flags(server, tmp_path, capsys):
    """--no-cache leaves nothing behind; --refresh asks again."""
    server.push(Reply(GOOD), Reply(GOOD), Reply(GOOD))
    flags = openai_flags(server, tmp_path)
    main(["extract", ABSTRACT, *flags, "--no-cache"])
    main(["extract", ABSTRACT, *flags])
    main(["extract", ABSTRACT, *flags, "--refresh"])
    assert len(server.received) == 3


def test_unknown_backend_option_format_is_a_usage_error(capsys):
    """--option needs KEY=VALUE."""
    assert main(["extract", ABSTRACT, "--backend", "replay", "--option", "recordings"]) == 2


def test_console_script_is_installed(server, tmp_path):
    """The `extractor` console script runs as its own process."""
    server.push(Reply(GOOD))
    done = subprocess.run(
        ["extractor", "extract", ABSTRACT, "--title", TITLE, *openai_flags(server, tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["meta"]["model"] == "m"


def test_a_sigterm_landing_in_a_finalizer_still_stops_a_run_whose_sigint_is_ignored():
    # A signal handler runs wherever the main thread is, a `__del__` too, and
    # Python drops what a finalizer raises: a batch run in a script's background
    # job once went on to the end after `kill`. The stop must reach the loop,
    # which cancels the run's task (so its summary is written) and then exits.
    seen = []

    class Finalized:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)

    async def run() -> None:
        Finalized()  # dropped at once: the handler runs inside __del__
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _Terminate() as terminate, pytest.raises(KeyboardInterrupt):
            asyncio.run(run())
    finally:
        signal.signal(signal.SIGINT, previous)
    assert terminate.seen and seen == ["cancelled"]


def test_a_reader_that_stops_reading_ends_the_command_quietly():
    """`extractor extract ... | head -0`: no traceback, the shell's SIGPIPE exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "extractor.cli", "extract", "--backend", "rules", "--no-cache",
         ABSTRACT],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the command writes anything
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 128 + signal.SIGPIPE, stderr
    assert "Traceback" not in stderr


def test_ctrl_c_while_the_command_starts_ends_quietly_with_130(capsys, monkeypatch):
    """Building the parser reads the backends' entry points: a Ctrl-C there
    printed a traceback instead of the one-line message."""
    import extractor.cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(extractor.cli, "available_backends", interrupted)
    assert main(["batch", "in.jsonl", "-o", "out.jsonl"]) == 130
    assert capsys.readouterr().err == "extractor: interrupted\n"


def test_python_dash_m_extractor_is_the_same_command():
    done = subprocess.run([sys.executable, "-m", "extractor", "extract", "--backend", "rules",
                           "--no-cache", "We propose FooNet, which is 3x faster than BarNet."],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["speedups"][0]["factor"] == 3


def test_an_interrupted_batch_prints_only_a_summary_this_run_wrote(tmp_path, capsys):
    from extractor.cli_commands import _print_summary_written_since

    (tmp_path / "out.summary.json").write_text('{"stopped": "interrupted"}\n')
    _print_summary_written_since(tmp_path / "out.jsonl", None, time.time())
    assert capsys.readouterr().out == '{"stopped": "interrupted"}\n'
    os.utime(tmp_path / "out.summary.json", (time.time() - 60, time.time() - 60))
    _print_summary_written_since(tmp_path / "out.jsonl", None, time.time())  # an earlier run's
    _print_summary_written_since(tmp_path / "nothing.csv", None, time.time())
    assert capsys.readouterr().out == ""


def test_the_chosen_backend_is_said_on_stderr_unless_quiet(tmp_path, capsys):
    """With no --backend, no EXTRACTOR_BACKEND and no key, the rules backend is
    chosen and said to be (it decides what a run costs); --quiet says nothing."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "1", "title": TITLE, "abstract": ABSTRACT}) + "\n")
    assert main(["batch", str(source), "-o", str(tmp_path / "a.jsonl"), "--no-cache"]) == 0
    notice = "extractor: using the rules backend (no OPENAI_API_KEY and no EXTRACTOR_BACKEND)"
    assert notice in capsys.readouterr().err
    assert main(["batch", str(source), "-o", str(tmp_path / "b.jsonl"), "--no-cache",
                 "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_extract_with_a_base_url_and_no_backend_asks_that_server(server, tmp_path, capsys):
    """`extractor extract --base-url URL --model M` with no key and no --backend
    asks the server, as the flags say, instead of answering with the rules."""
    server.push(Reply(GOOD))
    assert main(["extract", "--base-url", server.url, "--model", "m", "--mode", "json",
                 "--no-cache", ABSTRACT]) == 0
    assert json.loads(capsys.readouterr().out)["meta"]["backend"] == "openai"
    assert len(server.received) == 1


def test_extract_takes_quiet_as_the_readme_says(capsys):
    """`extractor extract --quiet` says nothing of the backend it chose."""
    assert main(["extract", "--quiet", "--no-cache", ABSTRACT]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and json.loads(captured.out)["meta"]["backend"] == "rules"


@pytest.mark.parametrize("command", ["extract", "batch"])
@pytest.mark.parametrize("flags, said", [
    (["--backend", "rules", "--mode", "json"], "--mode given, but the rules backend reads no "
     "mode: leave it out"),
    (["--backend", "rules", "--model", "m", "--api-key", "k"], "--model and --api-key given, "
     "but the rules backend reads no model or API key: leave them out"),
    (["--backend", "replay", "--base-url", "http://127.0.0.1:9/v1"], "--base-url given, but "
     "the replay backend reads no base URL"),
], ids=["rules-mode", "rules-model-key", "replay-base-url"])
def test_a_flag_the_named_backend_does_not_read_is_refused(command, flags, said, tmp_path,
                                                           capsys):
    """`--backend rules --mode json` ran the rules and dropped the mode unsaid: the
    flag was meant for another backend, as when the default comes out as rules."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "1", "title": TITLE, "abstract": ABSTRACT}) + "\n")
    where = [ABSTRACT] if command == "extract" else [str(source), "-o", str(tmp_path / "o.jsonl")]
    assert main([command, *where, *flags, "--no-cache"]) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_a_flag_named_by_the_environment_backend_is_refused_too(monkeypatch, capsys):
    """EXTRACTOR_BACKEND=rules names the backend as --backend does."""
    monkeypatch.setenv("EXTRACTOR_BACKEND", "rules")
    assert main(["extract", "--mode", "json", "--no-cache", ABSTRACT]) == 2
    assert "--mode given, but the rules backend reads no mode" in capsys.readouterr().err


def test_eval_takes_a_flag_that_one_of_its_backends_reads(server, tmp_path, capsys):
    """`eval --backend rules,openai --mode json` scores both, the mode going to
    openai; a flag that none of the backends reads is refused before any call."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a", "title": TITLE, "abstract": ABSTRACT,
                                "labels": GOOD}) + "\n")
    base = ["eval", str(gold), "--no-cache", "--quiet", "--no-thresholds"]
    server.push(Reply(GOOD))
    assert main([*base, "--backend", "rules,openai", "--base-url", server.url, "--model", "m",
                 "--mode", "json"]) == 0
    assert capsys.readouterr().out.count("speedups") == 2
    assert len(server.received) == 1 and "tools" not in server.received[0]
    assert main([*base, "--backend", "rules,replay", "--api-key", "k"]) == 2
    assert capsys.readouterr().err == ("extractor: ConfigError: --api-key given, but the "
                                       "backends rules, replay read no API key: leave it out, "
                                       "or name the backend meant (--backend openai, "
                                       "anthropic, ...)\n")
    assert main([*base, "--backend", "rules", "--mode", "json"]) == 2
    assert "the rules backend reads no mode" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["rules", "replay", "openai"])
def test_an_option_the_backend_does_not_read_is_refused(backend, capsys, monkeypatch):
    """`--option recording=DIR` (for recordings=) fell back to the committed
    recordings and scored another model, and CI went green."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # refused before any request
    assert main(["extract", "--backend", backend, "--no-cache", "--option", "recording=x",
                 "We propose X, which is 3x faster than Y."]) == 2
    assert f"unknown {backend} option(s) recording; known:" in capsys.readouterr().err


def test_cache_stats_and_clear_create_no_cache_in_a_directory_that_holds_none(tmp_path, capsys):
    """`--cache-dir mydocs` by mistake: the answer is that there is no cache, and
    the directory is left as it was."""
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "notes.txt").write_text("mine")
    assert main(["cache", "stats", "--cache-dir", str(docs)]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0
    assert main(["cache", "clear", "--cache-dir", str(docs)]) == 0
    assert "no cache there" in capsys.readouterr().out
    assert [path.name for path in docs.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("command", [
    ["cache", "stats", "--cache-dir", "{long}"],
    ["cache", "clear", "--cache-dir", "{long}"],
    ["eval", "{gold}", "--backend", "rules", "--thresholds", "{long}"],
    ["eval", "{gold}", "--backend", "rules", "--no-thresholds", "--json", "{tmp}/{long}"],
    ["record", "{gold}", "--base-url", "http://127.0.0.1:9/v1", "--out", "{tmp}/{long}"],
    ["batch", "{long}", "-o", "{tmp}/out.jsonl", "--backend", "rules"],
    ["batch", "{gold}", "-o", "{tmp}/{long}", "--backend", "rules"],
], ids=["cache-stats", "cache-clear", "thresholds", "json", "record-out", "batch-in",
        "batch-out"])
def test_a_path_too_long_for_the_file_system_is_one_line_and_exit_2(command, tmp_path,
                                                                    capsys):
    """A path argument whose name is over 255 bytes fails with one line naming it,
    not with the OSError traceback of a pathlib probe."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD.read_text(encoding="utf-8").splitlines()[0] + "\n")
    long = "x" * 300
    argv = [a.format(long=long, gold=gold, tmp=tmp_path) for a in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"{long}: File name too long\n") and err.count("\n") == 1


@pytest.mark.parametrize(("how", "code", "said"), [
    ("factory", 2, "ConfigError: backend 'plugin' could not be built: TypeError: "),
    ("identity", 2, "ConfigError: the plugin backend's identity() must return a dict of JSON"),
    ("dict", 1, "PermanentError: the plugin backend returned a dict;"),
    ("raise", 1, "BackendError: the plugin backend raised ConnectionError: socket closed"),
])  # fmt: skip
def test_a_third_party_backend_that_breaks_the_contract_is_one_line(how, code, said, capsys):
    """A plugin backend's failure to build, an identity that is not JSON, an answer
    of the wrong type or an exception of its own: one line naming the backend, exit
    2 for what is wrong with the setup and 1 for a backend that failed, no traceback."""
    from extractor import Backend, register
    from extractor.backends.base import unregister

    class Plugin(Backend):
        name = "plugin"

        def __init__(self, config):
            if how == "factory":
                raise TypeError("Plugin wants an api_token")

        def identity(self):
            return {"backend": "plugin", "where": Path("/x")} if how == "identity" else {}

        def complete(self, request):
            if how == "dict":
                return {"task": "t"}
            raise ConnectionError("socket closed")

    register("plugin", Plugin)
    try:
        assert main(["extract", "--backend", "plugin", "--no-cache", ABSTRACT]) == code
    finally:
        unregister("plugin")
    err = capsys.readouterr().err
    assert err.startswith("extractor: ") and err.count("\n") == 1 and said in err


_EMPTY_FLAG_COMMANDS = {
    "extract": ["extract", "x"],
    "batch": ["batch", "in.jsonl", "--out", "out.jsonl"],
    "eval": ["eval"],
    "record": ["record"],
}


@pytest.mark.parametrize("flag", ["--backend=", "--model=", "--cache-dir=", "--model= "])
@pytest.mark.parametrize("command", sorted(_EMPTY_FLAG_COMMANDS))
def test_an_empty_flag_value_is_refused(command, flag, capsys):
    # An empty value, often an unset shell variable, would silently mean the
    # default backend, model or cache (or the current directory as cache).
    with pytest.raises(SystemExit) as exc:
        main([*_EMPTY_FLAG_COMMANDS[command], flag])
    assert exc.value.code == 2
    assert "must not be empty" in capsys.readouterr().err


def test_cache_refuses_an_empty_cache_dir(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["cache", "stats", "--cache-dir="])
    assert exc.value.code == 2
    assert "must not be empty" in capsys.readouterr().err

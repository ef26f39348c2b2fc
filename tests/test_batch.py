"""Batch runs end to end: dedup over the real dumps, failures recorded as data,
resume after kill -9, malformed input, shards, outputs, limits and progress."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from extractor import (
    Backend,
    Completion,
    ConfigError,
    Extractor,
    Options,
    PaperSummary,
    TransientError,
    ValidationFailed,
    extract_many,
    register,
    views,
)
from extractor.backends.base import unregister
from extractor.batch import Limits, RunConfig, run
from extractor.cli import main
from extractor.dumps import make_record
from extractor.engine import aextract_many
from extractor.limits import RateLimiter
from extractor.outputs import Log
from extractor.progress import Progress, Tally, price_for
from extractor.testing import Reply, Stall, Status
from extractor.views import COLUMNS, convert

from .conftest import DUMPS, FAST_RETRY, GOOD, REPO

FAST = ["--no-cache", "--retry-wait", "0.01"]


def abstract(i: int) -> str:
    return (f"In paper {i} we study sparse solvers for linear systems arising from discretised "
            f"partial differential equations and report experiments on benchmark {i}.")


def write_jsonl(path, n, *, start=0):
    rows = [{"id": f"P{i}", "title": f"Paper {i}", "abstract": abstract(i)}
            for i in range(start, start + n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return [r["id"] for r in rows]


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def cli(capsys, *args):
    code = main(["batch", *map(str, args)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def paper_number(request):
    return int(re.search(r"In paper (\d+) ", request["messages"][-1]["content"]).group(1))


# How long a child run may take to write its first rows: it imports the SDKs first
# (and two workers each do too), which takes many seconds on a loaded machine. It
# bounds a hang, not speed.
STARTS_WITHIN = 60


class Slow(Backend):
    """An async backend that records how many calls overlap, and fails on demand."""

    name = "slow"

    def __init__(self, config=None):
        self.active = self.peak = 0

    async def acomplete(self, request):
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.01)
        self.active -= 1
        if "fail" in request.abstract:
            raise TransientError("scripted failure")
        return Completion(PaperSummary.model_validate(GOOD | {"speedups": []}))


# -- whole runs through the CLI -------------------------------------------------------


def test_rules_over_the_four_dumps_extracts_572_unique_valid_records(tmp_path, capsys):
    dumps = sorted(DUMPS.glob("*.txt")) if DUMPS.is_dir() else []
    if len(dumps) != 4:
        pytest.skip("shared/dumps is not present")
    out = tmp_path / "papers.jsonl"
    code, summary, _ = cli(capsys, *dumps, "-o", out, "--backend", "rules", "--no-cache")
    assert code == 0
    assert summary["counts"] | {"cached": 0} == {
        "read": 640, "done": 572, "cached": 0, "failed": 0, "unfinished": 0, "skipped": 0,
        "duplicates": 68,
        "reused_ids": 0, "other_shard": 0, "malformed": 0}
    rows = lines(out)
    assert len(rows) == len({r["id"] for r in rows}) == 572
    for row in rows:
        PaperSummary.model_validate(row["summary"])
        assert row["error"] is None and row["meta"]["backend"] == "rules"
    assert json.loads((tmp_path / "papers.summary.json").read_text())["counts"]["done"] == 572

    # The CSV view of the same results reuses papers.jsonl as its log: nothing is redone.
    code, summary, _ = cli(capsys, *dumps, "-o", tmp_path / "papers.csv", "--backend", "rules",
                           "--no-cache")
    assert code == 0 and summary["counts"]["skipped"] == 572 and summary["counts"]["done"] == 0
    with (tmp_path / "papers.csv").open(newline="") as stream:
        table = list(csv.DictReader(stream))
    assert len(table) == 572 and list(table[0]) == COLUMNS


def test_limit_makes_a_trial_run_that_the_next_run_goes_on_from(tmp_path, capsys):
    write_jsonl(tmp_path / "in.jsonl", 5)
    out, args = tmp_path / "out.jsonl", ("--backend", "rules", "--no-cache")
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, *args, "--limit", "3")
    assert code == 0 and summary["counts"]["done"] == 3
    assert "stopped at --limit 3" in summary["notes"][0]
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, *args, "--limit", "3")
    assert (summary["counts"]["done"], summary["counts"]["skipped"]) == (2, 3)
    assert summary["notes"] == []  # nothing was left over
    assert sorted(r["id"] for r in lines(out)) == [f"P{i}" for i in range(5)]
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), *args,
                 "--limit", "0"]) == 2


def test_refresh_over_an_existing_output_says_that_it_kept_what_the_output_holds(
        tmp_path, capsys):
    """It re-extracted nothing and said nothing: a rerun resumes, even with --refresh."""
    write_jsonl(tmp_path / "in.jsonl", 5)
    out, args = tmp_path / "out.jsonl", ("--backend", "rules")
    cli(capsys, tmp_path / "in.jsonl", "-o", out, *args, "--limit", "3")
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, *args, "--refresh")
    assert code == 0 and (summary["counts"]["done"], summary["counts"]["skipped"]) == (2, 3)
    assert any(note.startswith("--refresh asked the backend again only for records not yet in")
               and "the 3 it holds were kept" in note and "another output (-o)" in note
               for note in summary["notes"])
    _, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, *args)
    assert not any("--refresh" in note for note in summary["notes"])


def pipe(monkeypatch, data: bytes) -> None:
    """Standard input as a pipe holding `data`."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_dash_reads_standard_input_and_a_rerun_with_it_piped_again_resumes(
        tmp_path, capsys, monkeypatch):
    write_jsonl(tmp_path / "in.jsonl", 5)
    data, out = (tmp_path / "in.jsonl").read_bytes(), tmp_path / "out.jsonl"
    pipe(monkeypatch, data[: len(data) // 2 + 1])  # the producer died half-way
    code, summary, _ = cli(capsys, "-", "-o", out, "--backend", "rules", "--no-cache")
    assert summary["inputs"] == ["-"] and summary["counts"]["malformed"] == 1
    assert [r["source"] for r in lines(out)] == ["<stdin>:1", "<stdin>:2"]
    pipe(monkeypatch, data)
    code, summary, _ = cli(capsys, "-", "-o", out, "--backend", "rules", "--no-cache")
    assert code == 0 and summary["counts"]["done"] == 3 and summary["counts"]["skipped"] == 2
    assert sorted(r["id"] for r in lines(out)) == [f"P{i}" for i in range(5)]


def test_a_dump_on_standard_input_reads_as_the_file_does(tmp_path, capsys, monkeypatch):
    dump = next(iter(sorted(DUMPS.glob("*.txt"))), None) if DUMPS.is_dir() else None
    if dump is None:
        pytest.skip("shared/dumps is not present")
    cli(capsys, dump, "-o", tmp_path / "file.jsonl", "--backend", "rules", "--no-cache")
    pipe(monkeypatch, dump.read_bytes())
    cli(capsys, "-", "-o", tmp_path / "pipe.jsonl", "--backend", "rules", "--no-cache")
    from_file, from_pipe = lines(tmp_path / "file.jsonl"), lines(tmp_path / "pipe.jsonl")
    assert len(from_file) > 10
    assert [(r["id"], r["summary"]) for r in from_pipe] == [
        (r["id"], r["summary"]) for r in from_file]


def test_standard_input_twice_or_binary_is_refused_before_anything_is_written(
        tmp_path, capsys, monkeypatch):
    out = tmp_path / "out.jsonl"
    pipe(monkeypatch, b"x")
    assert main(["batch", "-", "-", "-o", str(out), "--backend", "rules"]) == 2
    assert "only once" in capsys.readouterr().err
    pipe(monkeypatch, b"%PDF-1.7\n\x00\x01binary")
    assert main(["batch", "-", "-o", str(out), "--backend", "rules"]) == 2
    assert "<stdin> is not a text dump" in capsys.readouterr().err and not out.exists()
    pipe(monkeypatch, gzip.compress(b'{"abstract": "x"}\n'))
    assert main(["batch", "-", "-o", str(out), "--backend", "rules"]) == 2
    assert "<stdin> is gzip-compressed, not a text dump: unpack it first (zcat" in \
        capsys.readouterr().err and not out.exists()


def test_progress_over_standard_input_counts_without_a_total(tmp_path, capsys, monkeypatch):
    """Counting the total would read the pipe twice: the line shows what is done."""
    write_jsonl(tmp_path / "in.jsonl", 3)
    pipe(monkeypatch, (tmp_path / "in.jsonl").read_bytes())
    run("-", tmp_path / "out.jsonl", Extractor("rules", cache=False), RunConfig(progress=True))
    err = capsys.readouterr().err
    assert "\rbatch 3  " in err and "/3" not in err


@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler, whatever the suite started with: a background
    job (`pytest &` in a script) starts with SIGINT ignored, and a test would wait
    for an interrupt that never comes."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield lambda: os.kill(os.getpid(), signal.SIGINT)
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("resuming", [False, True])
def test_ctrl_c_stops_a_run_at_once_while_it_reads_far_ahead(tmp_path, monkeypatch, ctrl_c,
                                                             resuming):
    """Counting the records on a terminal, or skipping past those the output holds,
    reads the inputs for many seconds; Ctrl-C is not held up by it."""
    from extractor import plan

    pressed = []

    def slow_read(*args, **kwargs):  # 10,000 records at 1 ms each, as from a big dump
        for i in range(10_000):
            if i == 100 and threading.current_thread() is threading.main_thread():
                pressed.append(time.monotonic())  # the run is under way, whatever the load
                ctrl_c()
            time.sleep(0.001)
            yield make_record(f"Paper {i}", abstract(i), f"in.jsonl:{i + 1}", f"P{i}")

    monkeypatch.setattr(plan, "read", slow_read)
    write_jsonl(tmp_path / "in.jsonl", 1)
    out = tmp_path / "out.jsonl"
    extractor = Extractor("rules", cache=False)
    if resuming:  # every record is done already
        out.write_text("".join(json.dumps({"id": f"P{i}", "error": None, "meta": {
            "backend": "rules", "prompt_hash": extractor.prompt.hash}}) + "\n"
                               for i in range(10_000)))
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "in.jsonl", out, extractor, RunConfig(progress=not resuming))
    assert len(pressed) == 1 and time.monotonic() - pressed[0] < 2.5
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["stopped"] == "interrupted" and adds_up(summary["counts"])


def test_429s_500s_and_timeouts_end_done_or_recorded_failed_and_retry_failed_heals(
        tmp_path, capsys, server):
    always_failing = {4, 9}
    seen: dict[int, int] = {}
    healthy = threading.Event()
    lock = threading.Lock()

    def script(request):
        number = paper_number(request)
        with lock:
            seen[number] = attempt = seen.get(number, 0) + 1
        if number in always_failing and not healthy.is_set():
            return Status(500)
        if attempt == 1 and number % 5 == 1:
            return Status(429, headers={"retry-after": "0"})
        if attempt == 1 and number % 5 == 2:
            return Status(503)
        if attempt == 1 and number % 5 == 3:
            return Stall(0.6)  # the client times out first
        return Reply(GOOD | {"speedups": []})

    server.default = script
    ids = write_jsonl(tmp_path / "in.jsonl", 20)
    out = tmp_path / "out.jsonl"
    args = [tmp_path / "in.jsonl", "-o", out, "--backend", "openai", "--base-url", server.url,
            "--model", "m", "--timeout", "0.3", "--max-attempts", "3", "--concurrency", "8",
            *FAST]
    code, summary, _ = cli(capsys, *args)
    rows = lines(out)
    assert code == 1
    assert sorted(r["id"] for r in rows) == sorted(ids)  # nothing lost, nothing twice
    failed = {r["id"]: r for r in rows if r["error"]}
    assert set(failed) == {"P4", "P9"}
    assert failed["P4"]["error"]["type"] == "TransientError"
    assert "500" in failed["P4"]["error"]["message"] and failed["P4"]["meta"]["attempts"] == 3
    retried = {r["id"]: r["meta"]["attempts"] for r in rows if not r["error"]}
    assert retried["P1"] == retried["P2"] == retried["P3"] == 2 and retried["P0"] == 1
    assert summary["counts"]["failed"] == 2 and summary["errors"] == {"TransientError": 2}
    assert summary["output"] == {"path": str(out), "log": str(out), "written": True,
                                 "records": 20, "failed": 2}

    code, summary, _ = cli(capsys, *args)  # a plain rerun does not retry failures
    assert code == 1 and summary["counts"]["skipped"] == 20 and len(lines(out)) == 20

    healthy.set()
    code, summary, _ = cli(capsys, *args, "--retry-failed")
    rows = lines(out)
    assert code == 0
    assert summary["counts"]["done"] == 2 and summary["counts"]["skipped"] == 18
    assert summary["output"] == {"path": str(out), "log": str(out), "written": True,
                                 "records": 20, "failed": 0}
    assert sorted(r["id"] for r in rows) == sorted(ids) and not any(r["error"] for r in rows)


def test_a_server_message_with_a_lone_surrogate_is_a_failed_row_not_a_stopped_run(
        tmp_path, capsys, server):
    """A server's words (here an error in a 200 body) holding "\\ud800" go into the
    row's message escaped: unescaped, the row could not be written and the run died."""

    def script(request):
        if paper_number(request) == 1:
            return Status(200, {"error": {"code": 400, "message": "bad \ud800 input"}})
        return Reply(GOOD | {"speedups": []})

    server.default = script
    write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, "--backend", "openai",
                           "--base-url", server.url, "--model", "m", *FAST)
    failed = {r["id"]: r["error"] for r in lines(out) if r["error"]}
    assert code == 1 and summary["output"]["records"] == 3 and list(failed) == ["P1"]
    assert "bad \\ud800 input" in failed["P1"]["message"]


def test_retry_failed_says_which_failures_the_inputs_no_longer_hold(tmp_path, capsys):
    """--retry-failed finds failures by id, and an id-less paper's id is its title and
    abstract: edited since, it is another record, and the run said nothing of the
    failure it left as it was. The summary says how many were not retried, and why;
    a paper whose source id stays retries its revised abstract, under that id."""
    def dump(name, rows):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
        return tmp_path / name

    long_one = {"title": "Long", "abstract": abstract(1) * 6}
    first = dump("a.jsonl", [{"title": "Short", "abstract": abstract(0)}, long_one,
                             {"id": "X", "title": "Kept id", "abstract": abstract(2) * 6}])
    edited = dump("b.jsonl", [{"title": "Short", "abstract": abstract(0)},
                              long_one | {"abstract": abstract(3) * 6},
                              {"id": "X", "title": "Kept id", "abstract": abstract(2) * 5}])
    out = tmp_path / "out.jsonl"
    base = ["-o", out, "--backend", "rules", "--quiet"]
    code, summary, _ = cli(capsys, first, *base, "--max-chars", "700")
    assert code == 1 and summary["output"]["failed"] == 2
    code, summary, _ = cli(capsys, edited, *base, "--retry-failed")
    assert code == 1 and summary["counts"]["done"] == 1 and summary["output"]["failed"] == 1
    assert summary["notes"] == [
        f"1 of the 2 failed records in {out} were not retried: no record of the inputs has "
        "their id. Give --retry-failed the input that produced them; a paper whose source "
        "gives no id is known by its title and abstract, so an edited one is a new record, "
        "which a run without --retry-failed extracts (the old row stays failed)"]
    assert [r["content_key"] for r in lines(out) if r["id"] == "X"] == [
        make_record("Kept id", abstract(2) * 5, "").key]
    code, summary, _ = cli(capsys, first, *base, "--retry-failed")
    assert code == 0 and summary["output"]["failed"] == 0 and summary["notes"] == []


def test_a_run_killed_with_sigkill_resumes_without_duplicates_or_gaps(tmp_path, capsys, server):
    server.delay = 0.02
    ids = write_jsonl(tmp_path / "in.jsonl", 150)
    out = tmp_path / "out.jsonl"
    args = [str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "openai", "--base-url",
            server.url, "--model", "m", "--concurrency", "4", *FAST]
    child = subprocess.Popen([sys.executable, "-m", "extractor.cli", "batch", *args], cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while (not out.exists() or out.read_text().count("\n") < 30) and child.poll() is None:
            assert time.monotonic() < deadline, "the batch run did not start writing"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    before = out.read_text().count("\n")
    assert 30 <= before < 150
    with out.open("a") as stream:  # as if the kill had landed in the middle of a write
        stream.write('{"id": "P149", "title": "Paper 1')

    server.delay = 0
    code, summary, err = cli(capsys, *args)
    rows = lines(out)
    assert code == 0
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert summary["counts"]["skipped"] == before
    assert summary["counts"]["done"] == 150 - before
    assert "dropped an unfinished last line" in err


@pytest.mark.parametrize(("sigint_ignored", "workers"), [
    (False, 1), (True, 1),  # True: a script's background job
    (False, 2), (True, 2),  # workers: SLURM's time limit on a run that uses both cores
])
def test_sigterm_stops_a_run_like_ctrl_c_with_its_summary_and_it_resumes(
        tmp_path, capsys, server, sigint_ignored, workers):
    server.delay = 0.02
    ids = write_jsonl(tmp_path / "in.jsonl", 150)
    out = tmp_path / "out.jsonl"
    args = [str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "openai", "--base-url",
            server.url, "--model", "m", "--concurrency", "4", "--workers", str(workers), *FAST]

    def as_asked():  # in the child, whatever SIGINT this process started with
        signal.signal(signal.SIGINT, signal.SIG_IGN if sigint_ignored else signal.SIG_DFL)

    child = subprocess.Popen([sys.executable, "-m", "extractor.cli", "batch", *args], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=as_asked)
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while (not out.exists() or out.read_text().count("\n") < 30) and child.poll() is None:
            assert time.monotonic() < deadline, "the batch run did not start writing"
            time.sleep(0.02)
        child.terminate()
        printed, err = child.communicate(timeout=20)
    finally:
        child.kill()
        child.communicate()  # its pipes closed, its exit reaped: no ResourceWarning later
    assert child.returncode == 128 + signal.SIGTERM
    assert "terminated (SIGTERM)" in err
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert json.loads(printed) == summary  # printed, as a finished run's is
    before = len(lines(out))
    assert summary["stopped"] == "interrupted" and summary["counts"]["done"] == before < 150

    server.delay = 0
    code, summary, _ = cli(capsys, *args)
    assert code == 0 and sorted(r["id"] for r in lines(out)) == sorted(ids)
    assert summary["counts"]["skipped"] == before


def test_a_malformed_input_line_is_reported_with_its_line_number_and_the_rest_proceeds(
        tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 4)
    text = source.read_text().splitlines()
    text.insert(2, '{"id": "broken", "title": "no closing brace"')
    source.write_text("\n".join(text) + "\n")
    code, summary, err = cli(capsys, source, "-o", tmp_path / "out.jsonl", "--backend", "rules",
                             "--no-cache")
    assert code == 1
    assert summary["counts"]["done"] == 4 and summary["counts"]["malformed"] == 1
    assert summary["malformed_lines"][0]["line"] == 3
    assert f"{source}:3: not valid JSON" in err
    assert len(lines(tmp_path / "out.jsonl")) == 4


def test_a_binary_input_fails_before_the_run_writes_anything(tmp_path, capsys):
    good = tmp_path / "in.jsonl"
    write_jsonl(good, 3)
    binary = tmp_path / "paper.pdf"
    binary.write_bytes(b"%PDF-1.4\n\x00\x01\x02 stream\r\nendstream\n")
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(good), str(binary), "-o", str(out), "--backend", "rules"]) == 2
    assert "paper.pdf is not a text dump" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "out.summary.json").exists()


def test_an_output_that_is_a_directory_or_an_input_is_refused_with_one_line(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, 2)
    before = source.read_bytes()
    (tmp_path / "out").mkdir()
    for out, message in ((tmp_path / "out", "cannot write the output"),
                         (source, "is both an input and where this run writes")):
        assert main(["batch", str(source), "-o", str(out), "--backend", "rules"]) == 2
        assert message in capsys.readouterr().err
    assert source.read_bytes() == before


@pytest.mark.parametrize("name", ["x.jsonl", "sub/x.csv"])
def test_an_output_under_a_file_names_that_file_and_the_output_as_given(
        tmp_path, capsys, name):
    """It said "File exists", and named x.jsonl when x.csv was asked for."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    (tmp_path / "notes").write_text("a file, not a directory")
    out = tmp_path / "notes" / name
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules"]) == 2
    log = "" if name.endswith(".jsonl") else f" (its JSONL log {out.with_suffix('.jsonl')})"
    assert capsys.readouterr().err == (f"extractor: ConfigError: cannot write the output {out}"
                                       f"{log}: {tmp_path / 'notes'} is a file, not a directory\n")


def test_shards_split_the_input_into_disjoint_parts_that_cover_it(tmp_path, capsys):
    ids = write_jsonl(tmp_path / "in.jsonl", 60)
    found = []
    for index in range(3):
        out = tmp_path / f"shard{index}.jsonl"
        code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, "--shard", f"{index}/3",
                               "--backend", "rules", "--no-cache", "--quiet")
        assert code == 0 and summary["counts"]["other_shard"] == 60 - len(lines(out))
        found += [r["id"] for r in lines(out)]
    assert sorted(found) == sorted(ids)
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "x.jsonl"),
                 "--shard", "3/3", "--backend", "rules"]) == 2


def test_an_id_field_that_is_not_unique_is_reported_not_silently_collapsed(tmp_path, capsys):
    """One id is one paper, so only the first record of an id is extracted; when
    later ones hold other abstracts, the summary counts them and names the first."""
    source = tmp_path / "papers.csv"
    source.write_text("year,title,abstract\n"
                      "2020,A,We propose A. It is 2x faster than B.\n"
                      "2020,C,We propose C. It is 5x faster than D.\n"
                      "2021,A,We propose A. It is 2x faster than B.\n"
                      "2020,A,We propose A. It is 2x faster than B.\n")
    code, summary, _ = cli(capsys, source, "-o", tmp_path / "out.jsonl", "--id-field", "year",
                           "--backend", "rules", "--quiet")
    assert code == 0
    assert summary["counts"]["done"] == 1
    assert summary["counts"]["duplicates"] == 3 and summary["counts"]["reused_ids"] == 1
    assert any("id '2020' at " in note and "papers.csv:3" in note and "--id-field" in note
               for note in summary["notes"])


def test_the_summary_names_the_output_and_its_log_beside_their_counts(tmp_path, capsys):
    """The path was written under "output" and then overwritten by the counts."""
    write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.csv"
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, "--backend", "rules")
    assert code == 0 and summary["output"] == {
        "path": str(out), "log": str(tmp_path / "out.jsonl"), "written": True, "records": 3,
        "failed": 0}
    assert json.loads((tmp_path / "out.summary.json").read_text())["output"] == summary["output"]


@pytest.mark.parametrize(("out", "flags", "message"), [
    ("out.jsonl.gz", (), "batch output is not compressed"),
    ("b.csv", ("--format", "parquet"), "b.csv names a csv file, but --format asks for parquet"),
    ("a.jsonl", ("--format", "csv"), "a.jsonl names a jsonl file, but --format asks for csv"),
    ("p.json", (), ".json names a JSON array, which batch does not write; name it"),
    ("t.tsv", (), ".tsv names tab-separated values"),
    ("-", (), "-o - (standard output) is not supported"),
    ("", (), "the output (-o) names no file ('.'): name one, e.g. -o out.jsonl"),
    ("/", (), "the output (-o) names no file ('/')"),
])
def test_an_output_name_that_says_another_format_is_refused_before_the_run(
        tmp_path, capsys, monkeypatch, out, flags, message):
    """out.jsonl.gz held plain JSON lines (which gzip then refused to read back),
    b.csv held Parquet, -o - wrote a file named '-', and -o "" (a variable unset)
    ended in a ValueError traceback."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "in.jsonl", "-o", out, *flags, "--backend", "rules"]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.parametrize("where", ["fifo", "summary-fifo", "/dev/stdout", "stdout-by-name"])
def test_an_output_that_is_a_stream_or_our_own_stdout_is_refused_before_the_run(tmp_path, where):
    """-o /dev/stdout on a pipe hung reading it back (SIGTERM ignored); with
    standard output a file, the summary printed there overwrote the rows."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    if where == "fifo":
        os.mkfifo(out)
    elif where == "summary-fifo":
        os.mkfifo(tmp_path / "out.summary.json")
    stdout = tmp_path / "stdout.txt"
    target = {"/dev/stdout": "/dev/stdout", "stdout-by-name": str(stdout)}.get(where, str(out))
    with stdout.open("w") as sink:
        done = subprocess.run([sys.executable, "-m", "extractor", "batch", "in.jsonl", "-o", target,
                               "--backend", "rules", "--no-cache"], cwd=tmp_path, stdout=sink,
                              stderr=subprocess.PIPE, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert "a rerun resumes from that file" in done.stderr
    assert stdout.read_text() == ""
    assert not (tmp_path / "out.jsonl").is_file()


@pytest.mark.parametrize(("out", "flags", "written"), [
    ("d.CSV", (), ["d.CSV", "d.jsonl", "d.summary.json"]),
    ("results", ("--format", "csv"), ["results", "results.jsonl", "results.summary.json"]),
    ("e", (), ["e", "e.summary.json"]), ("f.ndjson", (), ["f.ndjson", "f.summary.json"]),
    ("run.1", ("--format", "csv"), ["run.1", "run.1.jsonl", "run.1.summary.json"]),
    ("run.2", (), ["run.2", "run.2.summary.json"]),
])
def test_an_output_name_without_a_format_of_its_own_takes_the_one_asked_for(
        tmp_path, capsys, monkeypatch, out, flags, written):
    write_jsonl(tmp_path / "in.jsonl", 2)
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "in.jsonl", "-o", out, *flags, "--backend", "rules"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.jsonl", *written])


def test_outputs_named_alike_but_for_a_suffix_of_no_format_keep_apart_logs(tmp_path, capsys):
    """`-o run.1` and `-o run.2` (as CSV) both logged to run.jsonl and wrote
    run.summary.json: the second run resumed from the first's rows."""
    write_jsonl(tmp_path / "a.jsonl", 2)
    write_jsonl(tmp_path / "b.jsonl", 3, start=10)
    for name, source, done in (("run.1", "a.jsonl", 2), ("run.2", "b.jsonl", 3)):
        code, summary, _ = cli(capsys, tmp_path / source, "-o", tmp_path / name, "--format",
                               "csv", "--backend", "rules", "--no-cache")
        assert code == 0 and summary["counts"]["done"] == done
        assert summary["output"]["records"] == done
    with (tmp_path / "run.2").open(newline="") as stream:
        assert [row["id"] for row in csv.DictReader(stream)] == ["P10", "P11", "P12"]


def test_an_interrupted_run_says_its_csv_was_not_written_and_that_the_old_one_is_stale(
        tmp_path, capsys, ctrl_c):
    """The summary counted records for a CSV that was never written this time."""
    write_jsonl(tmp_path / "in.jsonl", 300)  # 10 ms each, one at a time: 3 s
    out = tmp_path / "out.csv"
    out.write_text("id\nfrom an earlier run\n")
    (tmp_path / "out.jsonl").write_text("")  # its log: without one the run is refused

    class Pressed(Slow):  # Ctrl-C during the fifth record
        async def acomplete(self, request):
            self.calls = getattr(self, "calls", 0) + 1
            if self.calls == 5:
                ctrl_c()
            return await super().acomplete(request)

    register("slow", Pressed)
    try:
        with pytest.raises(KeyboardInterrupt):
            run(tmp_path / "in.jsonl", out, Extractor("slow", cache=False),
                RunConfig(limits=Limits(concurrency=1)))
    finally:
        unregister("slow")
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["output"]["written"] is False and summary["output"]["records"] > 0
    assert any(note.startswith(f"{out} was not written (interrupted); ") and
               "rerun the same command" in note and "from an earlier run" in note
               for note in summary["notes"])
    assert out.read_text() == "id\nfrom an earlier run\n"


def test_a_csv_that_cannot_be_written_is_in_the_summary_and_fails_the_run(
        tmp_path, capsys, monkeypatch):
    write_jsonl(tmp_path / "in.jsonl", 2)

    def full(rows, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(views.WRITERS, "csv", full)
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.csv"),
                 "--backend", "rules"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["output"]["written"] is False and summary["counts"]["done"] == 2
    assert "out.csv was not written: cannot write" in " ".join(summary["notes"])


def test_parquet_output_has_the_documented_columns_and_types(tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    write_jsonl(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.parquet"
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, "--backend", "rules",
                           "--no-cache")
    table = pq.read_table(out)
    assert code == 0 and summary["format"] == "parquet"
    assert table.column_names == COLUMNS and table.num_rows == 5
    assert str(table.schema.field("hardware").type) == "list<element: string>"
    assert (tmp_path / "out.jsonl").exists()


def test_a_missing_input_or_a_directory_given_as_one_is_named(tmp_path, capsys):
    (tmp_path / "dumps").mkdir()
    out = str(tmp_path / "out.jsonl")
    assert main(["batch", str(tmp_path / "nope.jsonl"), "-o", out, "--backend", "rules"]) == 2
    assert "no such input file: " in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "dumps"), "-o", out, "--backend", "rules"]) == 2
    assert "a directory, not a dump file" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_json_array_dump_runs_end_to_end(tmp_path, capsys):
    """`[{...}, {...}]`, as `json.dump(papers)` writes it: every element is a paper."""
    rows = [{"id": f"P{i}", "title": f"Paper {i}", "abstract": abstract(i)} for i in range(3)]
    (tmp_path / "papers.json").write_text(json.dumps(rows, indent=1))
    code, summary, _ = cli(capsys, tmp_path / "papers.json", "-o", tmp_path / "out.jsonl",
                           "--backend", "rules", "--no-cache")
    assert code == 0 and summary["counts"]["done"] == 3
    assert [row["id"] for row in lines(tmp_path / "out.jsonl")] == ["P0", "P1", "P2"]


def test_a_text_file_that_is_no_dump_is_refused_unless_its_format_is_asked_for(tmp_path, capsys):
    """`extractor batch dumps/*` once read the folder's README.md as seven papers: any
    text file pairs its short lines into titles and "abstracts"."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    readme = tmp_path / "README.md"
    readme.write_text("# Dumps\n\nFour real text dumps of paper listing pages.\n\n"
                      "- A few header lines come first.\n- Then each paper.\n")
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), str(readme), "-o", str(out), "--backend",
            "rules", "--no-cache"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{readme} does not look like a dump" in err and "--input-format text" in err
    assert not out.exists()
    assert main(["batch", str(readme), "-o", str(out), "--backend", "rules", "--no-cache",
                 "--input-format", "text"]) == 0  # asked for: read as title and abstract lines
    assert lines(out)[0]["title"] == "# Dumps"


@pytest.mark.parametrize("name", ["out.csv", "out.jsonl"])
def test_an_output_that_is_a_directory_is_refused_before_the_run(tmp_path, capsys, name):
    """Not a traceback after the run from renaming the CSV over the directory."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    (tmp_path / name).mkdir()
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / name),
                 "--backend", "rules", "--no-cache"]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", name]


def test_a_view_that_cannot_be_written_leaves_no_partial_file_and_names_the_log(tmp_path):
    log = Log(tmp_path / "out.jsonl")
    log.open()
    log.append({"id": "a", "title": "", "source": "s", "summary": None, "meta": {},
                "error": {"type": "X", "message": "m"}})
    log.close()
    (tmp_path / "out.csv").mkdir()  # made after the run's own check
    with pytest.raises(ConfigError, match=r"every result is in .*out\.jsonl"):
        convert(log, "csv", tmp_path / "out.csv")
    assert not list(tmp_path.glob("out.csv.*"))


def test_parquet_without_pyarrow_is_refused_before_any_record_is_extracted(
        tmp_path, capsys, monkeypatch):
    """Not at the end of a run that may have taken hours of paid calls."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` raises ImportError
    write_jsonl(tmp_path / "in.jsonl", 3)
    backend = Slow()
    register("slow", lambda config: backend)
    try:
        code = main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.parquet"),
                     "--backend", "slow"])
    finally:
        unregister("slow")
    err = capsys.readouterr().err
    assert code == 2 and "needs pyarrow" in err and "log" not in err  # none was written
    assert backend.peak == 0 and not (tmp_path / "out.jsonl").exists()


def test_resuming_into_an_output_of_another_backend_is_refused(tmp_path, capsys):
    write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    assert cli(capsys, tmp_path / "in.jsonl", "-o", out, "--backend", "rules", "--no-cache")[0] == 0
    register("slow", Slow)
    try:
        code = main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "slow"])
    finally:
        unregister("slow")
    assert code == 2 and "resuming would mix them" in capsys.readouterr().err


def adds_up(counts) -> bool:
    """Every record read is counted once, where it went."""
    return counts["read"] == sum(counts[name] for name in (
        "done", "failed", "unfinished", "skipped", "duplicates", "other_shard"))


@pytest.mark.parametrize(("flags", "stopped"), [
    ((), None), (("--shard", "1/3"), None), (("--limit", "3"), None),
    (("--max-failures", "2"), "stopped after 2 failures"),
    (("--max-attempts", "1", "--fail-all"), "stopped: the first 20 records all failed"),
])
def test_every_record_read_is_counted_once_however_the_run_ends(
        tmp_path, capsys, flags, stopped):
    """Records in flight when a run stopped early were counted nowhere, and the
    one record --limit reads to know that more are left was counted as read."""
    fail_all = "--fail-all" in flags
    flags = [flag for flag in flags if flag != "--fail-all"]
    rows = [{"id": f"P{i}", "abstract": abstract(i) + (" We fail." if fail_all or i % 3 == 2
                                                       else "")} for i in range(60)]
    rows += [*rows[:5], dict(rows[7], id="again")]  # duplicates by id and by content
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    register("slow", Slow)
    try:
        _, summary, _ = cli(capsys, source, "-o", tmp_path / "out.jsonl", "--backend", "slow",
                            "--concurrency", "4", "--max-attempts", "1", *FAST, *flags)
    finally:
        unregister("slow")
    counts = summary["counts"]
    assert adds_up(counts), counts
    assert (summary["stopped"] or "").startswith(stopped or "")
    assert counts["done"] + counts["failed"] == len(lines(tmp_path / "out.jsonl"))
    assert (counts["unfinished"] > 0) == (stopped is not None)
    if "--limit" in flags:
        assert counts["read"] == 3 and counts["unfinished"] == 0


def test_max_failures_stops_a_run_that_fails_every_record(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"abstract": f"{abstract(i)} We fail."}) + "\n"
                              for i in range(200)))
    register("slow", Slow)
    try:
        code, summary, _ = cli(capsys, source, "-o", tmp_path / "out.jsonl", "--backend", "slow",
                               "--max-attempts", "1", "--max-failures", "5", "--concurrency", "2",
                               *FAST)
    finally:
        unregister("slow")
    assert code == 1 and summary["stopped"].startswith("stopped after 5 failures")
    assert summary["counts"]["failed"] == 5 == len(lines(tmp_path / "out.jsonl"))


def test_a_run_whose_first_records_all_fail_stops_by_itself_and_resumes(tmp_path, capsys):
    """A broken backend (wrong key, URL or model) stops the run after 20 failures, not
    after every record's retries; the records never tried are done by a plain rerun."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"P{i}", "abstract": f"{abstract(i)} We fail."})
                              + "\n" for i in range(60)))
    out, args = tmp_path / "out.jsonl", ("--backend", "slow", "--max-attempts", "1",
                                         "--concurrency", "2", *FAST)
    register("slow", Slow)
    try:
        code, summary, _ = cli(capsys, source, "-o", out, *args)
        assert code == 1 and summary["stopped"].startswith("stopped: the first 20 records all "
                                                           "failed (the last: TransientError")
        assert summary["counts"]["failed"] == 20 == len(lines(out))
        code, summary, _ = cli(capsys, source, "-o", out, *args, "--max-failures", "100")
        assert summary["counts"]["failed"] == 40 and summary["stopped"] is None  # user's limit
    finally:
        unregister("slow")


@pytest.mark.parametrize("value", ["0", "-1"])
def test_max_failures_under_one_is_refused_not_a_stop_after_the_first_record(
        tmp_path, capsys, value):
    write_jsonl(tmp_path / "in.jsonl", 3)
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"),
                 "--backend", "rules", "--max-failures", value]) == 2
    assert "must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_second_run_on_the_same_output_is_refused_before_it_touches_it(tmp_path, capsys):
    write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "P0", "error": null, "meta": {}}\n{"id": "P1", "tit')
    running = Log(out)
    running.open()
    try:
        code = main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules"])
    finally:
        running.close()
    assert code == 2 and "another batch run" in capsys.readouterr().err
    assert out.read_text().endswith('"tit')  # the other run's unfinished line is untouched


def test_summary_counts_tokens_and_estimates_cost(tmp_path, capsys, server):
    write_jsonl(tmp_path / "in.jsonl", 4)
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl",
                           "--backend", "openai", "--base-url", server.url, "--model", "m",
                           "--price-per-mtok", "1,2", *FAST)
    tokens = summary["tokens"]
    assert code == 0 and tokens["prompt"] > 0 and tokens["completion"] > 0
    assert summary["cost_usd"] == pytest.approx((tokens["prompt"] + 2 * tokens["completion"]) / 1e6)
    assert summary["throughput_per_s"] > 0 and summary["wall_s"] > 0
    assert price_for("gpt-4o-mini-2024-07-18") == (0.15, 0.60) and price_for("m") is None
    assert price_for("gpt-4o-mini", "https://api.openai.com/v1") == (0.15, 0.60)


@pytest.mark.parametrize("price", ["1,inf", "nan,1", "1,-inf", "1,-2", "1e999,1"])
def test_a_price_that_is_no_finite_number_is_refused_before_the_run(price, tmp_path, capsys):
    """`--price-per-mtok 1,inf` wrote Infinity and a NaN cost, no JSON, in the summary."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
                 "--quiet", "--price-per-mtok", price]) == 2
    assert "ConfigError: --price-per-mtok takes two finite numbers" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "out.summary.json").exists()
    with pytest.raises(ConfigError, match=r"price \(--price-per-mtok\) must be two finite"):
        RunConfig(price=tuple(float(x) for x in price.split(",")))


@pytest.mark.parametrize(("flag", "expected"), [
    ("--shard=", "--shard takes I/N with 0 <= I < N (e.g. 0/4 to 3/4), got ''"),
    ("--price-per-mtok=", "--price-per-mtok takes IN,OUT (e.g. 0.15,0.60), got ''"),
    ("--title-field=", "the title field (--title-field) is empty: name the field that holds "
                       "the title (by default 'title')"),
    ("--id-field= ", "the id field (--id-field) is empty"),
])
def test_an_empty_shard_or_price_is_refused_not_taken_as_absent(flag, expected, tmp_path,
                                                                   capsys):
    """`--shard=` ran the whole input unsharded and `--price-per-mtok=` priced by the
    table, silently (an empty value read as no flag, e.g. `--shard=$SHARD` unset);
    `--title-field=` read no titles, and `--id-field=` no ids."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
                 "--quiet", flag]) == 2
    assert f"ConfigError: {expected}" in capsys.readouterr().err
    assert not out.exists()


def test_a_local_server_sent_the_default_model_name_is_not_priced_as_openai(tmp_path, capsys,
                                                                            server):
    """Without --model, a local server is asked for gpt-4o-mini and echoes it: the
    table's OpenAI price would bill a free local model."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl",
                           "--backend", "openai", "--base-url", server.url, *FAST)
    assert code == 0 and summary["model"] == "gpt-4o-mini" and summary["tokens"]["prompt"] > 0
    assert summary["cost_usd"] is None and summary["price_per_mtok"] is None


# -- the engine and its parts ------------------------------------------------------------


def test_extract_many_bounds_concurrency_and_yields_failures_as_outcomes():
    backend = Slow()
    extractor = Extractor(backend, cache=False, options=FAST_RETRY)
    items = [abstract(i) for i in range(30)] + ["this one should fail, as scripted for it"]
    outcomes = list(extract_many(items, extractor, limits=Limits(concurrency=5)))
    assert len(outcomes) == 31 and backend.peak == 5
    [bad] = [o for o in outcomes if not o.ok]
    assert isinstance(bad.error, TransientError) and bad.row(extractor)["error"]["type"] == \
        "TransientError"
    assert {o.id for o in outcomes if o.ok} == {make_record("", a, "").id for a in items[:30]}


def test_an_async_source_that_pauses_gives_every_record_once_within_the_bound():
    """Records from an async source (a batch run's reading, workers' results) are
    pumped to the workers: each exactly once, however the source pauses."""
    backend = Slow()
    extractor = Extractor(backend, cache=False)

    async def source():
        for i in range(40):
            if i % 7 == 0:
                await asyncio.sleep(0)
            yield abstract(i)

    async def collect():
        return [o async for o in aextract_many(source(), extractor, Limits(concurrency=4))]

    outcomes = asyncio.run(collect())
    assert sorted(o.id for o in outcomes) == sorted(make_record("", abstract(i), "").id
                                                    for i in range(40))
    assert all(o.ok for o in outcomes) and backend.peak == 4


def test_an_async_source_that_fails_ends_the_run_with_its_error():
    """An input that cannot be read is the run's error, not a record's."""
    extractor = Extractor(Slow(), cache=False)

    async def source():
        yield abstract(1)
        raise OSError("the disk went away")

    async def collect():
        return [o async for o in aextract_many(source(), extractor, Limits(concurrency=4))]

    with pytest.raises(OSError, match="went away"):
        asyncio.run(collect())


def test_extract_many_refuses_one_abstract_instead_of_reading_its_letters():
    """A str is iterable: without the check each character became a failed record."""
    backend = Slow()
    with pytest.raises(TypeError, match="use extract"):
        next(extract_many(abstract(1), Extractor(backend, cache=False)))
    assert backend.peak == 0


def test_extract_many_can_be_abandoned_midway():
    extractor = Extractor(Slow(), cache=False)
    stream = extract_many((abstract(i) for i in range(10_000)), extractor)
    first = next(stream)
    started = time.monotonic()
    stream.close()
    assert first.ok and time.monotonic() - started < 2


def test_extract_many_over_the_openai_backend_closes_its_connections(
        server, caplog, recwarn, monkeypatch):
    """extract_many's own loop ends with the backend's async client closed: no
    "Unclosed client session", no pending task destroyed, and it works twice."""
    import gc
    import sys

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    extractor = Extractor("openai", model="m", base_url=server.url, cache=False)
    for batch in range(2):
        outcomes = list(extract_many([abstract(batch * 10 + i) for i in range(5)], extractor))
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    extractor.close()
    del extractor, outcomes
    gc.collect()
    assert not unraisable, [u.exc_value for u in unraisable]
    assert "Unclosed" not in caplog.text and "destroyed" not in caplog.text
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]


def test_a_cache_hit_is_not_rate_limited(tmp_path):
    extractor = Extractor(Slow(), cache=tmp_path / "cache")
    list(extract_many([abstract(1)], extractor))
    started = time.monotonic()
    [hit] = list(extract_many([abstract(1)] * 1, extractor, limits=Limits(rpm=1)))
    assert hit.result.meta.cache_hit and time.monotonic() - started < 0.5


async def test_the_rate_limiter_paces_requests_after_a_burst_and_settles_tokens():
    limiter = RateLimiter(per_minute=1200, burst=0.1)  # 20 a second
    started = time.monotonic()
    for _ in range(8):
        await limiter.acquire()
    assert 0.2 < time.monotonic() - started < 0.45  # 2 at once, then 6 at 50 ms
    tokens = RateLimiter(per_minute=60_000, burst=0)
    await tokens.acquire(500)
    tokens.settle(500, 100)  # only 100 were used: the next 400 are free at once
    started = time.monotonic()
    await tokens.acquire(300)
    assert time.monotonic() - started < 0.2


UNGROUNDED = {**GOOD, "speedups": [{"factor": 3.0, "factor_max": None, "baseline": None,
                                     "text": "a quote that is nowhere in the abstract 3x"}]}


def test_rpm_paces_each_re_ask_not_only_each_call(server, make_extractor):
    """Every answer fails validation: each record costs 1 request + 2 re-asks,
    all inside one backend call. At 120 a minute (2 a second, a second's worth
    at once) six requests take about 1.5 s; paced per call they all went at once."""
    times = []
    server.default = lambda request: (times.append(time.monotonic()), Reply(UNGROUNDED))[1]
    extractor = make_extractor(options=Options(retry=FAST_RETRY.retry, max_reasks=2))
    started = time.monotonic()
    outcomes = list(extract_many([abstract(1), abstract(2)], extractor,
                                 limits=Limits(concurrency=2, rpm=120)))
    assert all(isinstance(o.error, ValidationFailed) for o in outcomes), outcomes
    assert len(times) == 6
    assert times[-1] - started > 1.4, [round(t - started, 2) for t in times]


def test_a_log_keeps_a_complete_last_line_and_cuts_a_broken_one(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": "a", "error": null}\n{"id": "b", "error": null}')
    state = Log(path).load()
    assert state.ok and len(state.ok) == 2 and "kept" in state.repaired_tail
    assert path.read_text().endswith("}\n")
    path.write_text('{"id": "a", "error": null}\n{"id": "b", "err')
    state = Log(path).load()
    assert len(state.ok) == 1 and "dropped" in state.repaired_tail
    assert path.read_text() == '{"id": "a", "error": null}\n'
    assert (tmp_path / "out.jsonl.rejected").read_text() == '{"id": "b", "err\n'


def test_a_full_disk_mid_line_leaves_whole_lines_and_a_clear_error(tmp_path, monkeypatch):
    log = Log(tmp_path / "out.jsonl")
    log.open()
    log.append({"id": "a", "error": None})
    real_write = os.write

    def half_then_full(fd, data):  # the disk fills up half-way through the line
        if len(data) > 10:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("extractor.outputs.os.write", half_then_full)
    with pytest.raises(ConfigError, match="No space left on device; every result written"):
        log.append({"id": "b", "error": None, "padding": "x" * 200})
    log.close()
    assert (tmp_path / "out.jsonl").read_text() == '{"id":"a","error":null}\n'


def test_a_summary_that_cannot_be_written_is_a_warning_not_a_second_error(
        tmp_path, capsys, monkeypatch):
    write_jsonl(tmp_path / "in.jsonl", 3)
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith("out.summary.json."):
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code, summary, err = cli(capsys, tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl",
                             "--backend", "rules")
    assert code == 0 and summary["counts"]["done"] == 3
    assert "could not write the run summary" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_a_conversion_that_fails_leaves_the_log_and_no_partial_file(tmp_path, monkeypatch):
    log = Log(tmp_path / "out.jsonl")
    log.open()
    log.append({"id": "a", "error": None})
    log.close()

    def full(rows, path):
        path.write_text("id,title\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(views.WRITERS, "csv", full)
    with pytest.raises(ConfigError, match=r"every result is in .*out\.jsonl"):
        views.convert(log, "csv", tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_another_run_is_refused_until_the_first_has_written_its_view_and_summary(
        tmp_path, monkeypatch):
    """The lock was let go before the CSV and the summary were written (and a
    compaction moved the log's name to a file nobody had locked), so a second
    run could start in between; the CSV's temporary file is the run's own."""
    from extractor import batch

    write_jsonl(tmp_path / "in.jsonl", 3)
    log = tmp_path / "out.jsonl"
    prompt = Extractor("rules", cache=False).prompt.hash
    row = json.dumps({"id": "P0", "error": None, "meta": {"backend": "rules",
                                                          "prompt_hash": prompt}})
    log.write_text(f"{row}\n{row}\n")  # an id twice: the log is compacted first
    (tmp_path / "out.csv.99999.partial").write_text("left by a killed run")
    seen = []

    def probe(when):
        other = Log(log)
        try:
            other.open()
        except ConfigError:
            return seen.append((when, "refused"))
        other.close()
        seen.append((when, "let in"))

    write_csv, write_summary = views.WRITERS["csv"], batch._write_summary
    monkeypatch.setitem(views.WRITERS, "csv", lambda rows, path: (
        probe("csv"), seen.append(path.name), write_csv(rows, path)))
    monkeypatch.setattr(batch, "_write_summary", lambda path, result: (
        probe("summary"), write_summary(path, result)))
    run(tmp_path / "in.jsonl", tmp_path / "out.csv", Extractor("rules", cache=False))
    assert seen == [("csv", "refused"), f"out.csv.{os.getpid()}.partial",
                    ("summary", "refused")]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl", "out.csv", "out.jsonl", "out.summary.json"]
    assert [r["id"] for r in lines(log)] == ["P0", "P1", "P2"]


def test_two_runs_cannot_write_one_log(tmp_path):
    first, second = Log(tmp_path / "out.jsonl"), Log(tmp_path / "out.jsonl")
    first.open()
    try:
        with pytest.raises(Exception, match="another batch run"):
            second.open()
    finally:
        first.close()


def test_the_progress_line_and_its_silence_off_a_terminal(tmp_path, capsys):
    tally = Tally(done=30, cached=10, failed=2)
    tally.started -= 4.0
    line = Progress(tally, total=64, enabled=True).line()
    assert re.fullmatch(r"batch 32/64  50%  8\.0/s  ETA 0:04  cached 10  failed 2", line)
    write_jsonl(tmp_path / "in.jsonl", 3)
    run([tmp_path / "in.jsonl"], tmp_path / "out.jsonl", Extractor("rules", cache=False))
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    run([tmp_path / "in.jsonl"], tmp_path / "o2.jsonl", Extractor("rules", cache=False),
        RunConfig(progress=True))
    assert "\rbatch 3/3 100%" in capsys.readouterr().err


def test_the_progress_line_is_cut_to_the_width_of_its_terminal(monkeypatch):
    """On a 40-column terminal the ~70-character line wrapped, and each redraw's
    carriage return went back only to its last row: a line left behind per redraw."""
    import fcntl
    import struct
    import termios

    monkeypatch.setenv("COLUMNS", "200")  # the terminal's own width wins
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
    with os.fdopen(slave, "w") as terminal:
        tally = Tally(done=123_456, cached=100_000, failed=2_000)
        tally.started -= 4.0
        Progress(tally, total=1_000_000, enabled=True, stream=terminal).update(force=True)
    drawn = os.read(master, 4096).decode()
    os.close(master)
    assert drawn.startswith("\rbatch 125,456/1,000,000") and drawn.endswith("\x1b[K")
    assert len(drawn) - len("\r\x1b[K") == 39


def test_a_named_pipe_is_read_as_a_stream(tmp_path):
    """`batch <(cat x.jsonl)` (the shell passes /dev/fd/63) and a mkfifo path
    said "no such input file": a pipe is read like standard input."""
    pipe = tmp_path / "papers"
    os.mkfifo(pipe)
    write_jsonl(tmp_path / "in.jsonl", 5)

    def produce():
        with pipe.open("wb") as sink:
            sink.write((tmp_path / "in.jsonl").read_bytes())

    threading.Thread(target=produce, daemon=True).start()
    summary = run([pipe], tmp_path / "out.jsonl", Extractor("rules", cache=False))
    assert summary["format"] == "jsonl" and summary["counts"]["done"] == 5
    assert [r["id"] for r in lines(tmp_path / "out.jsonl")] == [f"P{i}" for i in range(5)]


def stalled_producer_run(tmp_path, *options, wait=30, n=400, pad=0, as_csv=False):
    """`extractor batch -` fed `n` records on stdin by a producer that then stalls:
    every row is written while it waits, and SIGTERM ends the run. Its stderr.
    The abstracts are each `pad` words longer; the records are JSON lines, or
    CSV rows under a header."""
    rows = [{"id": f"P{i}", "title": f"Paper {i}", "abstract": abstract(i) + " words" * pad}
            for i in range(n)]
    source = tmp_path / ("in.csv" if as_csv else "in.jsonl")
    if as_csv:
        with source.open("w", newline="") as table:
            writer = csv.DictWriter(table, ["id", "title", "abstract"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run_ = subprocess.Popen([sys.executable, "-m", "extractor", "batch", "-", "-o", "out.jsonl",
                             "--backend", "rules", "--no-cache", *options], cwd=tmp_path,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        run_.stdin.write(source.read_bytes())
        run_.stdin.flush()  # and then nothing more: the producer stalls
        deadline = time.monotonic() + wait
        out = tmp_path / "out.jsonl"
        # The file is live: its last line may be half written, so count whole lines.
        while time.monotonic() < deadline and not (out.exists()
                                                   and out.read_text().count("\n") == n):
            time.sleep(0.1)
        assert len(lines(out)) == n
        run_.send_signal(signal.SIGTERM)
        stdout, stderr = run_.communicate(timeout=20)
    finally:
        run_.kill()
        run_.wait()
    assert json.loads(stdout)["stopped"] == "interrupted", stderr
    return stderr


def test_a_stalled_producer_on_stdin_holds_neither_the_records_read_nor_sigterm(tmp_path):
    """Records were read on the event loop: a producer that stopped writing froze
    the run (no progress, no rows for what was read) and SIGTERM waited for it."""
    stderr = stalled_producer_run(tmp_path)
    assert b"Fatal Python error" not in stderr


@pytest.mark.parametrize("options", [(), ("--workers", "2")], ids=["one process", "workers"])
def test_a_producer_that_stalls_after_a_few_json_lines_gets_them_extracted(tmp_path, options):
    """Format detection read ahead 64 KiB of a pipe before the run began, so a
    producer that wrote three papers and paused got no row until it wrote some
    forty more. A whole first JSON line tells the format: the run starts."""
    stalled_producer_run(tmp_path, *options, n=3)


def test_a_producer_that_stalls_after_a_few_csv_rows_gets_them_extracted_when_asked_for_csv(
        tmp_path):
    """CSV is told from its header and the rows after it, so detection waits
    for 64 KiB of them; with the format asked for, any whole line will do."""
    stalled_producer_run(tmp_path, "--input-format", "csv", n=3, as_csv=True)


def test_quiet_still_reports_malformed_lines_and_a_repaired_output(tmp_path, capsys):
    """--quiet hid the malformed-line warnings and the note on a repaired last
    line of the output: --quiet is no progress line, not silence about the data."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    args = [tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "--backend", "rules",
            "--no-cache", "--quiet"]
    assert cli(capsys, *args)[0] == 0
    out = tmp_path / "out.jsonl"
    out.write_bytes(out.read_bytes()[:-20])  # a run killed while writing its last line
    with (tmp_path / "in.jsonl").open("a") as source:
        source.write("{not json\n")
    code, _, err = cli(capsys, *args)
    assert code == 1
    assert "malformed input: " in err and "in.jsonl:3" in err
    assert "dropped" in err


def test_an_aborted_run_prints_the_summary_it_wrote(tmp_path, capsys, monkeypatch):
    """A run aborted by a full disk wrote its summary file but printed nothing on
    stdout, where the README says the summary is printed."""
    write_jsonl(tmp_path / "in.jsonl", 3)

    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("extractor.outputs.os.write", full)
    code = main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"),
                 "--backend", "rules", "--no-cache"])
    printed = capsys.readouterr().out
    assert code != 0
    assert json.loads(printed)["stopped"].startswith("aborted")
    assert json.loads(printed) == json.loads((tmp_path / "out.summary.json").read_text())


def test_run_takes_one_input_path_as_a_str(tmp_path):
    """`run("dump.jsonl", ...)` reads that file, not the paths "d", "u", "m", ..."""
    write_jsonl(tmp_path / "in.jsonl", 3)
    summary = run(str(tmp_path / "in.jsonl"), tmp_path / "out.jsonl",
                  Extractor("rules", cache=False))
    assert summary["counts"]["done"] == 3


@pytest.mark.parametrize(("out", "log", "text"), [
    ("papers.csv", "papers.jsonl", '{"title": "T", "abstract": "A"}\n{"id": 7}\n'),
    ("papers.parquet", "papers.jsonl", '{"id": "p1", "title": "T", "abstract": "A"}\n'),
    ("notes.txt", "notes.txt", "my notes\nthe last line has no newline"),
])
def test_an_existing_file_at_the_log_path_that_is_no_batch_output_is_refused_untouched(
        tmp_path, capsys, out, log, text):
    """The sibling log of -o X.csv (or -o notes.txt itself) that holds no result row
    was emptied by compaction, its last line cut first; now the run is refused."""
    write_jsonl(tmp_path / "in.jsonl", 3)
    (tmp_path / log).write_text(text)
    code = main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / out),
                 "--backend", "rules"])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / log} already exists and is not a batch output" in err
    assert "pick another output (-o)" in err and len(err.splitlines()) == 1
    assert (tmp_path / log).read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"in.jsonl", log})


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_a_view_whose_log_is_gone_is_refused_not_overwritten(tmp_path, capsys, name):
    """With out.jsonl moved away, a rerun started over and replaced out.csv (or
    .parquet) with its own rows alone, silently; now it is refused, untouched."""
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / name
    args = ["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
            "--no-cache"]
    assert main([*args, "--limit", "2"]) == 0
    (tmp_path / "out.jsonl").unlink()
    before = out.read_bytes()
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{out} exists but its JSONL log {tmp_path / 'out.jsonl'} does not" in err
    assert "put the log back" in err and f"move {out} away" in err
    assert out.read_bytes() == before and not (tmp_path / "out.jsonl").exists()


def test_an_empty_input_is_said_not_silently_read_as_no_records(tmp_path, capsys, monkeypatch):
    """An empty file (or one of blank lines) gave "done 0", exit code 0, no word."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "blank.txt").write_text("\ufeff\n \n")
    code, summary, err = cli(capsys, tmp_path / "in.jsonl", tmp_path / "empty.jsonl",
                             tmp_path / "blank.txt", "-o", tmp_path / "out.jsonl",
                             "--backend", "rules", "--quiet")
    said = (f"{tmp_path / 'empty.jsonl'}, {tmp_path / 'blank.txt'}: empty (or blank lines "
            "only), so no records were read from them")
    assert code == 0 and summary["counts"]["done"] == 2 and summary["notes"] == [said]
    assert said in err
    pipe(monkeypatch, b"")
    code, summary, _ = cli(capsys, "-", "-o", tmp_path / "piped.jsonl", "--backend", "rules")
    assert summary["notes"] == ["<stdin>: empty (or blank lines only), so no records were "
                                "read from it"]


def test_lines_of_a_log_that_are_not_result_rows_are_set_aside_not_dropped(tmp_path, capsys):
    """Compaction kept only parseable rows, so a stray line in a log of ours was
    deleted; now it goes to <log>.rejected and the summary says so."""
    ids = write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
                 "--limit", "1"]) == 0
    capsys.readouterr()
    done = out.read_text()
    out.write_text(done + "a note of mine\n{\"id\": 5}\n")
    code, summary, _ = cli(capsys, tmp_path / "in.jsonl", "-o", out, "--backend", "rules")
    assert code == 0 and summary["counts"]["done"] == 2
    assert sorted(r["id"] for r in lines(out)) == sorted(ids)
    assert (tmp_path / "out.jsonl.rejected").read_text() == "a note of mine\n{\"id\": 5}\n"
    assert any("2 lines of" in note and "out.jsonl.rejected" in note
               for note in summary["notes"])


def test_the_first_write_of_a_run_cut_short_is_repaired_not_refused(tmp_path, capsys):
    """A log whose only line is an unfinished row (kill -9 during the first write)
    is still ours: the line is dropped and the run resumes."""
    ids = write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    out.write_text('{"id":"P0","title":"Pap')
    code, _, err = cli(capsys, tmp_path / "in.jsonl", "-o", out, "--backend", "rules")
    assert code == 0 and sorted(r["id"] for r in lines(out)) == sorted(ids)
    assert "dropped an unfinished last line" in err


def test_a_gz_input_with_a_bad_crc_ends_the_run_in_one_line_with_exit_1_every_time(
        tmp_path, capsys):
    """A damaged .gz ended each run, the rerun of a complete output too, with a
    traceback; now it is a malformed line of that file and the run ends cleanly."""
    data = gzip.compress("".join(json.dumps({"id": f"P{i}", "abstract": abstract(i)}) + "\n"
                                 for i in range(5)).encode())
    damaged = tmp_path / "in.jsonl.gz"
    damaged.write_bytes(data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:])
    write_jsonl(tmp_path / "more.jsonl", 2, start=10)
    args = (damaged, tmp_path / "more.jsonl", "-o", tmp_path / "out.jsonl", "--backend", "rules")
    for done in (7, 0):
        code, summary, err = cli(capsys, *args)
        assert code == 1 and summary["stopped"] is None and summary["counts"]["done"] == done
        assert summary["counts"]["malformed"] == 1 and "Traceback" not in err
        assert [(m["file"], m["line"]) for m in summary["malformed_lines"]] == [(str(damaged), 6)]
    assert len(lines(tmp_path / "out.jsonl")) == 7


def test_csv_on_standard_input_without_the_abstract_column_says_which_columns_it_has(
        tmp_path, capsys, monkeypatch):
    """Piped CSV whose header lacks the abstract field was read as a text dump: a
    junk paper written and a text-dump error per row; now the CSV message comes."""
    rows = "".join(f'P{i},Paper {i},"{abstract(i)}"\n' for i in range(3))
    pipe(monkeypatch, ("id,title,summary\n" + rows).encode())
    out = tmp_path / "out.jsonl"
    code, summary, _ = cli(capsys, "-", "-o", out, "--backend", "rules")
    assert code == 1 and summary["counts"]["read"] == 0 and lines(out) == []
    assert [m["reason"] for m in summary["malformed_lines"]] == [
        "no 'abstract' column in the header (columns: id, title, summary)"]

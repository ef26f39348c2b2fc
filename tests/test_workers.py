"""Batch runs over worker processes: the same output as one process, limits split
to the totals asked for, failures recorded, and a dead worker loses nothing."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from extractor import BackendConfig, BackendError, ConfigError, Extractor, Options
from extractor.batch import Limits, RunConfig, arun
from extractor.cli import main
from extractor.dumps import make_record
from extractor.extract import Recipe
from extractor.testing import Reply, Stall, Status
from extractor.workers import _Worker, allowance, rows, split

from .conftest import DUMPS, GOOD
from .test_batch import lines, paper_number, stalled_producer_run, write_jsonl

FAST = ["--no-cache", "--retry-wait", "0.01"]


def batch(capsys, *args):
    code = main(["batch", *map(str, args)])
    return code, json.loads(capsys.readouterr().out)


def test_split_gives_each_worker_a_share_that_adds_up_to_the_limits():
    shares = split(Limits(concurrency=7, rpm=600, tpm=90_000), 3)
    assert [s.concurrency for s in shares] == [3, 2, 2]
    assert sum(s.rpm for s in shares) == pytest.approx(600)
    assert sum(s.tpm for s in shares) == pytest.approx(90_000)
    assert split(Limits(concurrency=4), 1) == [Limits(concurrency=4)]


def test_split_refuses_fewer_requests_in_flight_than_workers():
    with pytest.raises(ConfigError, match="at least the number of workers"):
        split(Limits(concurrency=2), 3)
    with pytest.raises(ConfigError, match="at least 1"):
        split(Limits(concurrency=2), 0)


def test_two_workers_write_the_same_records_as_one_process(tmp_path, capsys):
    dumps = sorted(DUMPS.glob("*.txt")) if DUMPS.is_dir() else []
    if len(dumps) != 4:
        pytest.skip("shared/dumps is not present")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    code, _ = batch(capsys, *dumps, "-o", one, "--backend", "rules", "--no-cache")
    assert code == 0
    code, summary = batch(capsys, *dumps, "-o", two, "--backend", "rules", "--no-cache",
                          "--workers", "2", "--concurrency", "4")
    assert code == 0
    assert summary["counts"]["done"] == 572 and summary["counts"]["duplicates"] == 68
    assert summary["workers"] == 2

    def by_id(path):
        return {r["id"]: (r["summary"], r["error"]) for r in lines(path)}

    assert by_id(one) == by_id(two)


def test_workers_through_the_real_sdk_retry_record_failures_and_share_the_cache(
        tmp_path, capsys, server):
    attempts: dict[int, int] = {}
    lock = threading.Lock()

    def script(request):
        number = paper_number(request)
        with lock:
            attempts[number] = attempt = attempts.get(number, 0) + 1
        if number == 7:
            return Status(500)
        if attempt == 1 and number % 3 == 0:
            return Status(429, headers={"retry-after": "0"})
        return Reply(GOOD | {"speedups": []})

    server.default = script
    ids = write_jsonl(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out.jsonl"
    cache = tmp_path / "cache"
    args = [tmp_path / "in.jsonl", "-o", out, "--backend", "openai", "--base-url", server.url,
            "--model", "m", "--max-attempts", "3", "--retry-wait", "0.01", "--cache-dir", cache,
            "--workers", "2", "--concurrency", "6",
            # With an rpm limit the parent leaves every record to the workers
            # (else it answers all 40 while they start): this is about the workers.
            "--rpm", "100000"]
    code, summary = batch(capsys, *args)
    rows = lines(out)
    assert code == 1
    assert sorted(r["id"] for r in rows) == sorted(ids)  # nothing lost, nothing twice
    assert [r["id"] for r in rows if r["error"]] == ["P7"]
    assert {r["meta"]["attempts"] for r in rows if r["id"] in ("P3", "P6")} == {2}
    assert summary["counts"]["done"] == 39 and summary["errors"] == {"TransientError": 1}

    # A second output over the same cache: every answer comes from it, across processes.
    code, summary = batch(capsys, *args[:2], tmp_path / "again.jsonl", *args[3:])
    assert summary["counts"]["cached"] == 39


async def test_a_worker_that_cannot_build_its_extractor_fails_the_run_with_that_error():
    recipe = Recipe("no-such-backend", BackendConfig(), Options(), False)
    records = [make_record("T", "An abstract.", "<test>")]
    with pytest.raises(ConfigError, match=r"batch worker \d: ConfigError: .*no-such-backend"):
        async for _ in rows(records, recipe, Limits(concurrency=2), 2):
            pass
    assert not [p for p in multiprocessing.active_children()
                if p.name.startswith("extractor-worker")]


def _never_ready():
    """A recipe every worker fails to build, after 0.5-2 s of starting up."""
    return Recipe("no-such-backend", BackendConfig(), Options(), False)


def _records(n):
    return [make_record(f"T{i}", f"We study solver {i}.", "<test>") for i in range(n)]


async def test_the_parent_answers_records_while_its_workers_start(server):
    """Spawned workers spend 1-2 s importing the SDKs, and the parent, which has
    them, waited: 3% of a 16,000-abstract run. Here the workers never become
    ready, so every row before their error is the parent's."""
    parent = Extractor("openai", model="m", base_url=server.url, cache=False)
    answered = []
    with pytest.raises(ConfigError, match="no-such-backend"):
        async for row in rows(_records(5000), _never_ready(), Limits(concurrency=4), 2,
                              parent=parent):
            answered.append(row)
    assert answered and not any(r["error"] for r in answered)
    assert len({r["id"] for r in answered}) == len(answered)
    assert server.peak <= 4
    parent.close()


@pytest.mark.parametrize("backend, limits", [
    ("rules", Limits(concurrency=4)),  # bound by this machine's cores, not a server
    ("openai", Limits(concurrency=4, rpm=100_000)),  # a window the workers' shares miss
    ("openai", Limits(concurrency=4, tpm=10_000_000)),
])
async def test_the_parent_keeps_out_of_core_bound_and_rate_limited_runs(server, backend,
                                                                         limits):
    parent = (Extractor("rules", cache=False) if backend == "rules"
              else Extractor("openai", model="m", base_url=server.url, cache=False))
    answered = []
    with pytest.raises(ConfigError, match="no-such-backend"):
        async for row in rows(_records(50), _never_ready(), limits, 2, parent=parent):
            answered.append(row)
    assert answered == [] and server.received == []
    parent.close()


def test_workers_are_sent_only_what_the_parents_records_leave_room_for():
    def worker(room, most, ready=True):
        return _Worker(0, None, None, room=room, most=most, ready=ready)

    a, b = worker(8, 8), worker(5, 8)  # b holds 3
    assert allowance(a, [a, b], 0, 8) == 8  # the parent done: prefetch alone
    assert allowance(a, [a, b], 2, 8) == 3  # 8 - 2 here - 3 in b
    assert allowance(a, [a, b], 6, 8) == 0
    assert allowance(b, [b], 1, 16) == 5  # never past its own room
    assert allowance(worker(8, 8, ready=False), [], 0, 8) == 0


async def test_the_parent_hands_over_to_its_workers_without_passing_the_concurrency(
        tmp_path, server):
    """The parent finishes its requests in flight after a worker is ready, and
    the workers are sent records only as far as those leave room: the server
    never sees more than `concurrency` requests at once, and every record is
    written once. The parent's first requests are held for 3 s, past the
    workers' start, so that without that rule the workers' would join them."""
    held, lock = set(), threading.Lock()

    def script(request):
        with lock:
            if len(held) < 8 and id(request) not in held:
                held.add(id(request))
                return Stall(3.0)
        return Reply(GOOD | {"speedups": []})

    server.default = script
    server.delay = 0.02
    ids = write_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out.jsonl"
    extractor = Extractor("openai", model="m", base_url=server.url, cache=False)
    config = RunConfig(workers=2, limits=Limits(concurrency=8), quiet=True, use_cache=False)
    summary = await arun([tmp_path / "in.jsonl"], out, extractor, config)
    written = lines(out)
    assert summary["counts"]["done"] == 300
    assert sorted(r["id"] for r in written) == sorted(ids)
    assert not any(r["error"] for r in written)
    assert len(server.received) == 300 and server.peak <= 8
    extractor.close()


def test_workers_need_an_extractor_that_can_be_rebuilt(tmp_path):
    from extractor.backends.rules import RulesBackend

    write_jsonl(tmp_path / "in.jsonl", 3)
    extractor = Extractor(RulesBackend(BackendConfig()), cache=False)
    with pytest.raises(ConfigError, match="backend name"):
        asyncio.run(arun([tmp_path / "in.jsonl"], tmp_path / "out.jsonl", extractor,
                         RunConfig(workers=2, limits=Limits(concurrency=2))))
    assert not (tmp_path / "out.jsonl").exists()


async def test_a_killed_worker_ends_the_run_and_a_rerun_resumes_without_gaps(tmp_path, server):
    server.delay = 0.03
    ids = write_jsonl(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out.jsonl"
    config = RunConfig(workers=2, limits=Limits(concurrency=4), quiet=True, use_cache=False)
    extractor = Extractor("openai", model="m", base_url=server.url, cache=False)
    run = asyncio.create_task(arun([tmp_path / "in.jsonl"], out, extractor, config))
    deadline = time.monotonic() + 60  # two spawned workers import the SDKs: slow under load
    while not (out.exists() and out.read_text().count("\n") >= 20):
        assert time.monotonic() < deadline, "the workers did not start writing"
        await asyncio.sleep(0.02)
    victim = next(p for p in multiprocessing.active_children()
                  if p.name.startswith("extractor-worker"))
    os.kill(victim.pid, signal.SIGKILL)
    with pytest.raises(BackendError, match=r"died, killed by SIGKILL .* rerun the same command"):
        await run
    written = lines(out)
    assert 20 <= len(written) < 200 and len({r["id"] for r in written}) == len(written)

    server.delay = 0
    summary = await arun([tmp_path / "in.jsonl"], out, extractor, config)
    rows = lines(out)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert summary["counts"]["skipped"] == len(written)
    assert not any(r["error"] for r in rows)
    assert not [p for p in multiprocessing.active_children()
                if p.name.startswith("extractor-worker")]
    extractor.close()


def test_sending_to_a_worker_that_died_is_a_backend_error_not_a_broken_pipe():
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=int)
    process.start()
    theirs.close()
    process.join(timeout=30)
    worker = _Worker(3, process, ours, room=1, most=1)
    with pytest.raises(BackendError, match=r"batch worker 3 died \(exit code 0\)"):
        worker.send([make_record("T", "An abstract.", "<test>")] * 1000)


def test_a_worker_whose_parent_was_killed_stops_quietly(monkeypatch, caplog, capsys):
    """An orphaned worker (parent killed with -9) printed "Exception in callback
    _work.<locals>.flush() ... BrokenPipeError": the send of its rows failed in
    a callback nobody guarded."""
    from extractor import workers

    class OrphanedPipe:
        def __init__(self):
            self.chunks = [None, [make_record(f"T{i}", f"We study solver {i}.", "<test>")
                                  for i in range(20)]]
            self.sent = []

        def recv(self):
            return self.chunks.pop()

        def send(self, message):
            self.sent.append(message[0])
            if message[0] != "ready" or self.dead_from_the_start:
                raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(workers.signal, "signal", lambda *args: None)
    recipe = Extractor("rules", cache=False).recipe
    for dead_from_the_start, sent in ((False, ["ready", "rows"]), (True, ["ready"])):
        pipe = OrphanedPipe()
        pipe.dead_from_the_start = dead_from_the_start
        workers.serve(pipe, recipe, Limits(), False, False)
        assert pipe.sent == sent  # the rows once: then it knows nobody reads
        assert "Exception in callback" not in caplog.text + capsys.readouterr().err


def test_a_script_without_a_main_guard_is_told_why_its_workers_died(tmp_path):
    # Spawned workers import the script again, and multiprocessing refuses to
    # start processes from there: every worker dies before its first answer.
    write_jsonl(tmp_path / "in.jsonl", 3)
    script = tmp_path / "run.py"
    script.write_text(
        "from extractor import Extractor\n"
        "from extractor.batch import Limits, RunConfig, run\n"
        "run(['in.jsonl'], 'out.jsonl', Extractor('rules', cache=False),\n"
        "    RunConfig(workers=2, limits=Limits(concurrency=2), quiet=True))\n"
    )
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "died before its first answer" in last
    assert 'if __name__ == "__main__":' in last


class _Gone:
    """A worker process that has ended with `exitcode`."""

    def __init__(self, exitcode):
        self.exitcode = exitcode

    def join(self, timeout=None):
        pass


@pytest.mark.parametrize("code, said, guard", [
    (-signal.SIGKILL, "died, killed by SIGKILL (out of memory?", False),
    (-signal.SIGTERM, "died, killed by SIGTERM;", False),
    (1, "died (exit code 1);", True),
])
def test_a_worker_dead_before_its_first_answer_is_told_what_applies(code, said, guard,
                                                                    monkeypatch):
    """A killed worker is named by its signal; the __main__ guard advice is for a
    script's worker that exited with an error, never for one killed."""
    import types

    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # a script
    message = str(_Worker(0, _Gone(code), None, room=1, most=1).died())
    assert said in message and ("__main__" in message) is guard
    assert ("before its first answer" in message) is (code > 0)


def test_the_extractor_command_is_never_told_to_add_a_main_guard(monkeypatch):
    """Run by `extractor` or `python -m extractor`, whose __main__ a worker does not rerun."""
    import types

    import extractor.cli

    command = types.ModuleType("__main__")
    command.main = extractor.cli.main  # what both entry points hold
    monkeypatch.setitem(sys.modules, "__main__", command)
    message = str(_Worker(0, _Gone(1), None, room=1, most=1).died())
    assert "before its first answer (its traceback, if any, is above)" in message
    assert "__main__" not in message


@pytest.mark.parametrize("handler", [signal.default_int_handler, signal.SIG_IGN])
async def test_a_worker_starts_with_sigint_ignored_and_the_parents_handler_is_kept(
        handler, tmp_path, monkeypatch):
    """A Ctrl-C while a worker still imports the SDKs is the parent's alone: the
    worker, sent SIGINT the instant it is spawned, lives on; the parent's own
    handler (a background job's SIG_IGN too) is the same after the start."""
    spawned = multiprocessing.get_context("spawn").Process
    start = spawned.start

    def start_and_interrupt(self):
        start(self)
        os.kill(self.pid, signal.SIGINT)  # before its interpreter has even started

    monkeypatch.setattr(spawned, "start", start_and_interrupt)
    previous = signal.signal(signal.SIGINT, handler)
    try:
        recipe = Recipe("rules", BackendConfig(), Options(), False)
        records = [make_record("T", f"Abstract number {i} of the run.", "<test>")
                   for i in range(6)]
        got = [row async for row in rows(records, recipe, Limits(concurrency=2), 2)]
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert len(got) == 6


def test_a_worker_whose_work_ended_first_hands_nothing_to_its_closed_loop(monkeypatch):
    """The parent's last message can arrive after the work has stopped (its rows
    could not be sent): handing it to the closed event loop raised "Event loop is
    closed" in the listening thread, a traceback on the worker's stderr."""
    from extractor import workers

    late = threading.Event()

    class SlowOrphanedPipe:
        def __init__(self):
            self.calls = 0

        def recv(self):
            self.calls += 1
            if self.calls <= 2:  # the second chunk after the first rows failed to go
                time.sleep(0.0 if self.calls == 1 else 0.5)
                return [make_record(f"T{self.calls}.{i}", f"We study solver {i}.", "<test>")
                        for i in range(5)]
            late.wait(30)  # the end of input comes only after the work has stopped
            return None

        def send(self, message):
            if message[0] != "ready":  # gone after the worker started
                raise BrokenPipeError(32, "Broken pipe")

    crashed = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)
    monkeypatch.setattr(workers.signal, "signal", lambda *args: None)
    before = set(threading.enumerate())
    pipe = SlowOrphanedPipe()
    workers.serve(pipe, Extractor("rules", cache=False).recipe, Limits(), False, False)
    late.set()
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=30)
    assert pipe.calls == 3 and not crashed


def test_a_stalled_producer_holds_neither_the_workers_rows_nor_sigterm(tmp_path):
    """The parent fed its workers from the loop that hands their rows on: while a
    producer on stdin stalled, what the workers had finished was not written."""
    # Two spawned workers start first: slow under load.
    stalled_producer_run(tmp_path, "--workers", "2", "--concurrency", "4", wait=60)


def test_the_last_records_before_a_stall_are_sent_at_once(tmp_path):
    """The feeder gathered each worker's records into one message as large as the
    worker had room for: a producer that stalled after fewer held them all unsent,
    and 2 of 400 rows went unwritten in one CI run. Here the first worker has room
    for 8 and the producer writes 6 (of 12 KB each), so on that code no row came."""
    stalled_producer_run(tmp_path, "--workers", "2", "--concurrency", "8", n=6, pad=2000,
                         wait=60)

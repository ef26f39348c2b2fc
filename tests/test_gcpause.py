"""A run freezes the heap it starts with and collects young objects less
often (gcpause.py), and puts both back at its end."""

from __future__ import annotations

import gc
import json
import threading

import pytest

from extractor import Backend, Completion, Extractor, PaperSummary, Usage
from extractor.batch import RunConfig, run
from extractor.engine import extract_many
from extractor.gcpause import YOUNG, long_run_gc

from .conftest import ABSTRACT, GOOD


@pytest.fixture(autouse=True)
def _gc_as_it_was():
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0, "a test before this one left the heap frozen"
    yield
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


class Watching(Backend):
    """Answers GOOD and notes the GC's state at each call."""

    name = "watching"

    def __init__(self) -> None:
        self.frozen: list[int] = []
        self.young: list[int] = []

    def complete(self, request) -> Completion:
        self.frozen.append(gc.get_freeze_count())
        self.young.append(gc.get_threshold()[0])
        return Completion(PaperSummary.model_validate(GOOD), Usage(1, 1), 0, "m")


def test_what_exists_at_the_start_is_frozen_and_given_back_at_the_end():
    before = [1]

    def seen(thing: object) -> bool:
        return any(o is thing for o in gc.get_objects())  # the permanent generation not in it

    assert seen(before)
    thresholds = gc.get_threshold()
    with long_run_gc():
        assert gc.get_freeze_count() > 0
        during = [2]
        assert not seen(before)  # out of the collector's sight, and still alive
        assert before == [1]
        assert seen(during)  # made during the run: collected as usual
        assert gc.get_threshold()[0] == max(YOUNG, thresholds[0])
    assert gc.get_freeze_count() == 0
    assert seen(before)


def test_nested_and_overlapping_runs_unfreeze_only_when_the_last_one_ends():
    # The freeze count falls as frozen objects are freed, so only > 0 is asked.
    thresholds = gc.get_threshold()
    started, finish = threading.Event(), threading.Event()

    def other_run() -> None:
        with long_run_gc():
            started.set()
            finish.wait(5)

    thread = threading.Thread(target=other_run)
    try:
        with long_run_gc():
            with long_run_gc():
                pass
            assert gc.get_freeze_count() > 0  # the outer run is still going
            thread.start()
            started.wait(5)
        assert gc.get_freeze_count() > 0  # the thread's run has not ended
        assert gc.get_threshold()[0] == max(YOUNG, thresholds[0])
    finally:
        finish.set()
        thread.join(5)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_a_heap_frozen_by_someone_else_is_left_frozen():
    gc.freeze()
    try:
        with long_run_gc():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_collection_turned_off_stays_off_and_a_threshold_set_meanwhile_is_kept():
    thresholds = gc.get_threshold()
    try:
        gc.set_threshold(0)
        with long_run_gc():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
        gc.set_threshold(*thresholds)
        with long_run_gc():
            gc.set_threshold(123, 4, 5)  # the user's own choice, made during the run
        assert gc.get_threshold() == (123, 4, 5)
    finally:
        gc.set_threshold(*thresholds)


def test_an_error_in_the_run_still_gives_the_heap_back():
    with pytest.raises(RuntimeError, match="the run failed"), long_run_gc():
        raise RuntimeError("the run failed")
    assert gc.get_freeze_count() == 0


def test_extract_many_runs_frozen_and_gives_the_heap_back():
    backend = Watching()
    with Extractor(backend, cache=None) as extractor:
        outcomes = list(extract_many([f"{ABSTRACT} ({i})" for i in range(5)], extractor))
    assert all(o.ok for o in outcomes) and len(outcomes) == 5
    assert backend.frozen and all(n > 0 for n in backend.frozen)
    assert backend.young == [YOUNG] * 5


def test_a_batch_run_runs_frozen_and_gives_the_heap_back(tmp_path):
    dump = tmp_path / "in.jsonl"
    dump.write_text("".join(json.dumps({"id": str(i), "abstract": f"{ABSTRACT} ({i})"}) + "\n"
                            for i in range(5)))
    backend = Watching()
    with Extractor(backend, cache=None) as extractor:
        summary = run([dump], tmp_path / "out.jsonl", extractor, RunConfig(quiet=True))
    assert summary["counts"]["done"] == 5
    assert backend.frozen and all(n > 0 for n in backend.frozen)
    assert backend.young == [YOUNG] * 5


def test_a_batch_run_that_fails_to_start_gives_the_heap_back(tmp_path):
    with Extractor(Watching(), cache=None) as extractor, pytest.raises(Exception,
                                                                       match="no such input"):
        run([tmp_path / "missing.jsonl"], tmp_path / "out.jsonl", extractor)

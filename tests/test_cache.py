"""The disk cache: what is in the key, what is stored, and what survives damage."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import warnings
from dataclasses import replace

import pytest

from extractor import Cache, ConfigError, Extractor, Options, Sampling, TransientError
from extractor.cli import main
from extractor.testing import FakeOpenAIServer, Reply, Status

from .conftest import ABSTRACT, GOOD, TITLE


def test_second_call_is_a_cache_hit(server, make_extractor):
    """The same request twice reaches the server once."""
    server.push(Reply(GOOD))
    extractor = make_extractor(cache=True)
    first = extractor.extract(ABSTRACT, TITLE)
    second = extractor.extract(ABSTRACT, TITLE)
    assert len(server.received) == 1
    assert second.meta.cache_hit and not first.meta.cache_hit
    assert second.summary == first.summary
    assert second.meta.evidence == first.meta.evidence
    assert second.meta.attempts == 0 and second.meta.usage["total_tokens"] == 0


def test_whitespace_differences_share_an_entry(server, make_extractor):
    """The key uses the normalised text, so re-wrapped abstracts hit the cache."""
    extractor = make_extractor(cache=True)
    server.push(Reply(GOOD))
    extractor.extract(ABSTRACT, TITLE)
    rewrapped = ABSTRACT.replace(". ", ".\n  ")
    result = extractor.extract(rewrapped, TITLE)
    assert result.meta.cache_hit
    start, end = result.meta.evidence[0]
    assert rewrapped[start:end].startswith("speedup of up to 13.9")


def _key(extractor, abstract=ABSTRACT, title=TITLE):
    return extractor.key(extractor._request(abstract, title))


@pytest.mark.parametrize(
    "change",
    [
        "model",
        "base_url",
        "mode",
        "temperature",
        "max_tokens",
        "seed",
        "prompt",
        "title",
        "text",
    ],
)
def test_every_part_of_the_request_is_in_the_key(change, server, tmp_path, monkeypatch):
    """Changing any one input that can change the answer changes the key."""
    base = {"model": "m", "base_url": server.url, "cache": tmp_path / "c"}
    before = _key(Extractor("openai", **base))
    sampling = Sampling()
    kwargs = dict(base)
    abstract, title = ABSTRACT, TITLE
    if change in ("model", "base_url"):
        kwargs[change] = "other" if change == "model" else server.url + "/other"
    elif change == "mode":
        from extractor import BackendConfig

        kwargs["config"] = BackendConfig(mode="json")
    elif change in ("temperature", "max_tokens", "seed"):
        value = {"temperature": 0.7, "max_tokens": 99, "seed": 7}[change]
        kwargs["options"] = Options(sampling=replace(sampling, **{change: value}))
    elif change == "prompt":
        prompts = tmp_path / "prompts"
        prompts.mkdir()
        (prompts / "system.md").write_text("Different system prompt.")
        (prompts / "user.md").write_text("{title}\n{abstract}")
        monkeypatch.setenv("EXTRACTOR_PROMPTS", str(prompts))
    elif change == "title":
        title = "Another title"
    else:
        abstract = ABSTRACT + " One more sentence."
    after = _key(Extractor("openai", **kwargs), abstract, title)
    assert before != after


@pytest.mark.parametrize("sampling", [
    Sampling(temperature=0), Sampling(temperature=-0.0), Sampling(max_tokens=1024.0),
    Sampling(seed=0.0),
])
def test_equal_sampling_settings_written_in_other_types_share_one_entry(sampling, server,
                                                                       make_extractor):
    """temperature=0 (as the README writes it) is the CLI's 0.0: one key, one request."""
    server.push(Reply(GOOD))
    make_extractor(cache=True).extract(ABSTRACT, TITLE)
    hit = make_extractor(cache=True, options=Options(sampling=sampling)).extract(ABSTRACT, TITLE)
    assert hit.meta.cache_hit and len(server.received) == 1
    assert server.received[0]["temperature"] == 0.0 and sampling == Sampling()


def test_schema_hash_is_in_the_key(server, tmp_path, monkeypatch):
    """A change to the answer's schema invalidates old entries."""
    extractor = Extractor("openai", model="m", base_url=server.url, cache=tmp_path)
    before = _key(extractor)
    monkeypatch.setattr(sys.modules["extractor.extract"], "schema_hash", lambda: "changed")
    assert _key(extractor) != before


def test_values_are_json_text_not_pickle(server, make_extractor, tmp_path):
    """What lands in the cache's SQLite file is readable JSON."""
    server.push(Reply(GOOD))
    make_extractor(cache=True).extract(ABSTRACT, TITLE)
    with sqlite3.connect(tmp_path / "cache" / "cache.db") as db:
        (value,) = db.execute("SELECT value FROM Cache").fetchone()
    assert json.loads(value)["summary"]["task"] == GOOD["task"]


def test_a_made_up_dataset_is_dropped_before_the_answer_is_cached(server, make_extractor,
                                                                   tmp_path):
    """Through the real SDK: the entry holds the checked summary and what was dropped."""
    server.push(Reply(dict(GOOD, datasets=["PDEBench", "ImageNet"])))
    result = make_extractor(cache=True).extract(ABSTRACT, TITLE)
    assert result.datasets == ["PDEBench"] and result.meta.dropped_datasets == ["ImageNet"]
    with sqlite3.connect(tmp_path / "cache" / "cache.db") as db:
        (value,) = db.execute("SELECT value FROM Cache").fetchone()
    entry = json.loads(value)
    assert entry["summary"]["datasets"] == ["PDEBench"]
    assert entry["dropped_datasets"] == ["ImageNet"]


def test_errors_are_never_cached(server, make_extractor):
    """A failed call leaves no entry, so the next call asks again."""
    server.push(*[Status(500)] * 4, Reply(GOOD))
    extractor = make_extractor(cache=True)
    with pytest.raises(TransientError):
        extractor.extract(ABSTRACT, TITLE)
    assert extractor.cache.stats()["entries"] == 0
    assert not extractor.extract(ABSTRACT, TITLE).meta.cache_hit


@pytest.mark.parametrize("garbage", ["not json", "[1, 2]", '{"summary": {"task": 1}}', "{}"])
def test_corrupt_entry_is_a_miss_and_is_replaced(garbage, server, make_extractor):
    """An unreadable entry is recomputed and overwritten, never a crash."""
    extractor = make_extractor(cache=True)
    key = _key(extractor)
    extractor.cache._cache.set(key, garbage)
    server.push(Reply(GOOD))
    assert not extractor.extract(ABSTRACT, TITLE).meta.cache_hit
    assert extractor.extract(ABSTRACT, TITLE).meta.cache_hit


class _ServedModel(FakeOpenAIServer):
    """Answers 200 naming `served` as its model (`"model": 4`): the SDK builds its
    response without checking."""

    served: object = 4

    def answer(self, request, action):
        status, body, headers = super().answer(request, action)
        body["model"] = self.served
        return status, body, headers


@pytest.mark.parametrize("served", [4, "gpt\ud800"])
def test_an_answer_whose_model_is_not_text_is_returned_and_read_back_from_the_cache(
        tmp_path, served):
    """A 200 naming its model with a number, or with a lone surrogate no file can
    hold, is no reason to fail, now or on each later hit."""
    with _ServedModel(default=lambda request: Reply(GOOD)) as server:
        server.served = served
        for hit in (False, True, True):
            with Extractor("openai", model="test-model", base_url=server.url,
                           cache=tmp_path / "cache") as extractor:
                result = extractor.extract(ABSTRACT, TITLE)
            assert result.meta.cache_hit is hit and result.meta.model == "test-model"
        assert len(server.received) == 1


@pytest.mark.parametrize("model", [123, {"x": 1}, ["m"]])
def test_a_stored_model_that_is_not_text_never_fails_a_cache_hit(model, server, make_extractor):
    """An entry poisoned before the check (or edited by hand) still makes a result."""
    extractor = make_extractor(cache=True)
    entry = {"summary": GOOD, "model": model, "dropped_datasets": []}
    extractor.cache._cache.set(_key(extractor), json.dumps(entry))
    result = extractor.extract(ABSTRACT, TITLE)
    assert result.meta.model == "test-model" and server.received == []


def test_a_pickled_entry_is_never_unpickled(server, make_extractor, tmp_path):
    """A pickle planted in a shared cache directory is treated as corrupt."""
    extractor = make_extractor(cache=True)
    key = _key(extractor)

    class Boom:
        def __reduce__(self):
            return (pytest.fail, ("unpickled a cache entry",))

    with sqlite3.connect(tmp_path / "cache" / "cache.db") as db:
        db.execute("UPDATE Cache SET value = ? WHERE key = ?", (b"", key))
    import diskcache

    raw = diskcache.Cache(str(tmp_path / "cache"))
    raw.set(key, Boom())  # stored pickled by the default Disk
    raw.close()
    server.push(Reply(GOOD))
    assert not extractor.extract(ABSTRACT, TITLE).meta.cache_hit


def test_use_cache_false_neither_reads_nor_writes(server, make_extractor):
    """Per-call bypass leaves the cache untouched."""
    extractor = make_extractor(cache=True)
    server.push(Reply(GOOD), Reply(GOOD))
    extractor.extract(ABSTRACT, TITLE, use_cache=False)
    assert extractor.cache.stats()["entries"] == 0


def test_refresh_skips_the_read_but_stores(server, make_extractor):
    """refresh=True asks the backend again and replaces the entry."""
    extractor = make_extractor(cache=True)
    server.push(Reply(GOOD), Reply(dict(GOOD, task="a refreshed task")))
    extractor.extract(ABSTRACT, TITLE)
    assert extractor.extract(ABSTRACT, TITLE, refresh=True).task == "a refreshed task"
    assert extractor.extract(ABSTRACT, TITLE).task == "a refreshed task"


def test_two_processes_share_one_directory(server, tmp_path):
    """Entries written by one process are hits in another, and concurrent writers
    do not corrupt the store."""
    script = f"""
import sys
import warnings
from extractor import Extractor
ex = Extractor("openai", model="m", base_url={server.url!r}, cache={str(tmp_path / "shared")!r})
for i in range(10):
    ex.extract("An abstract about speed number " + str(i) + ".", "T")
hits = sum(ex.extract("An abstract about speed number " + str(i) + ".", "T").meta.cache_hit
           for i in range(10))
print(hits)
"""
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert outputs == ["10", "10"]
    cache = Cache(tmp_path / "shared")
    assert cache.stats()["entries"] == 10
    cache.close()


def test_cache_stats_and_clear(tmp_path):
    """stats counts entries; clear empties the directory."""
    cache = Cache(tmp_path)
    cache.set("k", {"a": 1})
    assert cache.stats()["entries"] == 1
    assert cache.get("k") == {"a": 1} and cache.stats()["hits"] == 1
    assert cache.clear() == 1 and cache.get("k") is None
    cache.close()


def test_the_size_limit_holds_with_eviction_every_few_hundred_sets(tmp_path):
    """diskcache's check on every set is off; the cache evicts every CULL_EVERY
    sets, so it outgrows its limit by at most that many answers and keeps the
    newest entries."""
    from extractor.cache import CULL_EVERY

    limit = 256 * 1024
    cache = Cache(tmp_path, size_limit=limit)
    value = {"text": "x" * 1000}
    for number in range(8 * CULL_EVERY):
        cache.set(f"k{number}", value)
        assert cache.stats()["size_bytes"] <= limit + 2 * CULL_EVERY * 1024
    assert cache.stats()["entries"] < 8 * CULL_EVERY / 2  # evicted, not just bounded by luck
    assert cache.get(f"k{8 * CULL_EVERY - 1}") == value  # the newest stays
    assert cache.get("k0") is None  # the oldest went
    cache.close()


def test_the_cache_refuses_non_text_values(tmp_path):
    """Only JSON text is ever written."""
    cache = Cache(tmp_path)
    with pytest.raises(TypeError):
        cache._cache.set("k", {"a": 1})
    cache.close()


def test_a_cache_file_that_is_not_a_database_is_a_config_error_saying_what_to_do(tmp_path):
    Cache(tmp_path / "cache").close()
    (tmp_path / "cache" / "cache.db").write_bytes(b"garbage" * 100)
    with pytest.raises(ConfigError, match=r"damaged \(file is not a database\).*"
                       r"`extractor cache clear .*` will delete it, or use another"):
        Cache(tmp_path / "cache")


def test_a_cache_dir_that_is_a_file_is_refused_and_never_touched(tmp_path, capsys):
    """`--cache-dir papers.jsonl` by mistake: no advice to delete it, and clear keeps it."""
    data = tmp_path / "papers.jsonl"
    data.write_text('{"abstract": "x"}\n')
    with pytest.raises(ConfigError, match="is a file, not a directory") as caught:
        Cache(data)
    assert "delete" not in str(caught.value)
    assert main(["cache", "clear", "--cache-dir", str(data)]) == 2
    assert data.read_text() == '{"abstract": "x"}\n'


def test_a_cache_that_cannot_be_written_warns_once_and_the_answers_still_come_back(
        server, make_extractor, monkeypatch):
    """A full disk under the cache must not lose answers that were already paid for."""
    extractor = make_extractor(cache=True)

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(extractor.cache._cache, "set", full)
    server.push(Reply(GOOD), Reply(GOOD))
    with pytest.warns(RuntimeWarning, match="cannot write to the cache") as caught:
        first = extractor.extract(ABSTRACT, TITLE)
        second = extractor.extract(ABSTRACT + " Again.", TITLE)
    assert first.speedups and second.speedups and len(caught) == 1
    assert not second.meta.cache_hit and len(server.received) == 2


def test_a_read_only_cache_directory_is_refused_saying_why_and_never_to_delete_it(
        tmp_path, monkeypatch):
    """diskcache writes on open, so a read-only cache cannot be read: say so, and the way out."""
    import extractor.cache as cache_module

    Cache(tmp_path / "shared").close()  # a cache filled elsewhere, then mounted read-only

    def unable(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")  # what SQLite says

    monkeypatch.setattr(cache_module.diskcache, "Cache", unable)
    monkeypatch.setattr(cache_module.os, "access", lambda path, mode: False)
    with pytest.raises(ConfigError, match="is read-only") as info:
        Cache(tmp_path / "shared")
    assert "--no-cache" in str(info.value) and "delete" not in str(info.value)


def _full_disk(*args, **kwargs):
    exc = sqlite3.OperationalError("database or disk is full")  # what SQLite says
    exc.sqlite_errorcode = sqlite3.SQLITE_FULL
    raise exc


def _full_disk_at_open(*args, **kwargs):
    exc = sqlite3.OperationalError("disk I/O error")  # SQLite's word when -shm cannot grow
    exc.sqlite_errorcode = 4874  # SQLITE_IOERR_SHMSIZE
    raise exc


def test_a_cache_closed_cleanly_on_a_disk_that_then_filled_opens_with_a_warning(
        tmp_path, monkeypatch):
    """Opening then fails with an I/O error, not SQLITE_FULL: the disk says why."""
    import shutil

    import extractor.cache as cache_module

    Cache(tmp_path / "c").close()
    monkeypatch.setattr(cache_module.diskcache, "Cache", _full_disk_at_open)
    with pytest.raises(ConfigError, match="disk I/O error"):  # room left: not a full disk
        Cache(tmp_path / "c")
    monkeypatch.setattr(cache_module.shutil, "disk_usage",
                        lambda path: shutil._ntuple_diskusage(100, 100, 0))
    with pytest.warns(RuntimeWarning, match="free space"):
        cache = Cache(tmp_path / "c")
    assert cache.clear() == 0 and not (tmp_path / "c" / "cache.db").exists()


def test_a_cache_on_a_full_disk_still_serves_what_it_holds_with_one_warning(
        server, make_extractor, monkeypatch):
    """diskcache writes when it opens; a full disk then costs the writes, not the run."""
    import extractor.cache as cache_module

    server.push(Reply(GOOD), Reply(GOOD))
    with make_extractor(cache=True) as extractor:
        extractor.extract(ABSTRACT, TITLE)
    monkeypatch.setattr(cache_module.diskcache, "Cache", _full_disk)
    with pytest.warns(RuntimeWarning, match="disk is full.*free space") as caught:
        extractor = make_extractor(cache=True)
        hit = extractor.extract(ABSTRACT, TITLE)
        fresh = extractor.extract(ABSTRACT + " Again.", TITLE)
        again = extractor.extract(ABSTRACT + " Again.", TITLE)
    assert hit.meta.cache_hit and not fresh.meta.cache_hit and not again.meta.cache_hit
    assert len(server.received) == 3 and len(caught) == 1
    assert "delete" not in str(caught[0].message)
    assert extractor.cache.stats()["entries"] == 1
    extractor.close()


def test_cache_clear_frees_a_full_disk(tmp_path, monkeypatch, capsys):
    """Clearing is how the space comes back, whether the disk filled before the
    open (diskcache cannot open) or after it (the deletes cannot be journalled)."""
    import extractor.cache as cache_module

    for where in ("open", "clear"):
        cache = Cache(tmp_path / where)
        cache.set("k", {"a": 1})
        cache.close()
    with monkeypatch.context() as patch:
        patch.setattr(cache_module.diskcache, "Cache", _full_disk)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "answers are not cached": none are asked for
            assert main(["cache", "clear", "--cache-dir", str(tmp_path / "open")]) == 0
    monkeypatch.setattr(cache_module.diskcache.Cache, "clear", _full_disk)
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "clear")]) == 0
    assert capsys.readouterr().out.count("removed 1 entries") == 2
    assert not any((tmp_path / where / "cache.db").exists() for where in ("open", "clear"))


def test_cache_stats_on_a_full_disk_says_what_still_works(tmp_path, monkeypatch, capsys):
    """The run's warning (answers "returned but not cached") means nothing to
    `cache stats`: it reports the count, that nothing can be stored, and the way out."""
    import extractor.cache as cache_module

    cache = Cache(tmp_path / "c")
    cache.set("k", {"a": 1})
    cache.close()
    monkeypatch.setattr(cache_module.diskcache, "Cache", _full_disk)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["cache", "stats", "--cache-dir", str(tmp_path / "c")]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["entries"] == 1 and json.loads(out)["writable"] is False
    assert "is full" in err and "cache clear" in err and "not cached" not in err


def test_cache_clear_on_a_full_disk_does_not_claim_a_count_it_could_not_read(
        tmp_path, monkeypatch, capsys):
    """When SQLite cannot read the database either, the files still go, uncounted."""
    import extractor.cache as cache_module

    cache = Cache(tmp_path / "c")
    cache.set("k", {"a": 1})
    cache.close()
    monkeypatch.setattr(cache_module.diskcache, "Cache", _full_disk)
    monkeypatch.setattr(cache_module.sqlite3, "connect", _full_disk)
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "could not be read to count them" in out and "removed 0" not in out
    assert not (tmp_path / "c" / "cache.db").exists()


def _damaged_in_the_middle(directory):
    """A 300-entry cache with 8 KiB garbled halfway through its database: SQLite
    still opens it, and diskcache's own count still says 300."""
    import random

    cache = Cache(directory)
    for i in range(300):
        cache.set(f"k{i}", {"summary": f"entry {i} " + "y" * 300})
    cache.close()
    database = directory / "cache.db"
    data = bytearray(database.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8192] = random.Random(2).randbytes(8192)
    database.write_bytes(bytes(data))


def test_a_cache_damaged_in_the_middle_is_reported_by_check_and_removed_by_clear(
        tmp_path, capsys):
    """check does not call it healthy, clear does not crash, and the next run caches."""
    _damaged_in_the_middle(tmp_path / "c")
    assert main(["cache", "check", "--cache-dir", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "is damaged" in err and "extractor cache clear" in err
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "removed 300 entries" in capsys.readouterr().out
    cache = Cache(tmp_path / "c")
    cache.set("k", {"a": 1})
    assert cache.get("k") == {"a": 1} and cache.stats()["entries"] == 1
    cache.close()


def test_cache_stats_reads_no_entry_and_check_reads_them_all(tmp_path, capsys, monkeypatch):
    """`stats` ran SQLite's quick_check, which reads the whole database: 7-9 s for a
    cold 200 MB cache. It counts; `check` reads every page, and says it did."""
    cache = Cache(tmp_path / "c")
    cache.set("k", {"a": 1})
    cache.close()
    pragmas = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        db.set_trace_callback(lambda sql: pragmas.append(sql) if "check" in sql else None)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    assert main(["cache", "stats", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "checked" not in json.loads(capsys.readouterr().out) and pragmas == []
    assert main(["cache", "check", "--cache-dir", str(tmp_path / "c")]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["checked"] is True and shown["entries"] == 1 and pragmas == [
        "PRAGMA quick_check"]


def test_writes_to_a_damaged_cache_warn_once_naming_the_fix(tmp_path):
    """A damaged database cannot take the entries back, so the warning says how to remove it."""
    _damaged_in_the_middle(tmp_path / "c")
    cache = Cache(tmp_path / "c")
    misses = [f"k{i}" for i in range(300) if cache.get(f"k{i}") is None]
    assert misses  # the garbled pages held entries
    with pytest.warns(RuntimeWarning, match=r"damaged.*`extractor cache clear") as caught:
        for key in misses:
            cache.set(key, {"a": 1})
    assert len(caught) == 1
    cache.close()


def test_cache_clear_on_a_read_only_cache_says_so_and_deletes_nothing(
        tmp_path, monkeypatch, capsys):
    """SQLite's "unable to open database file" is access, not damage."""
    import extractor.cache as cache_module

    Cache(tmp_path / "shared").close()

    def unable(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(cache_module.diskcache, "Cache", unable)
    monkeypatch.setattr(cache_module.sqlite3, "connect", unable)
    monkeypatch.setattr(cache_module.os, "access", lambda path, mode: False)
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "shared")]) == 2
    assert "is read-only" in capsys.readouterr().err
    assert (tmp_path / "shared" / "cache.db").exists()


def test_a_locked_cache_database_is_never_deleted(tmp_path):
    """A lock held by another process says nothing about the data: clear's way out
    of a damaged database leaves it, and so does a read that times out on it."""
    from extractor.cache import discard_unreadable

    cache = Cache(tmp_path)
    cache.set("k", {"a": 1})
    cache.close()
    holder = sqlite3.connect(tmp_path / "cache.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert discard_unreadable(tmp_path) is False
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    cache = Cache(tmp_path)
    assert cache.get("k") == {"a": 1}
    cache.close()


def test_a_read_that_cannot_get_at_the_database_deletes_nothing(tmp_path, monkeypatch):
    """A lock timeout is a miss for now, not a corrupt entry."""
    cache = Cache(tmp_path)
    cache.set("k", {"a": 1})

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(cache._cache, "get", locked)
        assert cache.get("k") is None
    assert cache.get("k") == {"a": 1}
    cache.close()


def test_a_cache_directory_that_cannot_be_created_says_so_and_not_to_delete_it(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"cannot create the cache directory .*: Not a "
                                          r"directory; use another --cache-dir") as caught:
        Cache(tmp_path / "notes.txt" / "cache")
    assert "delete" not in str(caught.value)

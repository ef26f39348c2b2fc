"""Which records a batch run does: shards, dedup and resume against the output,
and the refusal to resume an output made with other settings."""

from __future__ import annotations

import json

from extractor import Extractor
from extractor.batch import RunConfig, run
from extractor.cli import main
from extractor.dumps import make_record
from extractor.plan import shard_of

from .test_batch import abstract, lines, write_jsonl


def revised_snapshot(path, n):
    """`n` papers with ids, then each again with a revised abstract, then the
    first few again under new ids (one paper saved twice by the source)."""
    rows = [{"id": f"P{i}", "title": f"Paper {i}", "abstract": abstract(i)} for i in range(n)]
    rows += [{"id": f"P{i}", "title": f"Paper {i}", "abstract": abstract(i) + " Revised."}
             for i in range(n)]
    rows += [{"id": f"Q{i}", "title": f"Paper {i}", "abstract": abstract(i)} for i in range(5)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def ids_of(path):
    return [row["id"] for row in lines(path)]


def test_shards_hold_exactly_the_unsharded_run_each_id_once_when_ids_are_reused(tmp_path):
    revised_snapshot(tmp_path / "in.jsonl", 40)
    rules = Extractor("rules", cache=False)
    whole = run(tmp_path / "in.jsonl", tmp_path / "all.jsonl", rules)
    found, other = [], 0
    for index in range(4):
        out = tmp_path / f"shard{index}.jsonl"
        summary = run(tmp_path / "in.jsonl", out, rules, RunConfig(shard=(index, 4)))
        found += ids_of(out)
        other += summary["counts"]["other_shard"]
        assert summary["counts"]["duplicates"] == whole["counts"]["duplicates"] == 45
    assert sorted(found) == sorted(ids_of(tmp_path / "all.jsonl")) == sorted(
        f"P{i}" for i in range(40))
    assert other == 3 * 40


def test_a_record_without_an_id_is_sharded_by_its_content_hash_as_before():
    record = make_record("A title", abstract(7), "dump.txt:3")
    assert record.id == record.key
    assert [shard_of(record, n) for n in (2, 3, 4)] == [int(record.key, 16) % n for n in (2, 3, 4)]
    named = make_record("A title", abstract(7), "in.jsonl:1", "P7")
    revised = make_record("A title", abstract(7) + " Revised.", "in.jsonl:9", "P7")
    assert shard_of(named, 7) == shard_of(revised, 7)


def test_a_rerun_skips_a_paper_the_output_holds_under_another_id(tmp_path):
    """A paper seen twice, by id or by content, is extracted once, across runs
    too: the same papers as a dump without ids and as JSON lines with them."""
    papers = [{"id": f"P{i}", "title": f"Paper {i}", "abstract": abstract(i)} for i in range(6)]
    with_ids, without = tmp_path / "ids.jsonl", tmp_path / "bare.jsonl"
    with_ids.write_text("".join(json.dumps(p) + "\n" for p in papers))
    without.write_text("".join(json.dumps({"title": p["title"], "abstract": p["abstract"]}) + "\n"
                               for p in papers))
    rules = Extractor("rules", cache=False)
    for first, second in ((without, with_ids), (with_ids, without)):
        out = tmp_path / f"from-{first.stem}.jsonl"
        run(first, out, rules)
        summary = run([second, first], out, rules)
        assert len(lines(out)) == 6
        counts = summary["counts"]
        assert (counts["done"], counts["skipped"], counts["duplicates"]) == (0, 6, 6)


def test_resuming_with_another_model_or_sampling_is_refused_naming_what_differs(
        tmp_path, capsys, server):
    write_jsonl(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    base = ["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "openai",
            "--base-url", server.url, "--no-cache"]
    assert main([*base, "--model", "m", "--limit", "1"]) == 0
    capsys.readouterr()
    for flags, difference in ((["--model", "m2"], "model 'm', not 'm2'"),
                              (["--model", "m", "--temperature", "0.5"],
                               "sampling.temperature 0.0, not 0.5"),
                              (["--model", "m", "--mode", "json"], "mode 'tools', not 'json'"),
                              (["--model", "m", "--base-url", server.url + "/x"], "endpoint")):
        assert main([*base, *flags]) == 2
        err = capsys.readouterr().err
        assert "resuming would mix them: pick another output (-o), or remove" in err
        assert difference in err
    (tmp_path / "out.summary.json").unlink()  # what differs is no longer known
    assert main([*base, "--model", "m2"]) == 2
    assert "other settings than this run's (backend 'openai', model 'm2', endpoint" in \
        capsys.readouterr().err
    assert main([*base, "--model", "m"]) == 0 and len(lines(out)) == 3


def test_an_output_written_before_rows_carried_their_settings_resumes_by_backend_and_prompt(
        tmp_path, capsys):
    write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    prompt = Extractor("rules", cache=False).prompt.hash
    out.write_text(json.dumps({"id": "P0", "error": None, "meta": {
        "backend": "rules", "model": None, "prompt_hash": prompt}}) + "\n")
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules"]) == 0
    assert [row["id"] for row in lines(out)] == ["P0", "P1"]
    # Its rows written since carry the stamp, which a later resume goes by.
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
                 "--temperature", "0.5"]) == 2
    assert "sampling.temperature 0.0, not 0.5" in capsys.readouterr().err
    out.write_text(json.dumps({"id": "P0", "error": None, "meta": {
        "backend": "slow", "model": None, "prompt_hash": prompt}}) + "\n")
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules"]) == 2
    assert "backend 'slow', not 'rules'" in capsys.readouterr().err


def test_an_output_holding_only_failures_resumes_with_the_settings_that_fix_them(tmp_path):
    """A wrong URL or model fails every record; rerunning with the fix must not be
    refused as mixing settings: failures hold no answers to mix."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    prompt = Extractor("rules", cache=False).prompt.hash
    out.write_text("".join(json.dumps({"id": f"P{i}", "error": {
        "type": "PermanentError", "message": "404"}, "meta": {
        "backend": "rules", "prompt_hash": prompt, "settings": "0123456789abcdef"}}) + "\n"
        for i in range(2)))
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
                 "--retry-failed"]) == 0
    assert [row["error"] for row in lines(out)] == [None, None]


def test_a_log_line_that_this_program_did_not_write_is_redone_not_a_crash(tmp_path):
    """`"meta": "x"` is no row of ours: its record is extracted again."""
    write_jsonl(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules",
                 "--limit", "1"]) == 0
    with out.open("a") as log:
        log.write(json.dumps({"id": "P1", "meta": "x"}) + "\n")
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(out), "--backend", "rules"]) == 0
    assert sorted(row["id"] for row in lines(out)) == ["P0", "P1"]
    assert all(isinstance(row["meta"], dict) for row in lines(out))

"""The eval harness: fixture checks, scoring a backend, reports, thresholds."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest

from extractor import Backend, Completion, PaperSummary, ValidationFailed, register
from extractor.backends.base import unregister
from extractor.cli import main
from extractor.evals import evaluate, report_data
from extractor.fixtures import FixtureError, load_fixtures

from .conftest import ABSTRACT, GOOD, REPO, TITLE

GOLD_LINE = {"id": "skr", "title": TITLE, "abstract": ABSTRACT, "labels": GOOD}


def write(tmp_path, *rows, name="gold.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


class Scripted(Backend):
    """Answers from a dict of abstract -> summary; raises for anything else."""

    name = "scripted"

    def __init__(self, answers):
        self.answers = answers

    def complete(self, request):
        if request.abstract not in self.answers:
            raise ValidationFailed("no answer scripted")
        return Completion(PaperSummary.model_validate(self.answers[request.abstract]))


@pytest.fixture
def scripted():
    answers = {}
    register("scripted", lambda config: Scripted(answers))
    yield answers
    unregister("scripted")


def test_the_project_gold_file_is_well_formed():
    """fixtures/gold.jsonl passes the harness's own format checks."""
    fixtures = load_fixtures(REPO / "fixtures" / "gold.jsonl")
    assert len(fixtures) >= 100


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.pop("labels"), "missing 'labels'"),
        (lambda r: r["labels"].pop("hardware"), "labels.hardware is missing"),
        (
            lambda r: r["labels"]["speedups"][0].update(text="99x faster"),
            "not found in the abstract",
        ),
        (lambda r: r["labels"]["speedups"][0].update(factor="13.9"), "must be a number or null"),
        (lambda r: r["labels"]["speedups"][0].update(factor=True), "must be a number or null"),
        (lambda r: r["labels"].update(datasets="PDEBench"), "list of strings"),
        (lambda r: r["labels"]["speedups"][0].pop("baseline"), "exactly factor"),
        (lambda r: r.update(title=5), "title must be text or null, not 5"),
        (lambda r: r.update(title=["a"]), r"title must be text or null, not \['a'\]"),
        # gold no answer can match: refused, not scored as a miss every run
        (lambda r: r["labels"]["speedups"][0].update(factor=0), r"factor 0 is no speed-up"),
        (lambda r: r["labels"]["speedups"][0].update(factor=-2), r"factor -2 is no speed-up"),
        (lambda r: r["labels"]["speedups"][0].update(factor=0.5), r"factor 0.5 is no speed-up"),
        (lambda r: r["labels"]["speedups"][0].update(factor=1), r"factor 1 is no speed-up"),
        (lambda r: r["labels"]["speedups"][0].update(factor_max=2), r"factor_max 2 with factor"),
        (lambda r: r["labels"]["speedups"][0].update(factor_max=13.9), "factor_max 13.9 with"),
        (lambda r: r["labels"]["speedups"][0].update(factor=None, factor_max=5),
         "factor_max 5 with factor None"),
        (lambda r: r["labels"].update(hardware=["A100", "--"]),
         r"labels.hardware\[1\] '--' holds no letter"),
        (lambda r: r["labels"].update(datasets=[""]), r"labels.datasets\[0\] '' holds no letter"),
        (lambda r: r["labels"].update(hardware=["NVIDIA A100", "A100 GPU"]),
         r"labels.hardware\[1\] 'A100 GPU' is the same name as 'NVIDIA A100'"),
        (lambda r: r["labels"].update(datasets=["CIFAR-10", "cifar10"]),
         r"labels.datasets\[1\] 'cifar10' is the same name as 'CIFAR-10'"),
        (lambda r: r["labels"].update(task=""), "labels.task '' holds no word"),
        (lambda r: r["labels"].update(method=" - the "), "labels.method ' - the ' holds no word"),
    ],
)
def test_a_broken_fixture_is_refused_with_its_line(mutate, message, tmp_path):
    """Each kind of format error is named, with the file and line number."""
    bad = json.loads(json.dumps(GOLD_LINE))
    bad["id"] = "bad"
    mutate(bad)
    path = write(tmp_path, GOLD_LINE, bad)
    with pytest.raises(FixtureError, match=rf"gold.jsonl:2: .*{message}"):
        load_fixtures(path)


def test_a_fixture_holding_a_lone_surrogate_is_refused_with_its_line(tmp_path, capsys):
    """An escape such as \\ud83d is valid JSON but no text: the eval refuses the file."""
    bad = json.loads(json.dumps(GOLD_LINE))
    bad["id"], bad["abstract"] = "bad", bad["abstract"] + " \ud83d"
    path = write(tmp_path, GOLD_LINE, bad)
    with pytest.raises(FixtureError, match=r"gold.jsonl:2: holds a lone surrogate"):
        load_fixtures(path)
    assert main(["eval", str(path), "--backend", "rules"]) == 2
    assert "lone surrogate" in capsys.readouterr().err


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_nan_in_the_gold_labels_is_refused_as_not_json(constant, tmp_path):
    """Python reads NaN (and 1e400 as inf); JSON has neither, and the report would
    have written it back."""
    line = json.dumps(dict(GOLD_LINE, id="bad")).replace('"factor": 13.9', f'"factor": {constant}')
    assert constant in line
    with pytest.raises(FixtureError, match=f"gold.jsonl:2: {constant} is no number a label"):
        load_fixtures(write(tmp_path, GOLD_LINE, line))


@pytest.mark.parametrize("digits", [401, 5001])
def test_an_integer_past_the_largest_float_in_the_gold_is_refused_with_its_line(
        digits, tmp_path, capsys):
    """A 401-digit factor crashed scoring, a 5,001-digit one json itself: both are refused
    as 1e400 is, naming the line."""
    big = "1" + "0" * (digits - 1)
    line = json.dumps(dict(GOLD_LINE, id="bad")).replace('"factor": 13.9', f'"factor": {big}')
    path = write(tmp_path, GOLD_LINE, line)
    shown = rf"100000000000\.\.\.\({digits:,} digits\) is no number a label can hold"
    with pytest.raises(FixtureError, match=f"gold.jsonl:2: {shown}"):
        load_fixtures(path)
    assert main(["eval", str(path), "--backend", "rules", "--no-thresholds", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("extractor: FixtureError: ") and err.count("\n") == 1
    assert "is no number a label can hold" in err


def test_eval_reads_fixtures_from_standard_input_once(scripted, tmp_path, capsys, monkeypatch):
    """`eval -` reads the gold file from a pipe, as `batch -` does; `- -` is refused."""
    scripted[ABSTRACT] = GOOD
    data = (json.dumps(GOLD_LINE) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    args = ["--backend", "scripted", "--no-cache", "--quiet", "--no-thresholds"]
    assert main(["eval", "-", *args]) == 0
    assert "n=1  errors=0" in capsys.readouterr().out
    assert main(["eval", "-", "-", *args]) == 2
    assert "read only once" in capsys.readouterr().err


def test_fixtures_all_refused_as_input_stop_the_eval_as_an_input_error(scripted, tmp_path,
                                                                      capsys):
    """--max-chars under every abstract is a usage error (exit 2), never a backend failure."""
    scripted[ABSTRACT] = GOOD
    args = ["--backend", "scripted", "--no-cache", "--quiet", "--no-thresholds",
            "--max-chars", "50"]
    one = write(tmp_path, GOLD_LINE, name="one.jsonl")
    many = write(tmp_path, *[dict(GOLD_LINE, id=f"p{i}") for i in range(12)], name="many.jsonl")
    assert main(["eval", str(one), *args]) == 2
    assert "InputError: every fixture was refused as input" in capsys.readouterr().err
    assert main(["eval", str(many), *args]) == 2
    assert "InputError: stopped: the first 10 fixtures were all refused" in (
        capsys.readouterr().err)


def test_a_fixture_refused_as_input_among_others_is_a_recorded_error(scripted, tmp_path,
                                                                     capsys):
    """One over-long abstract is scored as empty with its InputError; the rest are scored."""
    long = dict(GOLD_LINE, id="long", abstract=ABSTRACT + " More." * 4000)
    scripted[ABSTRACT] = GOOD
    out = tmp_path / "r.json"
    assert main(["eval", str(write(tmp_path, GOLD_LINE, long)), "--backend", "scripted",
                 "--no-cache", "--quiet", "--no-thresholds", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["errors"] == 1
    assert report["items"][1]["scores"]["error"].startswith("InputError: abstract is")


def test_a_fixture_whose_abstract_holds_a_unicode_line_separator_is_one_line(tmp_path):
    """json.dumps(ensure_ascii=False) writes U+2028 and NEL raw: not line ends."""
    row = dict(GOLD_LINE, abstract=GOLD_LINE["abstract"] + "\u2028Second\x85part.")
    path = tmp_path / "gold.jsonl"
    path.write_bytes((json.dumps(row, ensure_ascii=False) + "\r\n").encode("utf-8"))
    [fixture] = load_fixtures(path)
    assert fixture.abstract.endswith("\u2028Second\x85part.")


def test_invalid_json_and_duplicate_ids_are_refused(tmp_path):
    """Malformed lines and repeated ids are format errors too."""
    with pytest.raises(FixtureError, match=":2: not valid JSON"):
        load_fixtures(write(tmp_path, GOLD_LINE, "{oops"))
    with pytest.raises(FixtureError, match=":2: JSON nested too deeply"):  # not RecursionError
        load_fixtures(write(tmp_path, GOLD_LINE, "[" * 100_000 + "]" * 100_000))
    with pytest.raises(FixtureError, match=":2: id 'skr' is not a unique"):
        load_fixtures(write(tmp_path, GOLD_LINE, GOLD_LINE))


def test_perfect_answers_score_one_and_failures_score_as_empty(scripted, tmp_path):
    """A correct answer scores 1.0; a failed extraction counts as all misses."""
    other = dict(GOLD_LINE, id="other", abstract=ABSTRACT + " Second paper.")
    scripted[ABSTRACT] = GOOD
    from extractor import Extractor

    extractor = Extractor("scripted", cache=False)
    items = evaluate(load_fixtures(write(tmp_path, GOLD_LINE, other)), extractor)
    report = report_data(items, extractor)
    assert report["n"] == 2 and report["errors"] == 1
    assert report["fields"]["speedups"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.6667,
        "baseline_agreement": 1.0,
    }
    assert report["fields"]["task"]["token_f1"] == 0.5
    assert "ValidationFailed" in report["items"][1]["scores"]["error"]


def test_the_report_counts_and_shows_dataset_names_the_backend_made_up(
        scripted, tmp_path, capsys):
    """A dataset the paper never writes is dropped before scoring; the eval says how
    many the backend made up, per paper and in all: a rate to compare models by."""
    scripted[ABSTRACT] = dict(GOOD, datasets=["PDEBench", "ImageNet", "GLUE"])
    gold = write(tmp_path, GOLD_LINE)
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--json",
                 str(out_json), "--html", str(out_html)]) == 0
    assert "dataset names dropped as not in the title or abstract: 2 of 3 returned" in \
        capsys.readouterr().out
    report = json.loads(out_json.read_text())
    assert report["dropped_datasets"] == 2
    [item] = report["items"]
    assert item["dropped_datasets"] == ["ImageNet", "GLUE"]
    assert item["predicted"]["datasets"] == ["PDEBench"] and item["scores"]["datasets"]["fp"] == 0
    assert "dropped, not in the text: ImageNet" in out_html.read_text()


def test_an_eval_whose_first_ten_papers_all_fail_stops_with_the_error(
        scripted, tmp_path, capsys):
    """A broken backend is reported after 10 failures, not after every fixture's retries;
    one success among the first ten and the eval goes on to the end."""
    rows = [dict(GOLD_LINE, id=f"p{i}", abstract=f"{ABSTRACT} Paper {i}.") for i in range(12)]
    gold = write(tmp_path, *rows)
    args = ["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
            "--no-thresholds"]
    assert main(args) == 1  # nothing scripted: every paper fails
    assert "stopped: the first 10 fixtures all failed; the last: ValidationFailed" in \
        capsys.readouterr().err
    scripted[rows[9]["abstract"]] = GOOD
    assert main([*args, "--json", str(tmp_path / "r.json")]) == 1  # it ran to the end
    assert json.loads((tmp_path / "r.json").read_text())["errors"] == 11
    assert ("FAIL scripted: 11 of 12 papers got no answer and were scored as empty answers; "
            "the first, p0: ValidationFailed: no answer scripted") in capsys.readouterr().err


def test_an_eval_with_a_paper_that_got_no_answer_fails_whatever_its_scores(
        scripted, tmp_path, capsys):
    """A stale replay recording for one paper scored it as an empty answer and the
    gate passed: a score over missing answers is not the backend's score."""
    other = dict(GOLD_LINE, id="other", abstract=ABSTRACT + " Second paper.")
    scripted[ABSTRACT] = GOOD
    gold = write(tmp_path, GOLD_LINE, other)
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
                 "--no-thresholds"]) == 1
    err = capsys.readouterr().err
    assert "FAIL scripted: 1 of 2 papers got no answer" in err and "the first, other:" in err


@pytest.mark.parametrize("bad", [
    ["--threshold", "speedups.f2=0.9"],
    ["--thresholds", "BROKEN_TOML"],
    ["--json", "A_DIRECTORY"],
], ids=["threshold", "thresholds file", "json path"])
def test_a_bad_option_fails_before_the_eval_not_after_it(scripted, tmp_path, capsys, bad):
    """With an LLM an eval costs minutes and money: the command is checked first."""
    (tmp_path / "broken.toml").write_text("[rules\n")
    (tmp_path / "a-directory").mkdir()
    bad = [{"BROKEN_TOML": str(tmp_path / "broken.toml"),
            "A_DIRECTORY": str(tmp_path / "a-directory")}.get(b, b) for b in bad]
    scripted[ABSTRACT] = GOOD
    gold = write(tmp_path, GOLD_LINE)
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", *bad]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("extractor: ")  # no score table: nothing was run


def test_eval_writes_its_reports_into_a_directory_it_makes(scripted, tmp_path, capsys):
    scripted[ABSTRACT] = GOOD
    gold = write(tmp_path, GOLD_LINE)
    out = tmp_path / "new" / "dir" / "r.json"
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
                 "--no-thresholds", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["n"] == 1


def test_a_thresholds_file_that_is_not_there_is_refused_not_skipped(scripted, tmp_path,
                                                                    capsys):
    """A typo in CI's --thresholds path used to turn the gate off and pass."""
    scripted[ABSTRACT] = GOOD
    gold = write(tmp_path, GOLD_LINE)
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
                 "--thresholds", str(tmp_path / "threshold.toml")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no thresholds file" in err and "threshold.toml" in err


def test_without_a_thresholds_file_here_the_eval_says_nothing_is_gated(scripted, tmp_path,
                                                                      capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scripted[ABSTRACT] = dict(GOOD, datasets=["PDEBench", "GMRES"])  # precision 0.5
    gold = write(tmp_path, GOLD_LINE)
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet"]) == 0
    assert "no evals/thresholds.toml here, so only --threshold gates" in (
        capsys.readouterr().err)
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "thresholds.toml").write_text(
        "[scripted.datasets]\nprecision = 0.9\n")
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet"]) == 1
    assert "FAIL scripted: datasets.precision" in capsys.readouterr().err


def test_a_thresholds_file_with_no_table_for_the_backend_says_so(scripted, tmp_path, capsys):
    """`[script.datasets]` for `scripted` gates nothing; the eval names the tables it has."""
    scripted[ABSTRACT] = GOOD
    gold = write(tmp_path, GOLD_LINE)
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[script.datasets]\nf1 = 1.0\n[untitled.scripted.task]\ntoken_f1 = 0.1\n")
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
                 "--thresholds", str(thresholds)]) == 0
    assert ("has no [scripted.FIELD] table, so only --threshold gates scripted (its tables: "
            "script, untitled.scripted)") in capsys.readouterr().err


def test_tables_that_gate_nothing_are_named_before_the_first_call(tmp_path, capsys):
    """A table for a backend that is not installed (`[rulez.*]`) was never mentioned
    when the run's own backend had a table, and a run's missing table was said
    only after its eval: both are said before any call now."""
    said_before_call = []

    class Listening(Backend):
        name = "listening"

        def complete(self, request):
            said_before_call.append(capsys.readouterr().err)
            return Completion(PaperSummary.model_validate(GOOD))

    register("listening", lambda config: Listening())
    try:
        gold = write(tmp_path, GOLD_LINE)
        thresholds = tmp_path / "t.toml"
        thresholds.write_text("[rulez.speedups]\nf1 = 0.5\n[untitled.listening.task]\n"
                              "token_f1 = 0.1\n")
        assert main(["eval", str(gold), "--backend", "listening", "--no-cache", "--quiet",
                     "--thresholds", str(thresholds)]) == 0
        [err] = said_before_call
        assert (f"{thresholds} has a [rulez.FIELD] table, but no backend rulez is installed, "
                "so it gates nothing (installed: ") in err
        assert "has no [listening.FIELD] table, so only --threshold gates listening" in err
        assert "untitled.listening" not in err.split("its tables: ")[0]
        assert capsys.readouterr().err == ""  # nothing more said after the run
    finally:
        unregister("listening")


def test_eval_command_writes_json_html_and_enforces_thresholds(scripted, tmp_path, capsys):
    """The CLI prints the table, writes both reports and exits 1 under a threshold."""
    scripted[ABSTRACT] = dict(GOOD, datasets=["PDEBench", "GMRES"])
    gold = write(tmp_path, GOLD_LINE)
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code = main(
        [
            "eval",
            str(gold),
            "--backend",
            "scripted",
            "--no-cache",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
            "--no-thresholds",
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    assert "datasets" in table and "0.500" in table
    report = json.loads(out_json.read_text())
    assert set(report) >= {"backend", "model", "prompt_hash", "n", "fields", "items"}
    assert set(report["items"][0]) >= {"id", "gold", "predicted", "scores"}
    page = out_html.read_text()
    assert '<mark class="pred">' in page and "extra GMRES" in page
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[scripted.datasets]\nprecision = 0.9\n")
    code = main(
        [
            "eval",
            str(gold),
            "--backend",
            "scripted",
            "--no-cache",
            "--quiet",
            "--thresholds",
            str(thresholds),
        ]
    )
    assert code == 1
    assert "datasets.precision = 0.500 is under the threshold 0.900" in capsys.readouterr().err
    assert (
        main(
            [
                "eval",
                str(gold),
                "--backend",
                "scripted",
                "--no-cache",
                "--threshold",
                "speedups.f1=0.99",
                "--thresholds",
                str(thresholds),
            ]
        )
        == 1
    )


@pytest.mark.parametrize("flag", ["speedup.f1=1", "hardware.baseline_agreement=0.5",
                                  "datasets.baseline_agreement=0.5"])
def test_eval_refuses_a_bad_threshold_name(flag, scripted, tmp_path, capsys):
    """A misspelt metric is a usage error, not a silent pass; baseline agreement is
    scored for speedups alone, and on another field crashed after the run."""
    gold = write(tmp_path, GOLD_LINE)
    scripted[ABSTRACT] = GOOD
    assert main(["eval", str(gold), "--backend", "scripted", "--threshold", flag]) == 2
    assert "threshold must look like" in capsys.readouterr().err
    assert main(["eval", str(gold), "--backend", "scripted", "--no-thresholds",
                 "--threshold", "speedups.baseline_agreement=0.5"]) == 0


@pytest.mark.parametrize("toml, key", [
    ("[rules]\nspeedups = 0.9\n", "rules.speedups must be a table"),
    ("[rules.speedups]\nf1 = [0.9]\n", "rules.speedups.f1: the minimum must be"),
    ("[rules.task]\ntoken_f1 = nan\n", "rules.task.token_f1: the minimum must be"),
    ("[rules.task]\ntoken_f1 = -inf\n", "rules.task.token_f1: the minimum must be"),
    ("untitled = 3\n", "untitled must hold"),
    ("[untitled]\nrules = 3\n", "untitled.rules must hold"),
    ("[other.speedups]\nf1 = 'high'\n", "other.speedups.f1: the minimum must be"),
    ("[rules.speedups]\nf1 = -0.96\n", "rules.speedups.f1: the minimum must be a number from 0"),
    ("[rules.speedups]\nf1 = 1.5\n", "rules.speedups.f1: the minimum must be a number from 0"),
    # scored for speedups alone: on another field it crashed the gate after the run
    ("[rules.hardware]\nbaseline_agreement = 0.5\n",
     "unknown metric rules.hardware.baseline_agreement"),
    ("[untitled.rules.task]\nbaseline_agreement = 0.5\n",
     "unknown metric untitled.rules.task.baseline_agreement"),
])
@pytest.mark.parametrize("untitled", [[], ["--no-titles"]])
def test_a_badly_shaped_thresholds_file_exits_2_naming_the_file_and_key_before_any_call(
        toml, key, untitled, scripted, tmp_path, capsys):
    """Any table of the file is checked, whichever backend runs, before the first call."""
    gold = write(tmp_path, GOLD_LINE)
    thresholds = tmp_path / "t.toml"
    thresholds.write_text(toml)
    code = main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
                 "--thresholds", str(thresholds), *untitled])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"extractor: ConfigError: {thresholds}: {key}")
    assert err.count("\n") == 1 and scripted == {}


@pytest.mark.parametrize("flag", ["task.token_f1", "task.token_f1=", "task.token_f1=nan",
                                  "task.token_f1=inf", "task.token_f1=x",
                                  "task.token_f1=-0.5", "task.token_f1=1.01"])
def test_a_threshold_without_a_minimum_to_compare_with_is_refused(flag, scripted, tmp_path,
                                                                  capsys):
    """No =MIN, NaN or a negative minimum would pass every run, one over 1 fail every
    run: refused, not silently accepted."""
    gold = write(tmp_path, GOLD_LINE)
    assert main(["eval", str(gold), "--backend", "scripted", "--threshold", flag]) == 2
    assert "ConfigError: threshold" in capsys.readouterr().err


def test_no_titles_withholds_every_title_and_uses_the_untitled_gate(tmp_path, capsys):
    """`eval --no-titles` sends each abstract alone, says so, and is gated by the
    `[untitled.BACKEND]` tables, not by the titled ones."""
    seen = []

    class Recording(Backend):
        name = "recording"

        def complete(self, request):
            seen.append(request.title)
            return Completion(PaperSummary.model_validate(
                dict(GOOD, task="another task entirely", method="another method")))

    register("recording", lambda config: Recording())
    try:
        gold = write(tmp_path, GOLD_LINE)
        thresholds = tmp_path / "t.toml"
        thresholds.write_text("[recording.task]\ntoken_f1 = 1.0\n"
                              "[untitled.recording.method]\ntoken_f1 = 1.0\n")
        out = tmp_path / "r.json"
        args = ["eval", str(gold), "--backend", "recording", "--no-cache", "--quiet",
                "--thresholds", str(thresholds), "--json", str(out), "--html",
                str(tmp_path / "r.html")]
        assert main([*args, "--no-titles"]) == 1
        captured = capsys.readouterr()
        assert seen == [""]
        assert "titles withheld" in captured.out
        assert "method.token_f1" in captured.err and "task.token_f1" not in captured.err
        assert json.loads(out.read_text())["titles"] is False
        assert "titles withheld" in (tmp_path / "r.html").read_text()
        assert main(args) == 1
        assert seen == ["", TITLE]
        assert "task.token_f1" in capsys.readouterr().err
        assert json.loads(out.read_text())["titles"] is True
    finally:
        unregister("recording")


def test_compare_prints_every_metric_before_and_after_and_the_papers_that_moved(
        scripted, tmp_path, capsys):
    """`eval --compare` reports a change whole: the field that got worse too."""
    second = dict(GOLD_LINE, id="second", abstract=ABSTRACT + " Second paper.")
    gold = write(tmp_path, GOLD_LINE, second)
    args = ["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
            "--no-thresholds"]
    scripted[ABSTRACT] = dict(GOOD, datasets=[])
    scripted[second["abstract"]] = GOOD
    assert main([*args, "--json", str(tmp_path / "before.json")]) == 0
    capsys.readouterr()

    scripted[ABSTRACT] = GOOD  # datasets: one paper better
    scripted[second["abstract"]] = dict(GOOD, task="something else entirely")  # task: worse
    assert main([*args, "--compare", str(tmp_path / "before.json")]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines()
            if line.split()[:1] in (["datasets"], ["task"], ["method"])}
    assert rows[("datasets", "f1")] == ["0.667", "1.000", "+0.333", "1/0"]
    assert rows[("task", "token_f1")][2:] == ["-0.500", "0/1"]
    assert rows[("method", "token_f1")] == ["1.000", "1.000", "+0.000", "0/0"]
    assert "(2 papers in both)" in out and "note:" not in out
    assert "made up" not in out  # neither run dropped a name

    scripted[ABSTRACT] = dict(GOOD, datasets=["PDEBench", "ImageNet"])  # one made up
    assert main([*args, "--compare", str(tmp_path / "before.json")]) == 0
    assert "dataset names made up (dropped): 0 before, 1 after" in capsys.readouterr().out

    edited = json.loads((tmp_path / "before.json").read_text())  # by hand: a score gone
    del edited["items"][1]["scores"]["task"]
    (tmp_path / "before.json").write_text(json.dumps(edited))
    assert main([*args, "--compare", str(tmp_path / "before.json")]) == 0
    out = capsys.readouterr().out
    assert [line.split()[-1] for line in out.splitlines()
            if line.split()[:2] == ["task", "token_f1"]] == ["0/0"]  # the other paper: same

    write(tmp_path, GOLD_LINE, name="one.jsonl")
    assert main([*args[:1], str(tmp_path / "one.jsonl"), *args[2:],
                 "--compare", str(tmp_path / "before.json")]) == 0
    assert "note: the runs scored different papers" in capsys.readouterr().out


def test_compare_pairs_papers_of_one_id_in_two_gold_files_each_with_its_own(
        scripted, tmp_path, capsys):
    """Ids are unique within a gold file, not across the files of one eval: keyed by
    id alone, the second file's paper was paired with the first's, so an unchanged
    run showed papers better and worse and said the runs scored different papers."""
    other = dict(GOLD_LINE, abstract=ABSTRACT + " Second paper.")  # the same id, "skr"
    first, second = write(tmp_path, GOLD_LINE, name="a.jsonl"), write(tmp_path, other,
                                                                       name="b.jsonl")
    scripted[ABSTRACT] = GOOD
    scripted[other["abstract"]] = dict(GOOD, task="something else entirely", datasets=[])
    args = ["eval", str(first), str(second), "--backend", "scripted", "--no-cache",
            "--quiet", "--no-thresholds"]
    assert main([*args, "--json", str(tmp_path / "before.json")]) == 0
    capsys.readouterr()
    assert main([*args, "--compare", str(tmp_path / "before.json")]) == 0
    out = capsys.readouterr().out
    assert "(2 papers in both)" in out and "note:" not in out
    moved = [line.split()[-1] for line in out.splitlines()
             if line.split()[1:2] in (["f1"], ["token_f1"])]
    assert moved == ["0/0"] * 5


@pytest.mark.parametrize("content", [
    "not json", "[1, 2]", '{"fields": {}}', '{"fields": {"task": 1}, "items": []}',
    '{"fields": {}, "items": [{"scores": {}}]}', b"\xff\xfe{\x00}\x00",  # UTF-16
])
def test_compare_refuses_a_file_that_is_no_report_before_calling_the_backend(
        tmp_path, capsys, content, counting):
    gold = write(tmp_path, GOLD_LINE)
    (tmp_path / "old.json").write_bytes(content if isinstance(content, bytes)
                                        else content.encode())
    code = main(["eval", str(gold), "--backend", "counting", "--no-cache", "--quiet",
                 "--compare", str(tmp_path / "old.json")])
    assert code == 2 and counting == []  # nothing paid for a comparison that cannot be made
    err = capsys.readouterr().err
    assert "old.json" in err and ("cannot read the report" in err or "is not a report" in err)


def test_a_backend_that_predicts_nothing_shows_no_precision_in_the_table(scripted, tmp_path,
                                                                        capsys):
    """Precision over no prediction is 1.0 in the JSON (nothing to gate down) but is
    no measure: the table prints a dash, and so for agreement over no matched claim."""
    scripted[ABSTRACT] = dict(GOOD, speedups=[], hardware=[])
    gold = write(tmp_path, dict(GOLD_LINE, labels=dict(GOOD, hardware=["GPU"])))
    assert main(["eval", str(gold), "--backend", "scripted", "--no-cache", "--quiet",
                 "--no-thresholds", "--json", str(tmp_path / "r.json")]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^speedups +— +0\.000 +0\.000", table, re.M)
    assert re.search(r"^hardware +— +0\.000 +0\.000", table, re.M)
    assert re.search(r"^datasets +1\.000 ", table, re.M)
    assert "over matched claims: — (none matched)" in table
    fields = json.loads((tmp_path / "r.json").read_text())["fields"]
    assert fields["speedups"]["precision"] == 1.0 and fields["hardware"]["precision"] == 1.0


@pytest.fixture
def counting():
    """A registered backend `counting` that answers GOOD; the list holds its calls."""
    calls = []

    class Counting(Scripted):
        def complete(self, request):
            calls.append(request)
            return super().complete(request)

    register("counting", lambda config: Counting({ABSTRACT: GOOD}))
    yield calls
    unregister("counting")


@pytest.mark.parametrize("gold_name, flags", [
    ("gold.jsonl", ["--json", "gold.jsonl"]),
    ("gold.jsonl", ["--html", "gold.jsonl"]),
    ("gold.jsonl", ["--json", "sub/../gold.jsonl"]),
    ("r.scripted.jsonl", ["--backend", "rules,counting", "--json", "r.jsonl"]),  # its name
    ("gold.jsonl", ["--thresholds", "t.toml", "--json", "t.toml"]),
])
def test_a_report_is_never_written_over_a_file_the_eval_reads(gold_name, flags, counting,
                                                               tmp_path, capsys, monkeypatch):
    """`--json`/`--html` naming the gold (or the thresholds) file is refused before any call."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "t.toml").write_text("[counting.task]\ntoken_f1 = 0.1\n")
    gold = write(tmp_path, GOLD_LINE, name=gold_name)
    kept = {path: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()}
    code = main(["eval", gold_name, "--backend", "counting", "--no-cache", "--quiet",
                 *(["--no-thresholds"] if "--thresholds" not in flags else []), *flags])
    err = capsys.readouterr().err
    assert code == 2 and counting == []
    assert "ConfigError" in err and "is both an input and where this run writes" in err
    assert {path: path.read_bytes() for path in kept} == kept and gold.exists()


@pytest.mark.parametrize("second", ["bogus", "anthropic"])
def test_every_backend_of_a_multi_backend_eval_is_built_before_the_first_call(
        second, counting, tmp_path, capsys, monkeypatch):
    """`--backend A,B` with a typo or a missing key in B fails before A is evaluated."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    gold = write(tmp_path, GOLD_LINE)
    code = main(["eval", str(gold), "--backend", f"counting,{second}", "--no-cache", "--quiet",
                 "--no-thresholds", "--json", str(tmp_path / "r.json")])
    captured = capsys.readouterr()
    assert code == 2 and counting == []
    assert "ConfigError" in captured.err and captured.out == ""
    assert list(tmp_path.glob("r*.json")) == []

"""PaperSummary and Speedup enforce LABELLING.md's invariants."""

from __future__ import annotations

import unicodedata

import pytest
from pydantic import ValidationError

from extractor import PaperSummary, Speedup
from extractor.grounding import find_quote, name_in

from .conftest import ABSTRACT, GOOD


def test_a_gold_answer_validates_against_its_abstract():
    """The sample gold answer passes, grounding included."""
    assert PaperSummary.model_validate(GOOD, context={"abstract": ABSTRACT}).speedups


@pytest.mark.parametrize(
    "speedup, message",
    [
        ({"factor": 0, "text": "x"}, "greater than 0"),
        ({"factor": -2, "text": "x"}, "greater than 0"),
        ({"factor": 30, "factor_max": 2, "text": "x"}, "below factor"),
        ({"factor": None, "factor_max": 2, "text": "x"}, "factor_max is set"),
        ({"factor": 2, "text": ""}, "at least 1 character"),
        ({"factor": "fast", "text": "x"}, "valid number"),
        ({"factor": float("inf"), "text": "x"}, "finite number"),
        ({"factor": 2, "factor_max": float("nan"), "text": "x"}, "finite number"),
    ],
)
def test_speedup_invariants(speedup, message):
    """Factors are positive and finite, ranges ordered, quotes non-empty."""
    with pytest.raises(ValidationError, match=message):
        Speedup.model_validate(speedup)


def test_strings_are_trimmed_and_empty_baseline_is_null():
    """Whitespace around values is dropped; an empty baseline means none."""
    s = Speedup.model_validate({"factor": 2, "baseline": "  ", "text": "  2x faster "})
    assert s.text == "2x faster" and s.baseline is None


def test_duplicate_names_are_dropped_case_insensitively():
    """Hardware and dataset lists keep the first spelling of each name."""
    summary = PaperSummary(
        task="t", method="m", hardware=["GPU", "gpu", "CPU"], datasets=["ImageNet", "ImageNet"]
    )
    assert summary.hardware == ["GPU", "CPU"] and summary.datasets == ["ImageNet"]


def test_duplicate_speedups_are_dropped():
    """The same claim twice is one claim."""
    claim = {"factor": 2, "text": "2x faster"}
    assert len(PaperSummary(task="t", method="m", speedups=[claim, claim]).speedups) == 1


def test_unknown_fields_are_refused():
    """A model inventing fields is a validation error the re-ask can fix."""
    with pytest.raises(ValidationError, match="Extra inputs"):
        PaperSummary.model_validate(dict(GOOD, confidence=0.9))


def test_missing_fields_are_refused():
    """task and method are required."""
    with pytest.raises(ValidationError, match="method"):
        PaperSummary.model_validate({"task": "t"})


def test_lists_are_bounded():
    """More than the allowed number of names is refused, not silently accepted."""
    with pytest.raises(ValidationError, match="at most 24"):
        PaperSummary(task="t", method="m", datasets=[f"D{i}" for i in range(25)])


def test_json_schema_carries_bounds():
    """The schema sent to models has maxItems and maxLength everywhere it matters."""
    schema = PaperSummary.model_json_schema()
    props = schema["properties"]
    assert props["speedups"]["maxItems"] and props["hardware"]["maxItems"]
    assert props["task"]["maxLength"] and props["hardware"]["items"]["maxLength"]
    assert schema["$defs"]["Speedup"]["properties"]["text"]["maxLength"]


def test_grounding_is_skipped_without_context():
    """Without an abstract in context, quotes cannot be checked and are accepted."""
    data = dict(GOOD, speedups=[{"factor": 2, "text": "not in any abstract"}])
    assert PaperSummary.model_validate(data).speedups[0].factor == 2


@pytest.mark.parametrize(
    "quote, expected",
    [
        ("13.9 times", "13.9 times"),
        ("SPEEDUP OF UP TO 13.9", "speedup of up to 13.9"),
        ("up  to\n13.9 times", "up to 13.9 times"),
    ],
)
def test_quotes_are_found_despite_case_and_spacing(quote, expected):
    """find_quote folds case and whitespace, and its offsets point into the original."""
    start, end = find_quote(ABSTRACT, quote)
    assert ABSTRACT[start:end] == expected


def test_a_missing_quote_is_none():
    """A quote that is not there is reported as missing, not approximated."""
    assert find_quote(ABSTRACT, "14 times") is None
    assert find_quote(ABSTRACT, "   ") is None


@pytest.mark.parametrize("text_form, quote_form", [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_quote_is_found_whichever_unicode_form_the_text_and_quote_use(text_form, quote_form):
    """é as one character or as e + accent: the offsets cover the text's own spelling."""
    text = unicodedata.normalize(text_form, "Réseau is 6x faster than the café baseline.")
    quote = unicodedata.normalize(quote_form, "6x faster than the café baseline")
    start, end = find_quote(text, quote)
    assert unicodedata.normalize("NFC", text[start:end]) == unicodedata.normalize("NFC", quote)
    assert text[end:] == "."


@pytest.mark.parametrize("text, quote, expected", [
    ("a spee\u00addup of up to 13.9 ti\u00admes.", "speedup of up to 13.9 times",
     "spee\u00addup of up to 13.9 ti\u00admes"),
    ("a speedup of up to 13.9 times.", "spee\u00addup of up\u200b to 13.9 times",
     "speedup of up to 13.9 times"),
    ("Tiny\u200bBERT is 3\u200ex faster.", "TinyBERT is 3x faster",
     "Tiny\u200bBERT is 3\u200ex faster"),
])
def test_a_quote_is_found_whether_or_not_it_copies_the_format_characters(text, quote,
                                                                          expected):
    """Soft hyphens and zero-width characters on either side alone do not hide a quote."""
    start, end = find_quote(text, quote)
    assert text[start:end] == expected


def test_an_accented_name_is_found_whichever_unicode_form_the_text_and_name_use():
    text = "We evaluate on the Réseau benchmark."
    assert name_in(unicodedata.normalize("NFD", text), "Réseau")
    assert name_in(text, unicodedata.normalize("NFD", "Réseau"))


def test_a_quote_that_reads_the_latex_of_an_arxiv_abstract_is_grounded():
    """`10× faster` quotes `$10\\times$ faster`; `11× faster` quotes nothing and is re-asked."""
    abstract = r"We propose FooNet. FooNet is $10\times$ faster than GMRES on sparse systems."
    answer = {**GOOD, "speedups": [{"factor": 10, "baseline": "GMRES",
                                    "text": "10× faster than GMRES"}]}
    assert PaperSummary.model_validate(answer, context={"abstract": abstract}).speedups
    answer["speedups"][0]["text"] = "11× faster than GMRES"
    with pytest.raises(ValidationError, match="not in the abstract"):
        PaperSummary.model_validate(answer, context={"abstract": abstract})


def test_the_json_schema_is_pydantics_own_and_a_caller_may_edit_its_copy():
    from pydantic import BaseModel

    def built(**kwargs):  # pydantic's own, never cached
        return BaseModel.model_json_schema.__func__(PaperSummary, **kwargs)

    first = PaperSummary.model_json_schema()
    assert first == built()
    first["properties"].clear()  # instructor edits the schemas it is given
    assert PaperSummary.model_json_schema() == built()
    assert PaperSummary.model_json_schema(mode="serialization") == built(mode="serialization")


@pytest.mark.parametrize(
    "name, written",
    [
        ("PDEBench", True),
        ("pdebench", True),
        ("PDE-Bench", True),  # punctuation and spacing are not spelling
        ("CIFAR10", False),
        ("A100 GPU", True),  # word by word, in any order
        ("ImageNet", False),
        ("Bench", False),  # part of a word is not the name
        ("Krylov subspaces SKR", True),
        ("---", False),  # no letters at all: nothing that could be written
    ],
)
def test_a_name_is_in_the_text_up_to_case_spacing_and_punctuation(name, written):
    assert name_in(ABSTRACT, name) is written


def test_a_name_split_across_a_list_is_found_word_by_word():
    assert name_in("on Caltech CUB, Dogs and Cars", "Caltech Dogs")
    assert name_in("trained on CIFAR-10 and CIFAR-100", "CIFAR10")
    assert not name_in("trained on FashionMNIST", "MNIST")  # a part of a word is not it
    assert name_in("trained on Fashion-MNIST", "FashionMNIST")


def test_name_in_agrees_with_its_definition_on_random_text():
    """Checked against the definition spelled out slowly: the name's words all among
    the text's words, or its letters equal to some run of whole words of the text."""
    import random
    import re

    def definition(text, name):
        words, wanted = re.findall(r"[^\W_]+", text.lower()), re.findall(r"[^\W_]+", name.lower())
        if not wanted:
            return False
        letters = "".join(wanted)
        ends = range(len(words) + 1)
        runs = {"".join(words[i:j]) for i in ends for j in ends if i < j}
        return set(wanted) <= set(words) or letters in runs

    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice("abAB1 -_.") for _ in range(rng.randint(0, 30)))
        name = "".join(rng.choice("abAB1 -_.") for _ in range(rng.randint(0, 6)))
        assert name_in(text, name) is definition(text, name), (text, name)


def test_first_error_names_the_field_and_the_reason_on_one_bounded_line():
    """What ValidationFailed shows: location, message, how many more; one line, bounded."""
    from extractor.schema import first_error

    bad = {"task": "t", "method": "m", "hardware": 3,
           "speedups": [{"factor": -2, "text": "2x\nfaster"}]}
    with pytest.raises(ValidationError) as info:
        PaperSummary.model_validate(bad)
    assert first_error(info.value) == "speedups.0.factor: Input should be greater than 0 " \
                                      "(and 1 more)"
    long_quote = "y" * 1000
    with pytest.raises(ValidationError) as info:
        PaperSummary.model_validate({"task": "t", "method": "m",
                                     "speedups": [{"factor": 2, "text": long_quote[:300]}]},
                                    context={"abstract": ABSTRACT})
    reason = first_error(info.value)
    assert reason.startswith("speedups: these speedup texts are not in the abstract: 'yyy")
    assert len(reason) <= 300 and "\n" not in reason


def _gold():
    import json

    from .conftest import REPO

    with (REPO / "fixtures" / "gold.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_every_gold_speedup_states_its_factor_in_its_quote():
    """The factor check is never stricter than LABELLING.md: all 43 gold claims pass it,
    each validated with its paper's abstract."""
    papers = [paper for paper in _gold() if paper["labels"]["speedups"]]
    claims = sum(len(paper["labels"]["speedups"]) for paper in papers)
    assert claims >= 40
    for paper in papers:
        summary = PaperSummary.model_validate(paper["labels"],
                                              context={"abstract": paper["abstract"]})
        assert len(summary.speedups) == len(paper["labels"]["speedups"]), paper["id"]


ABSTRACT_OF_CLAIMS = (
    "We propose X. It is 3x faster than Y, a sixfold speedup, six times quicker and 3 orders "
    "of magnitude faster than Z, with 37% higher throughput, 15% lower latency, and reduces "
    "inference time by 50%. It speeds up training by 2x to 30x, doubling the speed (~1000x), "
    "and is orders of magnitude faster with an exponential speedup; $10\\times$ faster. It is "
    "significantly faster, too, and cuts latency from 120 ms to 3 ms."
)


@pytest.mark.parametrize("factor, factor_max, text", [
    (3, None, "3x faster than Y"), (6, None, "a sixfold speedup"), (6, None, "six times quicker"),
    (1000, None, "3 orders of magnitude faster"), (1.37, None, "37% higher throughput"),
    (1.18, None, "15% lower latency"), (1.176, None, "15% lower latency"),
    (2.0, None, "reduces inference time by 50%"), (2, 30, "speeds up training by 2x to 30x"),
    (2, None, "doubling the speed"), (1000, None, "(~1000x)"),
    (None, None, "orders of magnitude faster"), (None, None, "an exponential speedup"),
    (10, None, "10× faster"), (10, None, "$10\\times$ faster"),
    (40, None, "cuts latency from 120 ms to 3 ms"),
])
def test_a_factor_read_from_its_quote_as_labelling_md_reads_it_passes(factor, factor_max, text):
    claim = {"factor": factor, "factor_max": factor_max, "text": text}
    summary = PaperSummary.model_validate({"task": "t", "method": "m", "speedups": [claim]},
                                          context={"abstract": ABSTRACT_OF_CLAIMS})
    assert summary.speedups[0].factor == factor


@pytest.mark.parametrize("claim, message", [
    ({"factor": 1e6, "text": "a"}, "'a' states no magnitude"),
    ({"factor": 1000, "text": "3x faster"}, "factor 1000 not stated by '3x faster'"),
    ({"factor": 2, "factor_max": 300, "text": "2x to 30x"}, "factor_max 300 not stated"),
    ({"factor": 5, "text": "significantly faster"}, "'significantly faster' states no magnitude"),
    ({"factor": None, "text": "significantly faster"}, "states no magnitude"),
    ({"factor": 1.5, "text": "37% higher throughput"}, "factor 1.5 not stated"),
    # LABELLING.md: "several orders of magnitude" states no number, so its factor is null
    ({"factor": 10, "text": "orders of magnitude faster"}, "factor 10 not stated"),
])
def test_a_factor_its_quote_does_not_state_fails_validation(claim, message):
    """So that instructor re-asks, and such an answer is never cached."""
    with pytest.raises(ValidationError, match="do not match their texts") as info:
        PaperSummary.model_validate({"task": "t", "method": "m", "speedups": [claim]},
                                    context={"abstract": ABSTRACT_OF_CLAIMS})
    assert message in str(info.value)


def test_an_order_of_magnitude_is_ten():
    abstract = "We propose X. It is an order of magnitude faster than Y."
    claim = {"factor": 10, "text": "an order of magnitude faster than Y"}
    summary = PaperSummary.model_validate({"task": "t", "method": "m", "speedups": [claim]},
                                          context={"abstract": abstract})
    assert summary.speedups[0].factor == 10


def test_up_to_n_given_as_a_range_of_n_to_n_is_one_number():
    """`up to 4000x` is factor 4000 with factor_max null; a model that fills both
    with 4000 means the same, and is read so rather than re-asked."""
    claim = Speedup(factor=4000, factor_max=4000, text="up to 4000x faster")
    assert (claim.factor, claim.factor_max) == (4000, None)


def test_the_factor_check_needs_the_abstract_like_grounding():
    """Without an abstract (a caller building a summary by hand) neither check runs."""
    claim = {"factor": 1000, "text": "3x faster"}
    assert PaperSummary.model_validate({"task": "t", "method": "m", "speedups": [claim]})


@pytest.mark.parametrize("field, value", [
    ("task", "data\x00generation"), ("method", "SKR\x00"), ("hardware", ["A1\x0000"]),
    ("datasets", ["PDE\x00Bench"]),
    ("speedups", [dict(GOOD["speedups"][0], baseline="GM\x00RES")]),
    ("speedups", [dict(GOOD["speedups"][0], text="speedup of up to 13.9\x00 times")]),
])
def test_a_nul_in_any_text_field_is_a_validation_error_naming_the_field(field, value):
    """No abstract holds a NUL (it is refused as binary), so an answer holding one
    copied nothing from the paper; it was accepted, cached and written out."""
    with pytest.raises(ValidationError, match="holds a NUL character"):
        PaperSummary.model_validate(GOOD | {field: value})

"""The streaming dump readers: every format, both text layouts, stable ids,
and malformed lines reported with their line numbers."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import threading
import zlib

import pytest

from extractor import jsonarray, readers, streams, tables
from extractor.dumps import Fields, content_key, detect_format, read
from extractor.errors import ConfigError

from .conftest import DUMPS

ABSTRACT_A = ("We propose a solver for sparse linear systems that reuses Krylov subspaces "
              "across related systems. " * 4).strip()
ABSTRACT_B = ("A graph neural network that learns message passing schedules, evaluated on "
              "molecular property prediction benchmarks. " * 4).strip()


NOT_UTF8 = ("not UTF-8 (saved as Windows-1252 or Latin-1? iconv -f cp1252 -t utf-8 converts "
            "it)")


def records(path, **kwargs):
    bad = []
    found = list(read([path], on_malformed=bad.append, **kwargs))
    return found, bad


def test_the_four_real_dumps_hold_640_papers_of_which_572_are_unique():
    dumps = sorted(DUMPS.glob("*.txt")) if DUMPS.is_dir() else []
    if len(dumps) != 4:
        pytest.skip("shared/dumps is not present")
    bad = []
    found = list(read(dumps, on_malformed=bad.append))
    assert bad == []
    assert len(found) == 640
    assert len({r.id for r in found}) == len({r.abstract for r in found}) == 572
    titles = {r.title for r in found}
    assert "Operator Learning Meets Numerical Analysis: Improving Neural Networks through "\
        "Iterative Methods" in titles  # glued to "Subscribe" in 001
    assert not titles & {"Subscribe", "Daily Papers", "new", "Sep 1"}
    assert all(len(r.abstract) > 250 for r in found)
    assert {detect_format(p) for p in dumps} == {"text"}


def test_the_dumps_joined_into_one_file_read_as_the_four_do(tmp_path):
    """`cat *.txt`: headers come again mid-file, and as the pages end without a line
    break, a header is glued to the end of the abstract before it."""
    dumps = sorted(DUMPS.glob("*.txt")) if DUMPS.is_dir() else []
    if len(dumps) != 4:
        pytest.skip("shared/dumps is not present")
    joined = tmp_path / "all.txt"
    joined.write_bytes(b"".join(p.read_bytes() for p in dumps))
    assert b"limit.Get trending papers" in joined.read_bytes()  # the glue this is about
    found, bad = records(joined)
    assert bad == []
    assert [(r.id, r.title, r.abstract) for r in found] == [
        (r.id, r.title, r.abstract) for r in read(dumps)]


def test_both_text_layouts_give_the_same_records(tmp_path):
    spaced = tmp_path / "spaced.txt"
    compact = tmp_path / "compact.txt"
    spaced.write_text("new\n\nSubscribe\n\nDaily Papers\n\nSep 1\n\nTitle A\n\n"
                      f"{ABSTRACT_A}\n\nTitle B\n\n{ABSTRACT_B}\n")
    compact.write_text("Get trending papers in your email inbox!\n"
                       f"SubscribeTitle A\n{ABSTRACT_A}\nTitle B\n{ABSTRACT_B}")
    first, bad1 = records(spaced)
    second, bad2 = records(compact)
    assert bad1 == bad2 == []
    assert [(r.id, r.title) for r in first] == [(r.id, r.title) for r in second]
    assert [r.title for r in first] == ["Title A", "Title B"]
    assert first[0].source.endswith("spaced.txt:9") and second[1].source.endswith(":4")


def test_a_title_without_its_abstract_is_reported_and_pairing_recovers(tmp_path):
    path = tmp_path / "dump.txt"
    path.write_text(f"Title A\n{ABSTRACT_A}\nOrphan title\nTitle B\n{ABSTRACT_B}\n"
                    f"{ABSTRACT_A} again\nTitle C\nA short cut-off abstract.\nLast title\n")
    found, bad = records(path)
    assert [(r.title, r.abstract[:8]) for r in found] == [
        ("Title A", ABSTRACT_A[:8]), ("Title B", ABSTRACT_B[:8]), ("Title C", "A short ")]
    assert [(b.line, b.reason.split(" ")[1]) for b in bad] == [
        (3, "title"), (6, "abstract"), (9, "title")]
    assert "end of file" in bad[-1].reason


def test_jsonl_with_custom_fields_source_ids_and_hashed_ids(tmp_path):
    path = tmp_path / "papers.jsonl"
    rows = [{"paper_id": "P1", "name": "A", "text": ABSTRACT_A},
            {"name": "B", "text": ABSTRACT_B}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    found, bad = records(path, fields=Fields(id="paper_id", title="name", abstract="text"))
    assert bad == []
    assert [r.id for r in found] == ["P1", content_key("B", ABSTRACT_B)]
    assert found[0].key == content_key("A", ABSTRACT_A)
    assert detect_format(path) == "jsonl"


def test_malformed_jsonl_lines_are_reported_with_line_numbers_and_reading_goes_on(tmp_path):
    path = tmp_path / "papers.jsonl"
    path.write_bytes(
        json.dumps({"title": "A", "abstract": ABSTRACT_A}).encode() + b"\n"
        b"{not json\n"
        b"\n"
        + json.dumps({"title": "no abstract"}).encode() + b"\n"
        b"[1, 2]\n"
        b"\xff\xfe broken bytes\n"
        + json.dumps({"title": "B", "abstract": ABSTRACT_B}).encode() + b"\n"
        b'{"title": "cut", "abstr'  # a crash mid-write
    )
    found, bad = records(path)
    assert [r.title for r in found] == ["A", "B"]
    assert [b.line for b in bad] == [2, 4, 5, 6, 8]
    assert "not valid JSON" in bad[0].reason and "not UTF-8" in bad[3].reason
    assert str(bad[0]).startswith(f"{path}:2: ")


def test_an_id_that_is_nan_infinite_boolean_or_structured_is_malformed(tmp_path):
    """They became ids as printed ("nan", "True", "{'doi': 1}"), and two papers
    whose missing id was written as NaN shared one: the second was dropped."""
    path = tmp_path / "ids.jsonl"
    ids = ["NaN", "Infinity", "-Infinity", "true", '{"doi": 1}', "[1]", "null", "7", "7.5",
           '"P1"']
    path.write_text("".join(f'{{"id": {i}, "abstract": "{ABSTRACT_A} {n}"}}\n'
                            for n, i in enumerate(ids)))
    found, bad = records(path)
    assert [(b.line, b.reason.split(",")[0]) for b in bad] == [
        (1, "field 'id' is NaN"), (2, "field 'id' is an infinite number"),
        (3, "field 'id' is an infinite number"), (4, "field 'id' is a boolean (true)"),
        (5, "field 'id' is a JSON object"), (6, "field 'id' is a JSON array")]
    assert bad[0].reason.endswith("not an id (text or a number; --id-field names another)")
    assert [r.id for r in found] == [content_key("", f"{ABSTRACT_A} 6"), "7", "7.5", "P1"]


def test_a_parquet_id_column_with_a_nan_is_malformed_there(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": [1.0, float("nan")], "abstract": [ABSTRACT_A, ABSTRACT_B]}),
                   path)
    found, bad = records(path)
    assert [r.id for r in found] == ["1"]  # pandas' float column for integer ids with a gap
    assert [(b.line, b.reason.split(",")[0]) for b in bad] == [(2, "field 'id' is NaN")]


def test_a_whole_number_written_as_a_float_is_the_integer_id_it_is(tmp_path):
    """Paper 7 was "7.0" in the JSONL pandas wrote from an id column with a gap."""
    path = tmp_path / "ids.jsonl"
    ids = ["7.0", "-3.0", "7.5", "1e20", '"7.0"', "9007199254740992.0"]
    path.write_text("".join(f'{{"id": {i}, "abstract": "{ABSTRACT_A} {n}"}}\n'
                            for n, i in enumerate(ids)))
    found, bad = records(path)
    assert bad == []
    # Text stays as written; past 2**53 a float is not exact and stays as printed.
    assert [r.id for r in found] == ["7", "-3", "7.5", "1e+20", "7.0", "9007199254740992"]


def test_a_missing_abstract_field_names_the_fields_the_line_has(tmp_path):
    """The usual cause is a dump whose field has another name: the reason says which."""
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"name": "A", "summary": ABSTRACT_A}) + "\n"
                    + json.dumps({"title": "B", "abstract": "  "}) + "\n")
    found, bad = records(path)
    assert found == [] and [b.line for b in bad] == [1, 2]
    assert bad[0].reason == ("no field 'abstract' (fields: name, summary; --abstract-field "
                             "names another)")
    assert bad[1].reason == "no text in field 'abstract'"
    [record], _ = records(path, fields=Fields(abstract="summary"))
    assert record.abstract == ABSTRACT_A


def test_csv_with_quoted_multiline_fields_and_bad_rows(tmp_path):
    path = tmp_path / "papers.csv"
    path.write_text('\ufeffid,title,abstract\n'
                    f'1,A,"{ABSTRACT_A[:40]}\nsecond line"\n'
                    '2,B\n'
                    f'3,"B, with comma","{ABSTRACT_B}"\n', encoding="utf-8")
    found, bad = records(path)
    assert [(r.id, r.title) for r in found] == [("1", "A"), ("3", "B, with comma")]
    assert found[0].abstract.endswith("second line")
    assert [(b.line, b.reason) for b in bad] == [(4, "2 fields, the header has 3")]
    assert found[1].source.endswith(":5")


def test_text_that_is_not_utf8_is_reported_with_the_command_that_converts_it(tmp_path):
    """A file saved as Windows-1252 (Excel's CSV) had every row "not UTF-8", with no
    word of what it likely is or how to convert it."""
    title = "Caf\u00e9 solvers"
    table = tmp_path / "excel.csv"
    table.write_bytes(f'id,title,abstract\n1,{title},"{ABSTRACT_A}"\n'.encode("cp1252"))
    found, bad = records(table)
    assert found == [] and [(b.line, b.reason) for b in bad] == [(2, NOT_UTF8)]
    lines = tmp_path / "old.jsonl"
    lines.write_bytes((json.dumps({"title": title, "abstract": ABSTRACT_A}, ensure_ascii=False)
                       + "\n").encode("latin-1"))
    found, bad = records(lines)
    assert found == [] and [(b.line, b.reason) for b in bad] == [
        (1, "not UTF-8: invalid continuation byte at byte 14 (saved as Windows-1252 or "
            "Latin-1? iconv -f cp1252 -t utf-8 converts it)")]


def test_a_table_without_the_id_or_title_column_a_flag_names_is_reported(tmp_path):
    """`--title-field Title` over a `title` column read every paper without its
    title (which the rules read the task and method from), and `--id-field doi`
    with no `doi` column gave every paper its content hash, without a word. The
    default `id` and `title` columns may still be missing."""
    path = tmp_path / "papers.csv"
    path.write_text(f'paper_id,title,abstract\n1,A,"{ABSTRACT_A}"\n')
    found, bad = records(path, fields=Fields(title="Title"))
    assert found == [] and [(b.line, b.reason) for b in bad] == [
        (1, "no 'Title' column in the header, which --title-field names (columns: paper_id, "
            "title, abstract)")]
    found, bad = records(path, fields=Fields(id="doi"))
    assert found == [] and "no 'doi' column in the header, which --id-field" in bad[0].reason
    found, bad = records(path)  # no `id` column: the content hash, as documented
    assert [r.title for r in found] == ["A"] and bad == []
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = tmp_path / "papers.parquet"
    pq.write_table(pa.table({"title": ["A"], "abstract": [ABSTRACT_A]}), table)
    found, bad = records(table, fields=Fields(title="name"))
    assert found == [] and [(b.line, b.reason) for b in bad] == [
        (1, "no 'name' column, which --title-field names (columns: title, abstract)")]


def test_csv_without_the_abstract_column_says_which_columns_it_has(tmp_path):
    path = tmp_path / "papers.csv"
    path.write_text("id,summary\n1,x\n")
    found, bad = records(path)
    assert found == [] and "columns: id, summary" in bad[0].reason


@pytest.mark.parametrize(("header", "row", "fields", "twice"), [
    ("id,title,abstract,abstract", f'1,T,"{ABSTRACT_A}","{ABSTRACT_B}"', {}, ("abstract", "3, 4")),
    ("id,title,abstract,id", f'1,T,"{ABSTRACT_A}",2', {}, ("id", "1, 4")),
    ("doi\tname\tname\tabstract", f"1\tT\tU\t{ABSTRACT_A}", {"title": "name"},
     ("name", "2, 3")),
])
def test_a_header_naming_a_field_read_twice_is_malformed_not_one_column_picked(
        tmp_path, header, row, fields, twice):
    """`abstract,abstract` silently read the last column, whichever it was."""
    path = tmp_path / "papers.csv"
    path.write_text(f"{header}\n{row}\n")
    found, bad = records(path, fields=Fields(**fields))
    name, columns = twice
    assert found == [] and [(b.line, b.reason.split(":")[0]) for b in bad] == [
        (1, f"the header names the {name!r} column 2 times (columns {columns})")]


@pytest.mark.parametrize("name", ["papers.csv", "papers"])
def test_blank_lines_before_a_csv_header_are_skipped(tmp_path, name):
    """The empty first line was read as a header of no columns: "no 'abstract'
    column in the header (columns: none)", and no paper read."""
    path = tmp_path / name
    path.write_bytes(f'\ufeff\r\n  \nid,title,abstract\r\n1,A,"{ABSTRACT_A}"\r\n'.encode())
    assert detect_format(path) == "csv"
    found, bad = records(path)
    assert [(r.id, r.title, r.source) for r in found] == [("1", "A", f"{path}:4")] and bad == []
    path.write_text("\n\nid,title,summary\n1,A,x\n")
    found, bad = records(path, fmt="csv")
    assert found == [] and [(b.line, b.reason) for b in bad] == [
        (3, "no 'abstract' column in the header (columns: id, title, summary)")]


@pytest.mark.parametrize("name", ["papers.csv", "papers"])
@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_excels_sep_line_before_a_csv_header_names_the_delimiter(tmp_path, name, sep):
    """Excel writes `sep=;` before the header to say which delimiter it used: it
    was read as the header ("no 'abstract' column (columns: sep=, )")."""
    path = tmp_path / name
    rows = [["id", "title", "abstract"], ["1", "A; B, C", ABSTRACT_A], ["2", "B", "x"]]
    lines = [sep.join(f'"{v}"' for v in row) for row in rows]
    lines[2] = lines[2].replace(sep, "", 1)  # a row one field short, on line 4
    path.write_bytes(f"\ufeffsep={sep}\r\n{lines[0]}\r\n{lines[1]}\r\n{lines[2]}\r\n".encode())
    assert detect_format(path) == "csv"
    found, bad = records(path)
    assert [(r.id, r.title, r.source) for r in found] == [("1", "A; B, C", f"{path}:3")]
    assert [(b.line, b.reason) for b in bad] == [(4, "2 fields, the header has 3")]


@pytest.mark.parametrize("first", ["sep=", "sep=ab", "sep=a", 'sep="', "separator=,"])
def test_a_first_line_that_only_resembles_excels_sep_line_is_the_header(first):
    assert tables.excel_sep(first + "\r\n") is None


def test_files_saved_with_a_byte_order_mark_read_as_well_when_joined(tmp_path):
    """`cat a.jsonl b.jsonl` of files Notepad saved puts a BOM at the start of b's
    first line: only line 1's was dropped, so b's first paper was "not valid JSON"
    (and a text dump's repeated header a title with no abstract)."""
    one = json.dumps({"id": "a", "abstract": ABSTRACT_A}) + "\n"
    two = json.dumps({"id": "b", "abstract": ABSTRACT_B}) + "\n"
    joined = tmp_path / "joined.jsonl"
    joined.write_text(f"\ufeff{one}\ufeff{two}", encoding="utf-8")
    found, bad = records(joined)
    assert [r.id for r in found] == ["a", "b"] and bad == []
    page = "\ufeffDaily Papers\nTitle {0}\n{1}\n"
    text = tmp_path / "joined.txt"
    text.write_text(page.format("A", ABSTRACT_A) + page.format("B", ABSTRACT_B))
    found, bad = records(text)
    assert [r.title for r in found] == ["Title A", "Title B"] and bad == []
    arrays = tmp_path / "joined.json"
    arrays.write_text(f"\ufeff[{one}]\n\ufeff[{two}]\n", encoding="utf-8")
    found, bad = records(arrays)
    assert [r.id for r in found] == ["a", "b"] and bad == []


def test_a_json_line_giving_a_field_read_twice_is_malformed_not_the_last_one_taken(tmp_path):
    """`{"abstract": A, "abstract": B}` silently read B, as json.loads keeps the last;
    a name repeated inside another field, or a field not read, is no matter."""
    path = tmp_path / "dump.jsonl"
    path.write_text(f'{{"id": "1", "abstract": "{ABSTRACT_A}", "abstract": "{ABSTRACT_B}"}}\n'
                    f'{{"id": "2", "abstract": "{ABSTRACT_A}", "meta": {{"abstract": "x"}}}}\n'
                    f'{{"id": "3", "abstract": "{ABSTRACT_B}", "x": 1, "x": 2}}\n'
                    f'{{"id": "4", "id": "5", "title": "T", "abstract": "{ABSTRACT_B}"}}\n')
    found, bad = records(path)
    assert [r.id for r in found] == ["2", "3"]
    assert [(b.line, b.reason) for b in bad] == [
        (1, "the field 'abstract' is given 2 times: keep one, or name another with "
            "--abstract-field"),
        (4, "the field 'id' is given 2 times: keep one, or name another with --id-field")]
    array = tmp_path / "dump.json"  # a JSON array's elements, likewise
    array.write_text("[" + ",\n".join(path.read_text().splitlines()) + "]")
    found, bad = records(array)
    assert [r.id for r in found] == ["2", "3"] and [b.line for b in bad] == [1, 4]


def test_arxiv_snapshot_is_detected_and_its_hard_wraps_undone(tmp_path):
    path = tmp_path / "arxiv-metadata-oai-snapshot.json"
    row = {"id": "0704.0001", "submitter": "x", "authors": "y", "title": "Calculation of\n  "
           "prompt diphoton", "abstract": "  A fully differential calculation\nin perturbative "
           "QCD.\n", "versions": [], "update_date": "2008-11-13"}
    path.write_text(json.dumps(row) + "\n")
    assert detect_format(path) == "arxiv"
    [record], bad = records(path)
    assert bad == []
    assert (record.id, record.title) == ("0704.0001", "Calculation of prompt diphoton")
    assert record.abstract == "A fully differential calculation in perturbative QCD."


@pytest.mark.parametrize("fmt", [None, "arxiv"])
def test_the_arxiv_reader_honours_the_field_flags_as_jsonl_does(tmp_path, fmt):
    """`--id-field doi --abstract-field summary` on a snapshot-shaped file still read
    `id` and `abstract`: the flags were ignored for the arxiv format."""
    path = tmp_path / "snapshot.json"
    row = {"id": "0704.0001", "doi": "10.1/x", "versions": [], "title": "T", "heading": "H",
           "abstract": "short", "summary": "Wrapped\n  summary text."}
    path.write_text(json.dumps(row) + "\n")
    assert detect_format(path) == "arxiv"
    [record], bad = records(path, fmt=fmt, fields=Fields(id="doi", title="heading",
                                                         abstract="summary"))
    assert bad == [] and (record.id, record.title, record.abstract) == (
        "10.1/x", "H", "Wrapped summary text.")


def test_gzip_and_a_forced_format(tmp_path):
    path = tmp_path / "dump.data.gz"
    with gzip.open(path, "wt") as stream:
        stream.write(f"Title A\n{ABSTRACT_A}\n")
    assert detect_format(path) == "text"
    found, _ = records(path, fmt="text")
    assert [r.title for r in found] == ["Title A"]


def test_a_binary_or_utf16_file_is_refused_whatever_the_format(tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\nendobj\n")
    utf16 = tmp_path / "dump.csv"
    utf16.write_text(f"Title A\n{ABSTRACT_A}\n", encoding="utf-16")
    for path in (pdf, utf16):
        with pytest.raises(ConfigError, match="NUL bytes, so it is binary"):
            detect_format(path)
        for fmt in (None, "text"):
            with pytest.raises(ConfigError, match=str(path)):
                list(read([path], fmt=fmt))


def test_utf8_text_with_stray_nul_bytes_is_refused_with_how_to_remove_them(tmp_path):
    """A NUL byte in otherwise UTF-8 text (a crash, a bad copy) was called binary
    or UTF-16, with no word of how to read the file anyway."""
    rows = [json.dumps({"id": f"P{i}", "abstract": ABSTRACT_A}) for i in range(3)]
    one = tmp_path / "dump.jsonl"
    one.write_bytes(f"{rows[0]}\n{rows[1]}\0\n{rows[2]}\n".encode())
    with pytest.raises(ConfigError) as caught:
        detect_format(one)
    assert str(caught.value) == (
        f"{one} is UTF-8 text but for stray NUL bytes (1 near its start, the first on line 2), "
        f"left by a crash or a bad copy: remove them first: tr -d '\\000' < {one} > "
        "clean.jsonl, and pass that")
    zeros = tmp_path / "dump.txt.gz"  # a block of zeros, gzipped
    zeros.write_bytes(gzip.compress(f"Daily Papers\nTitle A\n{ABSTRACT_A}\n".encode()
                                    + b"\0" * 5000))
    with pytest.raises(ConfigError, match=re.escape(
            f"(5,000 near its start, the first on line 4), left by a crash or a bad copy: "
            f"remove them first: zcat {zeros} | tr -d '\\000' > clean.txt, and pass that")):
        detect_format(zeros)
    utf16 = tmp_path / "utf16.jsonl"  # no byte order mark: told by where its NULs fall
    utf16.write_bytes("\n".join(rows).encode("utf-16-le"))
    with pytest.raises(ConfigError, match="NUL bytes, so it is binary"):
        detect_format(utf16)
    late = tmp_path / "late.jsonl"  # past the 64 KiB read ahead: the line says it
    late.write_bytes(("\n".join(rows * 200) + f"\n{rows[0]}\0\n").encode())
    found, bad = records(late)
    assert len(found) == 600 and [(b.line, b.reason) for b in bad] == [
        (601, f"a NUL byte at column {len(rows[0]) + 1}, which is no text (remove them all: "
              "tr -d '\\000')")]
    table = tmp_path / "late.csv"  # a CSV row, likewise: it was read, NUL and all
    table.write_text("id,abstract\n" + f'1,"{ABSTRACT_A}"\n' * 600 + f'2,"{ABSTRACT_B}\0"\n')
    found, bad = records(table)
    assert len(found) == 600 and [(b.line, b.reason) for b in bad] == [
        (602, "a NUL byte, which is no text (remove them all: tr -d '\\000')")]


@pytest.mark.parametrize(("name", "sep"), [("papers.csv", ";"), ("papers.tsv", "\t"),
                                           ("papers.txt", "\t"), ("papers.txt", "|")])
def test_a_table_with_another_delimiter_is_read_by_the_one_its_header_uses(tmp_path, name, sep):
    """A spreadsheet saved with semicolons (where the comma is the decimal mark) or a
    TSV once gave `no 'abstract' column (columns: id;title;abstract)`, or, named .txt,
    was read as a text dump line by line."""
    path = tmp_path / name
    rows = [["id", "title", "abstract"], ["1", "Title A", ABSTRACT_A], ["2", "B, with a comma",
                                                                       ABSTRACT_B]]
    with path.open("w", newline="") as stream:
        csv.writer(stream, delimiter=sep).writerows(rows)
    assert detect_format(path) == "csv"
    found, bad = records(path)
    assert [(r.id, r.title, r.abstract) for r in found] == [tuple(r) for r in rows[1:]]
    assert bad == []


def test_a_json_array_is_read_one_element_at_a_time_with_line_numbers(tmp_path, monkeypatch):
    """`json.dump(papers)` and pandas' `to_json(orient="records")` write an array, not
    JSON lines; pretty-printed or on one line, each element is a record."""
    monkeypatch.setattr(jsonarray, "_CHUNK", 7)  # elements straddle every read
    rows = [{"id": "a", "title": "Title A", "abstract": ABSTRACT_A},
            {"id": "b", "abstract": ABSTRACT_B}]
    pretty, flat = tmp_path / "pretty.json", tmp_path / "flat.json"
    pretty.write_text(json.dumps(rows, indent=2))
    flat.write_text(json.dumps(rows))
    for path in (pretty, flat):
        assert detect_format(path) == "json"
        found, bad = records(path)
        assert [(r.id, r.title, r.abstract) for r in found] == [
            ("a", "Title A", ABSTRACT_A), ("b", "", ABSTRACT_B)]
        assert bad == []
    assert [r.source for r in read(pretty)] == [f"{pretty}:2", f"{pretty}:7"]
    assert detect_format(_write(tmp_path / "empty.json", "[ ]")) == "json"
    assert list(read(tmp_path / "empty.json")) == []


def _write(path, text):
    path.write_text(text)
    return path


def test_a_broken_json_array_reports_where_and_keeps_what_came_before(tmp_path, monkeypatch):
    """An element that is not an object is one malformed record; past invalid JSON
    there is no next element to find, so reading stops there, said with its line."""
    good = json.dumps({"abstract": ABSTRACT_A})
    path = _write(tmp_path / "a.json", f"[\n{good},\n7,\n{good[:-1]}, oops,\n{good}\n]")
    found, bad = records(path)
    assert [r.abstract for r in found] == [ABSTRACT_A]
    assert [(b.line, b.reason.split(" (")[0]) for b in bad] == [
        (3, "expected a JSON object, got int"), (4, "not valid JSON")]
    assert "the rest of the file is not read" in bad[1].reason
    path = _write(tmp_path / "cut.json", f"[\n{good},\n{good[:40]}")
    found, bad = records(path)
    assert len(found) == 1 and bad[0].line == 3 and "cut short" in bad[0].reason
    path.write_bytes(b"[\n" + good.encode() + b',\n{"abstract": "\xff\xfe"},\n' + good.encode()
                     + b"]")
    found, bad = records(path)
    assert len(found) == 2 and [(b.line, b.reason) for b in bad] == [(3, NOT_UTF8)]
    for chunk in (3, 5, 7, 11, 64):  # the element read over several chunks
        monkeypatch.setattr(jsonarray, "_CHUNK", chunk)
        found, bad = records(path)
        assert len(found) == 2 and [(b.line, b.reason) for b in bad] == [(3, NOT_UTF8)]


def test_a_json_array_element_past_the_limit_stops_the_read_unheld(tmp_path, monkeypatch):
    """An element over MAX_LINE is an unterminated string swallowing the file, not a paper."""
    monkeypatch.setattr(jsonarray, "MAX_LINE", 1000)
    monkeypatch.setattr(jsonarray, "_CHUNK", 100)
    good = json.dumps({"abstract": ABSTRACT_A})
    path = _write(tmp_path / "a.json", f'[{good},\n{{"abstract": "{"x" * 5000}"}}, {good}]')
    found, bad = records(path)
    assert len(found) == 1 and [b.line for b in bad] == [2]
    assert "an element longer than" in bad[0].reason

def test_one_pretty_printed_json_object_is_refused_with_the_way_to_its_list(tmp_path):
    """`{"papers": [...]}` written with indents read as JSON lines gave one `not valid
    JSON` per line and no paper; it is refused before anything is read."""
    path = _write(tmp_path / "export.json",
                  json.dumps({"papers": [{"abstract": ABSTRACT_A}]}, indent=2))
    with pytest.raises(ConfigError, match=r"one JSON object written over many lines.*jq"):
        list(read(path))

def test_a_parquet_table_is_read_a_batch_of_rows_at_a_time(tmp_path):
    """Datasets on the Hugging Face Hub come as Parquet: the id, title and abstract
    columns are read, any others left unread; a bad row is reported with its number."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "train-00000-of-00001.parquet"
    pq.write_table(pa.table({"id": [7, 8, 9], "title": ["Title A", None, "Title C"],
                             "abstract": [ABSTRACT_A, ABSTRACT_B, None],
                             "authors": [["x"], ["y"], ["z"]]}), path)
    assert detect_format(path) == "parquet"
    found, bad = records(path)
    assert [(r.id, r.title, r.abstract) for r in found] == [
        ("7", "Title A", ABSTRACT_A), ("8", "", ABSTRACT_B)]
    assert [(b.line, b.reason) for b in bad] == [(3, "no text in field 'abstract'")]
    found, bad = records(path, fields=Fields(abstract="summary"))
    assert found == [] and "no 'summary' column (columns: id, title, abstract" in bad[0].reason


def test_parquet_text_stored_as_binary_is_decoded_as_utf8(tmp_path):
    """Writers without a string type store text as BINARY, read as bytes: every
    abstract was "no text in field" and an id became "b'P1'"."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "spark.parquet"
    pq.write_table(pa.table({
        "id": pa.array([b"P1", b"P2", b"P3"], pa.binary()),
        "title": pa.array(["Caf\u00e9".encode(), None, b"T"], pa.large_binary()),
        "abstract": pa.array([ABSTRACT_A.encode(), ABSTRACT_B.encode(),
                              b"\xff" + ABSTRACT_B.encode()], pa.binary())}), path)
    found, bad = records(path)
    assert [(r.id, r.title, r.abstract) for r in found] == [
        ("P1", "Caf\u00e9", ABSTRACT_A), ("P2", "", ABSTRACT_B)]
    assert [(b.line, b.reason) for b in bad] == [
        (3, "column 'abstract' is not UTF-8 (invalid start byte at byte 0)")]


def test_a_parquet_table_with_a_field_read_twice_is_malformed_not_one_column_picked(tmp_path):
    """Two `abstract` columns (pyarrow allows them) silently read the last one."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "twice.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["P1"]), pa.array([ABSTRACT_A]),
                                         pa.array([ABSTRACT_B])],
                                        names=["id", "abstract", "abstract"]), path)
    found, bad = records(path)
    assert found == [] and [(b.line, b.reason) for b in bad] == [
        (1, "the table names the 'abstract' column 2 times (columns 2, 3): rename all but "
            "one, or name another with --abstract-field")]


def test_an_input_format_that_says_parquet_wrongly_either_way_is_refused(tmp_path):
    """A Parquet file read as --input-format jsonl gave a malformed "line" per few
    bytes (now with a misleading NUL hint); JSONL as parquet "a download cut short?"."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = tmp_path / "papers.parquet"
    pq.write_table(pa.table({"abstract": [ABSTRACT_A]}), table)
    lines = _write(tmp_path / "papers.jsonl", json.dumps({"abstract": ABSTRACT_A}) + "\n")
    with pytest.raises(ConfigError, match=re.escape(
            f"{table} is a Parquet file, not jsonl: pass --input-format parquet")):
        list(read(table, fmt="jsonl"))
    with pytest.raises(ConfigError, match=re.escape(
            f"{lines} is not a Parquet file (it does not begin with PAR1, as every Parquet "
            "file does): leave out --input-format parquet")):
        list(read(lines, fmt="parquet"))


def test_a_parquet_file_cut_short_is_refused_and_a_bad_row_group_skipped(tmp_path):
    """Both once ended the run with pyarrow's traceback. A file whose footer is gone
    (a download cut short) is refused before anything is read; a row group that
    cannot be decoded is reported with its rows, and the row groups after it are read."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "papers.parquet"
    pq.write_table(pa.table({"abstract": [f"{ABSTRACT_A} {i}" for i in range(30)]}), path,
                   row_group_size=10, compression="none")
    data = bytearray(path.read_bytes())
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(bytes(data[:300]))
    with pytest.raises(ConfigError, match="is not a readable Parquet file"):
        list(read(cut))
    at = pq.ParquetFile(path).metadata.row_group(1).column(0).data_page_offset
    data[at : at + 40] = b"\xff" * 40  # the second row group's page header
    path.write_bytes(bytes(data))
    found, bad = records(path)
    assert [r.source.rsplit(":", 1)[1] for r in found] == [str(n) for n in (*range(1, 11),
                                                                             *range(21, 31))]
    assert [(b.line, b.reason.split(" (")[0]) for b in bad] == [
        (11, "rows 11-20 could not be decoded")]

def test_parquet_from_a_pipe_and_a_spreadsheet_are_refused_with_what_to_do(tmp_path,
                                                                            monkeypatch):
    """Parquet keeps its index at its end, so a pipe cannot be read; an .xlsx is a zip
    archive, for which `unzip -p` (the advice for other zips) would give XML."""
    sheet = _write(tmp_path / "papers.xlsx", "")
    sheet.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ConfigError, match="is a spreadsheet, not a dump: save it as CSV"):
        detect_format(sheet)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"PAR1" + b"\x00" * 100)))
    with pytest.raises(ConfigError, match="cannot be read from standard input"):
        list(read("-"))

def test_json_nested_too_deeply_is_reported_not_a_crash(tmp_path):
    """`[[[[...]]]]` 100,000 deep raised RecursionError out of the run (JSON lines and
    arrays alike); it is a malformed line, and a JSON lines file reads on after it."""
    good = json.dumps({"abstract": ABSTRACT_A})
    deep = "[" * 100_000 + "]" * 100_000
    found, bad = records(_write(tmp_path / "a.jsonl", f"{good}\n{deep}\n{good}\n"))
    assert len(found) == 2 and [(b.line, b.reason) for b in bad] == [
        (2, "nested too deeply to be a paper")]
    found, bad = records(_write(tmp_path / "a.json", f"[{good}, {deep}, {good}]"))
    assert len(found) == 1 and "nested too deeply" in bad[0].reason
    assert detect_format(_write(tmp_path / "b.jsonl", '{"a": ' + deep + "}\n")) == "jsonl"

def test_a_lone_surrogate_escape_is_a_malformed_record_not_a_crash(tmp_path):
    """`"\\ud800"` is valid JSON but no text: hashing the record raised UnicodeEncodeError
    out of the run. It is reported, in JSON lines and arrays alike, and reading goes on."""
    bad = json.dumps({"abstract": ABSTRACT_A + " \ud800"})
    good = json.dumps({"abstract": ABSTRACT_B})
    for path in (_write(tmp_path / "a.jsonl", f"{bad}\n{good}\n"),
                 _write(tmp_path / "a.json", f"[{bad},\n{good}]")):
        found, malformed = records(path)
        assert [r.abstract for r in found] == [ABSTRACT_B]
        assert [(m.line, "lone surrogate" in m.reason) for m in malformed] == [(1, True)]

def test_a_title_in_brackets_is_no_json_array(tmp_path):
    """`[Re] Reproducing X` starts a text dump; only `[` then `{`, `]` or a line end is JSON."""
    path = _write(tmp_path / "dump.txt", f"[Re] Reproducing X\n{ABSTRACT_A}\n")
    assert detect_format(path) == "text"
    assert [r.title for r in read(path)] == ["[Re] Reproducing X"]


def test_a_text_file_reads_as_a_dump_only_with_a_header_or_an_abstract_line(tmp_path):
    """A header line or a line over TITLE_MAX characters says `dump`; an empty file is
    an empty dump; short lines only are refused unless the format is asked for."""
    dump, empty, notes = tmp_path / "dump.txt", tmp_path / "empty.txt", tmp_path / "notes.txt"
    dump.write_text(f"Title A\n{ABSTRACT_A}\n")
    empty.write_text("\n\n")
    notes.write_text("Title A\nA short line.\nTitle B\nAnother short line.\n")
    assert [r.title for r in read(dump)] == ["Title A"]
    assert list(read(empty)) == []
    (tmp_path / "headed.txt").write_text("Daily Papers\nTitle A\nA short line.\n")
    assert [r.title for r in read(tmp_path / "headed.txt")] == ["Title A"]
    with pytest.raises(ConfigError, match=r"notes\.txt does not look like a dump"):
        list(read(notes))
    assert [r.title for r in read(notes, fmt="text")] == ["Title A", "Title B"]


@pytest.mark.parametrize(("pack", "kind", "fix"), [
    (gzip.compress, "gzip", "name it .gz"),
    (bz2.compress, "bzip2", "bzcat"),
    (lzma.compress, "xz", "xzcat"),
])
def test_a_compressed_dump_is_refused_with_the_command_that_unpacks_it(tmp_path, pack, kind, fix):
    """Not `binary`: the dump is there, packed. gzip named `.gz` is read as it is."""
    path = tmp_path / "dump.jsonl"
    path.write_bytes(pack(json.dumps({"abstract": ABSTRACT_A}).encode() + b"\n"))
    with pytest.raises(ConfigError, match=f"is {kind}-compressed, not a text dump: .*{fix}"):
        detect_format(path)
    if kind == "gzip":
        named = path.rename(tmp_path / "dump.jsonl.gz")
        assert [r.abstract for r in read(named)] == [ABSTRACT_A]


def test_detection_reads_a_bounded_head_and_survives_a_stray_carriage_return(tmp_path):
    path = tmp_path / "one-line"
    path.write_bytes(b"abstract,title\r" + b"x" * 200_000)  # no newline at all
    assert detect_format(path) == "csv"  # the sniff no longer raises; "\r" ends the header
    path.write_bytes(b"abstract,title\rx,y\r\"" + b"x" * 200_000)
    assert detect_format(path) == "csv"  # a quote left open: no _csv.Error either
    path.write_bytes(b"title,abstract\n" + b"x" * 200_000)
    assert detect_format(path) == "csv"


def test_a_line_past_the_limit_is_skipped_unread_and_reading_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_LINE", 1000)
    path = tmp_path / "dump.jsonl"
    good = json.dumps({"id": "ok", "abstract": ABSTRACT_A})
    path.write_text(good + "\n" + json.dumps({"abstract": "x" * 5000}) + "\n" + good[:-1]
                    + ', "title": "again"}\n')
    found, bad = records(path)
    assert [r.id for r in found] == ["ok", "ok"]
    assert [(b.line, "longer than" in b.reason) for b in bad] == [(2, True)]


@pytest.mark.parametrize("chunk", [65536, 7])  # 7: every break and line across chunks
@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_lines_that_end_in_a_bare_carriage_return_are_split(tmp_path, monkeypatch, chunk, end):
    """JSONL (and a text dump) saved with bare "\\r" line ends was read as one line:
    one "not valid JSON (Extra data)" for the whole file, no paper read."""
    monkeypatch.setattr(readers, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(readers, "MAX_LINE", 1000)
    rows = [json.dumps({"id": "a", "abstract": ABSTRACT_A}), "",
            json.dumps({"abstract": "x" * 1500}), json.dumps({"id": "b", "abstract": ABSTRACT_B})]
    path = tmp_path / "dump.jsonl"
    path.write_bytes(end.join(rows).encode())  # the last line without its break
    found, bad = records(path)
    assert [(r.id, r.source) for r in found] == [("a", f"{path}:1"), ("b", f"{path}:4")]
    assert [(b.line, "longer than" in b.reason) for b in bad] == [(3, True)]
    text = tmp_path / "dump.txt"
    text.write_bytes(end.join(["Daily Papers", "Title A", ABSTRACT_A, "Title B", ABSTRACT_B,
                               ""]).encode())
    found, bad = records(text)
    assert [(r.title, r.source) for r in found] == [("Title A", f"{text}:2"),
                                                    ("Title B", f"{text}:4")] and bad == []
    arxiv = tmp_path / "snapshot.json"  # detected by its first line's keys
    arxiv.write_bytes(end.join([json.dumps({"id": "1", "versions": [], "abstract": "A\n b"}),
                                rows[0]]).encode())
    assert detect_format(arxiv) == "arxiv"


def test_a_csv_field_past_the_limit_is_reported_and_the_rows_after_it_are_read(
        tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_LINE", 1000)
    path = tmp_path / "dump.csv"
    path.write_text(f'id,abstract\n1,"{ABSTRACT_A}"\n2,"{"y" * 5000}"\n3,"{ABSTRACT_B}"\n')
    limit = csv.field_size_limit()
    found, bad = records(path)
    assert found[0].id == "1" and found[-1].id == "3"
    assert bad and "field larger than field limit" in bad[0].reason
    assert csv.field_size_limit() == limit  # process-wide: the caller's csv code is untouched


def test_reading_a_csv_leaves_the_process_wide_field_limit_as_it_was(tmp_path):
    path = tmp_path / "dump.csv"
    path.write_text(f'id,abstract\n1,"{ABSTRACT_A}"\n2,"{ABSTRACT_B}"\n')
    limit = csv.field_size_limit()
    stream = read([path])
    next(stream)
    assert csv.field_size_limit() == limit  # between rows too, while the caller holds one
    stream.close()


def test_the_same_paper_gets_the_same_key_whatever_its_whitespace_or_format(tmp_path):
    text = tmp_path / "a.txt"
    text.write_text(f"Title  A\n{ABSTRACT_A}\n")
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text(json.dumps({"title": "Title A", "abstract": ABSTRACT_A.replace(" ", "\n", 3)})
                     + "\n")
    [a], _ = records(text)
    [b], _ = records(jsonl)
    assert a.key == b.key == a.id == b.id


def test_reading_is_lazy(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"abstract": f"{ABSTRACT_A} {i}"}) + "\n"
                            for i in range(1000)))
    stream = read([path])
    first = next(stream)
    assert first.abstract.endswith(" 0")
    stream.close()


@pytest.mark.parametrize("as_given", [str, lambda p: p], ids=["str", "Path"])
def test_read_takes_one_path_as_well_as_a_list(tmp_path, as_given):
    """`read("dump.jsonl")` reads that file; a str is not a list of one-letter paths."""
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"abstract": ABSTRACT_A}) + "\n")
    [record] = read(as_given(path))
    assert record.abstract == ABSTRACT_A


def _gzipped_jsonl(path, n):
    """n JSON lines, gzipped, written to `path`; returns the compressed bytes."""
    data = gzip.compress("".join(json.dumps({"id": f"p{i}", "abstract": f"{ABSTRACT_A} {i}"})
                                 + "\n" for i in range(n)).encode(), mtime=0)
    path.write_bytes(data)
    return data


def test_a_gz_cut_short_or_damaged_is_one_malformed_line_and_the_next_file_is_read(tmp_path):
    """EOFError, BadGzipFile and zlib.error from a .gz escaped the reader as a
    traceback; now the file is read up to the break, which is reported with the
    line it reached, and reading goes on with the next file."""
    data = _gzipped_jsonl(tmp_path / "full.jsonl.gz", 3000)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    whole = zlib.decompressobj(31).decompress(data[: len(data) // 2]).count(b"\n")
    assert 0 < whole < 3000
    crc = tmp_path / "crc.jsonl.gz"
    crc.write_bytes(data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:])
    after = tmp_path / "after.jsonl"
    after.write_text(json.dumps({"id": "next", "abstract": ABSTRACT_B}) + "\n")
    bad = []
    found = list(read([cut, crc, after], on_malformed=bad.append))
    assert [r.id for r in found] == ([f"p{i}" for i in range(whole)]
                                     + [f"p{i}" for i in range(3000)] + ["next"])
    assert [(b.path, b.line) for b in bad] == [(str(cut), whole + 1), (str(crc), 3001)]
    assert "breaks off here (a download cut short?)" in bad[0].reason
    assert "damaged here (CRC check failed" in bad[1].reason


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_a_gz_cut_short_is_reported_at_its_line_whatever_its_line_breaks(tmp_path, end):
    """The break was placed by counting "\\n" alone: in a file of bare "\\r" line
    ends, at line 1 whatever line it had reached."""
    text = "".join(json.dumps({"id": f"p{i}", "abstract": f"{ABSTRACT_A} {i}"}) + end
                   for i in range(3000)).encode()
    data = gzip.compress(text, mtime=0)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    found, bad = records(cut)
    assert 0 < len(found) < 3000
    assert [b.line for b in bad] == [len(found) + 1]


def test_a_gz_that_breaks_off_before_its_first_line_is_refused_in_one_line(tmp_path):
    """Nothing to read at all: refused like a Parquet file cut short, before the run."""
    data = _gzipped_jsonl(tmp_path / "full.jsonl.gz", 10)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[:12])
    with pytest.raises(ConfigError, match="breaks off before its first line"):
        list(read(cut))


def test_a_gz_that_is_not_gzip_says_what_it_is_and_what_to_do(tmp_path):
    """It was refused as "cannot read x.jsonl.gz: Not a gzipped file (b'{"')"."""
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_text(json.dumps({"id": "1", "abstract": ABSTRACT_A}) + "\n")
    with pytest.raises(ConfigError) as caught:
        list(read(plain))
    assert str(caught.value) == (
        f"{plain} is named .gz but is not gzip-compressed (it begins b'{{\"id\": \"1\", "
        f"\"abs'): if it is a dump as it is, rename it to {tmp_path / 'plain.jsonl'} (or "
        f"pass it as extractor batch - ... < {plain})")
    packed = tmp_path / "packed.jsonl.gz"
    packed.write_bytes(bz2.compress(plain.read_bytes()))
    with pytest.raises(ConfigError, match=re.escape(
            f"{packed} is named .gz but is bzip2-compressed: unpack it first: bzcat {packed} |")):
        detect_format(packed)


def test_json_arrays_one_after_another_are_all_read_and_other_trailing_text_reported(
        tmp_path, monkeypatch):
    """Everything after the first array's "]" was ignored without a word (`cat a.json
    b.json` lost b); another array is now read, anything else reported with its line."""
    monkeypatch.setattr(jsonarray, "_CHUNK", 5)  # the "]" and what follows straddle reads
    a = json.dumps([{"id": "a", "abstract": ABSTRACT_A}], indent=1)
    b = json.dumps([{"id": "b", "abstract": ABSTRACT_B}])
    found, bad = records(_write(tmp_path / "joined.json", f"{a}\n{b}\n[]\n"))
    assert [r.id for r in found] == ["a", "b"] and bad == []
    line = json.dumps({"id": "c", "abstract": ABSTRACT_B})
    found, bad = records(_write(tmp_path / "trail.json", f"{a}\n{line}\n{b}"))
    assert [r.id for r in found] == ["a"]
    assert [(x.line, x.reason.split(" (")[0]) for x in bad] == [
        (7, "text after the end of the JSON array")]  # a takes lines 1-6
    assert "the rest of the file is not read" in bad[0].reason


def test_a_row_joined_over_lines_by_a_stray_quote_is_reported_with_the_lines_it_took(tmp_path):
    """A quote left open swallowed the rows after it, reported as one line; the
    report now gives the span, so the user knows how many papers were lost."""
    path = tmp_path / "papers.tsv"
    path.write_text("id\ttitle\tabstract\n"
                    f"t0\tA\t{ABSTRACT_A}\n"
                    f't1\t"Unbalanced: a title\t{ABSTRACT_B}\n'
                    + "".join(f"t{i}\tT{i}\t{ABSTRACT_A} {i}\n" for i in range(2, 6))
                    + f't6\tT6\t"Quoted" start of {ABSTRACT_B}\n'
                    + f"t7\tT7\t{ABSTRACT_B}\n")
    found, bad = records(path)
    assert [r.id for r in found] == ["t0", "t7"]
    assert [(b.line, b.reason) for b in bad] == [(3, (
        '2 fields, the header has 3; lines 3-8 were read as one row, joined by a quote left '
        'open (a stray "?): none of these 6 lines is read'))]


def test_a_table_is_told_from_a_text_dump_by_its_header_and_a_repeated_header_skipped(
        tmp_path):
    """A header without the abstract field made a table read as a text dump, and
    `cat a.csv b.csv` made b's header a paper; a title with commas stays text."""
    table = _write(tmp_path / "papers.txt", ",id,title,summary\n0,1,A,x\n")  # pandas' index
    assert detect_format(table) == "csv"
    found, bad = records(table)
    assert found == [] and "columns: , id, title, summary" in bad[0].reason
    tsv = _write(tmp_path / "papers.data", "doi\tpaper-title\nd1\tA\n")
    assert detect_format(tsv) == "csv" and "columns: doi, paper-title" in records(tsv)[1][0].reason
    title = _write(tmp_path / "dump.txt", f"Fast, Accurate, and Cheap\n{ABSTRACT_A}\n")
    assert detect_format(title) == "text"
    one = f'id,title,abstract\n1,A,"{ABSTRACT_A}"\n'
    two = f'\ufeffid,title,abstract\n2,B,"{ABSTRACT_B}"\n'
    found, bad = records(_write(tmp_path / "joined.csv", one + two))
    assert [r.id for r in found] == ["1", "2"] and bad == []


@pytest.mark.parametrize("title", ["Mamba, RWKV", "Sparse; Dense", "Vision-Language, Retrieval"])
def test_a_first_title_that_reads_as_column_names_stays_a_text_dump(tmp_path, title):
    """`Mamba, RWKV` over its abstract was taken for a CSV header, and every paper
    lost: the abstracts after it do not split into as many fields."""
    dump = _write(tmp_path / "dump.txt", f"{title}\n{ABSTRACT_A}\nSecond\n{ABSTRACT_B}\n")
    assert detect_format(dump) == "text"
    assert [r.title for r in records(dump)[0]] == [title, "Second"]


def test_a_header_of_column_names_with_spaces_is_a_table_on_standard_input_too(
        tmp_path, monkeypatch):
    """`cat export.csv | extractor batch -` with a spreadsheet's header (`paper id,
    Title,Abstract text`) was read as a text dump: the header became a title and
    the first row its abstract, with nothing said. It is a table, which says what
    columns it has, and reads with --abstract-field."""
    text = ("paper id,Title,Abstract text,Author(s) ID\n"
            f'p1,First,"{ABSTRACT_A}",a1\np2,Second,"{ABSTRACT_B}",a2\n')
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    found, bad = records("-")
    assert found == [] and [b.reason for b in bad] == [
        "no 'abstract' column in the header (columns: paper id, Title, Abstract text, "
        "Author(s) ID)"]
    export = _write(tmp_path / "export.data", "paper id\tTitle\tAbstract text\n"
                    f"p1\tFirst\t{ABSTRACT_A}\np2\tSecond\t{ABSTRACT_B}\n")
    fields = Fields(id="paper id", title="Title", abstract="Abstract text")
    assert detect_format(export) == "csv"
    found, bad = records(export, fields=fields)
    assert [(r.id, r.title) for r in found] == [("p1", "First"), ("p2", "Second")] and bad == []


def test_gz_in_upper_case_is_read_and_gzipped_parquet_refused_with_what_to_do(tmp_path):
    """`.GZ` was not recognised as gzip, and a gzipped Parquet file was called a
    download cut short; one is read, the other refused with 'gunzip it first'."""
    upper = tmp_path / "papers.jsonl.GZ"
    upper.write_bytes(gzip.compress(json.dumps({"abstract": ABSTRACT_A}).encode() + b"\n"))
    assert detect_format(upper) == "jsonl"
    assert [r.abstract for r in read(upper)] == [ABSTRACT_A]
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"abstract": [ABSTRACT_A]}), tmp_path / "t.parquet")
    packed = gzip.compress((tmp_path / "t.parquet").read_bytes())
    for name in ("t.parquet.gz", "t.parquet.GZ", "u.parquet"):
        (tmp_path / name).write_bytes(packed)
        with pytest.raises(ConfigError, match=r"is gzip-compressed Parquet, which cannot be "
                                              r"read compressed .*: gunzip it first"):
            list(read(tmp_path / name))


def paused_pipe(first: bytes):
    """A pipe whose producer has written `first` and pauses: (reader, writer)."""
    read_end, write_end = os.pipe()
    os.write(write_end, first)
    return os.fdopen(read_end, "rb", buffering=0), write_end


@pytest.mark.parametrize("first", [b'{"id": "1", "abstract": "x"}\n',
                                   b'\xef\xbb\xbf\n  {"id": 1}\r\n', b"{\n"],
                         ids=["json line", "bom and blank line", "pretty"])
def test_a_paused_pipe_whose_first_line_is_json_is_read_ahead_no_further(first):
    source, writer = paused_pipe(first)
    try:
        assert streams.Stream(source).head == first  # and did not wait for 64 KiB
    finally:
        os.close(writer)
        source.close()


@pytest.mark.parametrize("first", [b"A Title Line\n", b"id,title,abstract\r\n"],
                         ids=["text", "csv"])
def test_a_paused_pipe_is_read_ahead_one_line_when_its_format_is_asked_for(first):
    source, writer = paused_pipe(first)
    try:
        assert streams.Stream(source, format_asked=True).head == first
    finally:
        os.close(writer)
        source.close()


@pytest.mark.parametrize(("first", "asked"), [
    (b"A Title Line\n", False), (b"id,title,abstract\n", False), (b'{"id": "1", "abs', False),
    (b"A Title", True), (b"\n \r\n", True)],
    ids=["text", "csv", "half a json line", "half a line, asked", "blank lines, asked"])
def test_a_paused_pipe_that_has_not_told_its_format_is_read_ahead_to_its_end(first, asked):
    """Text and CSV are told from several lines, so the read ahead waits; a
    format asked for needs a whole line, and one not blank, or the input would
    be taken for empty."""
    source, writer = paused_pipe(first)
    made = []
    reader = threading.Thread(target=lambda: made.append(streams.Stream(source, asked)))
    reader.start()
    try:
        reader.join(0.5)
        assert not made  # still waiting for the producer
        os.write(writer, b"more\n")
    finally:
        os.close(writer)
        reader.join(10)
        source.close()
    assert made[0].head == first + b"more\n"

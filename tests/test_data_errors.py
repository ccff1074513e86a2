"""A corpus of broken inputs, one small file per kind: each gives a precise DataError."""

from __future__ import annotations

import gzip
import json

import pytest

from morelib.cli import main as cli_main
from morelib.data.schema import DataError
from morelib.data.sources import load_source

HH_OK = {"chosen": "\n\nHuman: hi\n\nAssistant: hello", "rejected": "\n\nHuman: hi\n\nAssistant: no"}
AUTHORS_OK = {"text": [HH_OK["chosen"], HH_OK["rejected"]], "score": [1.0, 0.0]}
DSP_OK = {"query": "q", "responses": {"academy": "a", "normal": "n"}}
OASST_ROOT = {"message_id": "p", "parent_id": None, "role": "prompter", "text": "Q", "rank": None}


def jsonl(*records):
    return "".join(json.dumps(r) + "\n" for r in records)


# (file name, content, record, field, problem)
CORPUS = [
    ("bad.jsonl", jsonl(HH_OK) + '{"chosen": "x",\n', "line 2", None,
     "invalid JSON: Expecting property name enclosed in double quotes (column 16)"),
    ("bad.json", '[\n  {"text": ["a", "b"],\n   "score": [1, 0]\n  ,]\n', "line 4", None,
     "invalid JSON: Expecting property name enclosed in double quotes (column 4)"),
    ("object.json", json.dumps({"text": ["a", "b"], "score": [1, 0]}), "top level", None,
     "expected a JSON list of records, got object"),
    ("list-line.jsonl", jsonl(["chosen", "rejected"]), "line 1", None,
     "expected an object, got list"),
    ("harmless.jsonl", jsonl(HH_OK, {"chosen": HH_OK["chosen"]}), "line 2", "rejected",
     "missing field"),
    ("harmless-int.jsonl", jsonl({**HH_OK, "chosen": 7}), "line 1", "chosen",
     "expected a string, got int"),
    ("harmless-empty.jsonl", jsonl(HH_OK, HH_OK, {**HH_OK, "rejected": "  "}), "line 3",
     "rejected", "empty text"),
    ("harmless-cue.jsonl", jsonl({**HH_OK, "rejected": "\n\nHuman: hi"}), "line 1", "rejected",
     "no assistant turn ('\\n\\nAssistant:') in the dialogue"),
    ("helpful.json", json.dumps([AUTHORS_OK, {**AUTHORS_OK, "text": [HH_OK["chosen"], None]}]),
     "record 1", "text[1]", "expected a string, got NoneType"),
    ("helpful-num.json", json.dumps([{**AUTHORS_OK, "text": [HH_OK["chosen"], 3]}]), "record 0",
     "text[1]", "expected a string, got int"),
    ("helpful-empty.json", json.dumps([{**AUTHORS_OK, "text": ["", HH_OK["rejected"]]}]),
     "record 0", "text[0]", "empty text"),
    ("helpful-score.json", json.dumps([{**AUTHORS_OK, "score": ["1", 0]}]), "record 0",
     "score[0]", "expected a number, got str"),
    ("helpful-nscores.json", json.dumps([{**AUTHORS_OK, "score": [1, 0, 0]}]), "record 0",
     "score", "expected one score per text (2), got 3"),
    ("helpful-onetext.json", json.dumps([{**AUTHORS_OK, "text": [HH_OK["chosen"]]}]), "record 0",
     "text", "expected at least 2 items, got 1"),
    ("helpful-str.json", json.dumps([{**AUTHORS_OK, "text": "a dialogue"}]), "record 0", "text",
     "expected a list, got str"),
    ("dsp.json", json.dumps([DSP_OK, {"query": "q", "responses": {"academy": "a"}}]), "record 1",
     "responses.normal", "missing field"),
    ("dsp-query.json", json.dumps([{**DSP_OK, "query": ""}]), "record 0", "query", "empty text"),
    ("dsp-resp.json", json.dumps([{**DSP_OK, "responses": ["a", "n"]}]), "record 0", "responses",
     "expected an object, got list"),
    ("webgpt.jsonl", jsonl({"question": {"full_text": "Q"}, "answer_0": "a", "answer_1": "b",
                            "score_0": 1, "score_1": True}), "line 1", "score_1",
     "expected a number, got bool"),
    ("webgpt-q.jsonl", jsonl({"question": {"id": "x"}, "answer_0": "a", "answer_1": "b",
                              "score_0": 1, "score_1": 0}), "line 1", "question.full_text",
     "missing field"),
    ("summ.jsonl", jsonl({"info": {"post": "p"}, "summaries": [{"text": "a"}, {"text": "b"}],
                          "choice": 2}), "line 1", "choice", "expected 0 or 1, got 2"),
    ("summ-text.jsonl", jsonl({"info": {"post": "p"}, "summaries": [{"text": "a"}, {"note": "b"}],
                               "choice": 0}), "line 1", "summaries[1].text", "missing field"),
    ("summ-info.jsonl", jsonl({"info": {"title": "t"}, "summaries": [{"text": "a"}, {"text": "b"}],
                               "choice": 0}), "line 1", "info.post", "missing field"),
    ("oasst.jsonl", jsonl(OASST_ROOT, {"message_id": "a", "parent_id": "zz", "role": "assistant",
                                       "text": "x", "rank": 0},
                          {"message_id": "b", "parent_id": "zz", "role": "assistant", "text": "y",
                           "rank": 1}), "line 2", "parent_id", "unknown parent message 'zz'"),
    ("oasst-role.jsonl", jsonl({**OASST_ROOT, "role": "user"}), "line 1", "role",
     "expected 'prompter' or 'assistant', got 'user'"),
    ("oasst-text.jsonl", jsonl(OASST_ROOT, {"message_id": "a", "parent_id": "p",
                                            "role": "assistant", "text": 5, "rank": 0}),
     "line 2", "text", "expected a string, got int"),
    ("mystery.jsonl", jsonl({"question": "q", "answer": "a"}), "line 1", None,
     "unrecognised record format (fields: question, answer); give columns= for a generic table"),
    ("empty.jsonl", "\n\n", "file", None, "no records"),
    ("notes.txt", "hello", "file", None,
     "unknown file type (expected one of .jsonl, .json, .csv, .parquet, optionally .gz)"),
]


@pytest.mark.parametrize("name, content, record, field, problem", CORPUS,
                         ids=[case[0] for case in CORPUS])
def test_broken_input_names_file_record_and_field(tmp_path, name, content, record, field, problem):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError) as err:
        load_source(path)
    assert (err.value.path, err.value.record, err.value.field) == (str(path), record, field)
    assert err.value.problem == problem
    where = f"{path}: {record}" + (f": field {field!r}" if field else "")
    assert str(err.value) == f"{where}: {problem}"


def test_gzipped_file_reports_the_same_location(tmp_path):
    path = tmp_path / "harmless.test.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(jsonl(HH_OK, {"chosen": HH_OK["chosen"]}))
    with pytest.raises(DataError, match=r"\.jsonl\.gz: line 2: field 'rejected': missing field$"):
        load_source(path)


def test_documented_drops_are_counted_not_raised(tmp_path):
    path = tmp_path / "webgpt.test.json"
    tie = {**AUTHORS_OK, "score": [0.5, 0.5]}
    same = {"text": [HH_OK["chosen"]] * 2, "score": [1.0, 0.0]}
    path.write_text(json.dumps([AUTHORS_OK, tie, same, tie]))
    [src] = load_source(path)
    assert src.name == "webgpt" and len(src) == 1
    assert src.dropped.counts == {"tie (equal scores)": 2, "chosen identical to rejected": 1}


def test_cli_prints_one_line_error_and_exits_2(tmp_path, capsys):
    path = tmp_path / "harmless.jsonl"
    path.write_text(jsonl(HH_OK, {"chosen": HH_OK["chosen"]}))
    assert cli_main(["data", "summary", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"error: {path}: line 2: field 'rejected': missing field\n"


@pytest.mark.parametrize("spec, problem", [
    ("nowhere/prefs.jsonl", "no such file, and not a known hub dataset"),
    ("Anthropic/hh-rlhf", "needs a data_dir"),
    ("openai/summarize_from_feedback:axis", "only the 'comparisons' config"),
    ("simulator:0", "expected 'simulator' or 'simulator:N'"),
])
def test_cli_bad_spec_is_one_line(capsys, spec, problem):
    assert cli_main(["data", "summary", spec]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {spec}") and problem in err and err.count("\n") == 1


# --- files that cannot be read: each a DataError naming file and place, never a traceback ------

GENERIC_ROWS = [{"prompt": "Q", "chosen": "a", "rejected": "b"},
                {"prompt": "Q2", "chosen": "c", "rejected": "d"}]


def _corrupt_gz(path):
    data = bytearray(gzip.compress(jsonl(*[HH_OK] * 200).encode()))
    data[len(data) // 2] ^= 0xFF  # inside the deflate stream
    path.write_bytes(bytes(data))


def _cut_gz(path):
    data = gzip.compress(jsonl(*[HH_OK] * 200).encode())
    path.write_bytes(data[: len(data) // 2])


def _truncated_parquet(path):
    import pandas as pd

    pd.DataFrame(GENERIC_ROWS).to_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])


UNREADABLE = [
    ("harmless.jsonl.gz", _corrupt_gz, r"(file|after line \d+)", "damaged gzip data"),
    ("harmless-cut.jsonl.gz", _cut_gz, r"(file|after line \d+)", "damaged gzip data"),
    ("harmless-plain.jsonl.gz", lambda p: p.write_text(jsonl(HH_OK)), "file",
     "not a gzip file (the name ends in .gz; rename it or compress it)"),
    ("latin1.jsonl", lambda p: p.write_bytes(jsonl(HH_OK).encode() + json.dumps(
        {**HH_OK, "chosen": "\n\nHuman: caf\u00e9\n\nAssistant: ok"}, ensure_ascii=False
    ).encode("latin-1") + b"\n"), "line 2",
     "not UTF-8 text: byte 0xe9 at column 27 (save the file as UTF-8)"),
    ("latin1.csv", lambda p: p.write_bytes("prompt,chosen,rejected\nQ,caf\u00e9,b\n".encode(
        "latin-1")), "line 2", "not UTF-8 text: byte 0xe9 at column 6 (save the file as UTF-8)"),
    ("huge.csv", lambda p: p.write_text("prompt,chosen,rejected\nQ,a,b\nQ,\"" + "x" * 200_000
                                         + "\",b\n"), "line 3", "invalid CSV: field larger than"),
    ("cut.parquet", _truncated_parquet, "file", "unreadable Parquet file (ArrowInvalid: "),
    ("folder.jsonl", lambda p: p.mkdir(), "file",
     "a folder, not a data file (give one of its files)"),
]


@pytest.mark.parametrize("name, make, record, problem", UNREADABLE,
                         ids=[case[0] for case in UNREADABLE])
def test_unreadable_file_is_a_data_error_naming_file_and_place(tmp_path, name, make, record,
                                                              problem):
    import re

    path = tmp_path / name
    make(path)
    with pytest.raises(DataError) as err:
        load_source(path)
    assert err.value.path == str(path) and re.fullmatch(record, err.value.record)
    assert err.value.field is None and err.value.problem.startswith(problem)


@pytest.mark.parametrize("command", [["data", "summary"], ["eval-rm", "no-model"]])
@pytest.mark.parametrize("name, make", [(c[0], c[1]) for c in UNREADABLE],
                         ids=[case[0] for case in UNREADABLE])
def test_cli_reports_an_unreadable_file_on_one_line_with_exit_2(tmp_path, capsys, command,
                                                                name, make):
    path = tmp_path / name
    make(path)
    assert cli_main([*command, str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"{path}: " in err
    assert "Traceback" not in err


def test_csv_with_a_byte_order_mark_loads_as_the_table_it_is(tmp_path):
    """Excel's "CSV UTF-8" starts with a BOM: the first column must still be ``prompt`` (with
    the BOM kept it was read as ``\\ufeffprompt`` and the file taken for HH dialogues)."""
    path = tmp_path / "mine.csv"
    path.write_bytes(b"\xef\xbb\xbfprompt,chosen,rejected\r\nWhat is 2+2?,4,5\r\nHi,hello,go\r\n")
    [src] = load_source(path)
    assert src.name == "mine" and len(src) == 2
    assert (src.pairs[0].prompt, src.pairs[0].chosen, src.pairs[0].rejected) == (
        "What is 2+2?\n", "4", "5")  # "\n": the default separator (morelib.data.generic)
    gz = tmp_path / "mine2.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\xef\xbb\xbf" + jsonl(*GENERIC_ROWS).encode()))
    assert len(load_source(gz)[0]) == 2


@pytest.mark.parametrize("rows, line, problem", [
    ([{**GENERIC_ROWS[0], "source": "mine"}, GENERIC_ROWS[1]], "line 2", "missing field"),
    ([GENERIC_ROWS[0], {**GENERIC_ROWS[1], "source": "mine"}], "line 2",
     "present here but not in line 1: give every row a source, or none"),
], ids=["missing-later", "only-later"])
def test_a_source_column_in_some_rows_only_is_an_error(tmp_path, rows, line, problem):
    path = tmp_path / "prefs.jsonl"
    path.write_text(jsonl(*rows))
    with pytest.raises(DataError) as err:
        load_source(path)
    assert (err.value.record, err.value.field, err.value.problem) == (line, "source", problem)

"""Generic preference tables: JSONL, CSV, Parquet, column mapping, source column."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from morelib.data.generic import load_table
from morelib.data.schema import DataError
from morelib.data.sources import load_source

MAPPING = {"prompt": "question", "chosen": "good", "rejected": "bad"}
ROWS = [
    {"question": "What is 2+2?", "good": "4", "bad": "5", "who": "math"},
    {"question": "Capital of Italy?", "good": "Rome", "bad": "Milan", "who": "geo"},
    {"question": "What is 3+3?", "good": "6", "bad": "6", "who": "math"},
]


def write(tmp_path, kind, rows=ROWS):
    path = tmp_path / f"mine.{kind}"
    frame = pd.DataFrame(rows)
    if kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_mapping_and_fixed_source(tmp_path, kind):
    [src] = load_table(write(tmp_path, kind), columns=MAPPING, source="mine")
    assert src.name == "mine" and len(src) == 2
    assert src.dropped.counts == {"chosen identical to rejected": 1}
    first = src.pairs[0]
    # the default separator joins "\n" onto a prompt that a bare reply would be glued to
    assert (first.prompt, first.chosen, first.rejected, first.id) == ("What is 2+2?\n", "4", "5",
                                                                       "mine-0")
    assert src.pairs[1].chosen == "Rome" and src.pairs[1].id == "mine-1"


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_source_column_splits_sources(tmp_path, kind):
    sources = load_table(write(tmp_path, kind), columns={**MAPPING, "source": "who"})
    assert [(s.name, len(s), s.dropped.total) for s in sources] == [("math", 1, 1), ("geo", 1, 0)]
    assert sources[1].pairs[0].source == "geo"


def test_identity_mapping_with_source_column_and_ids(tmp_path):
    rows = [{"prompt": "p", "chosen": "a", "rejected": "b", "source": "x", "id": "first"},
            {"prompt": "p", "chosen": "c", "rejected": "d", "source": "y", "id": "second"}]
    path = write(tmp_path, "jsonl", rows)
    sources = load_source(path)  # detected as a generic table, no mapping needed
    assert [(s.name, s.pairs[0].id) for s in sources] == [("x", "first"), ("y", "second")]
    [one] = load_source(path, source="all")  # an explicit name wins over the column
    assert one.name == "all" and len(one) == 2


def test_file_name_names_the_source_by_default(tmp_path):
    [src] = load_table(write(tmp_path, "csv"), columns=MAPPING)
    assert src.name == "mine"


def test_limit_keeps_first_rows(tmp_path):
    [src] = load_table(write(tmp_path, "parquet"), columns=MAPPING, source="s", limit=1)
    assert len(src) == 1 and src.dropped.total == 0


@pytest.mark.parametrize("kind, where", [("jsonl", "line 1"), ("csv", "row 0"),
                                         ("parquet", "row 0")])
def test_missing_column_names_file_record_and_column(tmp_path, kind, where):
    path = write(tmp_path, kind)
    with pytest.raises(DataError) as err:
        load_table(path, columns={**MAPPING, "chosen": "best"})
    assert str(err.value) == f"{path}: {where}: field 'best': missing field"


def test_unknown_mapping_key_is_an_error(tmp_path):
    with pytest.raises(DataError, match="field 'answer': unknown field"):
        load_table(write(tmp_path, "csv"), columns={**MAPPING, "answer": "good"})


def test_empty_cell_is_an_error(tmp_path):
    rows = [dict(ROWS[0]), {**ROWS[1], "bad": ""}]
    path = write(tmp_path, "csv", rows)
    with pytest.raises(DataError) as err:
        load_table(path, columns=MAPPING)
    assert str(err.value) == f"{path}: row 1: field 'bad': empty text"


@pytest.mark.parametrize("separator, prompts", [
    (None, ["the answer:\n", "Q\n", "The sky is", "Say hi.\n"]),
    ("", ["the answer:", "Q", "The sky is", "Say hi.\n"]),
    (" ", ["the answer: ", "Q ", "The sky is ", "Say hi.\n "]),
])
def test_separator_is_joined_onto_the_stored_prompt(tmp_path, separator, prompts):
    rows = [{"prompt": "the answer:", "chosen": "Yes", "rejected": "No"},
            {"prompt": "Q", "chosen": " a", "rejected": "b"},  # one bare reply is enough
            {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."},  # TRL style
            {"prompt": "Say hi.\n", "chosen": "Hi", "rejected": "Go"}]
    [src] = load_table(write(tmp_path, "jsonl", rows), separator=separator)
    assert [p.prompt for p in src.pairs] == prompts
    assert [(p.chosen, p.rejected) for p in src.pairs] == [(r["chosen"], r["rejected"])
                                                           for r in rows]


def test_separator_must_be_a_string(tmp_path):
    with pytest.raises(DataError, match="separator: expected a string or None"):
        load_table(write(tmp_path, "csv"), columns=MAPPING, separator=1)

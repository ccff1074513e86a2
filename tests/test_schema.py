import pytest

from morelib.data.schema import (
    DataError, DropReport, LoadedSource, PreferencePair, make_pair, pairs_to_columns, require_text,
)


def test_require_text_names_file_record_field():
    with pytest.raises(DataError) as err:
        require_text({"prompt": "x"}, "chosen", "f.jsonl", "line 7")
    assert str(err.value) == "f.jsonl: line 7: field 'chosen': missing field"
    assert err.value.field == "chosen" and err.value.record == "line 7"


@pytest.mark.parametrize("value, problem", [(3, "expected a string, got int"),
                                            (None, "expected a string, got NoneType"),
                                            ("   ", "empty text")])
def test_require_text_rejects_bad_values(value, problem):
    with pytest.raises(DataError, match=problem):
        require_text({"chosen": value}, "chosen", "f", "record 0")


def test_require_text_rejects_non_object():
    with pytest.raises(DataError, match="expected an object, got list"):
        require_text(["a"], "chosen", "f", "record 0")


def test_identical_responses_are_counted_not_kept():
    dropped = DropReport()
    assert make_pair("p", "same", "same", "s", "s-0", dropped) is None
    assert make_pair("p", "a", "b", "s", "s-1", dropped) == PreferencePair("p", "a", "b", "s", "s-1")
    assert dropped.counts == {"chosen identical to rejected": 1}


def test_summary_counts_records_as_kept_plus_dropped():
    pairs = [PreferencePair("p", "a", "b", "s", f"s-{i}") for i in range(3)]
    summary = LoadedSource("s", pairs, DropReport({"tie": 2}), "x.json").summary()
    assert summary["records"] == 5 and summary["pairs"] == 3 and summary["tie"] == 2


def test_columns_are_trl_names():
    cols = pairs_to_columns([PreferencePair("p", "a", "b", "s", "s-0", {"k": 1})])
    assert cols["prompt"] == ["p"] and cols["chosen"] == ["a"] and cols["rejected"] == ["b"]
    assert cols["metadata"] == [{"k": 1}]


def test_drop_reports_merge():
    merged = DropReport({"tie": 1}).merge(DropReport({"tie": 2, "x": 1}))
    assert merged.counts == {"tie": 3, "x": 1} and merged.total == 4

"""Hub-schema converters on fixture files in the exact hub schemas (no network needed)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import pytest

from morelib.data.hh import hh_pairs, load_hh_file
from morelib.data.hub import hub_records
from morelib.data.oasst import oasst_pairs
from morelib.data.readers import read_records
from morelib.data.schema import DataError
from morelib.data.sources import load_source
from morelib.data.summarize import summarize_pairs
from morelib.data.webgpt import webgpt_pairs

FIXTURES = Path(__file__).parent / "fixtures"
WEBGPT = FIXTURES / "webgpt_comparisons.jsonl"
SUMMARIZE = FIXTURES / "summarize_comparisons.jsonl"
OASST = FIXTURES / "oasst1_messages.jsonl"
HH = FIXTURES / "hh_rlhf.jsonl"


def via_datasets(builder: str, path: Path, tmp_path: Path):
    """Rows as ``datasets.load_dataset(builder, data_files=...)`` gives them (Arrow types)."""
    return hub_records(builder, split="train", data_files=str(path),
                       cache_dir=str(tmp_path / "hf-cache"))


# ---- WebGPT ---------------------------------------------------------------------------------

def check_webgpt(src):
    assert src.name == "webgpt"
    assert len(src) == 3 and src.dropped.counts == {"tie (equal scores)": 1}
    first, second, negative = src.pairs
    assert first.prompt == "\n\nHuman: Why is the sky blue?\n\nAssistant:"
    assert first.chosen == " Sunlight is scattered by air molecules, blue most strongly [1]."
    assert first.rejected == " Because it reflects the ocean."
    # the preferred answer is the second one, with negative/positive scores
    assert second.chosen.startswith(" Ice is less dense") and second.metadata["scores"] == (0.5, -0.5)
    assert negative.chosen == " William Shakespeare." and negative.rejected == " Christopher Marlowe."
    assert negative.metadata["question_id"] == "q-neg"
    assert [p.id for p in src.pairs] == ["webgpt-0", "webgpt-1", "webgpt-3"]


def test_webgpt_rows_from_file():
    check_webgpt(webgpt_pairs(read_records(WEBGPT), str(WEBGPT)))


def test_webgpt_rows_through_datasets(tmp_path):
    origin, rows = via_datasets("json", WEBGPT, tmp_path)
    assert origin == "json@train"
    check_webgpt(webgpt_pairs(rows, origin))


def test_webgpt_file_detected_by_content():
    [src] = load_source(WEBGPT)
    check_webgpt(src)


# ---- summarize ------------------------------------------------------------------------------

def check_summarize(src):
    assert src.name == "summarize" and len(src) == 3 and src.dropped.total == 0
    cat, job, news = src.pairs
    assert cat.prompt == ("\n\nHuman: Summarize this Reddit post.\n\nSUBREDDIT: r/cats\n"
                          "TITLE: Cat ignoring me after a move\nPOST: My cat has started ignoring "
                          "me since we moved. She hides all day.\n\nAssistant:")
    assert cat.chosen == " Cat hides since we moved, ignores me." and cat.rejected == " I have a cat."
    assert cat.metadata["choice"] == 0 and cat.metadata["policies"] == ("sup2", "ref")
    assert job.chosen.startswith(" Two offers") and job.rejected == " Got job offers."
    assert job.metadata["choice"] == 1
    assert news.prompt == ("\n\nHuman: Summarize this news article.\n\nTITLE: Storm hits coast\n"
                           "ARTICLE: A storm hit the coast on Monday, cutting power to thousands "
                           "of homes.\n\nAssistant:")
    assert news.chosen == " Storm cuts power to thousands on the coast."


def test_summarize_rows_from_file():
    check_summarize(summarize_pairs(read_records(SUMMARIZE), str(SUMMARIZE)))


def test_summarize_rows_through_datasets(tmp_path):
    origin, rows = via_datasets("json", SUMMARIZE, tmp_path)
    check_summarize(summarize_pairs(rows, origin))


def test_summarize_limit_keeps_first_rows():
    [src] = load_source(f"{SUMMARIZE}[:2]")
    assert len(src) == 2 and src.pairs[-1].metadata["info_id"] == "t3_job"
    [src] = load_source(SUMMARIZE, limit=1)
    assert len(src) == 1


# ---- oasst1 ---------------------------------------------------------------------------------

def check_oasst(src):
    assert src.name == "oasst1"
    # groups: p1 (4 replies), p2 (2), p3 (1), p4 (1 ranked + 1 null), p5 (1), p6 (1)
    assert src.summary()["records"] == 6
    assert src.dropped.counts == {"fewer than 2 ranked replies": 4}
    first, multi = src.pairs
    assert first.id == "oasst1-p1"
    assert first.prompt == "\n\nHuman: What is the capital of France?\n\nAssistant:"
    assert (first.chosen, first.rejected) == (" Paris.", " I don't know.")  # best vs worst
    assert first.metadata["ranks"] == (0.0, 2.0) and first.metadata["n_replies"] == 4
    assert multi.prompt == ("\n\nHuman: What is the capital of France?\n\nAssistant: Paris."
                            "\n\nHuman: And of Germany?\n\nAssistant:")
    assert (multi.chosen, multi.rejected) == (" Berlin.", " Munich.")
    texts = {p.chosen for p in src.pairs} | {p.rejected for p in src.pairs}
    assert " Thanks!" not in texts and " Marseille." not in texts  # prompters, unranked
    assert " What has keys but no locks?" not in texts  # non-siblings never paired


def test_oasst_rows_from_file():
    check_oasst(oasst_pairs(read_records(OASST), str(OASST)))


def test_oasst_rows_through_datasets_parquet(tmp_path):
    table = pa_json.read_json(OASST)
    assert table.schema.field("rank").type == pa.float64()
    parquet = tmp_path / "oasst1-validation.parquet"
    pq.write_table(table, parquet)
    origin, rows = via_datasets("parquet", parquet, tmp_path)
    check_oasst(oasst_pairs(rows, origin))
    [src] = load_source(parquet)  # the local parquet file, detected by its columns
    check_oasst(src)


def test_oasst_nan_rank_counts_as_unranked():
    rows = [("row 0", {"message_id": "p", "parent_id": None, "role": "prompter", "text": "Q"}),
            ("row 1", {"message_id": "a", "parent_id": "p", "role": "assistant", "text": "x",
                       "rank": 0.0}),
            ("row 2", {"message_id": "b", "parent_id": "p", "role": "assistant", "text": "y",
                       "rank": float("nan")})]
    src = oasst_pairs(rows, "f")
    assert len(src) == 0 and src.dropped.counts == {"fewer than 2 ranked replies": 1}


def test_oasst_equal_ranks_are_a_tie_and_limit_counts_groups():
    rows = list(read_records(OASST))
    assert len(oasst_pairs(rows, "f", limit=1)) == 1
    rows += [("row 90", {"message_id": "t", "role": "prompter", "text": "Q"}),
             ("row 91", {"message_id": "t1", "parent_id": "t", "role": "assistant", "text": "x",
                         "rank": 0}),
             ("row 92", {"message_id": "t2", "parent_id": "t", "role": "assistant", "text": "y",
                         "rank": 0})]
    assert oasst_pairs(rows, "f").dropped.counts["tie (equal scores)"] == 1


# ---- HH-RLHF (hub rows = raw file rows) -----------------------------------------------------

def test_hh_rows_split_with_concatenation_invariant():
    raw = [record for _, record in read_records(HH)]
    src = load_hh_file(HH, source="helpful")
    assert len(src) == 3 and src.dropped.total == 0
    for pair, record in zip(src.pairs, raw):
        assert pair.prompt + pair.chosen == record["chosen"]
        assert pair.prompt + pair.rejected == record["rejected"]
        assert pair.prompt.endswith("\n\nAssistant:")
    simple, blank, mismatch = src.pairs
    assert simple.chosen == " Put it in boiling water for about nine minutes."
    assert blank.rejected == " "  # HH's blank replies are real comparisons: kept verbatim
    assert [p.metadata["prompt_mismatch"] for p in src.pairs] == [False, False, True]
    assert mismatch.prompt.endswith("And drag kings?\n\nAssistant:")
    assert mismatch.chosen == " No.  Human: Why?\n\nAssistant: They are women."


def test_hh_rows_through_datasets(tmp_path):
    origin, rows = via_datasets("json", HH, tmp_path)
    src = hh_pairs(rows, "harmless", origin)
    assert [p.chosen for p in src.pairs] == [p.chosen for p in load_hh_file(HH).pairs]


@pytest.mark.parametrize("chosen, rejected, prompt", [
    # no shared assistant turn: empty prompt, whole dialogues as replies
    ("\n\nHuman: a\n\nAssistant: b", "\n\nHuman: c\n\nAssistant: d", ""),
    # chosen's last cue is a prefix of rejected's dialogue
    ("\n\nHuman: a\n\nAssistant: b", "\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: d",
     "\n\nHuman: a\n\nAssistant:"),
])
def test_hh_prefix_mismatch_edge_cases(chosen, rejected, prompt):
    [pair] = hh_pairs([("line 1", {"chosen": chosen, "rejected": rejected})], "h", "f").pairs
    assert pair.prompt == prompt and pair.metadata["prompt_mismatch"]
    assert pair.prompt + pair.chosen == chosen and pair.prompt + pair.rejected == rejected


def _message(mid, parent, role, text, rank=None, lang="en", deleted=False, review=True):
    """One row in the exact OpenAssistant/oasst1 schema (the fields the pairing reads, and
    the rest as the hub has them)."""
    return {"message_id": mid, "parent_id": parent, "user_id": f"u-{mid}",
            "created_date": "2023-02-05T10:00:00+00:00", "text": text, "role": role,
            "lang": lang, "review_count": 3, "review_result": review, "deleted": deleted,
            "rank": rank, "synthetic": False, "model_name": None, "detoxify": None,
            "message_tree_id": "t", "tree_state": "ready_for_export", "emojis": None,
            "labels": None}


def _rows(*messages):
    return [(f"line {i + 1}", m) for i, m in enumerate(messages)]


def test_oasst_deleted_and_rejected_replies_take_no_part():
    rows = _rows(_message("p", None, "prompter", "Q?"),
                 _message("a", "p", "assistant", "deleted best", 0.0, deleted=True),
                 _message("b", "p", "assistant", "good", 1.0),
                 _message("c", "p", "assistant", "ok", 2.0),
                 _message("d", "p", "assistant", "rejected worst", 3.0, review=False),
                 _message("e", "p", "assistant", "unreviewed", None, review=None))
    src = oasst_pairs(rows, "f")
    [pair] = src.pairs
    assert (pair.chosen, pair.rejected) == (" good", " ok")
    assert src.dropped.counts == {"deleted message": 1, "rejected in review": 1}


@pytest.mark.parametrize("flag", [{"deleted": True}, {"review": False}])
def test_oasst_group_under_an_excluded_message_is_dropped(flag):
    rows = _rows(_message("p", None, "prompter", "Q?", **flag),
                 _message("a", "p", "assistant", "x", 0.0),
                 _message("q", "a", "prompter", "More?"),
                 _message("b", "q", "assistant", "y", 0.0),
                 _message("c", "q", "assistant", "z", 1.0))
    src = oasst_pairs(rows, "f")
    assert src.pairs == [] and src.dropped.counts == {"conversation has an excluded message": 2}


def test_oasst_language_filter():
    rows = _rows(_message("p", None, "prompter", "Q?", lang="en"),
                 _message("a", "p", "assistant", "x", 0.0), _message("b", "p", "assistant", "y", 1.0),
                 _message("r", None, "prompter", "¿Q?", lang="es"),
                 _message("c", "r", "assistant", "u", 0.0, lang="es"),
                 _message("d", "r", "assistant", "v", 1.0, lang="es"))
    assert len(oasst_pairs(rows, "f")) == 2
    en = oasst_pairs(rows, "f", langs=("en",))
    assert [p.id for p in en.pairs] == ["oasst1-p"] and en.dropped.counts == {"language not kept": 1}


def test_oasst_all_ranked_pairing_makes_every_rank_ordered_pair():
    rows = _rows(_message("p", None, "prompter", "Q?"),
                 *[_message(m, "p", "assistant", m, r) for m, r in
                   (("w", 2.0), ("x", 0.0), ("y", 1.0), ("z", 1.0))])
    best_worst = oasst_pairs(rows, "f")
    assert [(p.chosen, p.rejected) for p in best_worst.pairs] == [(" x", " w")]
    every = oasst_pairs(rows, "f", pairing="all_ranked")
    pairs = sorted((p.chosen, p.rejected) for p in every.pairs)
    # ranks 0 (x), 1 (y, z), 2 (w): y~z tie is skipped
    assert pairs == sorted([(" x", " y"), (" x", " z"), (" x", " w"), (" y", " w"), (" z", " w")])
    assert all(p.metadata["ranks"][0] < p.metadata["ranks"][1] for p in every.pairs)
    assert len({p.id for p in every.pairs}) == 5
    with pytest.raises(ValueError, match="pairing must be one of"):
        oasst_pairs(rows, "f", pairing="best")


def test_oasst_flag_of_the_wrong_type_names_its_field():
    rows = _rows(_message("p", None, "prompter", "Q?", deleted="no"))
    with pytest.raises(DataError, match=r"f: line 1: field 'deleted': expected true, false or null"):
        oasst_pairs(rows, "f")

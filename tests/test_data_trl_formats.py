"""TRL's preference formats through load_source: files, datasets objects, hub ids and local
dataset folders (real ``datasets.load_dataset``), with column maps and the separator."""

from __future__ import annotations

import gzip
import json
import sys

import pandas as pd
import pytest
from datasets import Dataset, DatasetDict

from morelib.data.conversation import render_messages
from morelib.data.hub import hub_origin
from morelib.data.schema import DataError
from morelib.data.sources import load_source, parse_spec

USER, ASSISTANT, SYSTEM = "user", "assistant", "system"


def msg(role, content):
    return {"role": role, "content": content}


SKY = msg(USER, "What color is the sky?")
STANDARD_IMPLICIT = [{"chosen": "The sky is blue.", "rejected": "The sky is green."},
                     {"chosen": "Q: 2+2? A: 4", "rejected": "Q: 2+2? A: 5"}]
CONVERSATIONAL_EXPLICIT = [
    {"prompt": [msg(SYSTEM, "Be brief."), SKY], "chosen": [msg(ASSISTANT, "Blue.")],
     "rejected": [msg(ASSISTANT, "Green.")]},
    {"prompt": [msg(USER, "Hi")], "chosen": [msg(ASSISTANT, "Hello!")],
     "rejected": [msg(ASSISTANT, "Go away.")]}]
CONVERSATIONAL_IMPLICIT = [
    {"chosen": [SKY, msg(ASSISTANT, "Blue.")], "rejected": [SKY, msg(ASSISTANT, "Green.")]},
    {"chosen": [msg(USER, "Hi"), msg(ASSISTANT, "Hello!"), msg(USER, "Joke?"),
                msg(ASSISTANT, "No.")],
     "rejected": [msg(USER, "Hi"), msg(ASSISTANT, "Hello!"), msg(USER, "Joke?"),
                  msg(ASSISTANT, "Knock knock.")]}]

EXPECTED = {
    "standard_implicit": [("The sky is", " blue.", " green."), ("Q: 2+2? A:", " 4", " 5")],
    "conversational_explicit": [
        ("\n\nSystem: Be brief.\n\nHuman: What color is the sky?\n\nAssistant:", " Blue.",
         " Green."),
        ("\n\nHuman: Hi\n\nAssistant:", " Hello!", " Go away.")],
    "conversational_implicit": [
        ("\n\nHuman: What color is the sky?\n\nAssistant:", " Blue.", " Green."),
        ("\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Joke?\n\nAssistant:", " No.",
         " Knock knock.")],
}
ROWS = {"standard_implicit": STANDARD_IMPLICIT, "conversational_explicit": CONVERSATIONAL_EXPLICIT,
        "conversational_implicit": CONVERSATIONAL_IMPLICIT}


def texts(src):
    return [(p.prompt, p.chosen, p.rejected) for p in src.pairs]


def write(path, rows):
    if path.suffix == ".parquet":
        pd.DataFrame(rows).to_parquet(path, index=False)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def hub_folder(root, rows, split="train"):
    """A folder laid out like a hub dataset repository (what ``push_to_hub`` writes)."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(root / "data" / f"{split}-00000-of-00001.parquet", index=False)
    return root


@pytest.mark.parametrize("kind", list(ROWS))
@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_trl_formats_in_local_files(tmp_path, kind, suffix):
    [src] = load_source(write(tmp_path / f"{kind}{suffix}", ROWS[kind]))
    assert src.name == kind and texts(src) == EXPECTED[kind]
    assert [p.id for p in src.pairs] == [f"{src.name}-0", f"{src.name}-1"]


@pytest.mark.parametrize("kind", list(ROWS))
def test_trl_formats_in_dataset_objects(kind):
    [src] = load_source(Dataset.from_list(ROWS[kind]), source="mine")
    assert src.name == "mine" and src.origin == "Dataset" and texts(src) == EXPECTED[kind]
    [first] = load_source(DatasetDict(train=Dataset.from_list(ROWS[kind])), limit=1)
    assert first.name == "dataset" and first.origin == "DatasetDict@train"
    assert texts(first) == EXPECTED[kind][:1]


def test_conversational_prompt_plus_reply_is_the_rendered_conversation():
    [src] = load_source(Dataset.from_list(CONVERSATIONAL_IMPLICIT))
    for pair, row in zip(src.pairs, CONVERSATIONAL_IMPLICIT, strict=True):
        assert pair.prompt + pair.chosen == render_messages(row["chosen"])
        assert pair.prompt + pair.rejected == render_messages(row["rejected"])


def test_implicit_drops_are_counted(tmp_path):
    rows = [*STANDARD_IMPLICIT,
            {"chosen": "Yes.", "rejected": "No."},  # nothing shared
            {"chosen": "Go on", "rejected": "Go on and on"},  # one is a prefix of the other
            {"chosen": "same", "rejected": "same"},
            {"chosen": [SKY], "rejected": [SKY, msg(ASSISTANT, "Blue.")]}]
    [src] = load_source(Dataset.from_list(rows[:5]))
    assert len(src) == 2 and src.dropped.counts == {
        "no shared prompt": 1, "empty reply": 1, "chosen identical to rejected": 1}
    [conv] = load_source(Dataset.from_list(CONVERSATIONAL_IMPLICIT + rows[5:]))
    assert len(conv) == 2 and conv.dropped.counts == {"empty reply": 1}


def test_dataset_dict_needs_a_known_split():
    ds = DatasetDict(train=Dataset.from_list(STANDARD_IMPLICIT),
                     test=Dataset.from_list(STANDARD_IMPLICIT[:1]))
    assert len(load_source(ds, split="test")[0]) == 1
    with pytest.raises(DataError) as err:
        load_source(ds)
    assert str(err.value) == "DatasetDict: split: give a split (one of train, test)"
    with pytest.raises(DataError, match=r"^DatasetDict: split: no split 'dev' \(splits: train, "
                                        r"test\)$"):
        load_source(ds, split="dev")


def test_dataset_errors_name_the_row():
    rows = [{"q": "Q", "good": "a", "bad": "b"}] * 3 + [{"q": "Q", "good": "a", "bad": ""}]
    with pytest.raises(DataError) as err:
        load_source(Dataset.from_list(rows), columns={"prompt": "q", "chosen": "good",
                                                      "rejected": "bad"})
    assert str(err.value) == "Dataset: row 3: field 'bad': empty text"
    broken = [CONVERSATIONAL_EXPLICIT[0],
              {**CONVERSATIONAL_EXPLICIT[1], "chosen": [{"role": ASSISTANT, "content": None}]}]
    with pytest.raises(DataError) as err:
        load_source(Dataset.from_list(broken))
    assert str(err.value) == "Dataset: row 1: field 'chosen[0].content': missing field"


def test_columns_and_source_column_in_a_dataset():
    ds = Dataset.from_dict({"question": ["2+2?", "Capital of Italy?"], "good": ["4", "Rome"],
                            "bad": ["5", "Milan"], "who": ["math", "geo"]})
    sources = load_source(ds, columns={"prompt": "question", "chosen": "good",
                                       "rejected": "bad", "source": "who"}, separator=" ")
    assert [(s.name, texts(s)) for s in sources] == [("math", [("2+2? ", "4", "5")]),
                                                     ("geo", [("Capital of Italy? ", "Rome",
                                                               "Milan")])]


def test_columns_can_name_implicit_and_conversational_columns():
    ds = Dataset.from_dict({"good": ["The sky is blue."], "bad": ["The sky is green."]})
    [src] = load_source(ds, columns={"chosen": "good", "rejected": "bad"})
    assert texts(src) == EXPECTED["standard_implicit"][:1]
    conv = Dataset.from_dict({"context": [[SKY]], "good": [[msg(ASSISTANT, "Blue.")]],
                              "bad": [[msg(ASSISTANT, "Green.")]]})
    [src] = load_source(conv, columns={"prompt": "context", "chosen": "good", "rejected": "bad"})
    assert texts(src) == EXPECTED["conversational_implicit"][:1]


def test_a_local_folder_is_read_like_a_hub_repository(tmp_path):
    repo = hub_folder(tmp_path / "my-prefs", CONVERSATIONAL_EXPLICIT)
    hub_folder(repo, CONVERSATIONAL_EXPLICIT[1:], split="test")
    [src] = load_source(repo)
    assert (src.name, src.origin) == ("my-prefs", f"{repo}@train")
    assert texts(src) == EXPECTED["conversational_explicit"]
    [test] = load_source(f"{repo}@test")
    assert texts(test) == EXPECTED["conversational_explicit"][1:]
    [one] = load_source(f"{repo}[:1]", source="mine")
    assert one.name == "mine" and len(one) == 1


@pytest.fixture
def hub_stand_in(monkeypatch, tmp_path):
    """``datasets.load_dataset`` of a hub id reads a local folder laid out like that repository
    (the rest of the call is datasets' own); records the calls."""
    import datasets

    real, calls, repos = datasets.load_dataset, [], {}

    def load_dataset(name, *args, **kwargs):
        calls.append((name, args, kwargs))
        return real(str(repos[name]) if name in repos else name, *args, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)

    def add(name, rows, split="train"):
        repos[name] = hub_folder(tmp_path / name.replace("/", "--"), rows, split)

    return add, calls


def test_any_hub_id_with_a_column_map(hub_stand_in):
    add, calls = hub_stand_in
    rows = [{"instruction": "Is water wet? Give the answer:", "output_1": "Yes", "output_2": "No",
             "label": 1}] * 3
    add("someone/pandalm-style", rows, split="test")
    columns = {"prompt": "instruction", "chosen": "output_1", "rejected": "output_2"}
    [src] = load_source("someone/pandalm-style@test[:2]", columns=columns)
    assert calls == [("someone/pandalm-style", (None,), {"split": "test"})]
    assert (src.name, src.origin, len(src)) == ("pandalm-style",
                                                hub_origin("someone/pandalm-style", None,
                                                           "test"), 2)
    assert src.pairs[0].prompt + src.pairs[0].chosen == "Is water wet? Give the answer:\nYes"
    [glued] = load_source("someone/pandalm-style@test", columns=columns, separator="")
    assert glued.pairs[0].prompt + glued.pairs[0].chosen == "Is water wet? Give the answer:Yes"


def test_an_unknown_hub_id_in_a_trl_format_is_detected(hub_stand_in):
    add, _ = hub_stand_in
    add("someone/implicit", STANDARD_IMPLICIT)
    [src] = load_source("someone/implicit")
    assert texts(src) == EXPECTED["standard_implicit"]
    with pytest.raises(DataError) as err:
        load_source("someone/implicit", columns={"chosen": "preferred"})
    assert str(err.value) == "someone/implicit@train: row 0: field 'preferred': missing field"


def test_unknown_hub_rows_in_no_format_ask_for_columns(hub_stand_in):
    add, _ = hub_stand_in
    add("someone/odd", [{"question": "q", "answer": "a"}])
    with pytest.raises(DataError) as err:
        load_source("someone/odd")
    assert str(err.value) == ("someone/odd@train: row 0: unrecognised record format (fields: "
                              "question, answer); give columns= for a generic table")


def test_a_hub_load_failure_is_one_line(tmp_path):
    empty = tmp_path / "empty-repo"
    empty.mkdir()
    with pytest.raises(DataError) as err:
        load_source(empty)
    assert str(err.value).startswith(f"{empty}@train: load: cannot load the dataset (")
    assert "\n" not in str(err.value)


def test_bad_arguments_fail_before_any_load(monkeypatch):
    class NoDatasets:
        def load_dataset(self, *args, **kwargs):
            raise AssertionError("must not be called")

    monkeypatch.setitem(sys.modules, "datasets", NoDatasets())
    with pytest.raises(DataError, match="column mapping: field 'answer': unknown field"):
        load_source("someone/repo", columns={"answer": "a"})
    with pytest.raises(DataError, match="helpful: columns: Anthropic/hh-rlhf has its own loader"):
        load_source("helpful", columns={"chosen": "c"})
    with pytest.raises(DataError, match="webgpt: separator: openai/webgpt_comparisons joins"):
        load_source("webgpt", separator="\n")


def test_separator_is_refused_where_the_format_joins_its_own_text(tmp_path):
    path = write(tmp_path / "implicit.jsonl", STANDARD_IMPLICIT)
    with pytest.raises(DataError) as err:
        load_source(path, separator="\n")
    assert str(err.value) == (f"{path}: separator: applies only to explicit prompt/chosen/"
                              "rejected tables; this is implicit data, which joins its own text")


@pytest.mark.parametrize("spec, name, split", [
    ("someone/repo", "someone/repo", "train"), ("someone/repo:cfg@test", "someone/repo", "test"),
])
def test_parse_other_hub_ids(spec, name, split):
    parsed = parse_spec(spec)
    assert (parsed.name, parsed.split, parsed.paper_hub, parsed.path) == (name, split, False, None)


@pytest.mark.parametrize("spec", ["nowhere/prefs.jsonl", "a/b/c", "justaname"])
def test_missing_files_are_not_taken_for_hub_ids(spec):
    with pytest.raises(DataError, match="no such file, and not a known hub dataset"):
        parse_spec(spec)


# --- the real test sets ---------------------------------------------------------------------

RAW_HARMLESS = "hh-rlhf/harmless-base.test.jsonl.gz"


def raw_rows(path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.real_data
def test_real_hh_file_dataset_and_hub_folder_give_the_same_pairs(real_data_dir, tmp_path):
    path = real_data_dir / RAW_HARMLESS
    [from_file] = load_source(path)
    rows = raw_rows(path)
    [from_dataset] = load_source(Dataset.from_list(rows), source="harmless")
    [from_folder] = load_source(hub_folder(tmp_path / "harmless", rows), source="harmless")
    for other in (from_dataset, from_folder):
        assert len(other) == len(from_file) == 2312
        assert [(p.prompt, p.chosen, p.rejected, p.id, p.metadata) for p in other.pairs] == [
            (p.prompt, p.chosen, p.rejected, p.id, p.metadata) for p in from_file.pairs]


def turns(dialogue):
    """(role, text) turns of an HH dialogue, split at its cues (an independent parser)."""
    import re

    parts = re.split(r"\n\n(Human|Assistant):", dialogue)
    return [msg(USER if role == "Human" else ASSISTANT, text)
            for role, text in zip(parts[1::2], parts[2::2])]


@pytest.mark.real_data
def test_real_hh_as_conversations_renders_back_to_hh(real_data_dir):
    """Real HH-RLHF dialogues turned into TRL conversations (implicit prompt) load into the same
    pairs as the raw file wherever the rendering gives the raw text back."""
    rows = raw_rows(real_data_dir / RAW_HARMLESS)
    [hh_src] = load_source(real_data_dir / RAW_HARMLESS)
    conversations = [{"chosen": turns(r["chosen"]), "rejected": turns(r["rejected"])}
                     for r in rows]
    [conv] = load_source(Dataset.from_list(conversations), source="harmless")
    blank = sum(not hh_src.pairs[i].chosen.strip() or not hh_src.pairs[i].rejected.strip()
                for i in range(len(rows)))
    assert (len(conv), conv.dropped.counts) == (2312 - blank, {"empty reply": blank})
    assert blank == 4
    by_id = {p.id: p for p in hh_src.pairs}
    compared = 0
    for pair in conv.pairs:
        index = int(pair.id.split("-")[1])
        assert pair.prompt + pair.chosen == render_messages(conversations[index]["chosen"])
        assert pair.prompt + pair.rejected == render_messages(conversations[index]["rejected"])
        canonical = all(render_messages(conversations[index][k]) == rows[index][k]
                        for k in ("chosen", "rejected"))
        original = by_id[pair.id]
        if canonical and not original.metadata["prompt_mismatch"]:
            compared += 1
            assert (pair.prompt, pair.chosen, pair.rejected) == (
                original.prompt, original.chosen, original.rejected)
    assert compared > 2250  # nearly every dialogue's turns are already stripped


def test_split_is_refused_for_a_plain_dataset():
    with pytest.raises(DataError) as err:
        load_source(Dataset.from_list(STANDARD_IMPLICIT), split="train")
    assert str(err.value) == ("Dataset: split: a Dataset has no splits (split='train' is for a "
                              "DatasetDict)")


def test_public_names():
    import morelib.data as data

    assert data.parse_columns("chosen=a") == {"chosen": "a"}
    assert data.render_conversation([SKY], [msg(ASSISTANT, "Blue.")])[1] == " Blue."


def test_trl_scores_are_kept_as_metadata():
    rows = [{**row, "score_chosen": 8.0, "score_rejected": 3} for row in CONVERSATIONAL_IMPLICIT]
    [src] = load_source(Dataset.from_list(rows))
    assert [p.metadata for p in src.pairs] == [{"scores": (8.0, 3.0)}] * 2
    with pytest.raises(DataError, match=r"^Dataset: row 0: field 'score_rejected': expected a "
                                        r"number, got str$"):
        load_source(Dataset.from_list([{**STANDARD_IMPLICIT[0], "score_chosen": 1.0,
                                        "score_rejected": "low"}]))


def test_an_iterable_dataset_is_read_too():
    stream = Dataset.from_list(CONVERSATIONAL_EXPLICIT).to_iterable_dataset()
    [src] = load_source(stream, limit=1)
    assert src.origin == "IterableDataset" and texts(src) == EXPECTED["conversational_explicit"][:1]


def test_hh_dialogues_under_a_column_map_are_split_at_the_cue():
    hh = "\n\nHuman: Hi\n\nAssistant:"
    ds = Dataset.from_dict({"good": [hh + " I can help."], "bad": [hh + " I cannot."]})
    [src] = load_source(ds, columns={"chosen": "good", "rejected": "bad"})
    [pair] = src.pairs  # TRL's shared prefix would have put " I" into the prompt
    assert (pair.prompt, pair.chosen, pair.rejected) == (hh, " I can help.", " I cannot.")
    assert pair.metadata == {"prompt_mismatch": False}

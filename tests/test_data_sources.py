"""load_source: spec parsing, hub dispatch (datasets mocked), format detection, names, readers;
and the `data summary` command."""

from __future__ import annotations

import gzip
import json
import sys
import types
from pathlib import Path

import pytest

from morelib.cli import main as cli_main
from morelib.data import summary_cli
from morelib.data.names import infer_source_name
from morelib.data.readers import read_records
from morelib.data.schema import DataError, DropReport, LoadedSource, PreferencePair
from morelib.data.sources import Spec, detect_format, load_source, parse_spec

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("spec, expected", [
    ("Anthropic/hh-rlhf:harmless-base", ("Anthropic/hh-rlhf", "harmless-base", "test", None)),
    ("anthropic/HH-RLHF:helpful-base@train[:10]",
     ("Anthropic/hh-rlhf", "helpful-base", "train", 10)),
    ("helpful", ("Anthropic/hh-rlhf", "helpful-base", "test", None)),
    ("harmless@train", ("Anthropic/hh-rlhf", "harmless-base", "train", None)),
    ("webgpt", ("openai/webgpt_comparisons", "default", "train", None)),
    ("summarize[:2000]", ("openai/summarize_from_feedback", "comparisons", "validation", 2000)),
    ("openai/summarize_from_feedback:comparisons@train",
     ("openai/summarize_from_feedback", "comparisons", "train", None)),
    ("oasst1", ("OpenAssistant/oasst1", None, "validation", None)),
    ("OpenAssistant/oasst1@train", ("OpenAssistant/oasst1", None, "train", None)),
])
def test_parse_hub_specs(spec, expected):
    parsed = parse_spec(spec)
    assert (parsed.name, parsed.config, parsed.split, parsed.limit) == expected
    assert parsed.path is None and parsed.text == spec


def test_an_existing_file_wins_over_a_hub_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("webgpt").write_text("[]")
    assert parse_spec("webgpt[:3]") == Spec("webgpt[:3]", path=Path("webgpt"), limit=3)


class FakeDatasets:
    """Stands in for ``datasets``: records the call, returns fixture rows."""

    def __init__(self, rows):
        self.rows, self.calls = rows, []

    def load_dataset(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return list(self.rows)


def fake_datasets(monkeypatch, fixture):
    fake = FakeDatasets([record for _, record in read_records(FIXTURES / fixture)])
    monkeypatch.setitem(sys.modules, "datasets", fake)
    return fake


@pytest.mark.parametrize("spec, fixture, call, name, origin, n_pairs", [
    ("harmless[:3]", "hh_rlhf.jsonl",
     (("Anthropic/hh-rlhf", None), {"split": "test[:3]", "data_dir": "harmless-base"}),
     "harmless", "Anthropic/hh-rlhf:harmless-base@test", 3),
    ("webgpt", "webgpt_comparisons.jsonl",
     (("openai/webgpt_comparisons", None),
      {"split": "train", "data_dir": "default", "revision": "refs/convert/parquet"}),
     "webgpt", "openai/webgpt_comparisons:default@train", 3),
    ("summarize[:2000]", "summarize_comparisons.jsonl",
     (("openai/summarize_from_feedback", None),
      {"split": "validation[:2000]", "data_dir": "comparisons",
       "revision": "refs/convert/parquet"}),
     "summarize", "openai/summarize_from_feedback:comparisons@validation", 3),
    ("OpenAssistant/oasst1@train[:1]", "oasst1_messages.jsonl",
     (("OpenAssistant/oasst1", None), {"split": "train"}),  # the limit counts reply groups
     "oasst1", "OpenAssistant/oasst1@train", 1),
])
def test_hub_loaders_call_datasets_and_convert(monkeypatch, spec, fixture, call, name, origin,
                                               n_pairs):
    fake = fake_datasets(monkeypatch, fixture)
    [src] = load_source(spec)
    assert fake.calls == [call]
    assert (src.name, src.origin, len(src)) == (name, origin, n_pairs)


def test_hub_source_override_renames_pairs(monkeypatch):
    fake_datasets(monkeypatch, "webgpt_comparisons.jsonl")
    [src] = load_source("webgpt", source="webgpt-train", split="train")
    assert src.name == "webgpt-train" and {p.source for p in src.pairs} == {"webgpt-train"}


@pytest.mark.parametrize("record, kind", [
    ({"text": ["a", "b"], "score": [1, 0]}, "authors"),
    ({"chosen": "x", "rejected": "y"}, "hh"),
    ({"prompt": "p", "chosen": "x", "rejected": "y"}, "generic"),
    ({"query": "q", "responses": {}}, "dsp"),
    ({"question": {}, "answer_0": "", "answer_1": "", "score_0": 0, "score_1": 0}, "webgpt"),
    ({"info": {}, "summaries": [], "choice": 0}, "summarize"),
    ({"message_id": "m", "parent_id": None, "role": "prompter", "text": "t"}, "oasst1"),
    ({"question": "q"}, None),
    (["chosen", "rejected"], None),
])
def test_detect_format(record, kind):
    assert detect_format(record) == kind


@pytest.mark.parametrize("path, name", [
    ("helpful.test.json.gz", "helpful"), ("harmless-base.test.jsonl.gz", "harmless"),
    ("webgpt.test.json", "webgpt"), ("summ.test.json", "summarize"),
    ("oasst1_train.parquet", "oasst1"), ("my-prefs.v2.csv", "my-prefs"),
    ("summary.csv", "summary"),
])
def test_source_names_from_file_names(path, name):
    assert infer_source_name(path) == name


def test_source_override_for_local_files(tmp_path):
    [src] = load_source(FIXTURES / "hh_rlhf.jsonl", source="helpful")
    assert src.name == "helpful" and src.pairs[0].id == "helpful-0"
    dsp = tmp_path / "domains.json"
    dsp.write_text(json.dumps([{"query": "q", "responses": {"a": "x", "b": "y"}}]))
    assert [s.name for s in load_source(dsp, source="mine")] == ["mine-a", "mine-b"]


def test_json_lines_in_a_json_file_and_gzip(tmp_path):
    rows = [{"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c"}]
    batch = tmp_path / "batch3.json"  # summarize-from-feedback's raw files are JSON lines
    batch.write_text(json.dumps(rows[0]) + "\n" + json.dumps(rows[0]) + "\n")
    assert [where for where, _ in read_records(batch)] == ["line 1", "line 2"]
    packed = tmp_path / "pairs.csv.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write("prompt,chosen,rejected\nQ,a,b\n")
    assert list(read_records(packed)) == [("row 0", {"prompt": "Q", "chosen": "a", "rejected": "b"})]


def test_format_table_aligns_and_lists_drops():
    pairs = [PreferencePair("p", "a", "b", "helpful", "helpful-0")]
    table = summary_cli.format_table([
        LoadedSource("helpful", pairs, DropReport(), "h.json"),
        LoadedSource("webgpt", [], DropReport({"tie (equal scores)": 2, "empty reply": 1}),
                     "hub:webgpt")])
    assert table.splitlines() == [
        "source   origin      records  pairs  dropped",
        "helpful  h.json            1      1  -",
        "webgpt   hub:webgpt        3      0  1 empty reply, 2 tie (equal scores)"]


def test_summary_simulator_spec_calls_simulate_sources(monkeypatch, capsys):
    seen = []

    class SimulatorConfig:
        def __init__(self, n_pairs_per_source=1000):
            self.n_pairs_per_source = n_pairs_per_source

    def simulate_sources(config, split="train"):
        seen.append(config.n_pairs_per_source)
        pairs = [PreferencePair("p", "a", "b", "harmless", f"harmless-{i}")
                 for i in range(config.n_pairs_per_source)]
        return [LoadedSource("harmless", pairs, origin="simulator")]

    fake = types.ModuleType("morelib.data.simulator")
    fake.SimulatorConfig, fake.simulate_sources = SimulatorConfig, simulate_sources
    monkeypatch.setitem(sys.modules, "morelib.data.simulator", fake)
    monkeypatch.setattr("morelib.data.simulator", fake, raising=False)
    assert cli_main(["data", "summary", "simulator:7", "simulator",
                     str(FIXTURES / "hh_rlhf.jsonl")]) == 0
    assert seen == [7, 1000]
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [row[:4] for row in rows] == [["harmless", "simulator", "7", "7"],
                                         ["harmless", "simulator", "1000", "1000"],
                                         ["hh_rlhf", str(FIXTURES / "hh_rlhf.jsonl"), "3", "3"]]


def test_summary_with_the_real_simulator(capsys):
    pytest.importorskip("morelib.data.simulator")
    assert cli_main(["data", "summary", "simulator:4"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows and all(row[1] and row[3] == "4" for row in rows)


def test_data_error_from_a_hub_row_names_the_hub_origin(monkeypatch):
    fake = FakeDatasets([{"chosen": "\n\nHuman: a\n\nAssistant: b"}])
    monkeypatch.setitem(sys.modules, "datasets", fake)
    with pytest.raises(DataError) as err:
        load_source("helpful")
    assert str(err.value) == ("Anthropic/hh-rlhf:helpful-base@test: row 0: field 'rejected': "
                              "missing field")

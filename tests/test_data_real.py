"""The loaders on the real test sets (MORELIB_DATA_DIR; skipped when unset)."""

from __future__ import annotations

import gzip
import json

import pytest

from morelib.cli import main as cli_main
from morelib.data.sources import load_source

pytestmark = pytest.mark.real_data

HELPFUL = "authors-format/helpful.test.json.gz"
HARMLESS = "authors-format/harmless.test.json.gz"
WEBGPT = "authors-format/webgpt.test.json.gz"
RAW_HARMLESS = "hh-rlhf/harmless-base.test.jsonl.gz"
DSP = "dsp-domains/domain_specific_preference.test.json.gz"

#: pairs kept, identical responses, blank responses per domain (from an independent count)
DSP_COUNTS = {"academy": (2599, 44, 1), "business": (2600, 43, 1),
              "entertainment": (2614, 29, 1), "literature": (2615, 28, 1),
              "normal": (2612, 28, 4)}


def raw(path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        if path.name.endswith(".jsonl.gz"):
            return [json.loads(line) for line in handle]
        return json.load(handle)


def one(path):
    [src] = load_source(path)
    return src


@pytest.mark.parametrize("name, source, n_pairs", [(HELPFUL, "helpful", 2352),
                                                   (HARMLESS, "harmless", 2312)])
def test_authors_hh_counts_and_invariant(real_data_dir, name, source, n_pairs):
    src = one(real_data_dir / name)
    assert (src.name, len(src), src.dropped.total) == (source, n_pairs, 0)
    for pair, record in zip(src.pairs, raw(real_data_dir / name), strict=True):
        best = 0 if record["score"][0] > record["score"][1] else 1
        assert pair.prompt + pair.chosen == record["text"][best]
        assert pair.prompt + pair.rejected == record["text"][1 - best]
        assert pair.prompt.endswith("\n\nAssistant:")


def test_authors_webgpt_ties_and_orientation(real_data_dir):
    src = one(real_data_dir / WEBGPT)
    assert src.summary() == {"source": "webgpt", "origin": str(real_data_dir / WEBGPT),
                             "records": 901, "pairs": 656, "dropped": 245,
                             "tie (equal scores)": 245}
    records = [r for r in raw(real_data_dir / WEBGPT) if r["score"][0] != r["score"][1]]
    second_best = 0
    for pair, record in zip(src.pairs, records, strict=True):
        best = 0 if record["score"][0] > record["score"][1] else 1
        second_best += best
        assert pair.prompt + pair.chosen == record["text"][best]
        assert pair.prompt + pair.rejected == record["text"][1 - best]
        assert pair.prompt.startswith("## Human:\n") and pair.prompt.endswith("## Assistant:\n")
        assert pair.metadata["scores"][0] > pair.metadata["scores"][1]
    assert second_best == 237 + 71  # preferred answer second: [0.5, 1.5] and [0.0, 2.0]


def test_raw_harmless_keeps_prefix_mismatches(real_data_dir):
    src = one(real_data_dir / RAW_HARMLESS)
    assert (src.name, len(src), src.dropped.total) == ("harmless", 2312, 0)
    records = raw(real_data_dir / RAW_HARMLESS)
    for pair, record in zip(src.pairs, records, strict=True):
        assert pair.prompt + pair.chosen == record["chosen"]
        assert pair.prompt + pair.rejected == record["rejected"]
        assert pair.prompt.endswith("\n\nAssistant:")
    flagged = [int(p.id.split("-")[1]) for p in src.pairs if p.metadata["prompt_mismatch"]]
    assert flagged == [1254, 1688, 1950, 1952, 2036]
    cue = "\n\nAssistant:"
    for index, record in enumerate(records):  # independent check of which prefixes differ
        ends = [record[k].rfind(cue) + len(cue) for k in ("chosen", "rejected")]
        differ = record["chosen"][:ends[0]] != record["rejected"][:ends[1]]
        assert differ == (index in flagged)


def test_authors_and_raw_harmless_agree_pair_by_pair(real_data_dir):
    authors, raw_hh = one(real_data_dir / HARMLESS), one(real_data_dir / RAW_HARMLESS)
    for a, b in zip(authors.pairs, raw_hh.pairs, strict=True):
        assert (a.prompt, a.chosen, a.rejected, a.id) == (b.prompt, b.chosen, b.rejected, b.id)


def test_dsp_gives_one_source_per_domain(real_data_dir):
    sources = load_source(real_data_dir / DSP)
    assert [s.name for s in sources] == [f"dsp-{d}" for d in DSP_COUNTS]
    queries = raw(real_data_dir / DSP)
    assert len(queries) == 661
    for src, (domain, (n_pairs, n_same, n_blank)) in zip(sources, DSP_COUNTS.items()):
        assert src.summary()["records"] == 661 * 4
        assert len(src) == n_pairs
        assert src.dropped.counts == {"chosen identical to rejected": n_same,
                                      "empty reply": n_blank}
        for pair in src.pairs[:50]:
            query = queries[pair.metadata["query_index"]]
            assert pair.chosen == " " + query["responses"][domain].strip()
            assert pair.rejected == " " + query["responses"][pair.metadata["rejected_domain"]].strip()
            assert pair.prompt == f"\n\nHuman: {query['query'].strip()}\n\nAssistant:"


def test_limit_on_real_file(real_data_dir):
    src = one(f"{real_data_dir / HELPFUL}[:100]")
    assert len(src) == 100
    [first9] = load_source(real_data_dir / WEBGPT, limit=9)
    assert first9.summary()["records"] == 9
    assert first9.pairs == [p for p in one(real_data_dir / WEBGPT).pairs
                            if int(p.id.split("-")[1]) < 9]


def test_cli_summary_on_real_files(real_data_dir, capsys):
    paths = [str(real_data_dir / name) for name in (HELPFUL, HARMLESS, WEBGPT, RAW_HARMLESS, DSP)]
    assert cli_main(["data", "summary", *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["source", "origin", "records", "pairs", "dropped"]
    rows = [line.split(maxsplit=4) for line in lines[1:]]
    assert [row[:4] for row in rows] == [
        ["helpful", paths[0], "2352", "2352"], ["harmless", paths[1], "2312", "2312"],
        ["webgpt", paths[2], "901", "656"], ["harmless", paths[3], "2312", "2312"],
        *[[f"dsp-{d}", paths[4], "2644", str(n)] for d, (n, _, _) in DSP_COUNTS.items()]]
    assert rows[0][4] == "-" and rows[2][4] == "245 tie (equal scores)"
    assert rows[-1][4] == "28 chosen identical to rejected, 4 empty reply"

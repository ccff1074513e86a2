"""The hub loaders against local stand-ins of the five repositories in their exact hub layouts
(``tests/hub_standins.py``), read through ``MORELIB_HUB_DATASETS_DIR`` with the loaders' own
``datasets.load_dataset`` calls: a Parquet branch that declares no configs must load as well as
one that does."""

from __future__ import annotations

import pytest

from hub_standins import build_standins  # noqa: E402  (tests/hub_standins.py)
from morelib.data.hub import hub_path
from morelib.data.sources import load_source


@pytest.fixture(params=[False, True], ids=["no-configs", "declared-configs"])
def standins(request, tmp_path, monkeypatch):
    root = build_standins(tmp_path / "hub", copies=2, declare_configs=request.param)
    monkeypatch.setenv("MORELIB_HUB_DATASETS_DIR", str(root))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    import datasets
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    return root


@pytest.mark.parametrize("spec, name, origin, n_pairs", [
    ("harmless", "harmless", "Anthropic/hh-rlhf:harmless-base@test", 6),
    ("helpful@train[:4]", "helpful", "Anthropic/hh-rlhf:helpful-base@train", 4),
    ("webgpt", "webgpt", "openai/webgpt_comparisons:default@train", 6),
    ("summarize", "summarize", "openai/summarize_from_feedback:comparisons@validation", 6),
    ("summarize@train[:5]", "summarize", "openai/summarize_from_feedback:comparisons@train", 5),
    ("oasst1", "oasst1", "OpenAssistant/oasst1@validation", None),
])
def test_hub_loaders_read_standin_repositories(standins, spec, name, origin, n_pairs):
    [src] = load_source(spec)
    assert (src.name, src.origin) == (name, origin)
    assert len(src) == n_pairs if n_pairs is not None else len(src) > 0
    assert all(p.prompt.startswith("\n\nHuman:") and p.chosen != p.rejected for p in src.pairs)


def test_summarize_standin_is_the_failing_layout(standins):
    """The stand-in without configs reproduces the reported failure of a config-name load."""
    import datasets

    path = hub_path("openai/summarize_from_feedback", "refs/convert/parquet")
    if (standins / "openai/summarize_from_feedback/refs/convert/parquet/README.md").exists():
        assert len(datasets.load_dataset(path, "comparisons", split="validation")) == 6
    else:
        with pytest.raises(ValueError, match="BuilderConfig 'comparisons' not found"):
            datasets.load_dataset(path, "comparisons", split="validation")


def test_oasst_standin_matches_fixture_pairs(standins):
    from morelib.data.oasst import oasst_pairs
    from morelib.data.readers import read_records
    from hub_standins import FIXTURES

    one_copy = oasst_pairs(read_records(FIXTURES / "oasst1_messages.jsonl"), "fixture")
    [src] = load_source("oasst1@train")
    assert len(src) == 2 * len(one_copy)
    assert [p.chosen for p in src.pairs[:len(one_copy)]] == [p.chosen for p in one_copy.pairs]


def test_missing_mirror_copy_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MORELIB_HUB_DATASETS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="openai/webgpt_comparisons: no local copy at"):
        load_source("webgpt")

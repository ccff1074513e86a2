"""The one vocabulary (morelib.vocabulary) agrees with the modules that used to define it."""

from __future__ import annotations

import ast
from pathlib import Path

import morelib.vocabulary as V
from morelib import paper_numbers
from morelib.data.sim_config import SimulatorConfig
from morelib.experiments.suite import SCHEMES as SUITE_SCHEMES
from morelib.weighting.strategies import (
    STRATEGIES,
    STRATEGY_ALIASES,
    BatchMeanWeighting,
    MoreWeighting,
    make_weighting,
)

PAPER_ORDER = ("helpful", "harmless", "oasst1", "webgpt", "summarize")


def test_sources_are_the_papers_five_in_its_order():
    assert V.SOURCES == PAPER_ORDER
    # the paper's tables print their source columns in this order
    cols = [c for c in paper_numbers.table2().columns if c in V.SOURCES]
    assert tuple(cols) == V.SOURCES
    assert SimulatorConfig().sources == V.SOURCES


def test_display_names():
    assert {k: s.label for k, s in V.SCHEMES.items() if k != "single"} == {
        "raw": "Raw", "top": "Top", "averaging": "Averaging", "multitask": "MultiTask",
        "more": "MORE"}
    assert [V.scheme_name(f"single/{s}") for s in V.SOURCES[:2]] == [
        "Single (helpful)", "Single (harmless)"]
    assert V.scheme_name("rm_custom") == "rm_custom"
    # the paper's Table 2 rows use the same names, in the same order
    rows = list(dict.fromkeys(paper_numbers.table2().method))
    assert rows == [s.label for s in V.SCHEMES.values() if s.id != "single"]


def test_every_strategy_is_a_registered_weighting():
    trained = {k: s.strategy for k, s in V.SCHEMES.items() if s.strategy}
    assert trained == {"single": "mean", "multitask": "mean", "more": "more"}
    assert set(trained.values()) <= set(STRATEGIES)
    assert isinstance(make_weighting(V.SCHEMES["multitask"].strategy, 2), BatchMeanWeighting)
    assert isinstance(make_weighting(V.SCHEMES["more"].strategy, 2), MoreWeighting)
    assert STRATEGY_ALIASES == {"multitask": "mean"}
    assert not any(s.strategy for s in V.SCHEMES.values() if s.ensemble or s.id == "raw")


def test_suite_schemes():
    assert V.RM_SCHEMES == SUITE_SCHEMES == ("raw", "single", "multitask", "more")


def test_imports_nothing_from_morelib():
    tree = ast.parse(Path(V.__file__).read_text())
    imported = [n.module if isinstance(n, ast.ImportFrom) else a.name
                for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in getattr(n, "names", [])]
    assert not [m for m in imported if m and m.startswith("morelib")]

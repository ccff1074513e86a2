"""Mechanism ablations: the vocabulary, contrasts recomputed from the per-seed margins, one
bootstrap for all contrasts (additive replicates), and the factor sentence decided by
intervals only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from morelib.calibration import ece
from morelib.probe.ablations import PAPER_LABEL, parse_ablation, run_ablations
from morelib.probe.contrasts import hh_contrast, seed_interval
from morelib.probe.factors import factor_sentence
from morelib.probe.study import _ToyStore, default_config
from tests.test_probe_study import toy_sources

SETTINGS = ["alpha:0.5", "batching:stratified-uniform", "ranks:2-per-rank"]


@pytest.fixture(scope="module")
def ablated():
    return run_ablations(_ToyStore(), toy_sources(90), SETTINGS, pairs_per_source=2,
                         n_seeds=4, track="simulator probe", n_boot=300)


def mean_hh_ece_difference(a: dict, b: dict) -> float:
    """Mean over seeds of the mean over test sets of ECE(a) − ECE(b), from scratch."""
    per_seed = np.mean([[ece(x) - ece(y) for x, y in zip(a[t], b[t])] for t in a], axis=0)
    return float(per_seed.mean())


def test_vocabulary_is_parsed_and_checked() -> None:
    base = default_config("m", 3, 16)
    assert parse_ablation("normalize:none", base).overrides == {"normalize": "none"}
    assert parse_ablation("ranks:2-synchronised", base).reference == "paper"
    assert parse_ablation("batching:stratified-uniform", base).reference is None
    for bad in ("normalize:cube", "strategy:mean", "ranks:1-per-rank", "ranks:two",
                "batching:sorted", "bogus:1"):
        with pytest.raises(ValueError):
            parse_ablation(bad, base)


def test_every_contrast_is_the_mean_ece_difference_of_its_arms(ablated) -> None:
    table, studies = ablated
    assert set(studies) == {"paper", *SETTINGS, "ranks:2-synchronised"}  # reference added
    names = {"MORE": "more", "MultiTask": "mean", "stratified-uniform": "stratified-uniform"}
    for row in table.to_dict("records"):
        setting = "paper" if row["setting"] == PAPER_LABEL else row["setting"]
        m = studies[setting].margins
        left, right = row["contrast"].split(" − ", 1)
        if right.startswith("MORE ("):
            ref = right[6:-1]
            ref = "paper" if ref == PAPER_LABEL else ref
            expected = mean_hh_ece_difference(m[(2, "more")], studies[ref].margins[(2, "more")])
        else:
            expected = mean_hh_ece_difference(m[(2, names[left])], m[(2, names[right])])
        assert row["estimate"] == pytest.approx(expected, abs=1e-12), row
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    more_rows = table[table.contrast == "MORE − MultiTask"]
    assert len(more_rows) == 5
    # the same seeds, subsets and inits: the batching setting's MORE is the paper's MORE
    paper = studies["paper"].margins[(2, "more")]
    flat = studies["batching:stratified-uniform"].margins[(2, "more")]
    assert all(np.array_equal(paper[t], flat[t]) for t in paper)


def test_contrasts_share_one_bootstrap_so_replicates_add_up(ablated) -> None:
    _, studies = ablated
    m = studies["batching:stratified-uniform"].margins
    a, u, b = m[(2, "more")], m[(2, "stratified-uniform")], m[(2, "mean")]
    total = hh_contrast(a, b, n_boot=300)
    parts = hh_contrast(a, u, n_boot=300), hh_contrast(u, b, n_boot=300)
    assert np.allclose(total.replicates, parts[0].replicates + parts[1].replicates, atol=1e-12)
    assert total.estimate == pytest.approx(parts[0].estimate + parts[1].estimate, abs=1e-12)


def test_lambda_dispersion_interval_resamples_seeds(ablated) -> None:
    table, studies = ablated
    spreads = studies["ranks:2-per-rank"].spreads[(2, "more")]
    est, low, high = seed_interval(spreads, n_boot=300)
    assert est == pytest.approx(spreads.mean())
    assert spreads.min() <= low <= est <= high <= spreads.max()
    row = table[table.setting == "ranks:2-per-rank"].iloc[0]
    assert (row.lambda_spread, row.lambda_spread_low, row.lambda_spread_high) == (est, low, high)
    assert np.all(studies["batching:stratified-uniform"].spreads[(2, "stratified-uniform")] == 0)


def frame(rows):
    return pd.DataFrame(rows, columns=["setting", "contrast", "estimate", "ci_low", "ci_high"])


def test_factor_sentence_follows_the_intervals_not_the_estimates() -> None:
    paper = (PAPER_LABEL, "MORE − MultiTask", -0.009, -0.012, 0.001)  # large but inconclusive
    moved = ("alpha:0.1", "MORE − MORE (paper)", 0.0001, 0.00005, 0.0002)  # tiny but excluding 0
    text = factor_sentence(frame([paper, moved]), "real HH probe")
    assert "not distinguishable from 0" in text and "no effect of MORE" in text
    assert "alpha:0.1 instead of the paper" in text
    effect = (PAPER_LABEL, "MORE − MultiTask", -0.004, -0.007, -0.001)
    opposite = ("batching:stratified-uniform", "MORE − stratified-uniform", 0.002, 0.001, 0.003)
    text = factor_sentence(frame([effect, opposite]), "real HH probe")
    assert "below 0" in text and "none is identified" in text
    per_rank = ("ranks:2-per-rank", "MORE − MORE (ranks:2-synchronised)", -0.003, -0.005, -0.001)
    text = factor_sentence(frame([effect, opposite, per_rank]), "real HH probe")
    assert "carried by per-rank instead of synchronised λ (2 ranks)" in text
    assert "weighting" not in text
    assert "not run" in factor_sentence(frame([moved]), "real HH probe")

"""experiments.diversity: cross-source accuracy, transfer gap, Δr shifts, drift, findings."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from morelib.experiments import diversity as D


def _scores():
    rng = np.random.default_rng(0)
    rows = []
    truth = {t: rng.uniform(0.55, 0.95, 50) for t in ("helpful", "harmless")}
    scale = {"raw": 0.0, "single/helpful": 1.0, "single/harmless": -0.5}
    for rm, s in scale.items():
        for test, p in truth.items():
            sign = 1.0 if (rm != "single/harmless" or test == "harmless") else s
            m = sign * logit(p) + rng.normal(0, 0.01 if rm == "raw" else 0.3, p.size)
            rows.append(pd.DataFrame({"rm": rm, "test": test, "pair": np.arange(p.size),
                                      "margin": m, "p_source": p, "p_shared": p}))
    return pd.concat(rows, ignore_index=True)


def test_cross_accuracy_has_every_rm_and_test_with_wilson_bounds():
    cross = D.cross_accuracy(_scores())
    assert list(dict.fromkeys(cross.train)) == ["Raw", "helpful", "harmless"]
    assert (cross.low <= cross.accuracy).all() and (cross.accuracy <= cross.high).all()
    assert (cross.n == 50).all()


def test_wilson_matches_the_closed_form():
    from morelib.stats import wilson_interval

    low, high = wilson_interval(50, 100)  # cross_accuracy's interval
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)


def test_transfer_gap_is_positive_for_a_source_specific_rm():
    summary = D.transfer_summary(D.cross_accuracy(_scores())).set_index("train")
    assert summary.loc["harmless", "gap"] > 0.5  # right on harmless, wrong on helpful


def test_margin_shift_is_relative_to_raw():
    shift = D.margin_shift(_scores())
    assert np.allclose(shift[shift.train == "Raw"]["shift"], 0.0)
    h = shift[(shift.train == "harmless") & (shift.test == "helpful")]["shift"].iloc[0]
    assert h < 0


def test_drift_ranks_the_rm_closest_to_the_truth_first():
    drift = D.drift_table(_scores()).set_index("train")
    assert drift.loc["helpful", "mae"] < drift.loc["harmless", "mae"]
    assert drift.loc["helpful", "corr"] > 0.9
    p = np.array([0.6, 0.8])
    exact = pd.DataFrame({"rm": "x", "test": "t", "pair": [0, 1], "margin": logit(p), "p_shared": p})
    assert D.drift_table(exact).mae.iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(expit(exact.margin), p)


def test_drift_is_empty_without_ground_truth():
    s = _scores().drop(columns=["p_source", "p_shared"])
    assert D.drift_table(s).empty


def test_findings_come_from_the_numbers():
    s = _scores()
    text = D.findings(D.cross_accuracy(s), D.margin_shift(s), D.drift_table(s), focus="harmless")
    assert any("own source" in t for t in text)
    assert any("moves up for" in t and "harmless" in t for t in text)
    assert any("smallest for helpful" in t for t in text)


def test_findings_are_selected_by_claim_not_by_position():
    """Where every RM is best on its own source (no ``not_best_on_own``), the positional
    ``[2:]`` that notebook 01 used dropped the margin-shift finding too; ``claims=`` keeps it."""
    cross = pd.DataFrame({"train": ["Raw", "Raw", "a", "a", "b", "b"], "test": ["a", "b"] * 3,
                          "accuracy": [.5, .5, .8, .4, .6, .7]})
    shift = pd.DataFrame({"train": ["a", "b"], "test": "a", "shift": [0.2, -0.1]})
    every = D.findings(cross, shift, None, focus="a")
    assert [f.claim for f in every] == ["transfer_gap", "margin_shift"] and every[2:] == []
    [only] = D.findings(cross, shift, None, focus="a", claims=["margin_shift"])
    assert only.claim == "margin_shift" and only == every[1]
    s = _scores()
    found = D.findings(D.cross_accuracy(s), D.margin_shift(s), D.drift_table(s))
    assert [f.claim for f in found] == list(D.CLAIMS)
    with pytest.raises(ValueError, match="unknown claim"):
        D.findings(cross, shift, claims=["transfer"])

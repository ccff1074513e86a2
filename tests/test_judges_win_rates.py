"""Win / tie / lose rates and their bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from morelib.alignment import Verdict, bootstrap_win_rate, win_rates
from morelib.alignment.verdicts import combine
from morelib.alignment.win_rates import outcome_counts


def paper_like(win=45, tie=23, lose=32, error=0):
    return ["A"] * win + ["tie"] * tie + ["B"] * lose + ["error"] * error


def test_rates_over_n_and_error_free():
    r = win_rates(paper_like(44, 22, 34, 25))
    assert (r["n"], r["wins"], r["ties"], r["losses"], r["errors"]) == (125, 44, 22, 34, 25)
    assert r["win"] == pytest.approx(44 / 125) and r["error"] == pytest.approx(25 / 125)
    assert r["win"] + r["tie"] + r["lose"] + r["error"] == pytest.approx(1.0)
    assert (r["win_valid"], r["tie_valid"], r["lose_valid"]) == (0.44, 0.22, 0.34)
    assert r["win_half_tie"] == pytest.approx(0.55)


def test_accepts_outcome_objects():
    outcomes = [combine(Verdict("A"), Verdict("B")), combine(Verdict("A"), Verdict("A"))]
    assert outcome_counts(outcomes).tolist() == [1, 1, 0, 0]


def test_empty_and_all_errors_give_nan():
    empty = win_rates([])
    assert empty["n"] == 0 and math.isnan(empty["win"]) and math.isnan(empty["error"])
    errors = win_rates(["error"] * 3)
    assert errors["error"] == 1.0 and errors["win"] == 0.0
    assert math.isnan(errors["win_valid"]) and math.isnan(errors["win_half_tie"])


def test_unknown_outcome_rejected():
    with pytest.raises(ValueError, match="must be one of"):
        win_rates(["A", "win"])


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    outcomes = paper_like()
    first, again = bootstrap_win_rate(outcomes, seed=3), bootstrap_win_rate(outcomes, seed=3)
    other = bootstrap_win_rate(outcomes, seed=4)
    for name, res in first.items():
        assert (res.low, res.high) == (again[name].low, again[name].high)
        assert 0.0 <= res.low <= res.estimate <= res.high <= 1.0
        assert res.replicates.shape == (2000,) and res.ci == 0.95
    assert first["win"].low != other["win"].low or first["win"].high != other["win"].high
    assert first["win_half_tie"].estimate == pytest.approx(0.565)


def test_bootstrap_matches_index_resampling():
    """The multinomial shortcut has the distribution of resampling outcomes with replacement."""
    outcomes = paper_like(40, 20, 30, 10)
    res = bootstrap_win_rate(outcomes, n_boot=20000, seed=0)
    codes = np.array([{"A": 0, "tie": 1, "B": 2, "error": 3}[o] for o in outcomes])
    idx = np.random.default_rng(1).integers(0, codes.size, size=(20000, codes.size))
    drawn = codes[idx]
    valid = (drawn != 3).sum(1)
    naive = {"win": (drawn == 0).sum(1) / valid,
             "win_half_tie": ((drawn == 0).sum(1) + 0.5 * (drawn == 1).sum(1)) / valid}
    for name, reps in naive.items():
        assert res[name].replicates.mean() == pytest.approx(reps.mean(), abs=0.003)
        assert res[name].replicates.std() == pytest.approx(reps.std(), rel=0.05)
        lo, hi = np.quantile(reps, [0.025, 0.975])
        assert res[name].low == pytest.approx(lo, abs=0.015)
        assert res[name].high == pytest.approx(hi, abs=0.015)


def test_bootstrap_error_handling_modes():
    outcomes = paper_like(300, 100, 200, 400)
    valid = bootstrap_win_rate(outcomes, exclude_errors=True)["win"]
    over_n = bootstrap_win_rate(outcomes, exclude_errors=False)["win"]
    assert valid.estimate == pytest.approx(0.5) and over_n.estimate == pytest.approx(0.3)
    assert over_n.high < valid.low  # errors count against a's rate over N


def test_interval_shrinks_with_n_and_degenerate_cases():
    small = bootstrap_win_rate(paper_like(9, 5, 6), seed=0)["win"]
    large = bootstrap_win_rate(paper_like(450, 230, 320), seed=0)["win"]
    assert large.high - large.low < (small.high - small.low) / 2
    sure = bootstrap_win_rate(["A"] * 10)["win"]
    assert (sure.estimate, sure.low, sure.high) == (1.0, 1.0, 1.0)
    only_errors = bootstrap_win_rate(["error"] * 5)["win"]
    assert math.isnan(only_errors.estimate) and math.isnan(only_errors.low)


@pytest.mark.parametrize("kwargs", [{"ci": 1.0}, {"ci": 0.0}, {"n_boot": 0}])
def test_bootstrap_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        bootstrap_win_rate(["A", "B"], **kwargs)


def test_bootstrap_needs_outcomes():
    with pytest.raises(ValueError, match="no outcomes"):
        bootstrap_win_rate([])


@pytest.mark.parametrize("k,n", [(0, 24), (5, 20), (12, 24), (24, 24), (1, 3)])
def test_wilson_interval_inverts_the_score_test(k, n):
    """Independent check: the Wilson bounds are the p where the score statistic
    |k/n − p| / sqrt(p(1−p)/n) equals z (found by bisection on each side of k/n)."""
    from statistics import NormalDist

    from morelib.stats import wilson_interval

    z, phat = NormalDist().inv_cdf(0.975), k / n
    stat = lambda p: abs(phat - p) / np.sqrt(p * (1 - p) / n) - z  # noqa: E731

    def root(lo, hi):  # stat(lo) and stat(hi) of opposite signs
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.sign(stat(mid)) == np.sign(stat(lo)) else (lo, mid)
        return (lo + hi) / 2

    eps = 1e-15
    low = 0.0 if k == 0 else root(eps, min(phat, 1 - 1e-12))
    high = 1.0 if k == n else root(max(phat, 1e-12), 1 - eps)
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=1e-9)


def test_win_table_gives_unseen_categories_a_real_interval():
    import pandas as pd

    from morelib.alignment.judging import win_table

    v = pd.DataFrame({"judge": "j", "policy": "p", "prompt_id": range(24),
                      "winner": ["A"] * 14 + ["tie"] * 10})
    r = win_table(v, n_boot=200).iloc[0]
    assert r.lose == 0 and r.lose_low == 0 and r.lose_high == pytest.approx(0.138, abs=1e-3)
    assert r.win_low < r.win < r.win_high

"""Bootstrap intervals and the paired bootstrap test for ECE differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from morelib.calibration import ace, bootstrap_ece, ece, mce, paired_bootstrap_ece


def calibrated(n, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    logit = rng.normal(0.0, 1.5, n)
    y = (rng.random(n) < expit(logit)).astype(float)
    return scale * logit, y, logit


def test_replicates_equal_a_naive_loop_over_resamples():
    m, y, _ = calibrated(300, 0, scale=2.0)
    for metric, fn in (("ece", ece), ("ace", ace), ("mce", mce)):
        res = bootstrap_ece(m, y, n_boot=40, seed=11, metric=metric)
        idx = np.random.default_rng(11).integers(0, 300, size=(40, 300))
        naive = [fn(m[i], labels=y[i]) for i in idx]
        np.testing.assert_allclose(res.replicates, naive, atol=1e-12)
        assert res.estimate == pytest.approx(fn(m, labels=y), abs=1e-12)


def test_interval_contains_estimate_is_seeded_and_shrinks_with_n():
    m, y, _ = calibrated(500, 1, scale=2.0)
    a = bootstrap_ece(m, y, n_boot=500, seed=3)
    assert a.low <= a.estimate <= a.high and a.ci == 0.95 and a.n_boot == 500
    assert bootstrap_ece(m, y, n_boot=500, seed=3) == a
    np.testing.assert_array_equal(bootstrap_ece(m, y, n_boot=500, seed=3).replicates, a.replicates)
    assert bootstrap_ece(m, y, n_boot=500, seed=4).low != a.low
    big_m, big_y, _ = calibrated(20_000, 2, scale=2.0)
    b = bootstrap_ece(big_m, big_y, n_boot=500, seed=3)
    assert b.low <= b.estimate <= b.high
    assert (b.high - b.low) < (a.high - a.low) / 3
    narrow = bootstrap_ece(m, y, n_boot=500, seed=3, ci=0.5)
    assert a.low <= narrow.low <= narrow.high <= a.high


def test_paired_identical_rms():
    m, y, _ = calibrated(1000, 5)
    res = paired_bootstrap_ece(m, m.copy(), y, n_boot=300)
    assert res.difference == 0.0 and res.p_value == 1.0
    assert res.low == 0.0 and res.high == 0.0
    assert res.estimate_a == pytest.approx(ece(m, labels=y))


def test_paired_better_calibrated_rm_has_small_p_and_swap_is_antisymmetric():
    logit, y, _ = calibrated(2000, 6)
    ab = paired_bootstrap_ece(logit, 3 * logit, y, n_boot=1000, seed=1)
    assert ab.difference == pytest.approx(ece(logit, labels=y) - ece(3 * logit, labels=y))
    assert ab.difference < 0 and ab.high < 0
    assert ab.p_value == pytest.approx(2 / 1001)  # no replicate reaches 0: the floor
    ba = paired_bootstrap_ece(3 * logit, logit, y, n_boot=1000, seed=1)
    assert ba.difference == pytest.approx(-ab.difference)
    assert ba.p_value == ab.p_value
    np.testing.assert_allclose(ba.replicates, -ab.replicates)


def test_paired_close_rms_give_large_p():
    logit, y, _ = calibrated(2000, 7)
    res = paired_bootstrap_ece(logit, 1.02 * logit, y, n_boot=500, seed=2)
    assert res.low < 0 < res.high or res.p_value > 0.05
    assert res.p_value > 0.05


def test_invalid_arguments():
    m, y, _ = calibrated(50, 8)
    with pytest.raises(ValueError):
        bootstrap_ece(m, y, n_boot=0)
    with pytest.raises(ValueError):
        bootstrap_ece(m, y, ci=1.0)
    with pytest.raises(ValueError):
        bootstrap_ece(m, y, metric="brier")
    with pytest.raises(ValueError):
        paired_bootstrap_ece(m, m[:-1], n_boot=10)

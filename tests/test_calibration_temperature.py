"""Post-hoc temperature scaling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from morelib.calibration import accuracy, apply_temperature, ece, fit_temperature, nll


def synthetic(n, seed):
    rng = np.random.default_rng(seed)
    logit = rng.normal(0.0, 1.5, n)
    y = (rng.random(n) < expit(logit)).astype(float)
    return logit, y


@pytest.mark.parametrize("true_t", [3.0, 0.5])
def test_recovers_known_temperature_and_lowers_ece(true_t):
    logit, y = synthetic(20_000, 0)
    fit_m, fit_y = true_t * logit[:10_000], y[:10_000]
    t = fit_temperature(fit_m, fit_y)
    assert t == pytest.approx(true_t, rel=0.05)
    test_m, test_y = true_t * logit[10_000:], y[10_000:]
    calibrated = apply_temperature(test_m, t)
    assert ece(calibrated, labels=test_y) < ece(test_m, labels=test_y) / 2
    assert accuracy(calibrated, test_y) == accuracy(test_m, test_y)


def test_fit_is_a_minimum_of_nll():
    logit, y = synthetic(5000, 1)
    m = 2.0 * logit
    t = fit_temperature(m, y)
    best = nll(m / t, y)
    assert best <= nll(m / (t * 1.01), y) and best <= nll(m / (t / 1.01), y)


def test_oriented_pairs_and_symmetrised_set_give_same_temperature():
    logit, y = synthetic(3000, 2)
    m = 2.5 * logit
    t = fit_temperature(m, y)
    oriented = np.where(y == 1, m, -m)  # chosen minus rejected, label 1
    assert fit_temperature(oriented) == pytest.approx(t, rel=1e-5)
    both = np.concatenate([oriented, -oriented])
    labels = np.concatenate([np.ones(3000), np.zeros(3000)])
    assert fit_temperature(both, labels) == pytest.approx(t, rel=1e-5)


def test_degenerate_inputs():
    assert fit_temperature([0.0, 0.0]) == 1.0
    with pytest.warns(UserWarning, match="bound"):
        t = fit_temperature([1.0, 2.0, 3.0])  # separable: NLL falls as T -> 0
    assert t == pytest.approx(1e-2, rel=1e-2)
    with pytest.raises(ValueError):
        apply_temperature([1.0], 0.0)
    with pytest.raises(ValueError):
        fit_temperature([1.0], bounds=(2.0, 1.0))

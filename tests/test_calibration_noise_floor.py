"""ece_noise_floor: the ECE a calibrated RM scores, checked against plain loops over
morelib.calibration.ece, the issue's numbers and its 1/√N shrinkage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from morelib.calibration import ece
from morelib.calibration.noise_floor import ece_noise_floor, ece_of_label_draws


def test_vectorised_ece_equals_the_scalar_ece_draw_by_draw() -> None:
    rng = np.random.default_rng(3)
    m = np.concatenate([rng.normal(0.3, 1.5, 200), [0.0, np.log(4.0), -np.log(4.0)]])
    y = (rng.random((25, m.size)) < expit(m)).astype(float)
    y[0] = rng.random(m.size)  # soft labels too
    expected = [ece(m, labels=row) for row in y]
    assert np.allclose(ece_of_label_draws(m, y), expected, atol=1e-12)
    for n_bins in (5, 7, 15):
        assert np.allclose(ece_of_label_draws(m, y[:3], n_bins),
                           [ece(m, n_bins, labels=row) for row in y[:3]], atol=1e-12)


def test_noise_floor_agrees_with_an_independent_monte_carlo() -> None:
    m = np.random.default_rng(0).normal(0.35, 0.6, 300)
    floor = ece_noise_floor(m, n_draws=4000, seed=1)
    rng = np.random.default_rng(99)  # another generator, the scalar ECE, one draw at a time
    loop = np.array([ece(m, labels=(rng.random(m.size) < expit(m)).astype(float))
                     for _ in range(1500)])
    se = np.hypot(floor.sd / np.sqrt(floor.n_draws), loop.std() / np.sqrt(loop.size))
    assert abs(floor.mean - loop.mean()) < 4 * se
    assert abs(floor.sd - loop.std()) < 0.1 * loop.std()
    assert abs(floor.q95 - np.quantile(loop, 0.95)) < 0.1 * np.quantile(loop, 0.95)


@pytest.mark.parametrize("n, mean, sd", [(100, 0.073, 0.030), (2330, 0.015, 0.006)])
def test_the_issues_numbers_for_pythia_like_margins(n: int, mean: float, sd: float) -> None:
    # the floor depends on the margin set too: its spread over margin sets (about 0.0064 at
    # N = 100 and 0.0013 at N = 2330) is the Monte-Carlo error of a number from one set
    floors = [ece_noise_floor(np.random.default_rng(s).normal(0.35, 0.6, n), n_draws=1000,
                              seed=s) for s in range(8)]
    spread = 0.0064 if n == 100 else 0.0013
    assert abs(np.mean([f.mean for f in floors]) - mean) < spread
    assert abs(np.mean([f.sd for f in floors]) - sd) < 0.1 * sd
    assert all(f.mean < f.q95 < f.mean + 2.5 * f.sd for f in floors)


def test_noise_floor_shrinks_as_one_over_root_n() -> None:
    rng = np.random.default_rng(7)
    scaled = [ece_noise_floor(rng.normal(0.35, 0.6, n), n_draws=600, seed=n).mean * np.sqrt(n)
              for n in (200, 800, 3200)]
    assert max(scaled) / min(scaled) < 1.15   # mean · √N constant within 15 %


def test_a_miscalibrated_rm_sits_above_the_floor() -> None:
    rng = np.random.default_rng(11)
    logit = rng.normal(0.35, 0.6, 3000)
    y = (rng.random(logit.size) < expit(logit)).astype(float)
    floor = ece_noise_floor(logit, n_draws=500)
    assert ece(logit, labels=y) < floor.q95
    assert ece(3 * logit, labels=y) > 2 * floor.q95  # three times over-confident


def test_noise_floor_checks_its_input() -> None:
    with pytest.raises(ValueError, match="n_draws"):
        ece_noise_floor([1.0], n_draws=1)
    with pytest.raises(ValueError, match="NaN"):
        ece_noise_floor([np.nan])
    with pytest.raises(ValueError, match="labels must be"):
        ece_of_label_draws([1.0, 2.0], np.ones((2, 3)))
    a, b = ece_noise_floor([0.5, 1.0], seed=4), ece_noise_floor([0.5, 1.0], seed=4)
    assert a == b

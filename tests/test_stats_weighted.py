"""Weighted-sample statistics (morelib.stats.weighted) against the same statistics of the
resamples built explicitly, with numpy's own quantiles and the box-plot rule of Tables 4-6."""

import numpy as np
import pytest

from morelib.analysis.scores import box_outliers
from morelib.stats.weighted import resample_counts, weighted_outlier_mean, weighted_quantile


def _outlier_mean_by_hand(values: np.ndarray) -> float:
    parts = [values[values > 0], values[values < 0]]
    flagged = np.concatenate([np.abs(p[box_outliers(p)]) for p in parts])
    return float(flagged.mean()) if len(flagged) else float("nan")


def _samples(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 250))
    v = rng.standard_t(3, n) * rng.choice([0.3, 2.0])
    v[rng.random(n) < 0.05] = 0.0                        # zeros belong to neither sign
    if seed % 5 == 0:
        v = np.abs(v)                                    # one sign only
    v = np.round(v, int(rng.integers(1, 4)))             # ties
    return v, resample_counts(n, 40, seed=seed)


def test_resample_counts_are_the_multiplicities_of_the_integer_draws():
    idx = np.random.default_rng(9).integers(0, 7, size=(5, 7))
    counts = resample_counts(7, 5, seed=9)
    assert counts.tolist() == [np.bincount(r, minlength=7).tolist() for r in idx]


@pytest.mark.parametrize("seed", range(12))
def test_weighted_statistics_equal_those_of_the_explicit_resamples(seed):
    v, w = _samples(seed)
    resamples = [np.repeat(v, row) for row in w]
    for q in (0.0, 0.1, 0.25, 0.5, 0.75, 1.0):
        np.testing.assert_allclose(weighted_quantile(v, w, q),
                                   [np.quantile(r, q) for r in resamples], atol=1e-12)
    np.testing.assert_allclose(weighted_outlier_mean(v, w),
                               [_outlier_mean_by_hand(r) for r in resamples], atol=1e-12)


def test_empty_samples_are_nan():
    v = np.array([1.0, 2.0, 3.0])
    w = np.array([[0, 0, 0], [1, 1, 1]])
    assert np.isnan(weighted_quantile(v, w, 0.5)[0]) and weighted_quantile(v, w, 0.5)[1] == 2.0
    assert np.isnan(weighted_outlier_mean(v, w)).all()   # three values: no outliers

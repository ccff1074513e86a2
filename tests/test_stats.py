"""morelib.stats, each against an independent computation."""

import numpy as np
import pytest
from scipy.stats import binomtest

from morelib.stats import (
    bootstrap_accuracy,
    bootstrap_columns,
    paired_p_value,
    paired_summary,
    percentile_interval,
    wilson_interval,
)


@pytest.mark.parametrize("k,n", [(0, 24), (5, 20), (12, 24), (24, 24), (1, 3), (50, 100)])
@pytest.mark.parametrize("ci", [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, ci):
    ref = binomtest(k, n).proportion_ci(confidence_level=ci, method="wilson")
    assert wilson_interval(k, n, ci) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_wilson_of_a_fractional_count_is_the_closed_form():
    k, n, z = 7.5, 10, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half), abs=1e-12)


@pytest.mark.parametrize("bad", [dict(successes=3, n=2), dict(successes=-1, n=2),
                                 dict(successes=1, n=2, ci=1.0)])
def test_wilson_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        wilson_interval(**bad)


def test_percentile_interval_is_numpys_percentile_without_nans():
    v = np.random.default_rng(0).normal(size=501)
    assert percentile_interval(v, 0.9) == pytest.approx(tuple(np.percentile(v, [5, 95])))
    with_nan = np.concatenate([v, [np.nan] * 7])
    assert percentile_interval(with_nan, 0.9) == percentile_interval(v, 0.9)
    assert np.isnan(percentile_interval([np.nan, np.nan])).all()


def test_bootstrap_accuracy_matches_a_hand_loop():
    m = np.random.default_rng(1).normal(0.3, 1.0, 40)
    m[:3] = 0.0
    reps = bootstrap_accuracy(m, 200, seed=7)
    rng = np.random.default_rng(7)
    idx = rng.integers(0, m.size, size=(200, m.size))
    by_hand = [np.mean([1.0 if m[j] > 0 else 0.5 if m[j] == 0 else 0.0 for j in row])
               for row in idx]
    assert np.allclose(reps, by_hand)
    assert np.array_equal(reps, bootstrap_accuracy(m, 200, seed=7))


def test_bootstrap_columns_matches_a_hand_loop_and_keeps_the_statistic_shape():
    data = np.random.default_rng(2).normal(size=(3, 17))
    stat = lambda d: (d[0].mean(), d[1].std())  # noqa: E731
    reps = bootstrap_columns(data, stat, n_boot=50, seed=4)
    rng = np.random.default_rng(4)
    by_hand = []
    for _ in range(50):
        cols = [int(rng.integers(0, 17)) for _ in range(17)]
        by_hand.append(stat(data[:, cols]))
    assert reps.shape == (50, 2) and np.allclose(reps, by_hand)


def test_paired_p_value_counts_the_smaller_tail():
    d = np.random.default_rng(3).normal(0.4, 1.0, 999)
    tail = min(sum(x <= 0 for x in d), sum(x >= 0 for x in d))
    assert paired_p_value(d) == pytest.approx(min(1.0, 2 * (tail + 1) / 1000))
    assert paired_p_value(np.zeros(10)) == 1.0
    low, high, p = paired_summary(d, 0.95)
    assert (low, high) == percentile_interval(d, 0.95) and p == paired_p_value(d)


def test_a_finding_renders_as_its_sentence_and_keeps_its_fields():
    import json
    import pickle

    from morelib.stats import Finding

    f = Finding("MORE is lower.", "ece_gap", estimate=-0.1, ci_low=-0.2, ci_high=-0.05,
                verdict="lower than")
    assert f == "MORE is lower." and repr(f) == repr("MORE is lower.")
    assert f"- {f}" == "- MORE is lower." and json.dumps([f]) == '["MORE is lower."]'
    back = pickle.loads(pickle.dumps(f))
    assert back.as_dict() == f.as_dict() and back.claim == "ece_gap"
    assert np.isnan(Finding("x").estimate) and Finding("x").claim == ""

"""Two-level (seed, pair) bootstrap, nested and crossed: variance formulas, coverage on synthetic
data of known variance, and the ECE form against per-seed ece() computed directly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from morelib.calibration import ece
from morelib.calibration.seed_bootstrap import (
    seed_pair_bootstrap,
    seed_pair_bootstrap_ece,
    seed_pair_ece_table,
    two_level_variance,
)


def synthetic(rng, n_seeds=10, n_pairs=40, mu=0.2, seed_sd=0.1, pair_sd=0.4):
    """values[s, p] = mu + a_s + e_sp: the grand mean's variance is
    seed_sd²/S + pair_sd²/(S·P)."""
    return (mu + rng.normal(0, seed_sd, (n_seeds, 1))
            + rng.normal(0, pair_sd, (n_seeds, n_pairs)))


def test_replicate_variance_matches_the_two_level_formula() -> None:
    values = synthetic(np.random.default_rng(0))
    res = seed_pair_bootstrap(values, n_boot=20000, seed=3)
    expected = two_level_variance(values)
    # sampling sd of a variance estimate from B draws ≈ var·sqrt(2/B) ≈ 1 % here
    assert abs(res.replicates.var() / expected - 1) < 0.05
    assert res.estimate == pytest.approx(values.mean())
    ragged = [values[0], values[1, :25], values[2, :7]]
    res = seed_pair_bootstrap(ragged, n_boot=20000, seed=4)
    assert abs(res.replicates.var() / two_level_variance(ragged) - 1) < 0.05
    assert res.estimate == pytest.approx(np.mean([r.mean() for r in ragged]))


@pytest.mark.parametrize("seed_sd, pair_sd", [(0.1, 0.4), (0.15, 0.1)])
def test_coverage_of_the_true_mean(seed_sd: float, pair_sd: float) -> None:
    rng = np.random.default_rng(1)
    n_rep, mu = 300, 0.2
    hits = pair_only_hits = 0
    for r in range(n_rep):
        values = synthetic(rng, mu=mu, seed_sd=seed_sd, pair_sd=pair_sd)
        res = seed_pair_bootstrap(values, n_boot=400, seed=r)
        hits += res.low <= mu <= res.high
        # the one-level pair bootstrap of the pooled pairs ignores the seed term
        flat = values.ravel()
        means = flat[rng.integers(0, flat.size, (400, flat.size))].mean(1)
        low, high = np.quantile(means, [0.025, 0.975])
        pair_only_hits += low <= mu <= high
    coverage = hits / n_rep
    # binomial sd of a 95 % coverage over 300 runs ≈ 1.3 %; S = 10 percentile intervals run a
    # little short, the doubled pair term a little long
    assert 0.89 <= coverage <= 0.995, coverage
    if seed_sd > pair_sd:  # where seeds dominate, pairs alone badly under-cover
        assert pair_only_hits / n_rep < 0.7


def test_ece_form_against_per_seed_ece() -> None:
    rng = np.random.default_rng(2)
    logit = rng.normal(0.35, 0.6, (5, 300))
    y = (rng.random(logit.shape) < expit(logit)).astype(float)
    other = logit * rng.uniform(1.5, 2.5, (5, 1))
    res = seed_pair_bootstrap_ece(logit, other, y, n_boot=500)
    direct = np.array([ece(a, labels=l) - ece(b, labels=l) for a, b, l in zip(logit, other, y)])
    assert np.allclose(res.per_seed, direct, atol=1e-12)
    assert res.estimate == pytest.approx(direct.mean())
    assert res.low < res.estimate < res.high and res.high < 0  # over-confident copies are worse
    single = seed_pair_bootstrap_ece(logit, labels=y, n_boot=500)
    assert single.estimate == pytest.approx(np.mean([ece(a, labels=l) for a, l in zip(logit, y)]))
    same = seed_pair_bootstrap_ece(logit, logit, y, n_boot=200)
    assert (same.estimate, same.low, same.high, same.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_seed_noise_widens_the_ece_interval() -> None:
    rng = np.random.default_rng(5)
    logit = rng.normal(0.35, 0.6, (8, 500))
    y = (rng.random(logit.shape) < expit(logit)).astype(float)
    calm = seed_pair_bootstrap_ece(logit, logit * 2.5, y, n_boot=400)
    scales = rng.uniform(1.0, 4.0, (8, 1))  # the second RM's calibration depends on the seed
    wild = seed_pair_bootstrap_ece(logit, logit * scales, y, n_boot=400)
    assert wild.high - wild.low > 1.5 * (calm.high - calm.low)


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="seeds"):
        seed_pair_bootstrap_ece([[1.0, 2.0]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="different pairs"):
        seed_pair_bootstrap_ece([[1.0, 2.0]], [[1.0]])
    with pytest.raises(ValueError, match="1-D"):
        seed_pair_bootstrap([[]])
    a = seed_pair_bootstrap([[1.0, 2.0], [3.0, 5.0]], n_boot=50, seed=7)
    assert a == seed_pair_bootstrap([[1.0, 2.0], [3.0, 5.0]], n_boot=50, seed=7)


def crossed_synthetic(rng, n_seeds=10, n_pairs=40, mu=0.2, seed_sd=0.05, pair_sd=0.3,
                      noise_sd=0.2):
    """x[s, p] = mu + a_s + c_p + e_sp: every seed scores the same pairs (c_p is shared);
    the grand mean's variance is seed_sd²/S + pair_sd²/P + noise_sd²/(S·P)."""
    return (mu + rng.normal(0, seed_sd, (n_seeds, 1)) + rng.normal(0, pair_sd, (1, n_pairs))
            + rng.normal(0, noise_sd, (n_seeds, n_pairs)))


def test_crossed_replicate_variance_matches_its_formula() -> None:
    values = crossed_synthetic(np.random.default_rng(8))
    res = seed_pair_bootstrap(values, n_boot=20000, seed=2, design="crossed")
    assert abs(res.replicates.var() / two_level_variance(values, "crossed") - 1) < 0.05
    # the nested formula misses the shared pair term
    assert two_level_variance(values, "crossed") > 3 * two_level_variance(values)


def test_crossed_design_covers_a_shared_test_set_and_nested_does_not() -> None:
    rng = np.random.default_rng(9)
    n_rep, mu = 300, 0.2
    crossed = nested = 0
    for r in range(n_rep):
        values = crossed_synthetic(rng, mu=mu)
        c = seed_pair_bootstrap(values, n_boot=400, seed=r, design="crossed")
        n = seed_pair_bootstrap(values, n_boot=400, seed=r)
        crossed += c.low <= mu <= c.high
        nested += n.low <= mu <= n.high
    assert 0.89 <= crossed / n_rep <= 0.995, crossed / n_rep
    assert nested / n_rep < 0.75, nested / n_rep


def test_crossed_ece_uses_one_pair_resample_for_all_seeds() -> None:
    rng = np.random.default_rng(4)
    logit = rng.normal(0.35, 0.6, (1, 300)).repeat(4, axis=0)   # four identical seeds
    y = (rng.random(logit.shape[1]) < expit(logit[0])).astype(float)
    labels = np.tile(y, (4, 1))
    per_seed, table = seed_pair_ece_table(logit, labels=labels, n_boot=50, design="crossed")
    assert np.allclose(table, table[0])          # same pairs drawn for every seed
    per_seed, table = seed_pair_ece_table(logit, labels=labels, n_boot=50)
    assert not np.allclose(table, table[0])
    with pytest.raises(ValueError, match="same number of pairs"):
        seed_pair_bootstrap([[1.0, 2.0], [3.0]], design="crossed")
    with pytest.raises(ValueError, match="design"):
        seed_pair_bootstrap([[1.0, 2.0]], design="both")

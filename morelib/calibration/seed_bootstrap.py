"""Two-level (seeds, then pairs) bootstrap: intervals that carry seed *and* test-pair variance.

A study trains S RMs (seeds) per scheme and scores each on test pairs. A statistic such as
ECE(MORE) − ECE(MultiTask) varies with the seed (data order, head init, training subset) and
with the finite test set. The estimate is the mean over seeds of the per-seed statistic on all
its pairs; the bootstrap resamples S seeds with replacement and pairs with replacement, in one
of two designs:

* ``"nested"`` (each seed has its own test pairs, e.g. a test split redrawn per seed): every
  seed drawn gets its own pair resample;
* ``"crossed"`` (every seed is scored on the *same* test pairs, as with one fixed test split):
  one pair resample per replicate, shared by all seeds drawn, because the test set's luck is
  common to all seeds and does not average out over them. Nested resampling of a shared test
  set under-states its variance (a test shows the under-coverage).

Implementation: each seed's pair bootstrap is run once (``n_boot`` resamples, vectorised as in
:mod:`morelib.calibration.bootstrap`; in the crossed design with the same pair indices for all
seeds), giving a [S, B] table R of per-seed replicates; replicate b of the study is the mean of
R[s_bj, r_bj] over j = 1..S with seeds s_bj drawn uniformly, and r_bj drawn uniformly (nested)
or r_bj = b (crossed).

**Variance** of the replicates for the mean of per-pair values x_sp (ddof 0, see
:func:`two_level_variance`, checked by a test): nested (1/S)·[var of seed means + mean
within-seed variance / P]; crossed var(seed means)/S + var(pair means)/P + var(residual)/(SP).
Both count the residual more than once, so intervals lean conservative where pair noise
dominates. Percentile intervals; p-value as in
:func:`~morelib.calibration.paired_bootstrap_ece`.

Example (per-pair differences of 10 seeds × 50 pairs with a true mean of 0.1):
    >>> rng = np.random.default_rng(0)
    >>> d = 0.1 + rng.normal(0, 0.05, (10, 1)) + rng.normal(0, 0.3, (10, 50))
    >>> res = seed_pair_bootstrap(d, n_boot=1000)
    >>> bool(res.low < 0.1 < res.high), res.n_seeds, res.n_pairs
    (True, 10, 500)
    >>> shared = d + rng.normal(0, 0.2, (1, 50))          # the same 50 test pairs for all seeds
    >>> crossed = seed_pair_bootstrap(shared, n_boot=1000, design="crossed")
    >>> nested = seed_pair_bootstrap(shared, n_boot=1000)
    >>> bool(crossed.high - crossed.low > 1.5 * (nested.high - nested.low))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from morelib.stats import paired_p_value, percentile_interval

from .bootstrap import _check, _pair_matrices, _replicates
from ._common import reduce_bins

Statistic = Callable[[np.ndarray], np.ndarray]
DESIGNS = ("nested", "crossed")


def _check_design(design: str, rows: Sequence[np.ndarray]) -> bool:
    """True for the crossed design (after checking every seed has the same number of pairs)."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    if design == "crossed" and len({r.size for r in rows}) > 1:
        raise ValueError("the crossed design scores every seed on the same pairs: all seeds "
                         "need the same number of pairs")
    return design == "crossed"


@dataclass(frozen=True)
class SeedPairBootstrapResult:
    """Mean over seeds of the per-seed statistic, its two-level percentile interval at level
    ``ci``, the two-sided p-value against 0, the per-seed estimates and the replicates."""

    estimate: float
    low: float
    high: float
    p_value: float
    ci: float
    n_seeds: int
    n_pairs: int
    n_boot: int
    per_seed: np.ndarray = field(repr=False, compare=False)
    replicates: np.ndarray = field(repr=False, compare=False)


def per_seed_arrays(values, name: str = "values") -> list[np.ndarray]:
    """A [S, P] array or a sequence of S 1-D arrays (lengths may differ) as a list of arrays.

    Example:
        >>> [len(a) for a in per_seed_arrays([[1, 2, 3], [4, 5]])]
        [3, 2]
    """
    if isinstance(values, np.ndarray) and values.ndim == 2:
        rows = list(values.astype(np.float64))
    else:
        rows = [np.asarray(v, dtype=np.float64) for v in values]
    if not rows or any(r.ndim != 1 or r.size == 0 for r in rows):
        raise ValueError(f"{name} must be [seeds, pairs] or a list of non-empty 1-D arrays")
    return rows


def combine_seed_replicates(per_seed: np.ndarray, table: np.ndarray, *, ci: float = 0.95,
                            seed: int = 0, n_pairs: int | None = None, crossed: bool = False
                            ) -> SeedPairBootstrapResult:
    """The two-level result from per-seed estimates [S] and per-seed pair replicates [S, B]
    (``crossed``: column b of every seed used the same pair resample).

    Example:
        >>> table = np.array([[0.0, 0.2], [1.0, 1.2]])     # two seeds, two pair resamples each
        >>> res = combine_seed_replicates(np.array([0.1, 1.1]), table)
        >>> round(res.estimate, 12), bool(0.0 <= res.low <= res.high <= 1.2)
        (0.6, True)
    """
    per_seed, table = np.asarray(per_seed, float), np.asarray(table, float)
    n_seeds, n_boot = table.shape
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
    draws = rng.integers(0, n_boot, size=(n_boot, n_seeds))
    if crossed:
        draws = np.broadcast_to(np.arange(n_boot)[:, None], (n_boot, n_seeds))
    replicates = table[seeds, draws].mean(axis=1)
    return SeedPairBootstrapResult(float(per_seed.mean()), *percentile_interval(replicates, ci),
                                   paired_p_value(replicates), ci, n_seeds,
                                   int(n_pairs if n_pairs is not None else 0), n_boot, per_seed,
                                   replicates)


def seed_pair_bootstrap(values, statistic: Statistic | None = None, *, n_boot: int = 2000,
                        ci: float = 0.95, seed: int = 0, design: str = "nested"
                        ) -> SeedPairBootstrapResult:
    """Two-level bootstrap of the mean over seeds of a per-seed statistic of per-pair values.

    Args:
        values: [S, P] (seed s, test pair p; e.g. per-pair differences MORE − MultiTask) or a
            list of S 1-D arrays (each seed its own test pairs).
        statistic: maps resampled values [B, P_s] to [B] along the last axis (default: mean).
        n_boot, ci, seed: resamples, interval level, RNG seed (results depend only on these and
            the data).
        design: ``"nested"`` (each seed its own pairs) or ``"crossed"`` (the same pairs for
            every seed; see the module docstring).

    Example:
        >>> rng = np.random.default_rng(1)
        >>> noisy = [rng.normal(0, 1, 40) for _ in range(8)]
        >>> res = seed_pair_bootstrap(noisy, n_boot=500)
        >>> bool(res.low < 0 < res.high), res.p_value > 0.05
        (True, True)
        >>> med = seed_pair_bootstrap(noisy, lambda x: np.median(x, axis=-1), n_boot=500)
        >>> bool(abs(med.estimate - np.mean([np.median(v) for v in noisy])) < 1e-12)
        True
    """
    _check(n_boot, ci, "ece")
    rows = per_seed_arrays(values)
    crossed = _check_design(design, rows)
    stat = statistic or (lambda x: x.mean(axis=-1))
    rng = np.random.default_rng(seed)
    table = np.empty((len(rows), int(n_boot)))
    shared = rng.integers(0, rows[0].size, size=(int(n_boot), rows[0].size)) if crossed else None
    for s, row in enumerate(rows):
        idx = shared if crossed else rng.integers(0, row.size, size=(int(n_boot), row.size))
        table[s] = stat(row[idx])
    per_seed = np.array([float(stat(row[None, :])[0]) for row in rows])
    return combine_seed_replicates(per_seed, table, ci=ci, seed=int(rng.integers(2**32)),
                                   n_pairs=sum(r.size for r in rows), crossed=crossed)


def seed_pair_ece_table(margins_a, margins_b=None, labels=None, *, n_bins: int = 10,
                        n_boot: int = 2000, seed: int = 0, metric: str = "ece",
                        design: str = "nested") -> tuple[np.ndarray, np.ndarray]:
    """(per-seed ECE or ECE(A) − ECE(B) [S], per-seed pair-bootstrap replicates [S, B]): the
    first level of :func:`seed_pair_bootstrap_ece`. Tables of several test sets scored by the
    same seeds may be averaged element-wise (independent pair resamples per test set) and
    passed to :func:`combine_seed_replicates`.

    Example:
        >>> est, table = seed_pair_ece_table([[2.0, -1.0], [0.5, 0.5]], n_boot=4)
        >>> table.shape, bool(np.allclose(est, [0.4251, 0.3775], atol=1e-4))
        ((2, 4), True)
    """
    how = _check(n_boot, 0.95, metric)
    a = per_seed_arrays(margins_a, "margins_a")
    b = None if margins_b is None else per_seed_arrays(margins_b, "margins_b")
    y = [None] * len(a) if labels is None else per_seed_arrays(labels, "labels")
    if (b is not None and len(b) != len(a)) or len(y) != len(a):
        raise ValueError("margins_a, margins_b and labels must have the same number of seeds")
    crossed = _check_design(design, a)
    rng = np.random.default_rng(seed)
    shared = int(rng.integers(2**32))  # crossed: every seed resamples the same pair indices
    table = np.empty((len(a), int(n_boot)))
    per_seed = np.empty(len(a))
    for s in range(len(a)):
        mats = [_pair_matrices(a[s], y[s], n_bins)]
        if b is not None:
            if b[s].shape != a[s].shape:
                raise ValueError(f"seed {s}: margins_a and margins_b score different pairs")
            mats.append(_pair_matrices(b[s], y[s], n_bins))
        est = [float(reduce_bins(c.sum(0), g.sum(0), how)) for g, c in mats]
        reps = _replicates(mats, int(n_boot), shared if crossed else int(rng.integers(2**32)),
                           how)
        per_seed[s] = est[0] - (est[1] if b is not None else 0.0)
        table[s] = reps[0] - (reps[1] if b is not None else 0.0)
    return per_seed, table


def seed_pair_bootstrap_ece(margins_a, margins_b=None, labels=None, *, n_bins: int = 10,
                            n_boot: int = 2000, ci: float = 0.95, seed: int = 0,
                            metric: str = "ece", design: str = "nested"
                            ) -> SeedPairBootstrapResult:
    """Two-level bootstrap of the paper's ECE (``metric``: ece, ace, mce), or of the paired
    difference ECE(A) − ECE(B) when ``margins_b`` is given, over seeds and test pairs.

    ``margins_a[s]`` (and ``margins_b[s]``, ``labels[s]``) score seed s's test pairs: [S, P]
    arrays or lists of S arrays. Seed s of A is paired with seed s of B (same data order, init
    and training subset), and within a seed both are resampled with the same pair indices.
    ``design="crossed"`` when all seeds score the same test pairs (module docstring).

    Example: a 3× over-confident copy is worse on every seed, beyond seed and pair noise:
        >>> from scipy.special import expit
        >>> rng = np.random.default_rng(0)
        >>> logit = rng.normal(0.3, 1.0, (6, 400))
        >>> y = (rng.random(logit.shape) < expit(logit)).astype(float)
        >>> res = seed_pair_bootstrap_ece(logit, 3 * logit, y, n_boot=300)
        >>> bool(res.high < 0 and res.p_value < 0.01), res.n_seeds
        (True, 6)
    """
    _check(n_boot, ci, metric)
    rng = np.random.default_rng(seed)
    per_seed, table = seed_pair_ece_table(margins_a, margins_b, labels, n_bins=n_bins,
                                          n_boot=n_boot, seed=int(rng.integers(2**32)),
                                          metric=metric, design=design)
    n_pairs = sum(v.size for v in per_seed_arrays(margins_a, "margins_a"))
    return combine_seed_replicates(per_seed, table, ci=ci, seed=int(rng.integers(2**32)),
                                   n_pairs=n_pairs, crossed=design == "crossed")


def two_level_variance(values, design: str = "nested") -> float:
    """The bootstrap variance of the grand mean of per-pair values (ddof 0) in ``design``:
    nested (1/S)·(var of seed means + mean over seeds of within-seed variance / P_s); crossed
    var(seed means)/S + var(pair means)/P + var(residuals)/(S·P).

    Example:
        >>> x = np.array([[0.0, 2.0], [2.0, 4.0]])
        >>> two_level_variance(x), two_level_variance(x, "crossed")   # (1 + 1/2)/2; 1/2 + 1/2
        (0.75, 1.0)
    """
    rows = per_seed_arrays(values)
    if _check_design(design, rows):
        x = np.stack(rows)
        seeds, pairs = x.mean(1), x.mean(0)
        resid = x - seeds[:, None] - pairs[None, :] + x.mean()
        return float(seeds.var() / x.shape[0] + pairs.var() / x.shape[1]
                     + (resid ** 2).mean() / x.size)
    means = np.array([r.mean() for r in rows])
    within = np.array([r.var() / r.size for r in rows])
    return float((means.var() + within.mean()) / len(rows))


__all__: Sequence[str] = ("SeedPairBootstrapResult", "combine_seed_replicates",
                          "per_seed_arrays", "seed_pair_bootstrap", "seed_pair_bootstrap_ece",
                          "seed_pair_ece_table",
                          "two_level_variance")

"""Intervals of a probe study, all from ONE two-level bootstrap per (seeds, test sets, seed).

Every scheme of a study (and of its ablations) trains seed s on the same training subset and
init and scores the same test pairs, so a contrast ECE(A) − ECE(B) between any two of them gets
the crossed two-level bootstrap of :mod:`morelib.calibration.seed_bootstrap`. Here every
contrast with the same ``seed``, ``n_boot`` and number of seeds resamples the *same* seeds and
the *same* test pairs, replicate for replicate, so intervals of different contrasts are
comparable and additive: replicate b of (A − C) is replicate b of (A − B) plus that of (B − C).
Seed-level quantities (λ dispersion) use the same seed draws (:func:`seed_interval`).

:func:`hh_contrast` is claim C6's statistic: the mean over the H&H test sets of each seed's
ECE(A) − ECE(B), averaged over seeds. :func:`statistic_contrast` is the same design for any
per-seed statistic of several heads' margins on a test set (C1's accuracies, C5's outliers).

Example (2 test sets, 4 seeds × 50 pairs; B is A made over-confident):
    >>> rng = np.random.default_rng(0)
    >>> a = {t: rng.normal(0.3, 1.0, (4, 50)) for t in ("helpful", "harmless")}
    >>> b = {t: 3 * m for t, m in a.items()}
    >>> ab = hh_contrast(a, b, n_boot=200)
    >>> ba = hh_contrast(b, a, n_boot=200)
    >>> bool(np.allclose(ab.replicates, -ba.replicates)), ab.n_seeds, ab.n_pairs
    (True, 4, 100)
    >>> est, low, high = seed_interval(np.array([0.1, 0.2, 0.3, 0.4]), n_boot=200)
    >>> round(est, 6), bool(0.1 <= low <= est <= high <= 0.4)
    (0.25, True)
"""

from __future__ import annotations

import warnings
from typing import Callable, Mapping, Sequence

import numpy as np

from morelib.calibration.seed_bootstrap import (
    SeedPairBootstrapResult,
    combine_seed_replicates,
    seed_pair_ece_table,
)
from morelib.stats.weighted import resample_counts


def hh_contrast(margins_a: Mapping[str, np.ndarray], margins_b: Mapping[str, np.ndarray], *,
                n_boot: int = 2000, seed: int = 0, ci: float = 0.95) -> SeedPairBootstrapResult:
    """Two-level (crossed) interval of the mean over test sets of ECE(A) − ECE(B).

    ``margins_a[t]``, ``margins_b[t]``: [S, N_t] margins of seed s on test set t (seed s of A
    paired with seed s of B). Test set i's pairs are resampled with seed ``seed + 17·i``, the
    seeds with ``seed + 1``: the same for every call with these arguments' shapes.
    """
    tests = list(margins_a)
    if set(tests) != set(margins_b):
        raise ValueError(f"test sets differ: {sorted(margins_a)} vs {sorted(margins_b)}")
    parts = [seed_pair_ece_table(margins_a[t], margins_b[t], n_boot=n_boot, seed=seed + 17 * i,
                                 design="crossed") for i, t in enumerate(tests)]
    per_seed = np.mean([p[0] for p in parts], axis=0)
    table = np.mean([p[1] for p in parts], axis=0)
    n_pairs = sum(np.asarray(margins_a[t]).shape[-1] for t in tests)
    return combine_seed_replicates(per_seed, table, ci=ci, seed=seed + 1, n_pairs=n_pairs,
                                   crossed=True)


def seed_interval(per_seed: np.ndarray, *, n_boot: int = 2000, seed: int = 0, ci: float = 0.95
                  ) -> tuple[float, float, float]:
    """(mean, low, high) over seeds of a per-seed quantity [S], resampling seeds exactly as
    :func:`hh_contrast` with the same ``seed`` and ``n_boot`` does (no test-pair level)."""
    values = np.asarray(per_seed, dtype=float)
    table = np.repeat(values[:, None], int(n_boot), axis=1)
    res = combine_seed_replicates(values, table, ci=ci, seed=seed + 1, crossed=True)
    return res.estimate, res.low, res.high


def statistic_contrast(margins: Mapping[str, np.ndarray],
                       statistic: Callable[[np.ndarray, np.ndarray], np.ndarray], *,
                       n_boot: int = 2000, seed: int = 0, ci: float = 0.95
                       ) -> SeedPairBootstrapResult:
    """Two-level (crossed) interval of the mean over test sets of a per-seed ``statistic``.

    ``margins[t]``: [S, H, N_t] margins of seed s's head h on test set t's N_t pairs (every head
    and seed on the same pairs). ``statistic(x, w)`` maps one seed's margins x [H, N] and R
    weightings of its pairs w [R, N] (a bootstrap resample as the multiplicity of each pair,
    :func:`morelib.stats.weighted.resample_counts`; all ones for the estimate) to R values, e.g.
    head 0's accuracy minus head 1's. Test set i's pairs are resampled with seed ``seed + 17·i``
    (one resample per replicate, shared by seeds and heads), the seeds with ``seed + 1`` as in
    :func:`hh_contrast` (whose pair resamples are drawn differently, inside the ECE bootstrap). NaN statistics (say, no outliers in a
    resample) are left out of the mean over test sets.

    Example (head 0 right on 80 % of the pairs, head 1 on 50 %; 3 seeds × 200 pairs):
        >>> rng = np.random.default_rng(0)
        >>> m = {"t": np.stack([np.stack([np.where(rng.random(200) < p, 1.0, -1.0)
        ...                               for p in (0.8, 0.5)]) for _ in range(3)])}
        >>> def gap(x, w):
        ...     acc = w @ (x > 0).T / w.sum(axis=1, keepdims=True)
        ...     return acc[:, 0] - acc[:, 1]
        >>> res = statistic_contrast(m, gap, n_boot=300)
        >>> bool(0.2 < res.estimate < 0.4 and res.low < res.estimate < res.high), res.n_pairs
        (True, 200)
    """
    tests = list(margins)
    per_seed, tables = [], []
    for i, t in enumerate(tests):
        x = np.asarray(margins[t], dtype=float)
        if x.ndim != 3:
            raise ValueError(f"margins[{t!r}] must be [seeds, heads, pairs], got {x.shape}")
        counts = resample_counts(x.shape[2], n_boot, seed + 17 * i)
        ones = np.ones((1, x.shape[2]), dtype=counts.dtype)
        per_seed.append([float(statistic(x[s], ones)[0]) for s in range(x.shape[0])])
        tables.append([statistic(x[s], counts) for s in range(x.shape[0])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column NaN in every test set stays NaN
        seed_values = np.nanmean(np.array(per_seed, dtype=float), axis=0)
        table = np.nanmean(np.array(tables, dtype=float), axis=0)
    n_pairs = sum(np.asarray(margins[t]).shape[-1] for t in tests)
    return combine_seed_replicates(seed_values, table, ci=ci, seed=seed + 1, n_pairs=n_pairs,
                                   crossed=True)


def _accuracy(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    credit = (x[0] > 0) + 0.5 * (x[0] == 0)
    return (w @ credit) / w.sum(axis=1)


def accuracy_interval(margins: Mapping[str, np.ndarray], *, n_boot: int = 2000, seed: int = 0,
                      ci: float = 0.95) -> SeedPairBootstrapResult:
    """Held-out accuracy (a tie counts half) of one scheme's heads, mean over seeds and test
    sets, with the crossed interval of :func:`statistic_contrast` (the same draws).

    ``margins[t]``: [S, N_t] margins of seed s on test set t.

    Example:
        >>> m = {"t": np.tile(np.array([1.0, 1.0, 1.0, -1.0]), (3, 25))}   # 75 % right
        >>> res = accuracy_interval(m, n_boot=200)
        >>> res.estimate, bool(res.low < 0.75 < res.high)
        (0.75, True)
    """
    return statistic_contrast({t: np.asarray(m, dtype=float)[:, None, :]
                               for t, m in margins.items()}, _accuracy, n_boot=n_boot,
                              seed=seed, ci=ci)


def weakest(results: Sequence[SeedPairBootstrapResult]) -> tuple[float, float, float]:
    """(estimate, low, high) of the least accurate of several :func:`accuracy_interval` results:
    the competence of a comparison is that of its weakest RM."""
    res = min(results, key=lambda r: r.estimate)
    return float(res.estimate), float(res.low), float(res.high)

"""Bootstrap replicates over resampled units (pairs, prompts), and the records that hold them.

Resampling draws the N units with replacement, B times, from ``numpy.random.default_rng(seed)``,
so results depend only on the seed, B and N. Intervals from the replicates:
:func:`~morelib.stats.intervals.percentile_interval`; paired tests:
:mod:`~morelib.stats.paired`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class BootstrapResult:
    """Point estimate, percentile interval [low, high] at level ``ci``, and the replicates."""

    estimate: float
    low: float
    high: float
    ci: float
    n_boot: int
    replicates: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class PairedBootstrapResult:
    """difference = metric(A) - metric(B) on the original units, its interval and p-value."""

    difference: float
    low: float
    high: float
    p_value: float
    estimate_a: float
    estimate_b: float
    ci: float
    n_boot: int
    replicates: np.ndarray = field(repr=False, compare=False)


def bootstrap_accuracy(margins, n_boot: int, seed: int = 0) -> np.ndarray:
    """``n_boot`` replicates of the accuracy of ``margins`` (Δr > 0 right, a tie Δr = 0 earns
    half credit) over pairs resampled with replacement; one [n_boot, N] index draw.

    Example (the same draw by hand):
        >>> m = np.array([1.0, -0.5, 0.0, 2.0])
        >>> reps = bootstrap_accuracy(m, 5, seed=3)
        >>> idx = np.random.default_rng(3).integers(0, 4, size=(5, 4))
        >>> bool(np.array_equal(reps, np.array([1.0, 0.0, 0.5, 1.0])[idx].mean(axis=1)))
        True
    """
    m = np.asarray(margins, dtype=np.float64)
    credit = (m > 0) + 0.5 * (m == 0)
    idx = np.random.default_rng(seed).integers(0, len(m), size=(n_boot, len(m)))
    return credit[idx].mean(axis=1)


def bootstrap_columns(data, statistic: Callable[[np.ndarray], object], n_boot: int,
                      seed: int = 0) -> np.ndarray:
    """Replicates ``statistic(data[..., idx])`` with the last axis (the units, e.g. prompts,
    shared by every row) resampled with replacement: one ``integers(0, N, N)`` draw per
    replicate. Shape ``[n_boot, *shape of the statistic]``.

    Example (a correlation between two rows over resampled columns):
        >>> x = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 5.0]])
        >>> r = bootstrap_columns(x, lambda d: np.corrcoef(d)[0, 1], n_boot=3, seed=0)
        >>> rng = np.random.default_rng(0)
        >>> by_hand = [np.corrcoef(x[:, rng.integers(0, 4, 4)])[0, 1] for _ in range(3)]
        >>> bool(np.allclose(r, by_hand, equal_nan=True)), r.shape
        (True, (3,))
    """
    data = np.asarray(data)
    n = data.shape[-1]
    rng = np.random.default_rng(seed)
    return np.array([statistic(data[..., rng.integers(0, n, n)]) for _ in range(n_boot)])

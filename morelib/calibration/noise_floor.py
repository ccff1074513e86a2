"""The ECE a perfectly calibrated RM would score: the estimator's own noise floor.

The paper's ECE is a sum of absolute per-bin gaps, so even an RM whose σ(margin) is exactly the
probability that the first response wins scores ECE > 0 on a finite test set: the labels are
coin flips. :func:`ece_noise_floor` draws labels y ~ Bernoulli(σ(m)) for the *given* margins
(``n_draws`` times, as one [D, N] array) and computes the paper's symmetric ECE of every draw
with the binning of :mod:`morelib.calibration` (uniform right-closed bins, both orderings of
each pair). An ECE, or an ECE difference between two RMs, that is not well above this floor
cannot be told from a calibrated RM's.

Vectorised: each pair puts its two entries (σ(m), y) and (σ(−m), 1 − y) in bins fixed by m
alone, with signed gaps +(σ(m) − y) and −(σ(m) − y); so the per-bin signed sums of all draws are
one [D, N] × [N, n_bins] product.

Example (the issue's numbers: normal(0.35, 0.6) margins, 10 bins):
    >>> import numpy as np
    >>> m = np.random.default_rng(0).normal(0.35, 0.6, 100)
    >>> floor = ece_noise_floor(m, n_draws=2000)
    >>> round(floor.mean, 2), floor.n_pairs, bool(floor.mean < floor.q95)
    (0.07, 100, True)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit

from ._common import as_margins, assign_bins, bin_edges, reduce_bins

_CHUNK_ELEMENTS = 1 << 22  # label draws held at once


class NoiseFloor(NamedTuple):
    """ECE of a calibrated RM with the given margins: mean, sd and 95 % quantile over draws."""

    mean: float
    sd: float
    q95: float
    n_pairs: int
    n_draws: int
    n_bins: int


def pair_bin_matrix(margins, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(A [N, n_bins], count [n_bins]): A[i] = +1 in the bin of σ(m_i), −1 in the bin of σ(−m_i)
    (0 where both fall in one bin), so the symmetric ECE's per-bin signed sums of
    (confidence − label) are ``(σ(m) − y) @ A``; ``count`` holds the 2N entries per bin.

    Example:
        >>> A, count = pair_bin_matrix([2.0, 0.0], n_bins=10)
        >>> A.tolist()[0], count.tolist()       # σ(2) = 0.88, σ(−2) = 0.12; the tie: (0.4, 0.5]
        ([0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0, 1, 0, 0, 2, 0, 0, 0, 1, 0])
    """
    m = as_margins(margins)
    edges = bin_edges(np.empty(0), n_bins, "uniform")
    up, down = assign_bins(expit(m), edges), assign_bins(expit(-m), edges)
    A = np.zeros((m.size, len(edges) - 1))
    rows = np.arange(m.size)
    np.add.at(A, (rows, up), 1.0)
    np.add.at(A, (rows, down), -1.0)
    count = np.bincount(np.concatenate([up, down]), minlength=len(edges) - 1)
    return A, count


def ece_of_label_draws(margins, labels: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """The paper's ECE of ``margins`` against each row of ``labels`` ([D, N] in [0, 1]): [D].

    Equals :func:`morelib.calibration.ece` (``labels=row``) row by row.

    Example:
        >>> from morelib.calibration import ece
        >>> m, y = np.array([1.0, -0.5, 2.0]), np.array([[1, 0, 1], [0, 1, 1.0]])
        >>> got = ece_of_label_draws(m, y)
        >>> bool(np.allclose(got, [ece(m, labels=row) for row in y]))
        True
    """
    m = as_margins(margins)
    y = np.asarray(labels, dtype=np.float64)
    if y.ndim != 2 or y.shape[1] != m.size:
        raise ValueError(f"labels must be [D, {m.size}], got {y.shape}")
    A, count = pair_bin_matrix(m, n_bins)
    return reduce_bins(count, (expit(m) - y) @ A, "l1")


def ece_noise_floor(margins, n_bins: int = 10, n_draws: int = 1000,
                    seed: int = 0) -> NoiseFloor:
    """Mean, sd and 95 % quantile of the paper's ECE that a perfectly calibrated RM with these
    ``margins`` scores when labels are drawn from σ(margin) (``n_draws`` draws, seeded).

    It shrinks about as 1/√N with the number of pairs N (see the module docstring).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> small = ece_noise_floor(rng.normal(0.35, 0.6, 100), n_draws=500)
        >>> large = ece_noise_floor(rng.normal(0.35, 0.6, 2500), n_draws=500)
        >>> 3.5 < small.mean / large.mean < 6.5        # √25 = 5
        True
        >>> ece_noise_floor([0.0, 0.0]).mean             # ties: σ = 1/2 is always calibrated
        0.0
    """
    if int(n_draws) != n_draws or n_draws < 2:
        raise ValueError(f"n_draws must be an integer >= 2, got {n_draws!r}")
    m = as_margins(margins)
    A, count = pair_bin_matrix(m, n_bins)
    p = expit(m)
    rng = np.random.default_rng(seed)
    values = np.empty(int(n_draws))
    chunk = max(1, _CHUNK_ELEMENTS // m.size)
    for start in range(0, int(n_draws), chunk):
        rows = min(chunk, int(n_draws) - start)
        y = (rng.random((rows, m.size)) < p).astype(np.float64)
        values[start:start + rows] = reduce_bins(count, (p - y) @ A, "l1")
    return NoiseFloor(float(values.mean()), float(values.std(ddof=1)),
                      float(np.quantile(values, 0.95)), int(m.size), int(n_draws), int(n_bins))

"""Bootstrap intervals for the paper's ECE (and ACE/MCE), and a paired test between two RMs.

Vectorised: the B resamples are drawn as a [B, N] array of pair indices and turned, with one
``bincount`` over row-offset indices, into a [B, N] matrix W of how often each pair is drawn.
Each pair's contribution to the per-bin sums of (confidence - label) and counts is a sparse
[N, n_bins] matrix (two entries per pair: both orderings), so all per-bin sums of all resamples
are ``W @ A``. Resamples are processed in chunks to bound memory; results depend only on the
seed, B and N.

**Method.** Percentile intervals (:func:`morelib.stats.percentile_interval`): the
(alpha/2, 1 - alpha/2) quantiles of the B replicates. Paired test: both RMs are resampled with
the *same* pair indices; the two-sided p-value of the replicate differences metric(A) - metric(B)
is :func:`morelib.stats.paired_p_value` (twice the smaller tail mass beyond 0, +1 corrected).
Identical RMs give d* = 0 everywhere and p = 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._common import (
    as_labels,
    as_margins,
    assign_bins,
    bin_edges,
    check_choice,
    entries,
    reduce_bins,
)
from ..stats import BootstrapResult, PairedBootstrapResult, paired_p_value, percentile_interval

__all__ = ["BootstrapResult", "PairedBootstrapResult", "bootstrap_ece", "paired_bootstrap_ece"]

_METRICS = {"ece": "l1", "ace": "ace", "mce": "max"}
_CHUNK_ELEMENTS = 1 << 23  # resampled indices held at once


def _pair_matrices(margins, labels, n_bins):
    """Per-pair [N, n_bins] contributions to the bin sums of (p - y) and to the bin counts."""
    m = as_margins(margins)
    y = as_labels(labels, m.size)
    edges = bin_edges(np.empty(0), n_bins, "uniform")
    conf, lab = entries(m, y, "symmetric")  # orderings stacked: pair i at rows i and N + i
    cell = np.tile(np.arange(m.size) * n_bins, 2) + assign_bins(conf, edges)
    size = m.size * n_bins
    signed = np.bincount(cell, weights=conf - lab, minlength=size)
    count = np.bincount(cell, minlength=size).astype(np.float64)
    return signed.reshape(m.size, n_bins), count.reshape(m.size, n_bins)


def _replicates(mats, n_boot, seed, how):
    """Metric of every resample for each (signed, count) pair of matrices; shape [len(mats), B]."""
    n = mats[0][0].shape[0]
    rng = np.random.default_rng(seed)
    out = np.empty((len(mats), n_boot))
    chunk = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(rows, n))
        idx += (np.arange(rows) * n)[:, None]
        w = np.bincount(idx.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float64)
        for k, (signed, count) in enumerate(mats):
            out[k, start : start + rows] = reduce_bins(w @ count, w @ signed, how)
    return out


def _check(n_boot, ci, metric):
    if int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must lie in (0, 1), got {ci!r}")
    return _METRICS[check_choice(metric, tuple(_METRICS), "metric")]




def bootstrap_ece(
    margins,
    labels=None,
    *,
    n_bins: int = 10,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    metric: str = "ece",
) -> BootstrapResult:
    """Percentile bootstrap interval of the paper's ECE (``metric``: ece, ace or mce; uniform bins).

    Pairs are resampled (both orderings of a pair move together). Deterministic per ``seed``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> m = rng.normal(1.0, 2.0, 500)
        >>> res = bootstrap_ece(m, n_boot=200, seed=1)
        >>> res.low <= res.estimate <= res.high
        True
        >>> bootstrap_ece(m, n_boot=200, seed=1) == res   # same seed, same interval
        True
    """
    how = _check(n_boot, ci, metric)
    signed, count = _pair_matrices(margins, labels, n_bins)
    estimate = float(reduce_bins(count.sum(0), signed.sum(0), how))
    reps = _replicates([(signed, count)], int(n_boot), seed, how)[0]
    return BootstrapResult(estimate, *percentile_interval(reps, ci), ci, int(n_boot), reps)


def paired_bootstrap_ece(
    margins_a,
    margins_b,
    labels=None,
    *,
    n_bins: int = 10,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    metric: str = "ece",
) -> PairedBootstrapResult:
    """Paired bootstrap test of ECE(A) - ECE(B) for two RMs scored on the same pairs.

    ``margins_a[i]`` and ``margins_b[i]`` must score the same pair ``i`` (same ``labels``).
    Both are resampled with the same indices; see the module docstring for the p-value.

    Example: an RM is never distinguishable from itself; a 3x over-confident copy is worse:
        >>> rng = np.random.default_rng(0)
        >>> logit = rng.normal(0.0, 1.5, 2000)
        >>> y = (rng.random(2000) < expit(logit)).astype(float)
        >>> same = paired_bootstrap_ece(logit, logit, y, n_boot=200)
        >>> same.difference, same.p_value
        (0.0, 1.0)
        >>> worse = paired_bootstrap_ece(logit, 3 * logit, y, n_boot=200)
        >>> bool(worse.difference < 0 and worse.high < 0 and worse.p_value < 0.01)
        True
    """
    how = _check(n_boot, ci, metric)
    a = _pair_matrices(margins_a, labels, n_bins)
    b = _pair_matrices(margins_b, labels, n_bins)
    if a[0].shape != b[0].shape:
        raise ValueError("margins_a and margins_b must score the same pairs (same length)")
    est_a, est_b = (float(reduce_bins(c.sum(0), s.sum(0), how)) for s, c in (a, b))
    reps_a, reps_b = _replicates([a, b], int(n_boot), seed, how)
    diff = reps_a - reps_b
    return PairedBootstrapResult(
        est_a - est_b, *percentile_interval(diff, ci), paired_p_value(diff), est_a, est_b, ci, int(n_boot),
        diff,
    )

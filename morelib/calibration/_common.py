"""Shared plumbing: input checks, the sigmoid, bin edges, the authors' bin rule and per-bin sums.

Conventions used by every function of :mod:`morelib.calibration`:

* ``margins[i] = r(first) - r(second)`` of pair ``i`` (usually ``r(chosen) - r(rejected)``);
  the confidence that the first response wins is ``sigmoid(margin)`` (no temperature).
* ``labels[i]`` is 1 when the first response is preferred, 0 when the second is; ``None`` means
  all ones (margins already oriented as chosen minus rejected). Labels may also be probabilities
  in [0, 1] (soft labels, e.g. a simulator's true preference probability).
* A bin holds the values in ``(lower, upper]``: a value's bin is the number of *inner* edges
  strictly below it, so a value on an edge goes to the lower bin (the authors' rule); 0 goes to
  the first bin.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

NORMS = ("l1", "l2", "max")
BINNINGS = ("uniform", "quantile")
FORMS = ("symmetric", "top_label")


def _to_numpy(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a torch tensor (any dtype, device, requires_grad)
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def as_margins(margins, name: str = "margins") -> np.ndarray:
    """``margins`` (array-like or torch tensor) as a 1-D float64 array; raises on wrong shape,
    empty input or NaN."""
    m = _to_numpy(margins)
    if m.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {m.shape}")
    if m.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(m).any():
        raise ValueError(f"{name} contains NaN")
    return m


def as_labels(labels, n: int, name: str = "labels") -> np.ndarray:
    """``labels`` as float64 values in [0, 1] of length ``n`` (all ones when ``None``)."""
    if labels is None:
        return np.ones(n)
    y = _to_numpy(labels)
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {y.shape}")
    if not ((y >= 0.0) & (y <= 1.0)).all():  # also rejects NaN
        raise ValueError(f"{name} must lie in [0, 1]")
    return y


def check_choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def correctness(m: np.ndarray, y: np.ndarray, tie_credit: float = 0.5) -> np.ndarray:
    """Per-pair credit of the prediction "first wins iff margin > 0": ``y`` if m > 0, ``1 - y`` if
    m < 0, ``tie_credit`` if m == 0 (expected correctness for soft labels)."""
    return np.where(m > 0, y, np.where(m < 0, 1.0 - y, tie_credit))


def entries(m: np.ndarray, y: np.ndarray, form: str = "symmetric", tie_credit: float = 0.5):
    """(confidences, labels) of the binned entries.

    ``symmetric`` (the paper's code): every pair gives two entries, (sigmoid(m), y) and
    (sigmoid(-m), 1 - y). ``top_label``: one entry per pair, (sigmoid(|m|), correctness).
    """
    check_choice(form, FORMS, "form")
    if form == "symmetric":
        return np.concatenate([expit(m), expit(-m)]), np.concatenate([y, 1.0 - y])
    return expit(np.abs(m)), correctness(m, y, tie_credit)


def bin_edges(conf: np.ndarray, n_bins: int, binning: str = "uniform") -> np.ndarray:
    """``n_bins + 1`` edges: ``linspace(0, 1)`` (uniform) or the confidences' quantiles at
    ``linspace(0, 1)`` (``np.quantile``, linear interpolation; equal mass up to ties), with the
    outer edges set to 0 and 1."""
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    n_bins = int(n_bins)
    check_choice(binning, BINNINGS, "binning")
    if binning == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.quantile(conf, np.linspace(0.0, 1.0, n_bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return edges


def assign_bins(conf: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index = number of inner edges strictly below the value (edge values go down)."""
    return np.searchsorted(edges[1:-1], conf, side="left")


def bin_sums(conf: np.ndarray, labels: np.ndarray, edges: np.ndarray):
    """Per-bin (count, sum of confidences, sum of labels)."""
    n = len(edges) - 1
    idx = assign_bins(conf, edges)
    return (
        np.bincount(idx, minlength=n),
        np.bincount(idx, weights=conf, minlength=n),
        np.bincount(idx, weights=labels, minlength=n),
    )


def reduce_bins(count, signed_sum, norm: str):
    """Calibration error from per-bin counts and sums of (confidence - label), last axis = bins.

    ``l1`` (ECE) = sum |S_b| / N; ``l2`` = sqrt(sum n_b/N * gap_b^2); ``max`` (MCE) = max gap;
    ``ace`` = unweighted mean gap over non-empty bins; gap_b = |S_b| / n_b.
    """
    count = np.asarray(count, dtype=np.float64)
    diff = np.abs(signed_sum)
    total = count.sum(axis=-1)
    if norm == "l1":
        return diff.sum(axis=-1) / total
    nonempty = count > 0
    gap = np.divide(diff, count, out=np.zeros_like(diff), where=nonempty)
    if norm == "l2":
        return np.sqrt((count * gap**2).sum(axis=-1) / total)
    if norm == "max":
        return gap.max(axis=-1)
    if norm == "ace":
        return gap.sum(axis=-1) / nonempty.sum(axis=-1)
    raise ValueError(f"unknown norm {norm!r}")

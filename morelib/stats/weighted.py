"""Statistics of weighted samples: a bootstrap resample as multiplicities, not as a copy.

A bootstrap resample of n values is the same values taken with multiplicities w (a row of
:func:`resample_counts`, summing to n). Statistics written for weights evaluate many resamples
at once without building them: ``W @ values`` for a mean, cumulative weights for order
statistics. With ``w = 1`` they are the plain statistic of the values.

* :func:`resample_counts`: the multiplicities of ``n_boot`` resamples drawn as
  ``rng.integers(0, n, (n_boot, n))``;
* :func:`weighted_quantile`: numpy's default (linear) quantile of each weighted sample;
* :func:`weighted_outlier_mean`: Tables 4–6's mean |Δr| of the box-plot outliers (1.5 × IQR,
  the rule applied to each sign separately), per weighted sample.

Example (three resamples of four values):
    >>> values = np.array([-3.0, 1.0, 2.0, 10.0])
    >>> w = resample_counts(4, 3, seed=0)
    >>> w.sum(axis=1).tolist()
    [4, 4, 4]
    >>> resampled = [np.repeat(values, row) for row in w]
    >>> bool(np.allclose(weighted_quantile(values, w, 0.5), [np.median(r) for r in resampled]))
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["resample_counts", "weighted_outlier_mean", "weighted_quantile"]


def resample_counts(n: int, n_boot: int, seed: int) -> np.ndarray:
    """[n_boot, n] multiplicities of the resamples ``default_rng(seed).integers(0, n,
    (n_boot, n))`` (row b: how often each of the n values is drawn in resample b).

    Example:
        >>> idx = np.random.default_rng(5).integers(0, 3, (2, 3))
        >>> resample_counts(3, 2, seed=5).tolist() == [np.bincount(r, minlength=3).tolist() for r in idx]
        True
    """
    idx = np.random.default_rng(seed).integers(0, n, size=(int(n_boot), int(n)))
    flat = idx + int(n) * np.arange(int(n_boot))[:, None]
    return np.bincount(flat.ravel(), minlength=int(n_boot) * int(n)).reshape(int(n_boot), int(n))


class _Sorted:
    """Weighted samples of the same ``values``, sorted once: the sorted values ``sv`` [n] and,
    per row, the cumulative weights ``cw`` and weighted |values| ``cv`` [R, n + 1] (leading 0).
    Any contiguous run ``[a, b)`` of sorted values (one sign, say) is a sample of its own."""

    def __init__(self, values: np.ndarray, weights: np.ndarray):
        order = np.argsort(values, kind="stable")
        self.sv = values[order]
        w = weights[:, order]
        rows, n = w.shape
        self.cw = np.zeros((rows, n + 1))
        np.cumsum(w, axis=1, out=self.cw[:, 1:])
        self.cv = np.zeros((rows, n + 1))
        np.multiply(w, np.abs(self.sv), out=self.cv[:, 1:])
        np.cumsum(self.cv[:, 1:], axis=1, out=self.cv[:, 1:])

    def order_statistic(self, k: np.ndarray, a: int, b: int) -> np.ndarray:
        """Per row, the k-th smallest value (0-based) of the whole row, known to lie in the run
        ``[a, b)``: the first position whose cumulative weight exceeds k."""
        j = a + (self.cw[:, a + 1:b + 1] <= k[:, None]).sum(axis=1)
        return self.sv[np.minimum(j, b - 1)]

    def quantile(self, q: float, a: int = 0, b: int | None = None) -> np.ndarray:
        """Linear quantile per row of the run ``[a, b)``; NaN where its weight is 0."""
        b = len(self.sv) if b is None else b
        base, n = self.cw[:, a], self.cw[:, b] - self.cw[:, a]
        h = (n - 1) * float(q)
        lo = np.maximum(np.floor(h), 0)
        frac = h - lo
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        x, y = self.order_statistic(base + lo, a, b), self.order_statistic(base + hi, a, b)
        return np.where(n > 0, x + (y - x) * frac, np.nan)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile (numpy's default linear method) of each weighted sample: ``values``
    [n] taken ``weights[r]`` [R, n] times (non-negative integers); NaN where a row is empty.

    Example:
        >>> weighted_quantile(np.array([1.0, 2.0, 4.0]), np.array([[1, 1, 1], [0, 3, 1]]), 0.25)
        array([1.5, 2. ])
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights))
    if not len(values):
        return np.full(len(weights), np.nan)
    return _Sorted(values, weights).quantile(q)


def weighted_outlier_mean(values: np.ndarray, weights: np.ndarray, whis: float = 1.5
                          ) -> np.ndarray:
    """Mean |value| of the box-plot outliers (beyond ``whis`` × IQR of the linear quartiles),
    the rule applied to the positive and the negative values separately, per weighted sample
    (``weights`` [R, n]); NaN where a sample has none.

    Example:
        >>> v = np.array([1.0, 1.1, 0.9, 1.0, 9.0, -1.0, -1.1, -0.9, -1.0, -7.0])
        >>> weighted_outlier_mean(v, np.ones((1, len(v)), dtype=int)).tolist()
        [8.0]
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.atleast_2d(np.asarray(weights))
    count = np.zeros(len(weights))
    total = np.zeros(len(weights))
    if len(values):
        s = _Sorted(values, weights)
        rows = np.arange(len(weights))
        negatives = (0, int(np.searchsorted(s.sv, 0.0, side="left")))
        positives = (int(np.searchsorted(s.sv, 0.0, side="right")), len(s.sv))
        for a, b in (negatives, positives):
            if a == b:
                continue
            q1, q3 = s.quantile(0.25, a, b), s.quantile(0.75, a, b)
            iqr = q3 - q1
            run = s.sv[a:b]
            empty = np.isnan(q1)
            # the flagged values are a prefix and a suffix of the run: [a, low) and [high, b)
            low = np.where(empty, a, a + np.searchsorted(run, np.where(empty, 0, q1 - whis * iqr),
                                                         side="left"))
            high = np.where(empty, b, a + np.searchsorted(run, np.where(empty, 0, q3 + whis * iqr),
                                                          side="right"))
            count += (s.cw[rows, low] - s.cw[:, a]) + (s.cw[:, b] - s.cw[rows, high])
            total += (s.cv[rows, low] - s.cv[:, a]) + (s.cv[:, b] - s.cv[rows, high])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)

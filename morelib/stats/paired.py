"""Paired bootstrap tests: both arms resampled with the same indices, replicate differences d*.

The two-sided p-value is the percentile-interval inversion
``p = min(1, 2 * (1 + min(#{d* <= 0}, #{d* >= 0})) / (B + 1))``: twice the smaller tail mass
of the bootstrap distribution beyond 0, with the +1 correction so that p is never 0. It agrees
with the percentile interval: p < alpha about when the interval excludes 0. Identical arms give
d* = 0 everywhere and p = 1.
"""

from __future__ import annotations

import numpy as np

from .intervals import percentile_interval


def paired_p_value(differences) -> float:
    """Two-sided bootstrap p-value of H0: difference = 0 from the replicate ``differences``.

    Example:
        >>> paired_p_value(np.zeros(99))
        1.0
        >>> paired_p_value(np.full(99, -1.0))    # every replicate below 0: the smallest p
        0.02
        >>> paired_p_value([-2.0, -1.0, 1.0, 3.0])
        1.0
    """
    d = np.asarray(differences, dtype=np.float64).ravel()
    tail = min(np.count_nonzero(d <= 0), np.count_nonzero(d >= 0))
    return float(min(1.0, 2.0 * (1.0 + tail) / (d.size + 1.0)))


def paired_summary(differences, ci: float = 0.95) -> tuple[float, float, float]:
    """``(low, high, p_value)`` of paired replicate ``differences``: the percentile interval
    at level ``ci`` and :func:`paired_p_value`.

    Example:
        >>> low, high, p = paired_summary(np.linspace(-3.0, -1.0, 199), ci=0.9)
        >>> round(low, 2), round(high, 2), p
        (-2.9, -1.1, 0.01)
    """
    return (*percentile_interval(differences, ci), paired_p_value(differences))

"""Confidence intervals: Wilson's for a proportion, percentile ones for bootstrap replicates.

**Wilson.** The score interval of a proportion: the p where ``|k/n - p| / sqrt(p(1-p)/n) = z``.
Unlike a percentile bootstrap it stays honest for a category seen 0 or n times (0 of 24:
[0, 0.138], where the bootstrap collapses to [0, 0]). ``successes`` may be fractional (a tie
counted as half a success).

**Percentile.** The (alpha/2, 1 - alpha/2) quantiles (numpy's linear interpolation) of the
replicates, NaN replicates ignored (a resample where the statistic is undefined).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def _check_ci(ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci}")


def wilson_interval(successes: float, n: int, ci: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``successes / n`` (NaNs when ``n == 0``).

    Example (p = 0.25 of 20, the textbook case; a category never seen in 24; 8 of 10 and a
    fractional count, as for an accuracy with ties as half):
        >>> [round(x, 4) for x in wilson_interval(5, 20)]
        [0.1119, 0.4687]
        >>> [round(x, 4) for x in wilson_interval(0, 24)]
        [0.0, 0.138]
        >>> [round(x, 3) for x in wilson_interval(8, 10)]
        [0.49, 0.943]
        >>> [round(x, 3) for x in wilson_interval(7.5, 10)]
        [0.442, 0.919]
        >>> wilson_interval(0, 0)
        (nan, nan)
    """
    _check_ci(ci)
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return float("nan"), float("nan")
    z = NormalDist().inv_cdf(0.5 + ci / 2)
    p, z2 = successes / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def percentile_interval(replicates, ci: float = 0.95) -> tuple[float, float]:
    """(alpha/2, 1 - alpha/2) quantiles of ``replicates`` with alpha = 1 - ``ci``; NaN
    replicates are ignored, and with none left the interval is (nan, nan).

    Example:
        >>> percentile_interval(np.arange(21.0), ci=0.5)
        (5.0, 15.0)
        >>> percentile_interval([np.nan, 1.0, 3.0], ci=0.5)
        (1.5, 2.5)
        >>> percentile_interval([np.nan])
        (nan, nan)
    """
    _check_ci(ci)
    values = np.asarray(replicates, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    return float(low), float(high)

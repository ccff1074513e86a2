"""Post-hoc temperature scaling of reward margins, fitted on held-out pairs.

Fits T > 0 minimising the NLL of sigmoid(m / T) against the labels (default: all ones, i.e. the
first response is the chosen one). Fitting on the pairs (m, 1) is the same as fitting on the
symmetrised set {(m, 1), (-m, 0)}: both orderings have the same loss softplus(-m / T). The
1-D problem is solved by a bounded scalar search (Brent) over log T, so T stays positive and the
search is scale-free. Lets a notebook ask whether MORE beats calibrating after training.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize_scalar

from ._common import as_labels, as_margins


def fit_temperature(margins, labels=None, *, bounds: tuple[float, float] = (1e-2, 1e2)) -> float:
    """Temperature T minimising the mean NLL of sigmoid(margins / T) on held-out pairs.

    T > 1 means the RM was over-confident (margins too large). Warns when T ends on a bound
    (e.g. perfectly separated pairs, whose NLL keeps falling as T -> 0). All-zero margins carry
    no scale information and give T = 1.

    Example: margins three times the true logits give T close to 3:
        >>> rng = np.random.default_rng(0)
        >>> logit = rng.normal(0.0, 1.5, 20000)
        >>> y = (rng.random(20000) < 1 / (1 + np.exp(-logit))).astype(float)
        >>> round(fit_temperature(3 * logit, y), 1)
        3.0
    """
    m = as_margins(margins)
    y = as_labels(labels, m.size)
    lo, hi = bounds
    if not 0 < lo < hi:
        raise ValueError(f"bounds must satisfy 0 < low < high, got {bounds!r}")
    if not np.any(m):
        return 1.0

    def loss(log_t: float) -> float:
        z = m / np.exp(log_t)
        return float(np.mean(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)))

    res = minimize_scalar(loss, bounds=(np.log(lo), np.log(hi)), method="bounded",
                          options={"xatol": 1e-6})
    t = float(np.exp(res.x))
    if np.isclose(res.x, np.log(lo), atol=1e-3) or np.isclose(res.x, np.log(hi), atol=1e-3):
        warnings.warn(f"fitted temperature {t:.4g} is at the search bound {bounds}", stacklevel=2)
    return t


def apply_temperature(margins, temperature: float) -> np.ndarray:
    """Calibrated margins ``margins / temperature`` (accuracy and ties are unchanged).

    Example:
        >>> apply_temperature([3.0, -1.5], 3.0)
        array([ 1. , -0.5])
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return as_margins(margins) / float(temperature)

"""Points with confidence intervals drawn from the intervals' ends.

``matplotlib``'s ``errorbar`` takes offsets from the point, which must be non-negative; a
percentile bootstrap interval need not contain its point estimate (ECE's bootstrap is biased
upwards), so offsets can be negative and ``errorbar`` raises. This draws the interval itself.

Example:
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> line = interval_plot(ax, [1, 2], [0.02, 0.05], [0.03, 0.04], [0.06, 0.07], marker="o")
    >>> [s[:, 1].tolist() for s in ax.collections[0].get_segments()]
    [[0.03, 0.06], [0.04, 0.07]]
    >>> plt.close(fig)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def interval_plot(ax: Any, x: Any, y: Any, low: Any, high: Any, capsize: float = 4,
                  **line_kw: Any) -> Any:
    """Plot ``y`` against ``x`` (``line_kw`` as for ``ax.plot``) with vertical intervals
    ``[low, high]`` in the line's colour; returns the line."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    (line,) = ax.plot(x, y, **line_kw)
    color, alpha = line.get_color(), line.get_alpha()
    ax.vlines(x, low, high, colors=color, alpha=alpha, linewidth=1)
    if capsize:
        ax.plot(np.r_[x, x], np.r_[low, high], linestyle="none", marker="_", color=color,
                alpha=alpha, markersize=capsize * 2)
    return line

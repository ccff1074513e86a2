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

from morelib.plots.style import use_style


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


@use_style()
def effects_by_setting(table: Any, *, x: str, y: str = "estimate", low: str = "ci_low",
                       high: str = "ci_high", hue: str = "track", ylabel: str | None = None,
                       xlabel: str | None = None, interval: str = "95 % bootstrap CI",
                       ax: Any = None, title: str | None = None) -> Any:
    """Effects with their intervals at each value of a setting (``x``, shown as categories),
    one dodged series per ``hue``, and the zero line: e.g. MORE − MultiTask ECE per number of
    pairs per source, per track.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"G": [1, 4, 1, 4], "track": ["sim", "sim", "real", "real"],
        ...                   "estimate": [.01, .0, -.01, .0], "ci_low": [0, -.01, -.02, -.01],
        ...                   "ci_high": [.02, .01, 0, .01]})
        >>> fig = effects_by_setting(t, x="G")
        >>> [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
        ['1', '4']
    """
    from morelib.plots._common import axes, legend_outside, legend_title, need_columns, ordered
    from morelib.plots.style import color_for

    need_columns(table, x, y, low, high, hue)
    xs, hues = sorted(table[x].unique()), ordered(table[hue])
    fig, ax = axes(ax, figsize=(6.4, 3.8))
    width = 0.3 / max(1, len(hues))
    for j, name in enumerate(hues):
        part = table[table[hue] == name].set_index(x).reindex(xs)
        where = np.arange(len(xs)) + width * (j - (len(hues) - 1) / 2)
        interval_plot(ax, where, part[y], part[low], part[high], marker="o", label=str(name),
                      color=color_for(str(name)))
    ax.axhline(0, color="black", linewidth=1)
    ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.grid(axis="x", visible=False)
    ax.set_xlabel(xlabel or x.replace("_", " "))
    ax.set_ylabel(ylabel or y)
    ax.set_title(title if title is not None else f"{ylabel or y} by {xlabel or x}")
    legend_outside(ax, legend_title(hue, interval))
    return fig

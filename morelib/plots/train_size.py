"""Metrics against the training-set size (pairs per source): one panel per metric, one line
per model and scheme.

Colour: the scheme; line style: solid for MORE, dashed for the others; opacity: the model's
place in ``models`` (darker = later, i.e. larger when ``models`` is ordered by size). The
x axis is log₂, ticked at the sizes present; intervals are drawn from their ends
(:func:`~morelib.plots.interval_plot`) and named in the legend.

Example:
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": "m", "scheme": ["MORE", "MORE", "MultiTask", "MultiTask"] * 2,
    ...                   "metric": ["accuracy"] * 4 + ["ece"] * 4, "n_train": [12, 24] * 4,
    ...                   "value": [.6, .7, .6, .65, .05, .04, .06, .05], "low": 0.0, "high": 1.0})
    >>> fig = metrics_vs_train_size(t, ["m"], ylabel="{metric} on H&H")
    >>> [ax.get_ylabel() for ax in fig.axes], len(fig.axes[0].lines)
    (['accuracy on H&H', 'ece on H&H'], 4)
"""

from __future__ import annotations

from typing import Any, Sequence

import matplotlib.pyplot as plt
import pandas as pd

from morelib.plots._common import DEFAULT_INTERVAL, legend_title, need_columns, ordered
from morelib.plots.intervals import interval_plot
from morelib.plots.style import color_for, use_style


@use_style()
def metrics_vs_train_size(table: pd.DataFrame, models: Sequence[str], *,
                          metrics: Sequence[str] | None = None, x: str = "n_train",
                          y: str = "value", low: str = "low", high: str = "high",
                          model: str = "model", scheme: str = "scheme", metric: str = "metric",
                          solid: str = "MORE", ylabel: str = "{metric}",
                          interval: str | None = DEFAULT_INTERVAL,
                          title: str | None = None) -> Any:
    """``y`` against ``x`` per ``metric`` (default: those in ``table``, in order), lines per
    (model, scheme) in the order of ``models``; ``ylabel`` is formatted with the metric.
    Example: the module docstring."""
    need_columns(table, x, y, low, high, model, scheme, metric)
    metrics = ordered(table[metric], metrics)
    fig, grid = plt.subplots(1, len(metrics), figsize=(5.75 * len(metrics), 4.0),
                             squeeze=False)
    sizes = sorted(table[x].unique())
    for ax, name in zip(grid[0], metrics):
        part = table[table[metric] == name]
        for (m, s), rows in part.groupby([model, scheme], sort=False):
            rows = rows.sort_values(x)
            interval_plot(ax, rows[x], rows[y], rows[low], rows[high], marker="o", capsize=2,
                          color=color_for(s), linestyle="-" if s == solid else "--",
                          alpha=0.4 + 0.6 * (list(models).index(m) + 1) / len(models),
                          label=f"{m} · {s}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.set_xlabel("training pairs per source")
        ax.set_ylabel(ylabel.format(metric=name))
    grid[0][-1].legend(title=legend_title(f"{model} · {scheme}", interval), loc="upper left",
                       bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small")
    if title is not None:
        fig.suptitle(title)
    return fig

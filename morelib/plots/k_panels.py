"""Paper Fig. 6 across model sizes: one :func:`~morelib.plots.metric_vs_k` panel per model.

Each panel draws ECE (or any metric) against the number of mixed sources K, one line per
scheme with its interval band, and Top (the best single-source RM per test set) as the black
dashed reference, from Top's rows at the largest K (where the single-source RMs of a sweep
sit, :func:`morelib.experiments.scaling.sweep_metrics`).

Example:
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": ["s"] * 5 + ["b"] * 5, "k": [2, 5, 2, 5, 5] * 2,
    ...                   "scheme": ["MORE", "MORE", "MultiTask", "MultiTask", "Top"] * 2,
    ...                   "value": [.08, .05, .07, .09, .06, .06, .04, .05, .06, .05],
    ...                   "low": 0.0, "high": 0.1})
    >>> fig = metric_vs_k_panels(t, ["s", "b"], labels={"s": "small"}, title="Figure 6")
    >>> [ax.get_title() for ax in fig.axes], fig.get_suptitle()
    (['small', 'b'], 'Figure 6')
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd

from morelib.plots._common import DEFAULT_INTERVAL, need_columns
from morelib.plots.style import use_style
from morelib.plots.tables import metric_vs_k


@use_style()
def metric_vs_k_panels(table: pd.DataFrame, models: Sequence[str], *, model: str = "model",
                       labels: Mapping[str, str] | None = None, k: str = "k",
                       y: str = "value", lower: str | None = "low", upper: str | None = "high",
                       hue: str = "scheme", reference: str = "Top",
                       interval: str | None = DEFAULT_INTERVAL, ylabel: str | None = None,
                       title: str | None = None) -> Any:
    """One panel per entry of ``models`` (left to right) of ``y`` against K; ``labels`` maps a
    model to its panel title (default: the model's name), ``title`` is the figure's.
    Example: the module docstring."""
    need_columns(table, model, k, y, hue)
    fig, grid = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.0), squeeze=False)
    top_k = table[k].max()
    for ax, name in zip(grid[0], models):
        part = table[(table[model] == name) & ((table[hue] != reference) | (table[k] == top_k))]
        metric_vs_k(part, k=k, y=y, hue=hue, reference=reference, lower=lower, upper=upper,
                    interval=interval, ylabel=ylabel, ax=ax,
                    title=(labels or {}).get(name, name))
    if title is not None:
        fig.suptitle(title)
    return fig

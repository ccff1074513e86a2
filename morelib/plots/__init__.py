"""Seaborn/matplotlib figures for the notebooks, in one style with fixed colours.

Every helper takes a tidy DataFrame, draws inside :func:`use_style`, labels its axes, title
and legend, and returns the matplotlib Figure; :func:`save_figure` writes it (PNG + PDF,
atomically, headline numbers beside it as JSON) and closes it. In a notebook, end a plotting
cell with ``save_figure(fig, path);`` so no repr follows the picture.

================================  =============================================================
``accuracy_heatmap(table)``       train source × test set accuracy (paper Fig. 1, left)
``margin_histograms(df)``         Δr distributions per RM (Figs. 1 middle, 9)
``margin_boxplots(df)``           Δr boxes, solid = correct, hollow = incorrect (Figs. 1, 5, 8)
``grouped_bars(table, x, y, hue)`` accuracy/ECE per test set per scheme, optional CIs (3, 4)
``metric_vs_k(table)``            ECE vs number of sources K, dashed Top reference (Fig. 6)
``metric_vs_k_panels(table, ms)`` one ``metric_vs_k`` panel per model size (Fig. 6 by size)
``metrics_vs_train_size(t, ms)``  accuracy/ECE vs pairs per source, per model and scheme
``lambda_over_training(history)`` MORE's λ per source over the steps
``cosine_heatmap(matrix)``        pairwise cosines (``cosine_matrix(history)`` builds one)
``reliability_diagrams(df)``      one reliability diagram per RM
================================  =============================================================

Example:
    >>> import tempfile, pathlib, pandas as pd
    >>> t = pd.DataFrame({"k": [2, 3, 2, 3], "scheme": ["MORE", "MORE", "Top", "Top"],
    ...                   "ece": [0.05, 0.03, 0.035, 0.035]})
    >>> paths = save_figure(metric_vs_k(t), pathlib.Path(tempfile.mkdtemp()) / "fig6")
    >>> [p.suffix for p in paths]
    ['.png', '.pdf']
"""

from morelib.plots._common import short_model_name
from morelib.plots.k_panels import metric_vs_k_panels
from morelib.plots.margins import margin_boxplots, margin_histograms
from morelib.plots.reliability import reliability_diagrams
from morelib.plots.save import save_figure
from morelib.plots.style import (
    SCHEME_COLORS, SOURCE_COLORS, STYLE_PATH, color_for, palette, use_style,
)
from morelib.plots.intervals import effects_by_setting, interval_plot
from morelib.plots.tables import accuracy_heatmap, cosine_heatmap, grouped_bars, metric_vs_k
from morelib.plots.train_size import metrics_vs_train_size
from morelib.plots.training import cosine_matrix, lambda_over_training

__all__ = [
    "SCHEME_COLORS", "SOURCE_COLORS", "STYLE_PATH", "accuracy_heatmap", "color_for",
    "cosine_heatmap", "cosine_matrix", "effects_by_setting", "grouped_bars", "interval_plot", "lambda_over_training",
    "margin_boxplots", "margin_histograms", "metric_vs_k", "metric_vs_k_panels",
    "metrics_vs_train_size", "palette", "reliability_diagrams",
    "save_figure", "short_model_name", "use_style",
]

"""Figures of metric tables: accuracy and cosine heatmaps, grouped bars, metric vs K."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Rectangle

from morelib.plots._common import (
    DEFAULT_INTERVAL, as_percent, axes, legend_outside, legend_title, need_columns,
    ordered, reference_line, wrap_label,
)
from morelib.plots.style import color_for, use_style


def _heatmap(matrix: pd.DataFrame, ax: Any, cbar_label: str, **kw: Any) -> None:
    sns.heatmap(matrix, ax=ax, annot=True, linewidths=0.5, linecolor="white",
                cbar_kws={"label": cbar_label}, **kw)
    ax.grid(False)
    ax.tick_params(axis="x", rotation=30)
    ax.tick_params(axis="y", rotation=0)


@use_style()
def accuracy_heatmap(table: pd.DataFrame, *, train: str = "train", test: str = "test",
                     value: str = "accuracy", percent: bool = True, ax: Any = None,
                     title: str | None = None, fmt: str = ".1f") -> Any:
    """Accuracy of each RM (rows: what it was trained on) on each test set (columns).

    ``table``: tidy rows ``(train, test, value)``, or an already wide matrix. ``percent``: the
    values are fractions, shown as %. Cells where the RM was trained on the test set's source
    are outlined. Returns the Figure (``save_figure`` writes and closes it).

    Example:
        >>> t = pd.DataFrame({"train": ["helpful", "helpful", "harmless", "harmless"],
        ...                   "test": ["helpful", "harmless"] * 2,
        ...                   "accuracy": [0.68, 0.45, 0.52, 0.69]})
        >>> fig = accuracy_heatmap(t)
        >>> ax = fig.axes[0]; ax.get_xlabel(), ax.get_ylabel()
        ('test set', 'RM trained on')
    """
    if {train, test, value} <= set(table.columns):
        matrix = table.pivot(index=train, columns=test, values=value).reindex(
            index=ordered(table[train]), columns=ordered(table[test]))
    else:
        matrix = table
    matrix = as_percent(matrix.astype(float), percent, value)
    fig, ax = axes(ax, figsize=(1.1 * matrix.shape[1] + 2.6, 0.6 * matrix.shape[0] + 1.6))
    unit = " (%)" if percent else ""
    _heatmap(matrix, ax, f"{value}{unit}", fmt=fmt, cmap="viridis")
    columns = [str(c).lower() for c in matrix.columns]
    for i, name in enumerate(matrix.index):
        if str(name).lower() in columns:
            ax.add_patch(Rectangle((columns.index(str(name).lower()), i), 1, 1, fill=False,
                                   edgecolor="white", linewidth=2.5))
    ax.set_xlabel("test set")
    ax.set_ylabel("RM trained on")
    ax.set_title(title if title is not None else f"{value.capitalize()}{unit} by training "
                 "source and test set")
    return fig


@use_style()
def cosine_heatmap(matrix: Any, labels: Sequence[str] | None = None, *, ax: Any = None,
                   title: str | None = None) -> Any:
    """Cosine similarities between sources (e.g. of their head gradients), from −1 to 1.

    The diagonal (always 1) is left blank and the colours span the largest off-diagonal
    magnitude, so small cosines between sources stay visible; the numbers are printed.

    ``matrix``: a square DataFrame, or an array with ``labels``. See
    :func:`morelib.plots.cosine_matrix` to get one from a training history.

    Example:
        >>> fig = cosine_heatmap([[1.0, -0.2], [-0.2, 1.0]], ["helpful", "harmless"])
        >>> fig.axes[0].get_title()
        'Cosine similarity between sources'
    """
    frame = matrix if isinstance(matrix, pd.DataFrame) else pd.DataFrame(
        np.asarray(matrix, dtype=float), index=labels, columns=labels)
    fig, ax = axes(ax, figsize=(0.9 * len(frame) + 2.6, 0.7 * len(frame) + 1.4))
    diagonal = np.eye(len(frame), dtype=bool)
    off = np.abs(frame.to_numpy(dtype=float)[~diagonal]) if len(frame) > 1 else np.zeros(1)
    limit = max(0.05, float(np.nanmax(off)) if np.isfinite(off).any() else 0.05)
    _heatmap(frame, ax, f"cosine similarity (scale ±{limit:.2f}; diagonal = 1 blank)", fmt=".2f",
             cmap="vlag", vmin=-limit, vmax=limit, square=True, mask=diagonal)
    ax.set_xlabel("source")
    ax.set_ylabel("source")
    ax.set_title(title if title is not None else "Cosine similarity between sources")

    return fig


@use_style()
def grouped_bars(table: pd.DataFrame, x: str = "source", y: str = "value", hue: str = "scheme",
                 *, lower: str | None = None, upper: str | None = None,
                 percent: bool = False, reference: float | None = None,
                 reference_label: str = "reference", ylabel: str | None = None,
                 order: Sequence[Any] | None = None, hue_order: Sequence[Any] | None = None,
                 interval: str | None = DEFAULT_INTERVAL,
                 ax: Any = None, title: str | None = None) -> Any:
    """Bars of ``y`` per ``x`` (e.g. test set), one colour per ``hue`` (e.g. scheme).

    ``lower``/``upper``: columns of an interval drawn as error bars, named in the legend by
    ``interval`` (what kind of interval it is). Long tick labels are wrapped. ``percent``: fractions
    shown as %. ``reference``: a dashed line (e.g. chance, 0.5). A table with one ``metric``
    gives the y label. Missing combinations leave a gap.

    Example:
        >>> t = pd.DataFrame({"source": ["helpful", "helpful", "harmless", "harmless"],
        ...                   "scheme": ["MultiTask", "MORE"] * 2, "metric": "accuracy",
        ...                   "value": [0.65, 0.64, 0.65, 0.65]})
        >>> fig = grouped_bars(t, percent=True)
        >>> len(fig.axes[0].patches), fig.axes[0].get_ylabel()
        (4, 'accuracy (%)')
    """
    need_columns(table, x, y, hue, lower, upper)
    xs, hues = ordered(table[x], order), ordered(table[hue], hue_order)
    if ylabel is None:
        one_metric = "metric" in table.columns and table["metric"].nunique() == 1
        ylabel = str(table["metric"].iloc[0]) if y == "value" and one_metric else y
        ylabel = "ECE" if ylabel.lower() == "ece" else ylabel
        ylabel += " (%)" if percent else ""
    fig, ax = axes(ax, figsize=(max(5.0, 1.0 + 0.35 * len(xs) * len(hues)) + 1.6, 4.0))
    width = 0.8 / len(hues)
    positions = {name: i for i, name in enumerate(xs)}
    for j, name in enumerate(hues):
        rows = table[(table[hue] == name) & table[x].isin(xs)]
        where = np.array([positions[v] for v in rows[x]]) - 0.4 + width * (j + 0.5)
        heights = as_percent(rows[y].astype(float), percent, y).to_numpy()
        ax.bar(where, heights, width * 0.95, label=str(name), color=color_for(name))
        if lower is not None and upper is not None:
            # drawn from the interval's ends, not as ± offsets: a percentile bootstrap interval
            # need not contain the point estimate (ECE's bootstrap is biased upwards)
            lo = as_percent(rows[lower].astype(float), percent, lower).to_numpy()
            hi = as_percent(rows[upper].astype(float), percent, upper).to_numpy()
            ax.vlines(where, lo, hi, colors="black", linewidth=1)
            ax.plot(np.r_[where, where], np.r_[lo, hi], "_", color="black", markersize=4)
    if reference is not None:
        reference_line(ax, reference * (100 if percent else 1), reference_label)
    ax.set_xticks(range(len(xs)), [wrap_label(v) for v in xs])
    ax.grid(axis="x", visible=False)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel)
    heading = f"{ylabel} per {x.replace('_', ' ')} and {hue}"
    ax.set_title(title if title is not None else heading[:1].upper() + heading[1:])
    has_intervals = lower is not None and upper is not None
    legend_outside(ax, legend_title(hue, interval if has_intervals else None))
    return fig


@use_style()
def metric_vs_k(table: pd.DataFrame, *, k: str = "k", y: str = "ece", hue: str = "scheme",
                reference: str | None = "Top", reference_value: float | None = None,
                lower: str | None = None, upper: str | None = None,
                interval: str | None = DEFAULT_INTERVAL,
                ylabel: str | None = None, ax: Any = None, title: str | None = None) -> Any:
    """``y`` (e.g. ECE) against the number of mixed sources K, one line per ``hue``.

    Rows whose ``hue`` is ``reference`` (the single-source Top RMs) are not a line: their mean
    is the black dashed line, as in the paper's Fig. 6 (``reference_value`` sets it directly).
    Several rows per (hue, K), e.g. seeds, are averaged; ``lower``/``upper`` give a band, whose
    kind ``interval`` names in the legend.

    Example:
        >>> t = pd.DataFrame({"k": [2, 3, 4, 5, 2, 3, 4, 5], "scheme": ["MORE"] * 4 +
        ...                   ["MultiTask"] * 4, "ece": [.05, .04, .035, .03, .05, .06, .055, .06]})
        >>> fig = metric_vs_k(t, reference_value=0.034)
        >>> len(fig.axes[0].lines), fig.axes[0].get_xlabel()
        (3, 'number of mixed sources K')
    """
    need_columns(table, k, y, hue, lower, upper)
    is_ref = table[hue] == reference if reference is not None else pd.Series(False, table.index)
    if reference_value is None and is_ref.any():
        reference_value = float(table.loc[is_ref, y].mean())
    fig, ax = axes(ax, figsize=(6.4, 4.0))
    columns = [c for c in (y, lower, upper) if c is not None]
    for name in ordered(table.loc[~is_ref, hue]):
        rows = table[table[hue] == name].groupby(k)[columns].mean().sort_index()
        ax.plot(rows.index, rows[y], marker="o", label=str(name), color=color_for(name))
        if lower is not None and upper is not None:
            ax.fill_between(rows.index, rows[lower], rows[upper], color=color_for(name),
                            alpha=0.2, linewidth=0)
    if reference_value is not None:
        reference_line(ax, reference_value, f"{reference or 'reference'} ({reference_value:.4f})")
    ax.set_xticks(sorted(pd.unique(table.loc[~is_ref, k].dropna())))
    label = ylabel if ylabel is not None else ("ECE" if y.lower() == "ece" else y)
    ax.set_xlabel("number of mixed sources K")
    ax.set_ylabel(label)
    ax.set_title(title if title is not None else f"{label} as sources are added")
    has_bands = lower is not None and upper is not None
    legend_outside(ax, legend_title(hue, interval if has_bands else None, "bands"))
    return fig

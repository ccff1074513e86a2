"""Figures of reward margins Δr = r(chosen) − r(rejected): histograms, correct/incorrect boxes.

A pair is rewarded correctly when Δr > 0; Δr ≤ 0 (ties included) counts as incorrect.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch

from morelib.plots._common import (
    MARGIN_LABEL, axes, legend_outside, need_columns, ordered, panels,
)
from morelib.plots.style import color_for, palette, use_style


def _split(df: pd.DataFrame, col: str | None, ax: Any, col_wrap: int,
           size: tuple[float, float]) -> tuple[Any, list[tuple[Any, str | None, pd.DataFrame]]]:
    """One (axes, panel name, rows) per value of ``col`` (a single panel when ``col`` is None)."""
    if col is None:
        fig, ax = axes(ax, figsize=size)
        return fig, [(ax, None, df)]
    if ax is not None:
        raise ValueError("pass either ax= (one panel) or col= (one panel per value), not both")
    names = ordered(df[col])
    fig, grid = panels(len(names), col_wrap, size)
    return fig, [(a, n, df[df[col] == n]) for a, n in zip(grid, names)]


def _heading(fig: Any, parts: list[tuple[Any, str | None, pd.DataFrame]], text: str) -> None:
    """The title of a single panel, or the figure's title above several."""
    if parts[0][1] is None:
        parts[0][0].set_title(text)
    else:
        fig.suptitle(text)


@use_style()
def margin_histograms(df: pd.DataFrame, *, margin: str = "margin", hue: str = "rm",
                      col: str | None = None, bins: int = 40, col_wrap: int = 3,
                      hue_order: Sequence[str] | None = None, ax: Any = None,
                      title: str | None = None) -> Any:
    """Distribution of Δr per reward model (``hue``), one panel per ``col`` value (test set).

    Densities are normalised per RM, on bins shared by all RMs of a panel; the dotted line at 0
    separates correct from incorrect pairs. Returns the Figure.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"rm": np.repeat(["Raw", "RM_Helpful"], 100),
        ...                    "margin": np.r_[rng.normal(0, .1, 100), rng.normal(.5, 1, 100)]})
        >>> fig = margin_histograms(df)
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['Raw', 'RM_Helpful']
    """
    need_columns(df, margin, hue, col)
    names = ordered(df[hue], hue_order)
    fig, parts = _split(df, col, ax, col_wrap, (6.4, 4.0) if col is None else (4.6, 3.4))
    for i, (ax, name, rows) in enumerate(parts):
        edges = np.histogram_bin_edges(rows[margin].dropna(), bins=bins)
        sns.histplot(rows, x=margin, hue=hue, hue_order=names, palette=palette(names), ax=ax,
                     bins=edges, stat="density", common_norm=False, element="step",
                     alpha=0.15, linewidth=1.5, legend=i == len(parts) - 1)
        ax.axvline(0, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel(MARGIN_LABEL)
        ax.set_ylabel("density")
        if name is not None:
            ax.set_title(f"{col}: {name}")
    legend = parts[-1][0].get_legend()
    if legend is not None:
        sns.move_legend(parts[-1][0], "upper left", bbox_to_anchor=(1.01, 1.0), title=hue,
                        frameon=False)
    _heading(fig, parts, title if title is not None else "Reward margins per reward model")
    return fig


@use_style()
def margin_boxplots(df: pd.DataFrame, *, margin: str = "margin", rm: str = "rm",
                    col: str | None = None, col_wrap: int = 3,
                    order: Sequence[str] | None = None, showfliers: bool = True,
                    ax: Any = None, title: str | None = None) -> Any:
    """Δr per reward model, split: correctly rewarded (Δr > 0, solid box) or not (hollow).

    As in the paper's Figs. 1, 5 and 8: two boxes per RM, in the RM's colour; fliers (the
    outliers of Tables 4–6) drawn small. One panel per ``col`` value (test set) if given.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"rm": np.repeat(["Top", "MultiTask", "MORE"], 50),
        ...                    "margin": rng.normal(0.3, 1, 150)})
        >>> fig = margin_boxplots(df)
        >>> len(fig.axes[0].patches), fig.axes[0].get_xlabel()
        (6, 'reward model')
    """
    need_columns(df, margin, rm, col)
    names = ordered(df[rm], order)
    fig, parts = _split(df, col, ax, col_wrap,
                        (max(4.5, 0.75 * len(names) + 1.8), 4.0 if col is None else 3.6))
    for ax, name, rows in parts:
        for i, rm_name in enumerate(names):
            values = rows.loc[rows[rm] == rm_name, margin].dropna().to_numpy()
            c = color_for(rm_name)
            for offset, part, solid in ((-0.19, values[values > 0], True),
                                        (0.19, values[values <= 0], False)):
                if len(part) == 0:
                    continue
                ax.boxplot(part, positions=[i + offset], widths=0.32, patch_artist=True,
                           showfliers=showfliers, manage_ticks=False,
                           boxprops={"facecolor": c if solid else "none", "edgecolor": c},
                           medianprops={"color": "white" if solid else c, "linewidth": 1.5},
                           whiskerprops={"color": c}, capprops={"color": c},
                           flierprops={"marker": "o", "markersize": 2.5, "alpha": 0.6,
                                       "markeredgecolor": c,
                                       "markerfacecolor": c if solid else "none"})
        ax.axhline(0, color="black", linestyle=":", linewidth=1)
        tilt = len(names) > 4
        ax.set_xticks(range(len(names)), [str(n) for n in names], rotation=30 if tilt else 0,
                      ha="right" if tilt else "center")
        ax.grid(axis="x", visible=False)
        ax.set_xlabel("reward model")
        ax.set_ylabel(MARGIN_LABEL if col is None else "Δr")
        if name is not None:
            ax.set_title(f"{col}: {name}")
    key = [Patch(facecolor="0.35", edgecolor="0.35", label="correct (Δr > 0)"),
           Patch(facecolor="none", edgecolor="0.35", label="incorrect (Δr ≤ 0)")]
    legend_outside(parts[-1][0], handles=key)
    _heading(fig, parts, title if title is not None else
             "Reward margins of correct and incorrect pairs")
    return fig

"""Figures of a training history: the MORE weights λ per source over the steps, and cosines.

Histories come as the trainer writes them (``lambda_history.jsonl``: one row per micro-step
with ``step``, ``lambda/<source>``, ``cosine/<a>~<b>``, ...: the keys of
:mod:`morelib.weighting.diagnostics`, read with its parser) or as tidy rows
``(step, source, lambda)``. The schema is imported where it is used, so that
``import morelib.plots`` stays free of torch (``morelib.weighting`` imports it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from morelib.plots._common import axes, legend_outside, need_columns
from morelib.plots.style import color_for, use_style


def _wide(history: pd.DataFrame, step: str, kind: str, source: str, value: str) -> pd.DataFrame:
    """Mean value per step (rows) and source (columns), sources in order of appearance."""
    from morelib.weighting.diagnostics import columns_of

    columns = columns_of(history.columns, kind)
    if columns:
        need_columns(history, step)
        wide = history[[step, *columns.values()]].groupby(step).mean()
        return wide.rename(columns={c: s for s, c in columns.items()})
    need_columns(history, step, source, value)
    wide = history.pivot_table(index=step, columns=source, values=value, aggfunc="mean")
    return wide[list(pd.unique(history[source]))]


@use_style()
def lambda_over_training(history: pd.DataFrame, *, step: str = "step", stacked: bool = False,
                         window: int = 1, source: str = "source", value: str = "lambda",
                         ax: Any = None, title: str | None = None) -> Any:
    """λ of each source against the training step: lines, or ``stacked`` areas (shares).

    Rows of the same step (micro-batches) are averaged; ``window`` > 1 smooths with a rolling
    mean over that many steps. Lines get a dotted line at the uniform weight (mean Σλ / K).

    Example:
        >>> history = pd.DataFrame({"step": [1, 1, 2, 2], "lambda/helpful": [.6, .5, .7, .6],
        ...                         "lambda/harmless": [.4, .5, .3, .4]})
        >>> fig = lambda_over_training(history)
        >>> len(fig.axes[0].lines), fig.axes[0].get_ylabel()
        (3, 'λ (source weight)')
    """
    wide = _wide(history, step, "lambda", source, value)
    wide = wide.rolling(window, min_periods=1).mean() if window > 1 else wide
    fig, ax = axes(ax, figsize=(6.8, 3.8))
    colours = [color_for(name) for name in wide.columns]
    if stacked:
        shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0)
        ax.stackplot(wide.index, shares.T.to_numpy(), labels=[str(c) for c in wide.columns],
                     colors=colours, alpha=0.85)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of λ")
    else:
        for name, colour in zip(wide.columns, colours):
            ax.plot(wide.index, wide[name], label=str(name), color=colour)
        uniform = float(wide.sum(axis=1).mean()) / max(1, wide.shape[1])
        ax.axhline(uniform, color="black", linestyle=":", linewidth=1.2,
                   label=f"uniform ({uniform:.2f})")
        ax.set_ylabel("λ (source weight)")
    ax.set_xlabel("training step")
    ax.set_title(title if title is not None else "Source weights λ over training")
    legend_outside(ax, "source")
    return fig


def cosine_matrix(history: pd.DataFrame, kind: str = "cosine") -> pd.DataFrame:
    """Mean pairwise cosines from a training history's ``<kind>/<a>~<b>`` columns (``kind``:
    ``"cosine"``, or MORE's ``"cosine_normalized"``), as a matrix.

    The diagonal is 1; a pair never seen is NaN. Feed it to :func:`cosine_heatmap`.

    Example:
        >>> h = pd.DataFrame({"cosine/a~b": [0.2, 0.4], "cosine/a~c": [-0.1, -0.3]})
        >>> cosine_matrix(h).round(2).values.tolist()
        [[1.0, 0.3, -0.2], [0.3, 1.0, nan], [-0.2, nan, 1.0]]
    """
    from morelib.weighting.diagnostics import columns_of

    means = {pair: float(history[c].mean())
             for pair, c in columns_of(history.columns, kind).items()}
    if not means:
        raise ValueError(f"no '{kind}/<a>~<b>' columns in {list(history.columns)}")
    names = list(dict.fromkeys(n for pair in means for n in pair))
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    matrix[matrix == 0] = np.nan
    for (a, b), v in means.items():
        matrix.loc[a, b] = matrix.loc[b, a] = v
    return matrix

"""Reliability diagrams of several reward models side by side, one panel per RM.

Each panel is :func:`morelib.calibration.reliability_diagram` (imported only when called, so
``morelib.plots`` itself imports nothing of the library), in the RM's colour.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from morelib.plots._common import need_columns, ordered, panels
from morelib.plots.style import color_for, use_style


@use_style()
def reliability_diagrams(df: pd.DataFrame, *, margin: str = "margin", rm: str = "rm",
                         label: str | None = None, n_bins: int = 10, form: str = "symmetric",
                         order: Sequence[str] | None = None, col_wrap: int = 3,
                         title: str | None = None) -> Any:
    """A reliability diagram per reward model (``rm``) with its ECE in the legend.

    ``margin``: Δr = r(chosen) − r(rejected), or r(first) − r(second) with a ``label`` column
    (1 when the first response is preferred). ``form``/``n_bins`` as in
    :func:`morelib.calibration.ece`. Returns the Figure.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"rm": np.repeat(["MultiTask", "MORE"], 200),
        ...                    "margin": np.r_[rng.normal(1, 2, 200), rng.normal(.3, .8, 200)]})
        >>> fig = reliability_diagrams(df)
        >>> [ax.get_title() for ax in fig.axes]
        ['MultiTask', 'MORE']
    """
    from morelib.calibration import reliability_diagram

    need_columns(df, margin, rm, label)
    names = ordered(df[rm], order)
    fig, grid = panels(len(names), col_wrap, (3.8, 3.8), sharex=True, sharey=True)
    for ax, name in zip(grid, names):
        rows = df[df[rm] == name]
        labels = rows[label].to_numpy() if label is not None else None
        reliability_diagram(rows[margin].to_numpy(), labels, n_bins, form=form, binning="uniform",
                            ax=ax, color=color_for(name))
        ax.set_title(str(name))
    fig.suptitle(title if title is not None else "Reliability of each reward model")
    return fig

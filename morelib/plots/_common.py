"""Small pieces the figure helpers share: axes and panels, column checks, legends, scaling."""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any, Sequence

import matplotlib.pyplot as plt
import pandas as pd

MARGIN_LABEL = "reward margin Δr = r(chosen) − r(rejected)"
#: What the error bars and bands of morelib's figures are, unless a caller says otherwise.
DEFAULT_INTERVAL = "95 % bootstrap CI"


def short_model_name(name: str) -> str:
    """A model id as a figure label: no hub organisation, ``@layers=N`` as ``N layers``.

    Example:
        >>> short_model_name("sentence-transformers/all-MiniLM-L6-v2@layers=2")
        'all-MiniLM-L6-v2, 2 layers'
        >>> short_model_name("tiny-llama-d32")
        'tiny-llama-d32'
    """
    base, _, options = str(name).partition("@")
    label = base.rstrip("/").rsplit("/", 1)[-1]
    layers = re.fullmatch(r"layers=(\d+)", options)
    return f"{label}, {layers.group(1)} layers" if layers else label + (f" @{options}" if options
                                                                        else "")


def wrap_label(text: Any, width: int = 18) -> str:
    r"""A tick label broken into lines of at most ``width`` characters (words and hyphenated
    names kept whole; existing line breaks kept).

    Example:
        >>> wrap_label("all-MiniLM-L6-v2, 2 layers\n(19.0M)")
        'all-MiniLM-L6-v2,\n2 layers\n(19.0M)'
    """
    return "\n".join(textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
                     for line in str(text).splitlines())


def legend_title(title: str | None, interval: str | None, kind: str = "error bars") -> str | None:
    r"""A legend title that also says what the intervals are.

    Example:
        >>> legend_title("scheme", "95 % bootstrap CI")
        'scheme\n(error bars: 95 % bootstrap CI)'
        >>> legend_title("track", "95 % two-level bootstrap CI")
        'track\n(error bars: 95 % two-level\nbootstrap CI)'
    """
    if not interval:
        return title
    note = textwrap.fill(f"({kind}: {interval})", 32)  # a long note would squeeze the axes
    return f"{title}\n{note}" if title else note[1:-1]


def need_columns(frame: pd.DataFrame, *columns: str | None) -> None:
    """Raise a ValueError naming the missing columns and the ones there are."""
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}; the table has {list(frame.columns)}")


def axes(ax: Any = None, figsize: tuple[float, float] | None = None) -> tuple[Any, Any]:
    """``(figure, axes)``: the given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize)


def panels(n: int, col_wrap: int = 3, size: tuple[float, float] = (4.2, 3.4),
           **kw: Any) -> tuple[Any, list[Any]]:
    """A new figure with ``n`` axes in rows of ``col_wrap`` (spare axes removed)."""
    ncols = max(1, min(n, col_wrap))
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False, **kw)
    flat = list(grid.ravel())
    for extra in flat[n:]:
        extra.remove()
    return fig, flat[:n]


def ordered(values: pd.Series, order: Sequence[Any] | None = None) -> list[Any]:
    """``order`` if given, else the distinct values in order of first appearance."""
    return list(order) if order is not None else list(pd.unique(values.dropna()))


def as_percent(values: pd.Series | pd.DataFrame, percent: bool, name: str) -> Any:
    """Fractions × 100 when ``percent``; refuses values above 1 (already in %)."""
    if not percent:
        return values
    top = float(pd.DataFrame(values).abs().max().max())
    if top > 1 + 1e-9:
        raise ValueError(f"{name} has values up to {top:g}: already in %? pass percent=False")
    return values * 100


def legend_outside(ax: Any, title: str | None = None, **kw: Any) -> None:
    """A legend to the right of the axes (constrained layout makes room for it)."""
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), **kw)


def reference_line(ax: Any, value: float, label: str) -> None:
    """A black dashed horizontal reference line with a legend entry."""
    ax.axhline(value, color="black", linestyle="--", linewidth=1.3, label=label, zorder=1)

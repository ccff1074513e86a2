"""Figure 7 of the paper: RM ECE against the win rate of its RJS policy, one panel per judge.

The numbers come from :func:`morelib.alignment.rjs_statistics.figure7_data`. Intervals: 95 %
percentile bootstrap over prompts for the win rates (ties as half) and for Spearman's ρ.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

__all__ = ["figure7"]


def figure7(points: pd.DataFrame, corr: Mapping[str, Mapping[str, Any]], title: str = "") -> Any:
    """Fig. 7: RM ECE (x) against its RJS policy's win rate over the SFT baseline (y, ties as
    half, 95 % interval), one panel per judge. ``points``: ``judge, policy, ece, win_half_tie,
    win_half_tie_low, win_half_tie_high``; ``corr``:
    :func:`~morelib.alignment.rjs_statistics.ece_win_correlation` per judge.

    Example:
        >>> p = pd.DataFrame({"judge": "j", "policy": ["a", "b"], "ece": [0.01, 0.02],
        ...                   "win_half_tie": [0.6, 0.4], "win_half_tie_low": [0.5, 0.3],
        ...                   "win_half_tie_high": [0.7, 0.5]})
        >>> len(figure7(p, {"j": {"spearman": float("nan"), "note": "2 RMs"}}).axes)
        1
    """
    import matplotlib.pyplot as plt

    from morelib.plots import interval_plot, use_style

    judges = list(dict.fromkeys(points.judge))
    with use_style():
        fig, axes = plt.subplots(1, len(judges), figsize=(4.2 * len(judges), 3.6), squeeze=False)
        for ax, judge in zip(axes[0], judges):
            d = points[points.judge == judge]
            interval_plot(ax, d.ece, d.win_half_tie, d.win_half_tie_low, d.win_half_tie_high,
                          marker="o", linestyle="none", capsize=3)
            for r in d.itertuples():
                ax.annotate(r.policy, (r.ece, r.win_half_tie), textcoords="offset points",
                            xytext=(4, 4), fontsize=8)
            ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
            c = corr.get(judge, {})
            label = (f"Spearman ρ = {c['spearman']:.2f} [{c['spearman_low']:.2f}, "
                     f"{c['spearman_high']:.2f}]" if not np.isnan(c.get("spearman", np.nan))
                     else c.get("note", ""))
            ax.set_title(f"judge: {judge}\n{label}", fontsize=9)
            ax.set_xlabel("RM ECE (mean of helpful, harmless)")
            ax.set_ylabel("win rate vs SFT baseline\n(ties ½; 95 % bootstrap CI)")
        if title:
            fig.suptitle(title, fontsize=10)
    return fig

"""Reliability tables and diagrams (per bin: count, mean confidence, label mean, gap).

pandas and matplotlib are imported inside the functions so that ``import morelib.calibration``
stays cheap. The diagram draws on the given Axes only: no style sheets, rcParams or seaborn
themes are touched.
"""

from __future__ import annotations

import numpy as np

from ._common import as_labels, as_margins, bin_edges, bin_sums, entries


def reliability_table(
    margins,
    labels=None,
    n_bins: int = 10,
    *,
    form: str = "symmetric",
    binning: str = "uniform",
):
    """One row per bin: ``bin, lower, upper, count, confidence, accuracy, gap``.

    ``confidence`` = mean confidence, ``accuracy`` = mean label (share correct for the top-label
    form), ``gap = confidence - accuracy`` (NaN for empty bins). ``form``: ``symmetric`` (the
    paper's 2N entries) or ``top_label`` (one entry per pair). sum(count * |gap|) / sum(count)
    is the ECE of that form.

    Example: confidences 0.25, 0.5, 0.5, 0.75 all sit on edges and go to the lower bin:
        >>> t = reliability_table([np.log(3.0), 0.0], n_bins=4)
        >>> print(t[["bin", "count", "confidence", "accuracy"]].round(3).to_string(index=False))
         bin  count  confidence  accuracy
           0      1        0.25       0.0
           1      2        0.50       0.5
           2      1        0.75       1.0
           3      0         NaN       NaN
    """
    import pandas as pd

    m = as_margins(margins)
    conf, lab = entries(m, as_labels(labels, m.size), form)
    edges = bin_edges(conf, n_bins, binning)
    count, s_conf, s_lab = bin_sums(conf, lab, edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf, mean_lab = s_conf / count, s_lab / count
    return pd.DataFrame(
        {
            "bin": np.arange(len(count)),
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "confidence": mean_conf,
            "accuracy": mean_lab,
            "gap": mean_conf - mean_lab,
        }
    )


def reliability_diagram(
    margins,
    labels=None,
    n_bins: int = 10,
    *,
    form: str = "symmetric",
    binning: str = "uniform",
    ax=None,
    label: str | None = None,
    color=None,
):
    """Reliability diagram: a bar per bin (its label mean), a marker at (mean confidence, label
    mean), and the diagonal.

    Returns the matplotlib Axes (a new figure's when ``ax`` is None). The legend entry shows
    ``label`` and the ECE of the chosen form and binning.

    Example:
        >>> from matplotlib.figure import Figure
        >>> ax = Figure().subplots()
        >>> reliability_diagram([2.0, -1.0, 0.5, 1.5], n_bins=5, ax=ax, label="RM") is ax
        True
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4, 4))
    table = reliability_table(margins, labels, n_bins, form=form, binning=binning)
    filled = table[table["count"] > 0]
    error = float((filled["count"] * filled["gap"].abs()).sum() / filled["count"].sum())
    name = f"{label + ', ' if label else ''}ECE {error:.4f}"
    (points,) = ax.plot(
        filled["confidence"], filled["accuracy"], "o", markersize=3, color=color, label=name
    )
    ax.bar(
        filled["lower"], filled["accuracy"], width=filled["upper"] - filled["lower"],
        align="edge", alpha=0.4, edgecolor="black", linewidth=0.5, color=points.get_color(),
    )
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    symmetric = form == "symmetric"
    ax.set_xlabel("confidence sigmoid(margin)" if symmetric else "confidence sigmoid(|margin|)")
    ax.set_ylabel("label mean" if symmetric else "accuracy")
    ax.legend(loc="upper left", frameon=False)
    return ax

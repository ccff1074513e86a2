"""Every metric of one set of margins in a flat dict, for the tidy per-source tables."""

from __future__ import annotations

import numpy as np

from ._common import as_labels, as_margins, bin_edges, bin_sums, correctness, entries, reduce_bins
from .binned import calibration_error, ece_against_truth
from .scores import brier, mae_against_truth, mse_against_truth, nll


def calibration_summary(margins, labels=None, p_true=None) -> dict:
    """accuracy, strict_accuracy, ties, ece (10 bins), ece_5, ece_20, ace, mce, top_label_ece,
    ece_quantile, brier, nll, n_pairs; with ``p_true`` also ece_truth, mae_truth, mse_truth.

    ECE/ACE/MCE are the paper's symmetric forms (uniform bins, edge values to the lower bin);
    ``ece_quantile`` uses 10 equal-mass bins over the symmetrised confidences; ``top_label_ece``
    uses 10 uniform bins with ties counting half. Values are Python floats (ints for counts).

    Example:
        >>> s = calibration_summary([2.0, -1.0, 0.5, 0.0])
        >>> s["accuracy"], s["strict_accuracy"], s["ties"], s["n_pairs"]
        (0.625, 0.5, 1, 4)
        >>> abs(s["ece"] - s["top_label_ece"]) < 1e-12
        True
    """
    m = as_margins(margins)
    y = as_labels(labels, m.size)
    conf, lab = entries(m, y, "symmetric")
    count, s_conf, s_lab = bin_sums(conf, lab, bin_edges(conf, 10))
    tl_conf, tl_lab = entries(m, y, "top_label")
    out = {
        "accuracy": float(correctness(m, y, 0.5).mean()),
        "strict_accuracy": float(correctness(m, y, 0.0).mean()),
        "ties": int(np.count_nonzero(m == 0)),
        "ece": float(reduce_bins(count, s_conf - s_lab, "l1")),
        "ece_5": calibration_error(conf, lab, 5),
        "ece_20": calibration_error(conf, lab, 20),
        "ace": float(reduce_bins(count, s_conf - s_lab, "ace")),
        "mce": float(reduce_bins(count, s_conf - s_lab, "max")),
        "top_label_ece": calibration_error(tl_conf, tl_lab, 10),
        "ece_quantile": calibration_error(conf, lab, 10, binning="quantile"),
        "brier": brier(m, y),
        "nll": nll(m, y),
        "n_pairs": int(m.size),
    }
    if p_true is not None:
        out["ece_truth"] = ece_against_truth(m, p_true)
        out["mae_truth"] = mae_against_truth(m, p_true)
        out["mse_truth"] = mse_against_truth(m, p_true)
    return out

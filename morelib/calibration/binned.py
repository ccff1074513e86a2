"""Binned calibration errors: the paper's symmetric ECE, top-label ECE, ACE, MCE, ECE vs truth.

The paper's ECE (``paper.md`` §4, authors' ``calibration_error``): each pair is scored in both
orders, giving the entries (sigmoid(m), y) and (sigmoid(-m), 1 - y); with uniform edges
``linspace(0, 1, n_bins + 1)`` and edge values going to the lower bin,
``ECE = sum_b |sum_{e in b} p_e - sum_{e in b} y_e| / (2 N)``.

**Symmetric = top-label identity.** The symmetric ECE equals the top-label ECE over pairs
(confidence sigmoid(|m|), correct iff the sign of m matches the label, a tie counting half):
a pair in upper bin b has its mirrored entry in the bin reflected about 0.5 with the same
|sum p - sum y|. Exceptions: (0) an odd number of bins (e.g. the code's 5-bin ECE): 0.5 is not
an edge, the middle bin is its own mirror and always has zero gap in the symmetric form (it holds
c and 1 - c with labels y and 1 - y), so the symmetric ECE is the top-label ECE minus the middle
bin's share; (1) a confidence exactly on a bin edge other than 0.5 (its mirror falls in a
non-reflected bin because bins are right-closed), including margins so small that sigmoid rounds
to exactly 0.5; (2) ties (m = 0) when the top-label form gives them a credit other
than 1/2 (``tie_credit``); (3) ACE and MCE when ties are present (ties share the (0.4, 0.5] bin
with mirrored entries in the symmetric form); (4) quantile bins, whose edges depend on which
entries are binned. With the default ``tie_credit=0.5`` the l1/l2 ECE identity survives ties.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._common import (
    NORMS,
    as_labels,
    as_margins,
    bin_edges,
    bin_sums,
    check_choice,
    entries,
    reduce_bins,
)


def calibration_error(
    confidences, labels, n_bins: int = 10, norm: str = "l1", binning: str = "uniform"
) -> float:
    """Binned calibration error of generic (confidence, label) entries (torchmetrics' knobs).

    ``norm``: ``l1`` (ECE), ``l2`` (root of the count-weighted mean squared gap) or ``max``
    (MCE). ``binning``: ``uniform`` or ``quantile`` (equal-mass). Bins are right-closed.

    Example: 0.1 and 0.2 sit on edges and go to the lower bin, so bin (0, 0.1] holds
    {0.05, 0.1} (|0.15 - 1|), bin (0.1, 0.2] holds {0.2} (|0.2 - 0|), bin (0.8, 0.9] holds {0.9}:
        >>> round(calibration_error([0.05, 0.1, 0.2, 0.9], [0, 1, 0, 1], n_bins=10), 12)
        0.2875
        >>> round(calibration_error([0.05, 0.1, 0.2, 0.9], [0, 1, 0, 1], norm="max"), 12)
        0.425
    """
    conf = np.asarray(confidences, dtype=np.float64)
    if conf.ndim != 1 or conf.size == 0 or not ((conf >= 0) & (conf <= 1)).all():
        raise ValueError("confidences must be a non-empty 1-D array of values in [0, 1]")
    lab = as_labels(labels, conf.size)
    check_choice(norm, NORMS, "norm")
    count, s_conf, s_lab = bin_sums(conf, lab, bin_edges(conf, n_bins, binning))
    return float(reduce_bins(count, s_conf - s_lab, norm))


def ece(
    margins,
    n_bins: int = 10,
    *,
    labels=None,
    norm: str = "l1",
    binning: str = "uniform",
) -> float:
    """The paper's (symmetric) ECE of reward margins ``r(chosen) - r(rejected)``.

    Both orderings of each pair are binned: (sigmoid(m), y) and (sigmoid(-m), 1 - y).
    ``binning="quantile"`` puts equal-mass edges at quantiles of the 2N symmetrised confidences
    (mirror-symmetric about 0.5). ``labels`` may be soft (see :func:`ece_against_truth`).

    Example: a tie is perfectly calibrated; margin 2 gives |sigmoid(2) - 1| in the top bin and
    the same in the bottom bin, over 2 entries; with three pairs each entry is alone in its bin:
        >>> ece([0.0])
        0.0
        >>> round(ece([2.0]), 12) == round(1 - float(expit(2.0)), 12)
        True
        >>> p = expit(np.array([2.0, -1.0, 0.5]))
        >>> round(ece([2.0, -1.0, 0.5]), 4), round(float(np.mean(1 - p)), 4)
        (0.4093, 0.4093)
    """
    m = as_margins(margins)
    conf, lab = entries(m, as_labels(labels, m.size), "symmetric")
    return calibration_error(conf, lab, n_bins, norm, binning)


def top_label_ece(
    margins,
    n_bins: int = 10,
    *,
    labels=None,
    tie_credit: float = 0.5,
    norm: str = "l1",
    binning: str = "uniform",
) -> float:
    """Top-label ECE over pairs: confidence sigmoid(|m|), correct iff sign(m) agrees with the label.

    A tie (m = 0) has confidence 0.5, falls in (0.4, 0.5] and earns ``tie_credit``. Equals
    :func:`ece` except in the cases listed in the module docstring.

    Example:
        >>> m = [2.0, -1.0, 0.5]
        >>> abs(top_label_ece(m) - ece(m)) < 1e-12
        True
        >>> top_label_ece([0.0], tie_credit=0.0)   # a tie counted wrong: |0.5 - 0|
        0.5
    """
    m = as_margins(margins)
    conf, lab = entries(m, as_labels(labels, m.size), "top_label", tie_credit)
    return calibration_error(conf, lab, n_bins, norm, binning)


def _symmetric_reduce(margins, n_bins, labels, binning, how) -> float:
    m = as_margins(margins)
    conf, lab = entries(m, as_labels(labels, m.size), "symmetric")
    count, s_conf, s_lab = bin_sums(conf, lab, bin_edges(conf, n_bins, binning))
    return float(reduce_bins(count, s_conf - s_lab, how))


def ace(margins, n_bins: int = 10, *, labels=None, binning: str = "uniform") -> float:
    """Average calibration error as the authors compute it: the unweighted mean over non-empty
    bins of |mean confidence - mean label|, on the symmetrised entries.

    Example: margin log(3) gives confidences 0.75 (label 1) and 0.25 (label 0), each alone in
    its bin with gap 0.25:
        >>> round(ace([np.log(3.0)]), 12)
        0.25
    """
    return _symmetric_reduce(margins, n_bins, labels, binning, "ace")


def mce(margins, n_bins: int = 10, *, labels=None, binning: str = "uniform") -> float:
    """Maximum calibration error: the largest per-bin |mean confidence - mean label|
    (symmetrised entries, non-empty bins).

    Example:
        >>> round(mce([np.log(3.0), 0.0]), 12)
        0.25
    """
    return _symmetric_reduce(margins, n_bins, labels, binning, "max")


def ece_against_truth(margins, p_true, n_bins: int = 10, *, binning: str = "uniform") -> float:
    """ECE against the true preference probability instead of sampled labels.

    ``p_true[i]`` = true P(first response preferred). Same symmetric binning as :func:`ece`:
    ``sum_b |sum sigmoid - sum p_true| / 2N`` over entries (sigmoid(m), p) and (sigmoid(-m), 1-p).

    Example: margins equal to the true logits give ~0:
        >>> logit = np.array([-2.0, 0.3, 1.5])
        >>> ece_against_truth(logit, expit(logit)) < 1e-12
        True
    """
    m = as_margins(margins)
    return ece(m, n_bins, labels=as_labels(p_true, m.size, "p_true"), binning=binning)

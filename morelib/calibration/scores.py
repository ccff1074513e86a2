"""Per-pair scores: accuracy (paper and strict), ties, Brier score, NLL, errors vs true probability.

Margins are ``r(first) - r(second)``; ``labels`` (default all ones) say whether the first
response is preferred and may be probabilities. For pairwise data the symmetrised set
{(sigmoid(m), y), (sigmoid(-m), 1 - y)} gives the same Brier score and NLL as the pairs alone,
so these are computed per pair.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._common import as_labels, as_margins, correctness


def accuracy(margins, labels=None) -> float:
    """Accuracy as the paper's code computes it: a correct sign earns 1, a tie (m = 0) earns 1/2.

    Example:
        >>> accuracy([1.0, -2.0, 0.0, 3.0])
        0.625
        >>> accuracy([1.0, -2.0], labels=[1, 0])
        1.0
    """
    m = as_margins(margins)
    return float(correctness(m, as_labels(labels, m.size), 0.5).mean())


def strict_accuracy(margins, labels=None) -> float:
    """Share of pairs ranked correctly with a strict inequality (a tie earns nothing).

    Example:
        >>> strict_accuracy([1.0, -2.0, 0.0, 3.0])
        0.5
    """
    m = as_margins(margins)
    return float(correctness(m, as_labels(labels, m.size), 0.0).mean())


def n_ties(margins) -> int:
    """Number of exact ties (margin == 0), which both accuracies and the ECE treat specially.

    Example:
        >>> n_ties([0.0, 1.0, -0.0, 2.0])
        2
    """
    return int(np.count_nonzero(as_margins(margins) == 0))


def brier(margins, labels=None) -> float:
    """Brier score: mean of (sigmoid(m) - y)^2 (equal to the symmetrised two-entry form).

    Example:
        >>> brier([0.0, 0.0])
        0.25
    """
    m = as_margins(margins)
    return float(np.mean((expit(m) - as_labels(labels, m.size)) ** 2))


def nll(margins, labels=None) -> float:
    """Negative log-likelihood (the Bradley-Terry ranking loss), computed stably:
    mean of y * softplus(-m) + (1 - y) * softplus(m).

    Example:
        >>> round(nll([0.0]), 6) == round(float(np.log(2)), 6)
        True
        >>> nll([1000.0])   # no overflow
        0.0
    """
    m = as_margins(margins)
    y = as_labels(labels, m.size)
    return float(np.mean(y * np.logaddexp(0.0, -m) + (1.0 - y) * np.logaddexp(0.0, m)))


def mae_against_truth(margins, p_true) -> float:
    """Mean absolute error between sigmoid(m) and the true preference probability.

    Example:
        >>> round(mae_against_truth([0.0, 0.0], [0.5, 0.7]), 12)
        0.1
    """
    m = as_margins(margins)
    return float(np.mean(np.abs(expit(m) - as_labels(p_true, m.size, "p_true"))))


def mse_against_truth(margins, p_true) -> float:
    """Mean squared error between sigmoid(m) and the true preference probability
    (the Brier score with soft labels).

    Example:
        >>> round(mse_against_truth([0.0, 0.0], [0.5, 0.7]), 12)
        0.02
    """
    m = as_margins(margins)
    return brier(m, as_labels(p_true, m.size, "p_true"))

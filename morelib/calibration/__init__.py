"""Reward-model calibration: the paper's ECE and friends, intervals, temperature scaling.

All functions take ``margins = r(chosen) - r(rejected)`` (or r(first) - r(second) with
``labels``: 1 when the first response is preferred, 0 otherwise; soft labels allowed) and use
confidence sigmoid(margin). The paper's ECE scores every pair in both orders and bins the 2N
entries in 10 equal-width, right-closed bins (a value on an edge goes to the lower bin).

    >>> from morelib.calibration import ece, calibration_summary
    >>> round(ece([2.0, -1.0, 0.5]), 4)
    0.4093

Modules: ``binned`` (ECE, top-label ECE, ACE, MCE, ECE vs truth, generic calibration_error),
``scores`` (accuracy, ties, Brier, NLL, errors vs truth), ``summary`` (all of them in one dict),
``bootstrap`` (percentile intervals, paired test), ``seed_bootstrap`` (two-level: seeds,
then pairs), ``noise_floor`` (the ECE a calibrated RM
scores on these margins), ``temperature`` (post-hoc scaling),
``reliability`` (tables and diagrams).
"""

from .binned import ace, calibration_error, ece, ece_against_truth, mce, top_label_ece
from .bootstrap import BootstrapResult, PairedBootstrapResult, bootstrap_ece, paired_bootstrap_ece
from .noise_floor import NoiseFloor, ece_noise_floor
from .seed_bootstrap import SeedPairBootstrapResult, seed_pair_bootstrap, seed_pair_bootstrap_ece
from .reliability import reliability_diagram, reliability_table
from .scores import (
    accuracy,
    brier,
    mae_against_truth,
    mse_against_truth,
    n_ties,
    nll,
    strict_accuracy,
)
from .summary import calibration_summary
from .temperature import apply_temperature, fit_temperature

__all__ = [
    "BootstrapResult",
    "NoiseFloor",
    "PairedBootstrapResult",
    "SeedPairBootstrapResult",
    "accuracy",
    "ace",
    "apply_temperature",
    "bootstrap_ece",
    "brier",
    "calibration_error",
    "calibration_summary",
    "ece",
    "ece_against_truth",
    "ece_noise_floor",
    "fit_temperature",
    "mae_against_truth",
    "mce",
    "mse_against_truth",
    "n_ties",
    "nll",
    "paired_bootstrap_ece",
    "reliability_diagram",
    "seed_pair_bootstrap",
    "seed_pair_bootstrap_ece",
    "reliability_table",
    "strict_accuracy",
    "top_label_ece",
]

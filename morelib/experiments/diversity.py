"""Diversity of preference data (paper §10.1, Figs. 1, 8, 9): how single-source RMs differ.

Built on the long score table of :func:`morelib.experiments.score_suite` (one row per
``rm, test, pair`` with ``margin`` = Δr and, on simulator tests, the true probabilities
``p_source`` and ``p_shared``):

* :func:`cross_accuracy`: each RM's accuracy on each test set, with Wilson intervals (Fig. 1 left);
* :func:`transfer_summary`: own-source vs other-source accuracy of the single-source RMs;
* :func:`margin_shift`: mean Δr per RM and test, and its shift from the untrained *Raw* RM
  (the paper's "RM_Harmless shifts one way, the others the other way");
* :func:`drift_table`: each RM's distance from the simulator's *shared* utility r* (paper §3's
  reward drift, measurable here because the simulator knows r*);
* :func:`findings`: sentences generated from those tables (no hard-coded claims).

Example:
    >>> s = pd.DataFrame({"rm": ["raw"] * 2 + ["single/a"] * 2, "test": ["a", "b"] * 2,
    ...                   "pair": [0, 0, 0, 0], "margin": [0.1, -0.2, 2.0, -1.0]})
    >>> cross_accuracy(s)[["train", "test", "accuracy", "n"]].values.tolist()
    [['Raw', 'a', 1.0, 1], ['Raw', 'b', 0.0, 1], ['a', 'a', 1.0, 1], ['a', 'b', 0.0, 1]]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from morelib.calibration import accuracy, ece_against_truth
from morelib.stats import Finding, wilson_interval
from morelib.vocabulary import SCHEMES

#: The untrained RM's display label (the ``train`` of its rows).
RAW = SCHEMES["raw"].label


def rm_label(rm: str) -> str:
    """Display label of a suite RM: ``raw`` → ``Raw``, ``single/harmless`` → ``harmless``.

    Example:
        >>> rm_label("raw"), rm_label("single/webgpt"), rm_label("more")
        ('Raw', 'webgpt', 'more')
    """
    if rm == "raw":
        return RAW
    return rm.split("/", 1)[1] if rm.startswith("single/") else rm


def cross_accuracy(scores: pd.DataFrame, ci: float = 0.95) -> pd.DataFrame:
    """``train, test, rm, accuracy, low, high, n``: accuracy of every RM on every test set
    (a tie Δr = 0 earns half credit) with a Wilson interval; ``train`` is :func:`rm_label`.
    Rows keep the order of the RMs and tests in ``scores``. Example: the module docstring."""
    rows = []
    for (rm, test), part in scores.groupby(["rm", "test"], sort=False):
        m = part.margin.to_numpy(dtype=float)
        acc = accuracy(m)
        low, high = wilson_interval(acc * len(m), len(m), ci)
        rows.append((rm_label(rm), test, rm, acc, low, high, len(m)))
    return pd.DataFrame(rows, columns=["train", "test", "rm", "accuracy", "low", "high", "n"])


def transfer_summary(cross: pd.DataFrame) -> pd.DataFrame:
    """Per single-source RM: accuracy on its own source's test set, mean accuracy on the other
    sources' test sets (only tests named after a training source count), and the gap.

    Example:
        >>> c = pd.DataFrame({"train": ["a", "a", "b", "b"], "test": ["a", "b", "a", "b"],
        ...                   "accuracy": [0.8, 0.5, 0.6, 0.7]})
        >>> transfer_summary(c).round(2).values.tolist()
        [['a', 0.8, 0.5, 0.3], ['b', 0.7, 0.6, 0.1]]
    """
    sources = [t for t in dict.fromkeys(cross.train) if t in set(cross.test)]
    rows = []
    for src in sources:
        mine = cross[(cross.train == src) & cross.test.isin(sources)]
        own = float(mine.loc[mine.test == src, "accuracy"].mean())
        other = float(mine.loc[mine.test != src, "accuracy"].mean())
        rows.append((src, own, other, own - other))
    return pd.DataFrame(rows, columns=["train", "own", "other", "gap"])


def margin_shift(scores: pd.DataFrame, reference: str = "raw") -> pd.DataFrame:
    """``train, test, mean, std, shift``: mean and spread of Δr per RM and test set, and the
    mean's shift from the ``reference`` RM's (the untrained Raw RM) on the same pairs.

    Example:
        >>> s = pd.DataFrame({"rm": ["raw"] * 2 + ["single/a"] * 2, "test": ["a"] * 4,
        ...                   "pair": [0, 1, 0, 1], "margin": [0.0, 0.2, 1.0, 2.0]})
        >>> margin_shift(s)[["train", "mean", "shift"]].round(2).values.tolist()
        [['Raw', 0.1, 0.0], ['a', 1.5, 1.4]]
    """
    stats = (scores.groupby(["rm", "test"], sort=False).margin
             .agg(["mean", "std"]).reset_index())
    ref = stats[stats.rm == reference].set_index("test")["mean"]
    stats["shift"] = stats["mean"] - stats.test.map(ref)
    stats.insert(0, "train", stats.rm.map(rm_label))
    return stats[["train", "test", "rm", "mean", "std", "shift"]]


def drift_table(scores: pd.DataFrame, tests: Sequence[str] | None = None,
                truth: str = "p_shared") -> pd.DataFrame:
    """Each RM's distance from the simulator's shared utility, pooled over ``tests`` (default:
    every test with ground truth): ``mae`` = mean |σ(Δr) − p*|, ``ece`` = ECE of σ(Δr) against
    p* (:func:`morelib.calibration.ece_against_truth`), ``corr`` = Pearson correlation of Δr
    with the true log-odds logit(p*), ``mean_margin`` and ``n``; ``truth="p_source"`` measures
    the distance from each test source's own utility instead.

    Example:
        >>> p = np.array([0.9, 0.2, 0.7])
        >>> s = pd.DataFrame({"rm": ["exact"] * 3 + ["loud"] * 3, "test": "a", "pair": [0, 1, 2] * 2,
        ...                   "margin": np.r_[logit(p), 4 * logit(p)], "p_shared": np.r_[p, p]})
        >>> drift_table(s)[["train", "mae", "corr"]].round(3).values.tolist()
        [['exact', 0.0, 1.0], ['loud', 0.188, 1.0]]
    """
    known = scores[scores[truth].notna()] if truth in scores else scores.iloc[:0]
    if tests is not None:
        known = known[known.test.isin(list(tests))]
    rows = []
    for rm, part in known.groupby("rm", sort=False):
        m = part.margin.to_numpy(dtype=float)
        p = np.clip(part[truth].to_numpy(dtype=float), 1e-6, 1 - 1e-6)
        corr = float(np.corrcoef(m, logit(p))[0, 1]) if np.std(m) > 0 and len(m) > 1 else np.nan
        rows.append((rm_label(rm), rm, float(np.mean(np.abs(expit(m) - p))),
                     ece_against_truth(m, p), corr, float(np.mean(m)), len(m)))
    return pd.DataFrame(rows, columns=["train", "rm", "mae", "ece", "corr", "mean_margin", "n"])


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


#: The claims :func:`findings` can make, in the order it makes them.
CLAIMS = ("transfer_gap", "not_best_on_own", "margin_shift", "drift")


def findings(cross: pd.DataFrame, shift: pd.DataFrame, drift: pd.DataFrame | None = None,
             focus: str = "harmless", claims: Sequence[str] | None = None) -> list[Finding]:
    """Findings sentences (:class:`~morelib.stats.Finding`, claims in :data:`CLAIMS`:
    ``transfer_gap``, ``not_best_on_own``, ``margin_shift``, ``drift``) computed from
    :func:`cross_accuracy`, :func:`margin_shift` and :func:`drift_table` (empty tables give no
    sentence); ``claims`` keeps only the findings of those claims, selected by name.

    Example:
        >>> c = pd.DataFrame({"train": ["Raw", "Raw", "a", "a", "b", "b"],
        ...                   "test": ["a", "b"] * 3, "accuracy": [.5, .5, .8, .4, .6, .7]})
        >>> s = pd.DataFrame({"train": ["a", "b"], "test": "a", "shift": [0.2, -0.1]})
        >>> [f.claim for f in findings(c, s, focus="a")]
        ['transfer_gap', 'margin_shift']
        >>> findings(c, s, focus="a", claims=["transfer_gap"])[0]
        'Single-source RMs reach 75.0% on their own source and 50.0% on the other sources (mean gap +25.0 points; largest for a, +40.0); the untrained Raw RM averages 50.0%.'
        >>> print(*findings(c, s, focus="a", claims=["margin_shift"]))
        On the a test set, relative to Raw, the mean Δr moves up for a and down for b (shifts from -0.100 to +0.200).
    """
    unknown = sorted(set(claims or ()) - set(CLAIMS))
    if unknown:
        raise ValueError(f"unknown claim(s) {unknown}; findings makes {CLAIMS}")
    out = []
    summary = transfer_summary(cross)
    if len(summary):
        worst = summary.sort_values("gap", ascending=False).iloc[0]
        raw = cross.loc[(cross.train == RAW) & cross.test.isin(summary.train), "accuracy"]
        raw_text = f"; the untrained Raw RM averages {_pct(raw.mean())}" if len(raw) else ""
        out.append(Finding(f"Single-source RMs reach {_pct(summary.own.mean())} on their own "
                           f"source and {_pct(summary.other.mean())} on the other sources (mean "
                           f"gap {100 * summary.gap.mean():+.1f} points; largest for "
                           f"{worst.train}, {100 * worst.gap:+.1f}){raw_text}.", "transfer_gap",
                           estimate=summary.gap.mean()))
        below = summary[summary.own <= summary.other]
        if len(below):
            out.append(Finding("Not every RM is best on its own source: " + ", ".join(below.train)
                               + " score as well or better elsewhere.", "not_best_on_own"))
    here = shift[(shift.test == focus) & (shift.train != RAW)]
    if len(here):
        up = [t for t, s in zip(here.train, here["shift"]) if s > 0]
        down = [t for t, s in zip(here.train, here["shift"]) if s <= 0]
        out.append(Finding(f"On the {focus} test set, relative to Raw, the mean Δr moves up for "
                           f"{', '.join(up) or 'no RM'} and down for {', '.join(down) or 'no RM'} "
                           f"(shifts from {here['shift'].min():+.3f} to "
                           f"{here['shift'].max():+.3f}).", "margin_shift"))
    if drift is not None and len(drift):
        trained = drift[drift.train != RAW].sort_values("mae")
        if len(trained):
            best, worst = trained.iloc[0], trained.iloc[-1]
            out.append(Finding(f"Drift from the shared utility (mean |σ(Δr) − p*| on the simulator "
                               f"tests): smallest for {best.train} ({best.mae:.3f}), largest for "
                               f"{worst.train} ({worst.mae:.3f}); Pearson correlation of Δr with "
                               f"the true shared log-odds ranges from {trained['corr'].min():.2f} "
                               f"to {trained['corr'].max():.2f}.", "drift"))
    return out if claims is None else [f for f in out if f.claim in claims]

"""The statistics behind Table 1's ECE gap and Fig. 7's correlation (intervals: :mod:`morelib.stats`).

* :func:`mean_ece_gap`: paired, per-test stratified bootstrap of MORE's minus MultiTask's mean
  H&H ECE (Table 1);
* :func:`ece_win_correlation`: Pearson and Spearman correlation of RM ECE and its RJS policy's
  win rate across RMs, with prompt-bootstrap intervals (Fig. 7);
* :func:`figure7_data`: both, per judge, in the form :func:`morelib.plots.rjs.figure7` draws.

Example:
    >>> v = pd.DataFrame({"judge": "j", "policy": ["a"] * 2 + ["b"] * 2, "prompt_id": [0, 1] * 2,
    ...                   "winner": ["A", "A", "B", "tie"]})
    >>> r = ece_win_correlation({"a": 0.01, "b": 0.03}, v, n_boot=10)
    >>> r["win_rate"], r["note"]
    ([1.0, 0.25], '2 RMs: no correlation can be computed')
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.stats import bootstrap_columns, paired_summary, percentile_interval

__all__ = ["ece_win_correlation", "figure7_data", "mean_ece_gap"]


def mean_ece_gap(scores: pd.DataFrame, tests: Sequence[str], a: str = "more",
                 b: str = "multitask", n_boot: int = 1000, seed: int = 0,
                 ci: float = 0.95) -> dict[str, float]:
    """Paired bootstrap of Table 1's ECE gap: the mean over ``tests`` of ECE(``a``) minus the
    mean of ECE(``b``), both RMs scored on the same pairs (``scores``: ``rm, test, pair,
    margin``, as from :func:`morelib.experiments.score_suite`). Each test's pairs are resampled
    on their own (a stratified bootstrap; both RMs with the same indices, one seed per test);
    percentile interval and the two-sided p-value of
    :func:`~morelib.calibration.paired_bootstrap_ece`. Returns ``difference, low, high,
    p_value, ece_a, ece_b``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> m = rng.normal(1.0, 2.0, (2, 300))
        >>> rows = [(rm, t, i, k * m[j, i]) for k, rm in ((1.0, "more"), (3.0, "multitask"))
        ...         for j, t in enumerate(["helpful", "harmless"]) for i in range(300)]
        >>> s = pd.DataFrame(rows, columns=["rm", "test", "pair", "margin"])
        >>> g = mean_ece_gap(s, ["helpful", "harmless"], n_boot=200)   # 3x over-confident b
        >>> bool(g["difference"] < 0 and g["high"] < 0)
        True
        >>> bool(np.isclose(g["ece_a"] - g["ece_b"], g["difference"]))
        True
    """
    from morelib.analysis import margins
    from morelib.calibration import paired_bootstrap_ece

    runs = [paired_bootstrap_ece(margins(scores, a, [t]), margins(scores, b, [t]),
                                 n_boot=n_boot, seed=seed + i, ci=ci) for i, t in enumerate(tests)]
    if not runs:
        raise ValueError("mean_ece_gap needs at least one test")
    low, high, p_value = paired_summary(np.mean([r.replicates for r in runs], axis=0), ci)
    return {"difference": float(np.mean([r.difference for r in runs])), "low": low,
            "high": high, "p_value": p_value,
            "ece_a": float(np.mean([r.estimate_a for r in runs])),
            "ece_b": float(np.mean([r.estimate_b for r in runs]))}


def _win_half_tie(codes: np.ndarray) -> np.ndarray:
    """(wins + ties/2)/valid along the last axis; codes 1 = A, 0.5 = tie, 0 = B, NaN = error."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(codes, axis=-1)


def ece_win_correlation(ece: Mapping[str, float], verdicts: pd.DataFrame, n_boot: int = 1000,
                        seed: int = 0, ci: float = 0.95) -> dict[str, Any]:
    """Pearson and Spearman correlation of RM ECE and its RJS policy's win rate
    (``win_half_tie`` against the common reference) across RMs, with percentile-bootstrap
    intervals from resampling the evaluation prompts (the same prompts for every RM; the ECEs
    are held fixed). ``verdicts``: one judge's rows of :func:`judge_against`, policies named
    as the keys of ``ece``. With fewer than 3 RMs the correlations are NaN; a ``note`` says how
    little a handful of RMs can show.

    Example:
        >>> v = pd.DataFrame({"policy": ["a"] * 4 + ["b"] * 4 + ["c"] * 4, "prompt_id": list(range(4)) * 3,
        ...                   "winner": ["A", "A", "A", "B", "A", "B", "tie", "B", "B"] + ["B"] * 3})
        >>> r = ece_win_correlation({"a": 0.01, "b": 0.02, "c": 0.05}, v, n_boot=200)
        >>> r["n_rms"], round(r["spearman"], 2), r["spearman_low"] <= r["spearman"] <= r["spearman_high"]
        (3, -1.0, True)
    """
    from scipy import stats

    names = [n for n in ece if n in set(verdicts.policy)]
    codes_map = {"A": 1.0, "tie": 0.5, "B": 0.0, "error": np.nan}
    wide = (verdicts[verdicts.policy.isin(names)]
            .assign(code=lambda d: d.winner.map(codes_map))
            .pivot(index="policy", columns="prompt_id", values="code").loc[names])
    codes = wide.to_numpy(dtype=np.float64)
    x = np.array([ece[n] for n in names], dtype=np.float64)
    win = _win_half_tie(codes)
    out: dict[str, Any] = {"n_rms": len(names), "n_prompts": codes.shape[1], "rms": names,
                           "ece": x.tolist(), "win_rate": win.tolist()}

    def corr(y: np.ndarray) -> tuple[float, float]:
        if len(names) < 3 or np.nanstd(y) == 0 or np.std(x) == 0 or np.isnan(y).any():
            return float("nan"), float("nan")
        return float(stats.pearsonr(x, y)[0]), float(stats.spearmanr(x, y)[0])

    out["pearson"], out["spearman"] = corr(win)
    reps = (bootstrap_columns(codes, lambda c: corr(_win_half_tie(c)), n_boot, seed)
            if len(names) >= 3 else np.full((1, 2), np.nan))
    for j, m in enumerate(("pearson", "spearman")):
        out[f"{m}_low"], out[f"{m}_high"] = percentile_interval(reps[:, j], ci)
    if len(names) < 3:
        out["note"] = f"{len(names)} RMs: no correlation can be computed"
    elif np.isnan(out["pearson"]):
        out["note"] = "the win rates (or ECEs) are equal across RMs: no correlation can be computed"
    elif len(names) < 8:
        out["note"] = (f"only {len(names)} RMs: a correlation across so few points is anecdotal "
                       "whatever its prompt-bootstrap interval (which ignores the RMs' own "
                       "sampling variation)")
    else:
        out["note"] = ""
    return out


def figure7_data(verdicts: pd.DataFrame, wins: pd.DataFrame, ece: Mapping[str, float],
                 rms: Sequence[str], judges: Sequence[str], n_boot: int = 1000,
                 seed: int = 0) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Fig. 7's ``(points, corr)``: the :func:`~morelib.alignment.judging.win_table` rows of
    ``rms`` against the reference for each of ``judges``, with their RM's ``ece``, and
    :func:`ece_win_correlation` per judge (``verdicts``: every judge's and comparison's rows).

    Example:
        >>> v = pd.DataFrame({"judge": "j", "policy": ["a", "a", "b", "b", "a_vs_b"],
        ...                   "prompt_id": [0, 1, 0, 1, 0], "winner": ["A", "A", "B", "A", "A"]})
        >>> from morelib.alignment.judging import win_table
        >>> points, corr = figure7_data(v, win_table(v, 10), {"a": .01, "b": .02}, ["a", "b"], ["j"], 10)
        >>> points[["policy", "ece", "win_half_tie"]].values.tolist(), corr["j"]["n_rms"]
        ([['a', 0.01, 1.0], ['b', 0.02, 0.5]], 2)
    """
    vs = verdicts[verdicts.policy.isin(rms)]
    corr = {j: ece_win_correlation({rm: ece[rm] for rm in rms}, vs[vs.judge == j],
                                   n_boot=n_boot, seed=seed) for j in judges}
    points = wins[wins.policy.isin(rms) & wins.judge.isin(judges)].assign(
        ece=lambda d: d.policy.map(ece))
    return points, corr

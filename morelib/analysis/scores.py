"""Accuracy, ECE, paired ECE gaps, Δr outliers and temperature scaling from a long score table
(``rm, test, pair, margin``): the numbers behind Table 2, Figs. 3–5 and Tables 4–6."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from morelib.calibration import (
    apply_temperature,
    bootstrap_ece,
    ece,
    fit_temperature,
    paired_bootstrap_ece,
)
from morelib.calibration import accuracy as _accuracy
from morelib.stats import bootstrap_accuracy, percentile_interval
from morelib.vocabulary import scheme_name

def margins(scores: pd.DataFrame, rm: str, tests: Iterable[str]) -> np.ndarray:
    """Margins of one RM on the given tests, concatenated in test then pair order."""
    tests = list(tests)
    part = scores[(scores.rm == rm) & scores.test.isin(tests)]
    order = {t: i for i, t in enumerate(tests)}
    part = part.assign(_o=part.test.map(order)).sort_values(["_o", "pair"])
    return part.margin.to_numpy(dtype=np.float64)


def _accuracy_interval(m: np.ndarray, n_boot: int, ci: float, seed: int) -> tuple[float, float]:
    return percentile_interval(bootstrap_accuracy(m, n_boot, seed), ci)


def accuracy_ece(scores: pd.DataFrame, tests: Sequence[str], rms: Sequence[str] | None = None,
                 n_boot: int = 1000, ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Tidy ``rm, scheme, test, metric, value, low, high`` (accuracy and ECE, 95 % percentile
    bootstrap over pairs) per RM and test, plus ``mean`` accuracy (mean over ``tests``, CI from
    the pooled resample) and ``pooled`` ECE (ECE of the merged tests).

    Example:
        >>> s = pd.DataFrame({"rm": "more", "test": ["a"] * 3 + ["b"] * 3, "pair": [0, 1, 2] * 2,
        ...                   "margin": [1., 2., -1., .5, .5, -.5]})
        >>> t = accuracy_ece(s, ["a", "b"], n_boot=50)
        >>> t[t.metric == "accuracy"].set_index("test").value.round(3).to_dict()
        {'a': 0.667, 'b': 0.667, 'mean': 0.667}
        >>> list(t.columns)
        ['rm', 'scheme', 'test', 'metric', 'value', 'low', 'high']
    """
    rows = []
    rms = list(rms) if rms is not None else list(dict.fromkeys(scores.rm))
    for rm in rms:
        accs = []
        for test in tests:
            m = margins(scores, rm, [test])
            if len(m) == 0:
                continue
            lo, hi = _accuracy_interval(m, n_boot, ci, seed)
            accs.append(_accuracy(m))
            rows.append((rm, test, "accuracy", _accuracy(m), lo, hi))
            b = bootstrap_ece(m, n_boot=n_boot, ci=ci, seed=seed)
            rows.append((rm, test, "ece", b.estimate, b.low, b.high))
        if not accs:
            continue
        merged = margins(scores, rm, tests)
        lo, hi = _accuracy_interval(merged, n_boot, ci, seed)
        rows.append((rm, "mean", "accuracy", float(np.mean(accs)), lo, hi))
        b = bootstrap_ece(merged, n_boot=n_boot, ci=ci, seed=seed)
        rows.append((rm, "pooled", "ece", b.estimate, b.low, b.high))
    out = pd.DataFrame(rows, columns=["rm", "test", "metric", "value", "low", "high"])
    out.insert(1, "scheme", out.rm.map(scheme_name))
    return out


def ece_gaps(scores: pd.DataFrame, tests: Sequence[str], a: str = "more", b: str = "multitask",
             n_boot: int = 1000, seed: int = 0, pooled: bool = True) -> pd.DataFrame:
    """Paired bootstrap of ECE(a) − ECE(b) per test (and on the merged tests as ``pooled``):
    ``test, a, b, ece_a, ece_b, difference, low, high, p_value`` (negative: ``a`` better)."""
    rows = []
    groups = [[t] for t in tests] + ([list(tests)] if pooled and len(tests) > 1 else [])
    for group in groups:
        ma, mb = margins(scores, a, group), margins(scores, b, group)
        if len(ma) == 0 or len(ma) != len(mb):
            continue
        r = paired_bootstrap_ece(ma, mb, n_boot=n_boot, seed=seed)
        rows.append((group[0] if len(group) == 1 else "pooled", a, b, ece(ma), ece(mb),
                     r.difference, r.low, r.high, r.p_value))
    return pd.DataFrame(rows, columns=["test", "a", "b", "ece_a", "ece_b", "difference", "low",
                                       "high", "p_value"])


def box_outliers(values: np.ndarray, whis: float = 1.5) -> np.ndarray:
    """Boolean mask of box-plot fliers: beyond ``whis`` × IQR below Q1 or above Q3 (linear
    quantiles, as matplotlib's boxplot).

    Example:
        >>> box_outliers(np.array([1., 2., 3., 4., 100.])).tolist()
        [False, False, False, False, True]
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    q1, q3 = np.percentile(values, [25, 75])
    iqr = q3 - q1
    return (values < q1 - whis * iqr) | (values > q3 + whis * iqr)


def margin_outliers(scores: pd.DataFrame, tests: Sequence[str], rms: Sequence[str],
                    whis: float = 1.5) -> pd.DataFrame:
    """Tables 4–6: per RM and test, ECE and the outliers of Δr among positive (Δr > 0, correctly
    ordered) and negative (Δr < 0) pairs, each group with its own box-plot rule. Columns:
    ``test, rm, scheme, n, ece, pos_n, pos_outliers, pos_mean, pos_outlier_mean, neg_n,
    neg_outliers, neg_mean, neg_outlier_mean`` (``*_mean``: mean Δr of the group;
    ``*_outlier_mean``: mean Δr of its outliers, NaN when there are none).

    Example:
        >>> s = pd.DataFrame({"rm": "more", "test": "a", "pair": range(6),
        ...                   "margin": [.1, .2, .3, .4, 9., -.5]})
        >>> r = margin_outliers(s, ["a"], ["more"]).iloc[0]
        >>> int(r.pos_outliers), float(r.pos_outlier_mean), int(r.neg_outliers)
        (1, 9.0, 0)
    """
    rows = []
    for test in tests:
        for rm in rms:
            m = margins(scores, rm, [test])
            if len(m) == 0:
                continue
            row = {"test": test, "rm": rm, "scheme": scheme_name(rm), "n": len(m), "ece": ece(m)}
            for name, group in (("pos", m[m > 0]), ("neg", m[m < 0])):
                flag = box_outliers(group, whis)
                row[f"{name}_n"] = len(group)
                row[f"{name}_outliers"] = int(flag.sum())
                row[f"{name}_mean"] = float(group.mean()) if len(group) else np.nan
                row[f"{name}_outlier_mean"] = float(group[flag].mean()) if flag.any() else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def temperature_comparison(scores: pd.DataFrame, tests: Sequence[str], rms: Sequence[str],
                           n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Post-hoc temperature scaling against MORE. The pairs of every test are split at random
    (seeded) into a calibration half and an evaluation half; each RM gets one temperature fitted
    on its calibration half (all tests merged); ECE is reported on the evaluation half before
    (``ece``) and after (``ece_scaled``) scaling, with bootstrap intervals. Columns:
    ``rm, scheme, temperature, ece, ece_low, ece_high, ece_scaled, scaled_low, scaled_high,
    n_eval``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> logit = rng.normal(0, 1.5, 4000)
        >>> sign = np.where(rng.random(4000) < 1 / (1 + np.exp(-logit)), 1, -1)
        >>> s = pd.DataFrame({"rm": "x", "test": "a", "pair": range(4000),
        ...                   "margin": 4 * logit * sign})   # 4x over-confident
        >>> r = temperature_comparison(s, ["a"], ["x"], n_boot=50).iloc[0]
        >>> round(r.temperature), bool(r.ece_scaled < r.ece)
        (4, True)
    """
    rng = np.random.default_rng(seed)
    halves = {}
    for test in tests:
        n = int(scores[scores.test == test].pair.nunique())
        perm = rng.permutation(n)
        halves[test] = (np.sort(perm[: n // 2]), np.sort(perm[n // 2:]))
    rows = []
    for rm in rms:
        calib, held = [], []
        for test in tests:
            m = margins(scores, rm, [test])
            if len(m) == 0:
                continue
            calib.append(m[halves[test][0]])
            held.append(m[halves[test][1]])
        if not held:
            continue
        calib_m, held_m = np.concatenate(calib), np.concatenate(held)
        t = fit_temperature(calib_m)
        before = bootstrap_ece(held_m, n_boot=n_boot, seed=seed)
        after = bootstrap_ece(apply_temperature(held_m, t), n_boot=n_boot, seed=seed)
        rows.append({"rm": rm, "scheme": scheme_name(rm), "temperature": t,
                     "ece": before.estimate, "ece_low": before.low, "ece_high": before.high,
                     "ece_scaled": after.estimate, "scaled_low": after.low,
                     "scaled_high": after.high, "n_eval": len(held_m)})
    return pd.DataFrame(rows)

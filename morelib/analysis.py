"""Analyses behind notebooks 02 and 04, computed from one long score table.

The score table is :func:`morelib.experiments.score_suite`'s (``rm, test, pair, margin, ...``).
:func:`with_ensembles` adds the paper's *Averaging* and *Top* as rows, so every later step treats
all schemes alike:

* :func:`accuracy_ece` — Table 2 / Figs. 3–4: accuracy and ECE per RM and test set with
  percentile bootstrap intervals, plus ``mean`` (Avg. accuracy over the chosen tests) and
  ``pooled`` (ECE over the merged tests: the paper does not say how it pools; this is our rule);
* :func:`ece_gaps` — paired bootstrap of ECE(A) − ECE(B) on the same pairs;
* :func:`margin_outliers` — Tables 4–6: Δr outliers by the box-plot rule (beyond 1.5 IQR of the
  quartiles, computed separately for correctly and wrongly ordered pairs, as the boxes of Fig. 5);
* :func:`temperature_comparison` — MORE against post-hoc temperature scaling on held-out halves;
* :func:`lambda_history`, :func:`lambda_summary` — MORE's λ and head-gradient cosines.

Example:
    >>> s = pd.DataFrame({"rm": ["single/a"] * 4 + ["single/b"] * 4, "test": ["a", "a", "b", "b"] * 2,
    ...                   "pair": [0, 1] * 4, "margin": [1., 2., -1., -1., -3., 1., 2., 2.]})
    >>> ext = with_ensembles(s)
    >>> sorted(ext.rm.unique())
    ['averaging', 'single/a', 'single/b', 'top']
    >>> ext[ext.rm == "top"].groupby("test").margin.sum().to_dict()   # a: from single/a, b: single/b
    {'a': 3.0, 'b': 4.0}
"""

from __future__ import annotations

import json
from pathlib import Path
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
from morelib.experiments.suite import with_ensembles  # noqa: F401  (re-exported)

#: Display names of the schemes, in the paper's row order.
SOURCES_FIVE = ("helpful", "harmless", "oasst1", "webgpt", "summarize")
SCHEME_NAMES = {"raw": "Raw", "top": "Top", "averaging": "Averaging", "multitask": "MultiTask",
                "more": "MORE"}


def scheme_name(rm: str) -> str:
    """Display name: ``more`` → ``MORE``, ``single/helpful`` → ``Single (helpful)``.

    Example:
        >>> scheme_name("multitask"), scheme_name("single/webgpt")
        ('MultiTask', 'Single (webgpt)')
    """
    if rm.startswith("single/"):
        return f"Single ({rm.split('/', 1)[1]})"
    return SCHEME_NAMES.get(rm, rm)


def margins(scores: pd.DataFrame, rm: str, tests: Iterable[str]) -> np.ndarray:
    """Margins of one RM on the given tests, concatenated in test then pair order."""
    tests = list(tests)
    part = scores[(scores.rm == rm) & scores.test.isin(tests)]
    order = {t: i for i, t in enumerate(tests)}
    part = part.assign(_o=part.test.map(order)).sort_values(["_o", "pair"])
    return part.margin.to_numpy(dtype=np.float64)


def _boot_accuracy(m: np.ndarray, n_boot: int, ci: float, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    credit = (m > 0) + 0.5 * (m == 0)
    idx = rng.integers(0, len(m), size=(n_boot, len(m)))
    stats = credit[idx].mean(axis=1)
    q = (1 - ci) / 2
    return float(np.quantile(stats, q)), float(np.quantile(stats, 1 - q))


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
            lo, hi = _boot_accuracy(m, n_boot, ci, seed)
            accs.append(_accuracy(m))
            rows.append((rm, test, "accuracy", _accuracy(m), lo, hi))
            b = bootstrap_ece(m, n_boot=n_boot, ci=ci, seed=seed)
            rows.append((rm, test, "ece", b.estimate, b.low, b.high))
        if not accs:
            continue
        merged = margins(scores, rm, tests)
        lo, hi = _boot_accuracy(merged, n_boot, ci, seed)
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


def lambda_history(model_folder: str | Path | None) -> pd.DataFrame:
    """The training history (λ, losses, head-gradient norms and cosines per step) of a suite RM:
    ``<entry>/lambda_history.jsonl`` beside ``<entry>/model``; empty when absent."""
    if model_folder is None:
        return pd.DataFrame()
    path = Path(model_folder).parent / "lambda_history.jsonl"
    if not path.exists():
        return pd.DataFrame()
    with open(path) as f:
        return pd.DataFrame([json.loads(line) for line in f if line.strip()])


def lambda_long(history: pd.DataFrame, prefix: str = "lambda/") -> pd.DataFrame:
    """``step, source, lambda`` rows from a history's ``lambda/<source>`` columns (averaged over
    the micro-batches of a step).

    Example:
        >>> h = pd.DataFrame({"step": [0, 0, 1], "lambda/a": [.2, .4, .5], "lambda/b": [.8, .6, .5]})
        >>> lambda_long(h).round(2).values.tolist()
        [[0, 'a', 0.3], [0, 'b', 0.7], [1, 'a', 0.5], [1, 'b', 0.5]]
    """
    cols = [c for c in history.columns if c.startswith(prefix)]
    if not cols:
        return pd.DataFrame(columns=["step", "source", "lambda"])
    long = history.melt(id_vars="step", value_vars=cols, var_name="source", value_name="lambda")
    long["source"] = long.source.str[len(prefix):]
    return long.groupby(["step", "source"], sort=False)["lambda"].mean().reset_index() \
        .sort_values(["step", "source"], kind="stable").reset_index(drop=True)


def lambda_summary(history: pd.DataFrame) -> pd.DataFrame:
    """Per source: mean λ over training, over its first and last quarter of steps, and the
    mean λ-free head-gradient cosine with the other sources. Columns: ``source, lambda_mean,
    lambda_first, lambda_last, uniform, mean_cosine``."""
    long = lambda_long(history)
    if long.empty:
        return pd.DataFrame(columns=["source", "lambda_mean", "lambda_first", "lambda_last",
                                     "uniform", "mean_cosine"])
    steps = np.sort(long.step.unique())
    q = max(1, len(steps) // 4)
    first, last = set(steps[:q]), set(steps[-q:])
    k = long.source.nunique()
    rows = []
    for src, part in long.groupby("source", sort=False):
        cos = [history[c].mean() for c in history.columns
               if c.startswith("cosine/") and src in c[len("cosine/"):].split("~")]
        rows.append({"source": src, "lambda_mean": part["lambda"].mean(),
                     "lambda_first": part[part.step.isin(first)]["lambda"].mean(),
                     "lambda_last": part[part.step.isin(last)]["lambda"].mean(),
                     "uniform": 1.0 / k,
                     "mean_cosine": float(np.nanmean(cos)) if cos else np.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- tables for reports

def _test_label(test: str) -> str:
    return test.replace(" (real)", "")


def wide_accuracy_ece(table: pd.DataFrame, tests: Sequence[str],
                      rms: Sequence[str] = ("raw", "top", "averaging", "multitask", "more"),
                      ) -> pd.DataFrame:
    """Table 2's layout from :func:`accuracy_ece`: one row per scheme, accuracy % [95 % CI] per
    test, ``Avg.`` (mean over the tests) and pooled ``ECE`` [95 % CI], as text.

    Example:
        >>> s = pd.DataFrame({"rm": "more", "test": ["a"] * 4, "pair": range(4),
        ...                   "margin": [1., 2., -1., .5]})
        >>> wide_accuracy_ece(accuracy_ece(s, ["a"], n_boot=20), ["a"], ["more"]).columns.tolist()
        ['scheme', 'a', 'Avg.', 'ECE']
    """
    rows = []
    for rm in rms:
        part = table[table.rm == rm]
        if part.empty:
            continue
        row = {"scheme": scheme_name(rm)}
        for test in list(tests) + ["mean"]:
            r = part[(part.test == test) & (part.metric == "accuracy")]
            label = "Avg." if test == "mean" else test
            row[label] = (_ci_text(r.iloc[0], 1, 100) if len(r) else "–")
        r = part[(part.test == "pooled") & (part.metric == "ece")]
        row["ECE"] = _ci_text(r.iloc[0], 4) if len(r) else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def _ci_text(r: pd.Series, digits: int, scale: float = 1.0) -> str:
    return (f"{r.value * scale:.{digits}f} [{r.low * scale:.{digits}f}, "
            f"{r.high * scale:.{digits}f}]")


def paper_table2_rows(base: str, tests: Sequence[str]) -> pd.DataFrame:
    """The paper's Table 2 rows for ``base`` in :func:`wide_accuracy_ece`'s layout (columns of
    the tests the paper has; others blank), the scheme labelled ``paper <base>: <method>``."""
    from morelib.paper_numbers import table2

    paper = table2()
    paper = paper[paper.base == base]
    rows = []
    for _, p in paper.iterrows():
        row = {"scheme": f"paper {base}: {p.method}"}
        for test in tests:
            col = _test_label(test)
            row[test] = f"{p[col]:.2f}" if col in paper.columns else "–"
        # the paper's printed Avg. is over its five tests: shown only when ours are those five
        five = sorted(_test_label(t) for t in tests) == sorted(SOURCES_FIVE)
        row["Avg."] = f"{p.avg_printed:.2f}" if five else "–"
        row["ECE"] = f"{p.ece:.4f}"
        rows.append(row)
    return pd.DataFrame(rows)


def paper_outlier_rows(base: str | None = None) -> pd.DataFrame:
    """The paper's Tables 4–6 (all, or the table of ``base``) with ``origin = paper``."""
    from morelib.paper_numbers import table456

    t = table456()
    return t if base is None else t[t.base == base]


# --------------------------------------------------------------------------- generated findings

def _verdict(diff: float, low: float, high: float, better: str, worse: str) -> str:
    if high < 0:
        return better
    if low > 0:
        return worse
    return "not distinguishable from"


def findings_accuracy_ece(table: pd.DataFrame, gaps: pd.DataFrame, label: str) -> list[str]:
    """Bullet sentences comparing MORE with MultiTask and Top, built from the numbers (accuracy
    ``mean`` with CIs from :func:`accuracy_ece`; ECE gaps from :func:`ece_gaps`)."""
    def val(rm: str, test: str, metric: str) -> pd.Series | None:
        r = table[(table.rm == rm) & (table.test == test) & (table.metric == metric)]
        return r.iloc[0] if len(r) else None

    out = []
    more, mt, top = (val(rm, "mean", "accuracy") for rm in ("more", "multitask", "top"))
    if more is not None and mt is not None:
        overlap = not (more.low > mt.high or mt.low > more.high)
        out.append(f"{label}: mean accuracy MORE {more.value:.1%} vs MultiTask {mt.value:.1%} "
                   f"({'95 % intervals overlap' if overlap else 'intervals do not overlap'}).")
    if more is not None and top is not None:
        out.append(f"{label}: Top (best single-source RM per test) reaches {top.value:.1%} "
                   f"mean accuracy, MORE {more.value:.1%}.")
    pooled = gaps[gaps.test == "pooled"]
    for _, g in (pooled if len(pooled) else gaps).iterrows():
        verdict = _verdict(g.difference, g.low, g.high, "lower than", "higher than")
        where = label if g.test == label else f"{label} ({g.test})"
        out.append(f"{where}: MORE's ECE {g.ece_a:.4f} is {verdict} "
                   f"{scheme_name(g.b)}'s {g.ece_b:.4f} (paired bootstrap difference "
                   f"{g.difference:+.4f}, 95 % CI [{g.low:+.4f}, {g.high:+.4f}], "
                   f"p = {g.p_value:.3f}).")
    per_test = gaps[gaps.test != "pooled"]
    if len(per_test) > 1:
        lower = int((per_test.high < 0).sum())
        higher = int((per_test.low > 0).sum())
        out.append(f"{label}: per test set, MORE's ECE vs {scheme_name(per_test.b.iloc[0])} "
                   f"is significantly lower on {lower}, significantly higher on {higher}, and "
                   f"not distinguishable on {len(per_test) - lower - higher} of "
                   f"{len(per_test)}.")
    return out


def findings_lambda(summary: pd.DataFrame) -> list[str]:
    """Sentences on MORE's λ: which sources it up- and down-weights, and drift over training."""
    if summary.empty:
        return ["No λ history was recorded for the MORE RM."]
    s = summary.sort_values("lambda_mean")
    uniform = float(s.uniform.iloc[0])
    lo, hi = s.iloc[0], s.iloc[-1]
    out = [f"MORE's mean λ ranges from {lo.lambda_mean:.3f} ({lo.source}) to "
           f"{hi.lambda_mean:.3f} ({hi.source}); uniform would be {uniform:.3f}."]
    moved = summary.assign(change=summary.lambda_last - summary.lambda_first)
    m = moved.loc[moved.change.abs().idxmax()]
    out.append(f"The largest change between the first and last quarter of training is "
               f"{m.source}: {m.lambda_first:.3f} → {m.lambda_last:.3f}.")
    return out


def findings_conflict(matrix: pd.DataFrame, label: str, near_zero: float = 0.05) -> list[str]:
    """Sentences on head-gradient cosines between sources, averaged over training steps
    (negative = conflicting; within ±``near_zero`` counted as neither).

    Example:
        >>> m = pd.DataFrame([[1, -.3, .01], [-.3, 1, .2], [.01, .2, 1]], ["a", "b", "c"], ["a", "b", "c"])
        >>> print(findings_conflict(m, "MORE")[0])
        MORE: mean head-gradient cosine between sources -0.030 (averaged over steps); 1 of 3 source pairs conflict (cosine < -0.05), 1 align (> 0.05), 1 near zero; most conflicting a–b (-0.300).
    """
    names = list(matrix.columns)
    pairs = [(float(matrix.iloc[i, j]), names[i], names[j]) for i in range(len(names))
             for j in range(i + 1, len(names)) if np.isfinite(matrix.iloc[i, j])]
    if not pairs:
        return [f"{label}: no head-gradient cosines were recorded."]
    neg = sum(1 for c, _, _ in pairs if c < -near_zero)
    pos = sum(1 for c, _, _ in pairs if c > near_zero)
    worst = min(pairs)
    return [f"{label}: mean head-gradient cosine between sources "
            f"{np.mean([c for c, _, _ in pairs]):+.3f} (averaged over steps); {neg} of "
            f"{len(pairs)} source pairs conflict (cosine < -{near_zero:g}), {pos} align "
            f"(> {near_zero:g}), {len(pairs) - neg - pos} near zero; most conflicting "
            f"{worst[1]}–{worst[2]} ({worst[0]:+.3f})."]


def findings_temperature(temp: pd.DataFrame) -> list[str]:
    """Sentences: MORE without post-hoc scaling against MultiTask after temperature scaling."""
    out = []
    by = temp.set_index("rm")
    for rm, r in by.iterrows():
        kind = "over-confident" if r.temperature > 1 else "under-confident"
        out.append(f"{scheme_name(rm)}: fitted temperature {r.temperature:.2f} ({kind}); "
                   f"held-out ECE {r.ece:.4f} → {r.ece_scaled:.4f} after scaling.")
    if "more" in by.index and "multitask" in by.index:
        more, mt = by.loc["more"], by.loc["multitask"]
        if more.ece_high < mt.scaled_low:
            v = "lower than"
        elif more.ece_low > mt.scaled_high:
            v = "higher than"
        else:
            v = "within the bootstrap intervals of"
        out.append(f"MORE without scaling ({more.ece:.4f}) is {v} MultiTask with post-hoc "
                   f"temperature scaling ({mt.ece_scaled:.4f}) on the held-out halves.")
    return out


def findings_outliers(table: pd.DataFrame) -> list[str]:
    """Sentences comparing MORE's outlier means (|Δr| of fliers) with the other schemes."""
    def side(a: pd.Series, b: pd.Series, sign: str) -> str:
        ma, mb = a[f"{sign}_outlier_mean"], b[f"{sign}_outlier_mean"]
        na, nb = int(a[f"{sign}_outliers"]), int(b[f"{sign}_outliers"])
        head = f"{'positive' if sign == 'pos' else 'negative'} outliers {na} vs {nb}"
        if not (np.isfinite(ma) and np.isfinite(mb)):
            return head + " (no mean to compare)"
        smaller = abs(ma) < abs(mb)
        return head + f", mean Δr {ma:+.3f} vs {mb:+.3f} ({'smaller' if smaller else 'not smaller'} in size)"

    out = []
    for test, part in table.groupby("test", sort=False):
        p = part.set_index("rm")
        if "more" not in p.index:
            continue
        for other in [rm for rm in ("top", "multitask") if rm in p.index]:
            a, b = p.loc["more"], p.loc[other]
            out.append(f"{test}, MORE vs {scheme_name(other)}: {side(a, b, 'pos')}; "
                       f"{side(a, b, 'neg')}.")
    return out

"""Generated findings: sentences built from the measured numbers and their intervals (an
interval that contains zero is reported as "not distinguishable")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from morelib.analysis.scores import scheme_name


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

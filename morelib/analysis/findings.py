"""Generated findings: sentences built from the measured numbers and their intervals (an
interval that contains zero is reported as "not distinguishable"), each a
:class:`~morelib.stats.Finding` (the sentence, plus ``claim``, ``estimate``,
``ci_low``, ``ci_high`` and ``verdict``).

Claims: ``mean_accuracy``, ``top_accuracy``, ``ece_gap``, ``ece_gap_per_test`` (accuracy and
ECE); ``lowest_ece``; ``out_of_domain`` (a caveat); ``lambda_range``, ``lambda_drift``; ``gradient_conflict``; ``temperature``,
``unscaled_vs_scaled``; ``outliers``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from morelib.stats import Finding
from morelib.vocabulary import scheme_name


def _verdict(diff: float, low: float, high: float, better: str, worse: str) -> str:
    if high < 0:
        return better
    if low > 0:
        return worse
    return "not distinguishable from"


def findings_accuracy_ece(table: pd.DataFrame, gaps: pd.DataFrame, label: str) -> list[Finding]:
    """Bullet sentences comparing MORE with MultiTask and Top, built from the numbers (accuracy
    ``mean`` with CIs from :func:`accuracy_ece`; ECE gaps from :func:`ece_gaps`).

    Example (select by ``claim``, not by the wording):
        >>> gaps = pd.DataFrame([{"test": "pooled", "a": "more", "b": "top", "ece_a": 0.02,
        ...     "ece_b": 0.05, "difference": -0.03, "low": -0.05, "high": -0.01, "p_value": 0.002}])
        >>> [f] = [f for f in findings_accuracy_ece(pd.DataFrame(columns=["rm", "test", "metric"]),
        ...                                         gaps, "sim") if f.claim == "ece_gap"]
        >>> print(f)
        sim (pooled): MORE's ECE 0.0200 is lower than Top's 0.0500 (paired bootstrap difference -0.0300, 95 % CI [-0.0500, -0.0100], p = 0.002).
        >>> f.verdict, f.estimate, (f.ci_low, f.ci_high)
        ('lower than', -0.03, (-0.05, -0.01))
    """
    def val(rm: str, test: str, metric: str) -> pd.Series | None:
        r = table[(table.rm == rm) & (table.test == test) & (table.metric == metric)]
        return r.iloc[0] if len(r) else None

    out = []
    more, mt, top = (val(rm, "mean", "accuracy") for rm in ("more", "multitask", "top"))
    if more is not None and mt is not None:
        overlap = not (more.low > mt.high or mt.low > more.high)
        verdict = "95 % intervals overlap" if overlap else "intervals do not overlap"
        out.append(Finding(f"{label}: mean accuracy MORE {more.value:.1%} vs MultiTask "
                           f"{mt.value:.1%} ({verdict}).", "mean_accuracy", estimate=more.value,
                           ci_low=more.low, ci_high=more.high, verdict=verdict))
    if more is not None and top is not None:
        out.append(Finding(f"{label}: Top (best single-source RM per test) reaches "
                           f"{top.value:.1%} mean accuracy, MORE {more.value:.1%}.",
                           "top_accuracy", estimate=top.value, ci_low=top.low,
                           ci_high=top.high))
    pooled = gaps[gaps.test == "pooled"]
    for _, g in (pooled if len(pooled) else gaps).iterrows():
        verdict = _verdict(g.difference, g.low, g.high, "lower than", "higher than")
        where = label if g.test == label else f"{label} ({g.test})"
        out.append(Finding(f"{where}: MORE's ECE {g.ece_a:.4f} is {verdict} "
                           f"{scheme_name(g.b)}'s {g.ece_b:.4f} (paired bootstrap difference "
                           f"{g.difference:+.4f}, 95 % CI [{g.low:+.4f}, {g.high:+.4f}], "
                           f"p = {g.p_value:.3f}).", "ece_gap", estimate=g.difference,
                           ci_low=g.low, ci_high=g.high, verdict=verdict))
    per_test = gaps[gaps.test != "pooled"]
    if len(per_test) > 1:
        lower = int((per_test.high < 0).sum())
        higher = int((per_test.low > 0).sum())
        out.append(Finding(f"{label}: per test set, MORE's ECE vs "
                           f"{scheme_name(per_test.b.iloc[0])} is significantly lower on {lower}, "
                           f"significantly higher on {higher}, and not distinguishable on "
                           f"{len(per_test) - lower - higher} of {len(per_test)}.",
                           "ece_gap_per_test"))
    return out


def findings_lambda(summary: pd.DataFrame) -> list[Finding]:
    """Sentences on MORE's λ: which sources it up- and down-weights, and drift over training."""
    if summary.empty:
        return [Finding("No λ history was recorded for the MORE RM.", "lambda_range")]
    s = summary.sort_values("lambda_mean")
    uniform = float(s.uniform.iloc[0])
    lo, hi = s.iloc[0], s.iloc[-1]
    out = [Finding(f"MORE's mean λ ranges from {lo.lambda_mean:.3f} ({lo.source}) to "
                   f"{hi.lambda_mean:.3f} ({hi.source}); uniform would be {uniform:.3f}.",
                   "lambda_range")]
    moved = summary.assign(change=summary.lambda_last - summary.lambda_first)
    m = moved.loc[moved.change.abs().idxmax()]
    out.append(Finding(f"The largest change between the first and last quarter of training is "
                       f"{m.source}: {m.lambda_first:.3f} → {m.lambda_last:.3f}.",
                       "lambda_drift", estimate=m.change))
    return out


def findings_conflict(matrix: pd.DataFrame, label: str, near_zero: float = 0.05) -> list[Finding]:
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
        return [Finding(f"{label}: no head-gradient cosines were recorded.", "gradient_conflict")]
    neg = sum(1 for c, _, _ in pairs if c < -near_zero)
    pos = sum(1 for c, _, _ in pairs if c > near_zero)
    worst = min(pairs)
    mean = float(np.mean([c for c, _, _ in pairs]))
    return [Finding(f"{label}: mean head-gradient cosine between sources {mean:+.3f} (averaged "
                    f"over steps); {neg} of {len(pairs)} source pairs conflict (cosine < "
                    f"-{near_zero:g}), {pos} align (> {near_zero:g}), {len(pairs) - neg - pos} "
                    f"near zero; most conflicting {worst[1]}–{worst[2]} ({worst[0]:+.3f}).",
                    "gradient_conflict", estimate=mean)]


def findings_temperature(temp: pd.DataFrame) -> list[Finding]:
    """Sentences: MORE without post-hoc scaling against MultiTask after temperature scaling."""
    out = []
    by = temp.set_index("rm")
    for rm, r in by.iterrows():
        kind = "over-confident" if r.temperature > 1 else "under-confident"
        out.append(Finding(f"{scheme_name(rm)}: fitted temperature {r.temperature:.2f} ({kind}); "
                           f"held-out ECE {r.ece:.4f} → {r.ece_scaled:.4f} after scaling.",
                           "temperature", estimate=r.temperature, verdict=kind))
    if "more" in by.index and "multitask" in by.index:
        more, mt = by.loc["more"], by.loc["multitask"]
        if more.ece_high < mt.scaled_low:
            v = "lower than"
        elif more.ece_low > mt.scaled_high:
            v = "higher than"
        else:
            v = "within the bootstrap intervals of"
        out.append(Finding(f"MORE without scaling ({more.ece:.4f}) is {v} MultiTask with post-hoc "
                           f"temperature scaling ({mt.ece_scaled:.4f}) on the held-out halves.",
                           "unscaled_vs_scaled", estimate=more.ece, ci_low=more.ece_low,
                           ci_high=more.ece_high, verdict=v))
    return out


def findings_outliers(table: pd.DataFrame) -> list[Finding]:
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
            out.append(Finding(f"{test}, MORE vs {scheme_name(other)}: {side(a, b, 'pos')}; "
                               f"{side(a, b, 'neg')}.", "outliers"))
    return out


def findings_lowest_ece(table: pd.DataFrame) -> list[Finding]:
    """Per test set (``table``: ``test, scheme, ece`` rows, e.g. :func:`margin_outliers`'s), the
    scheme with the lowest ECE and every scheme's ECE; ``verdict`` names the lowest scheme.

    Example:
        >>> t = pd.DataFrame({"test": ["a", "a"], "scheme": ["MORE", "Top"], "ece": [0.02, 0.05]})
        >>> [f] = findings_lowest_ece(t)
        >>> print(f); f.verdict
        a: lowest ECE MORE (0.0200); MORE 0.0200, Top 0.0500
        'MORE'
    """
    out = []
    for test, part in table.groupby("test", sort=False):
        best = part.loc[part.ece.idxmin()]
        out.append(Finding(f"{test}: lowest ECE {best.scheme} ({best.ece:.4f}); "
                           + ", ".join(f"{r.scheme} {r.ece:.4f}" for r in part.itertuples()),
                           "lowest_ece", estimate=best.ece, verdict=best.scheme))
    return out


def finding_out_of_domain(mean_accuracy: dict) -> Finding:
    """The caveat for RMs trained on simulator data and scored on the real test sets;
    ``mean_accuracy`` maps ``more`` and ``multitask`` to their mean accuracy there.

    Example:
        >>> print(finding_out_of_domain({"more": 0.475, "multitask": 0.5}))  # doctest: +ELLIPSIS
        Caveat (real test sets): ... (mean accuracy MORE 47.5%, MultiTask 50.0%); ECE there ...
    """
    return Finding(
        "Caveat (real test sets): these RMs are trained on simulator data only, so on the real test "
        f"sets they are out of domain and near chance (mean accuracy MORE "
        f"{100 * mean_accuracy['more']:.1f}%, MultiTask {100 * mean_accuracy['multitask']:.1f}%); "
        "ECE there measures how far from 0 their margins are on pairs they cannot rank, not the "
        "paper's calibration effect.", "out_of_domain", estimate=mean_accuracy["more"],
        verdict="caveat")

"""The fine-tuned track's rows of the claims scorecard, from a suite's scores table.

One trained seed per RM: every interval is a percentile bootstrap over the test pairs only
(paired where two RMs are compared: the same resampled pairs for both; stratified by test set
where a statistic spans several), so it says nothing about seed-to-seed variation (the probe
tracks carry that) and every row reads ``not testable`` (:func:`morelib.claims.decide`): these
rows are demonstrations. Rows (:data:`morelib.claims.CLAIMS`):

* C1 (:func:`transfer_gap`): mean over single-source RMs of accuracy on their own source's test
  set minus their mean accuracy on the other sources' test sets;
* C2, C3, C4, C6: paired ECE differences (:func:`morelib.analysis.scores.ece_gaps`, pooled):
  MultiTask − Top and MORE − MultiTask over the simulator tests, MORE − Top and
  MORE − MultiTask on Helpful and Harmless;
* C5 (:func:`outlier_gap`): mean |Δr| of the box-plot outliers (1.5 × IQR, per sign, per test
  set as in Tables 4–6), MORE − MultiTask, averaged over Helpful and Harmless;
* C7 (:func:`rjs_win_claims`, notebook 05): per judge, MORE-RJS's win rate over MultiTask-RJS;
* C8 (:func:`k_gain`, notebook 03): MORE's H&H ECE at the largest K minus at the smallest (at
  K = 2 MORE is stratified-uniform batching).

Example (toy scores: RMs that are right on their own source only):
    >>> import pandas as pd
    >>> rows = [("single/a", "a", 1.0), ("single/a", "b", -1.0), ("single/b", "a", -1.0),
    ...         ("single/b", "b", 1.0)]
    >>> s = pd.DataFrame([(rm, t, p, m) for rm, t, m in rows for p in range(4)],
    ...                  columns=["rm", "test", "pair", "margin"])
    >>> r = transfer_gap(s, ["a", "b"], n_boot=50, seed=0)
    >>> r.claim, r.estimate, r.verdict       # one trained seed: a demonstration
    ('C1', 1.0, 'not testable')
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from morelib.analysis.scores import ece_gaps, margins
from morelib.claims import ClaimResult
from morelib.stats.bootstrap import bootstrap_columns
from morelib.stats.intervals import percentile_interval
from morelib.stats.weighted import weighted_outlier_mean

TRACK = "fine-tuned"


def _credit(m: np.ndarray) -> np.ndarray:
    return (m > 0) + 0.5 * (m == 0)


def transfer_gap(scores: pd.DataFrame, sources: Sequence[str], n_boot: int = 1000,
                 seed: int = 0) -> ClaimResult:
    """C1 on the tests named after training sources: own-test minus other-test accuracy of the
    single-source RMs, averaged over them; pairs resampled within each test set."""
    sources = [s for s in sources if f"single/{s}" in set(scores.rm) and s in set(scores.test)]
    rms = [f"single/{s}" for s in sources]
    per_test = []  # [n_boot + 1, n_rms] accuracies per test set (row 0: the original pairs)
    for i, test in enumerate(sources):
        credit = np.stack([_credit(margins(scores, rm, [test])) for rm in rms])
        reps = bootstrap_columns(credit, lambda d: d.mean(axis=-1), n_boot, seed + i)
        per_test.append(np.vstack([credit.mean(axis=-1), reps]))
    acc = np.stack(per_test, axis=-1)  # [n_boot + 1, rm, test]
    own = np.einsum("brr->br", acc)
    other = (acc.sum(axis=-1) - own) / (len(sources) - 1)
    gaps = (own - other).mean(axis=-1)
    low, high = percentile_interval(gaps[1:], 0.95)
    n_pairs = int(sum(len(margins(scores, rms[0], [t])) for t in sources))
    return ClaimResult.from_interval(
        claim="C1", track=TRACK, metric="accuracy on own test set − on the other sources' sets "
        "(single-source RMs, mean)", estimate=float(gaps[0]), ci_low=low, ci_high=high,
        n_seeds=1, n_pairs=n_pairs)


def outlier_mean(m: np.ndarray, whis: float = 1.5) -> float:
    """Mean |Δr| of the box-plot outliers of ``m``, the rule applied to each sign separately
    (Tables 4–6); NaN when there are none.

    Example:
        >>> outlier_mean(np.array([1.0, 1.1, 0.9, 1.0, 9.0, -1.0, -1.1, -0.9, -1.0, -7.0]))
        8.0
    """
    m = np.asarray(m, dtype=np.float64)
    return float(weighted_outlier_mean(m, np.ones((1, len(m)), dtype=np.int64), whis)[0])


def outlier_gap(scores: pd.DataFrame, tests: Sequence[str], a: str = "more",
                b: str = "multitask", n_boot: int = 1000, seed: int = 0) -> ClaimResult:
    """C5: mean outlier |Δr| of ``a`` minus ``b``, per test set on the same resampled pairs,
    averaged over the ``tests`` where both have outliers (in each replicate likewise); a
    ``not run`` row saying so when no test set has them for both.

    Example (no outliers anywhere):
        >>> flat = pd.DataFrame({"rm": ["more"] * 4 + ["multitask"] * 4, "test": "helpful",
        ...                      "pair": [0, 1, 2, 3] * 2, "margin": [0.1, 0.2, 0.3, 0.4] * 2})
        >>> r = outlier_gap(flat, ["helpful"], n_boot=20)
        >>> r.verdict, r.metric
        ('not run', 'not computable: MORE and MultiTask do not both have box-plot outliers (1.5 × IQR per sign) on helpful')
    """
    def diff(d: np.ndarray) -> float:
        return outlier_mean(d[0]) - outlier_mean(d[1])

    per_test = []
    for i, test in enumerate(tests):
        pair = np.stack([margins(scores, a, [test]), margins(scores, b, [test])])
        per_test.append(np.concatenate([[diff(pair)],
                                        bootstrap_columns(pair, diff, n_boot, seed + i)]))
    per_test = np.stack(per_test)  # [test, 1 + n_boot]; NaN where a or b has no outliers
    if np.isnan(per_test[:, 0]).all():
        return ClaimResult.not_run("C5", TRACK, "not computable: MORE and MultiTask do not both "
                                   f"have box-plot outliers (1.5 × IQR per sign) on {', '.join(tests)}")
    counts = (~np.isnan(per_test)).sum(axis=0)
    gaps = np.divide(np.nansum(per_test, axis=0), counts, out=np.full(counts.shape, np.nan),
                     where=counts > 0)
    low, high = percentile_interval(gaps[1:], 0.95)  # NaN replicates (no outliers) ignored
    return ClaimResult.from_interval(
        claim="C5", track=TRACK, metric="mean |Δr| of outliers (1.5 × IQR per sign), "
        f"MORE − MultiTask, mean over {', '.join(tests)}", estimate=float(gaps[0]),
        ci_low=low, ci_high=high, n_seeds=1,
        n_pairs=int(sum(len(margins(scores, a, [t])) for t in tests)))


def _ece_row(scores: pd.DataFrame, claim: str, tests: Sequence[str], a: str, b: str,
             label: str, n_boot: int, seed: int) -> ClaimResult:
    g = ece_gaps(scores, tests, a, b, n_boot=n_boot, seed=seed)
    row = g[g.test == ("pooled" if len(tests) > 1 else tests[0])].iloc[0]
    return ClaimResult.from_interval(
        claim=claim, track=TRACK, metric=label, estimate=row.difference, ci_low=row.low,
        ci_high=row.high, n_seeds=1, n_pairs=len(margins(scores, a, tests)))


def fine_tuned_claims(scores: pd.DataFrame, sim_tests: Sequence[str], sources: Sequence[str],
                      hh_tests: Sequence[str] = ("helpful", "harmless"), n_boot: int = 1000,
                      seed: int = 0) -> list[ClaimResult]:
    """C1–C6 on the fine-tuned track from a suite's scores (with the Top ensemble:
    :func:`morelib.experiments.with_ensembles`); ``sim_tests``: the simulator test sets (their
    pairs pooled for C2/C3), ``sources``: the training sources."""
    hh = [t for t in hh_tests if t in sim_tests]
    rows = [transfer_gap(scores, sources, n_boot, seed)]
    rows.append(_ece_row(scores, "C2", sim_tests, "multitask", "top",
                         "ECE (simulator tests pooled), MultiTask − Top", n_boot, seed))
    rows.append(_ece_row(scores, "C3", sim_tests, "more", "multitask",
                         "ECE (simulator tests pooled), MORE − MultiTask", n_boot, seed))
    if hh:
        rows.append(_ece_row(scores, "C4", hh, "more", "top", "H&H ECE (pairs pooled), "
                             "MORE − Top", n_boot, seed))
        rows.append(outlier_gap(scores, hh, n_boot=n_boot, seed=seed))
        rows.append(_ece_row(scores, "C6", hh, "more", "multitask", "H&H ECE (pairs pooled), "
                             "MORE − MultiTask", n_boot, seed))
    return rows


def k_gain(sweep: pd.DataFrame, model: str, n_train: int, tests: Sequence[str] = ("helpful",
           "harmless"), n_boot: int = 1000, seed: int = 0) -> ClaimResult:
    """C8 from notebook 03's sweep scores (``model, k, n_train, rm, test, pair, margin``): ECE
    of ``model``'s MORE RM at the largest K minus at the smallest, ``tests``' pairs pooled, on
    the same resampled pairs. The metric text says when the smallest K is 2: MORE there (l2-
    normalised, the sweep's setting) is stratified batching with uniform weights
    (:class:`~morelib.weighting.MoreWeighting`), so C8 compares MORE with that batching."""
    part = sweep[(sweep.model == model) & (sweep.n_train == n_train) & (sweep.rm == "more")]
    k_low, k_high = int(part.k.min()), int(part.k.max())
    at = {k: part[part.k == k].drop(columns=["model", "k", "n_train"]) for k in (k_low, k_high)}
    both = pd.concat([at[k_high].assign(rm="high"), at[k_low].assign(rm="low")])
    batching = "; K = 2 MORE = stratified-uniform batching" if k_low == 2 else ""
    return _ece_row(both, "C8", list(tests), "high", "low",
                    f"H&H ECE, MORE at K={k_high} − at K={k_low} ({model}, {n_train} pairs per "
                    f"source{batching})", n_boot, seed)


def rjs_win_claims(wins: pd.DataFrame, policy: str = "more_vs_multitask") -> list[ClaimResult]:
    """C7 from notebook 05's win table (:func:`morelib.alignment.judging.win_table`): per
    judge, the win rate (ties ½) of MORE-RJS against MultiTask-RJS with its bootstrap interval
    over prompts; a judge that returned only errors gives no row."""
    rows = []
    for r in wins[(wins.policy == policy) & (wins.errors < wins.n)].itertuples():
        rows.append(ClaimResult.from_interval(
            claim="C7", track=TRACK, metric=f"win rate (ties ½) of MORE-RJS vs MultiTask-RJS, "
            f"judge: {r.judge}", estimate=r.win_half_tie, ci_low=r.win_half_tie_low,
            ci_high=r.win_half_tie_high, n_seeds=1, n_pairs=int(r.n - r.errors)))
    return rows

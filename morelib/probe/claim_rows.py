"""Claims C1–C5 and C8 on a probe track, with C6's two-level bootstrap.

At one G (pairs per source per batch), besides the study's MORE and MultiTask heads, this
trains per seed a single-source head on each source alone (the same recipe and batch size
G·K) and a MORE head on the first two sources only (K = 2), all on the cached frozen features.
Every row is the mean over seeds of a per-seed statistic averaged over test sets, with the
crossed two-level interval of :mod:`~morelib.probe.contrasts` (the seeds and each test set's
pairs resampled; seed s of one head paired with seed s of another). ECE contrasts A − B come
from :func:`~morelib.probe.contrasts.hh_contrast`, the others from
:func:`~morelib.probe.contrasts.statistic_contrast`:

* C1: on each source's test set, the own-source head's accuracy minus the other single-source
  heads' mean accuracy, averaged over the test sets (= the fine-tuned track's own-minus-other
  accuracy: the mean of the diagonal minus the mean off the diagonal of the heads × test sets
  accuracy matrix);
* C2: MultiTask − Top over every source's test set;
* C3: MORE − MultiTask over every source's test set;
* C4: MORE − Top over Helpful and Harmless;
* C5: mean |Δr| of the box-plot outliers (1.5 × IQR per sign, as in Tables 4–6), MORE −
  MultiTask, over Helpful and Harmless;
* C8: MORE (all K sources) − MORE on the first two sources (K = 2), on those two sources' test
  sets (Helpful and Harmless on the simulator and HH tracks). With l2 normalisation MORE's
  λ at K = 2 is (½, ½) at every step, so its K = 2 end is stratified-uniform batching.

Every row also carries the compared heads' held-out accuracy with the same crossed interval
(:func:`~morelib.probe.contrasts.accuracy_interval`; the weakest head's) and, where MORE is
compared, MORE's λ spread: the scorecard's competence and mechanism columns.

Top, per test set, is the single-source head trained on that test set's own source (on the
fine-tuned track it is the single-source RM with the best accuracy on that test set: with one
RM per source, the two coincide whenever the own-source RM is the most accurate, as C1 says).

Example (synthetic features standing in for a backbone's):
    >>> import torch
    >>> from morelib.data import LoadedSource, PreferencePair as P
    >>> from morelib.probe.study import _ToyStore
    >>> names = ("helpful", "harmless", "webgpt")
    >>> srcs = [LoadedSource(n, [P(f"Human: {n} {i}\\n\\nAssistant:", f" good {i}", f" bad {i}",
    ...                            n, f"{n}{i}") for i in range(60)]) for n in names]
    >>> from morelib.probe import run_probe_study
    >>> study = run_probe_study(_ToyStore(), srcs, n_seeds=3, pairs_per_source=(2,),
    ...                         n_boot=200, claims_pairs_per_source=2)
    >>> [r.claim for r in study.rows]
    ['C6', 'C1', 'C2', 'C3', 'C4', 'C5', 'C8']
    >>> sorted(study.claim_margins), sorted(study.claim_margins["top"])
    (['mean', 'more', 'more_k2', 'single', 'top'], ['harmless', 'helpful', 'webgpt'])
    >>> sorted(study.claim_margins["single"]["webgpt"])   # each head on every test set
    ['harmless', 'helpful', 'webgpt']
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from morelib.claims import ClaimResult
from morelib.probe.contrasts import (
    accuracy_interval,
    hh_contrast,
    statistic_contrast,
    weakest,
)
from morelib.probe.heads import train_probe_heads
from morelib.stats.weighted import weighted_outlier_mean


def claim_heads(base: Any, zc: torch.Tensor, zr: torch.Tensor, src: torch.Tensor,
                seeds: Sequence[int], g: int, n_sub: int,
                test_z: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
                names: Sequence[str], focus_tests: Sequence[str],
                recipe: Callable[..., Any] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Margins [S, N_t] of the single-source heads (``single[head][test]`` on every test set;
    ``top[test]``: the test set's own source's head) and of MORE on the first two sources
    (``more_k2``, on those two sources' tests). ``recipe(scheme, config, pairs, **training)``, if
    given, returns the config a scheme trains with (the study's recipe selection: one per
    single-source head, one for ``more_k2``)."""
    K = len(names)
    pick = recipe or (lambda name, cfg, keep, **kw: cfg)
    single = dataclasses.replace(base, n_sources=1, strategy="mean", groups_per_device_batch=g * K)
    heads = {}
    for k, name in enumerate(names):
        keep = src == k
        run = train_probe_heads(pick(f"single/{name}", single, keep, batching="mixed"),
                                zc[keep], zr[keep], torch.zeros(int(keep.sum()),
                                dtype=torch.long), seeds, subset_per_source=n_sub,
                                batching="mixed")
        heads[name] = {t: run.margins(*z).numpy() for t, z in test_z.items()}
    top = {name: heads[name][name] for name in names if name in test_z}
    two = src < 2
    k2 = dataclasses.replace(base, n_sources=2, strategy="more", groups_per_device_batch=g)
    k2 = pick("more_k2", k2, two, batching="stratified")
    run = train_probe_heads(k2, zc[two], zr[two], src[two], seeds, subset_per_source=n_sub,
                            batching="stratified")
    return {"single": heads, "top": top,
            "more_k2": {t: run.margins(*test_z[t]).numpy() for t in names[:2] if t in test_z}}


def own_minus_other_accuracy(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """C1's statistic on one test set: head 0's accuracy (the own-source head; a tie counts
    half) minus the mean accuracy of the other heads, from margins [H, n], per weighting of the
    pairs w [R, n] (:func:`~morelib.probe.contrasts.statistic_contrast`).

    Example:
        >>> x = np.array([[1.0, 1.0, -1.0, 0.0], [-1.0, 1.0, -1.0, -1.0]])
        >>> own_minus_other_accuracy(x, np.array([[1, 1, 1, 1], [0, 2, 1, 1]])).tolist()
        [0.375, 0.125]
    """
    credit = (x > 0) + 0.5 * (x == 0)
    acc = (w @ credit.T) / w.sum(axis=1, keepdims=True)  # [R, H]
    return acc[:, 0] - acc[:, 1:].mean(axis=1)


def outlier_mean_gap(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """C5's statistic on one test set: mean outlier |Δr| of head 0 minus head 1 (margins
    [2, n]) per weighting of the pairs w [R, n]
    (:func:`morelib.stats.weighted.weighted_outlier_mean`, NaN where one has none)."""
    return weighted_outlier_mean(x[0], w) - weighted_outlier_mean(x[1], w)


def claim_rows(margins: Mapping[str, Mapping[str, np.ndarray]], focus_tests: Sequence[str], *,
               track: str, g: int, k: int, n_boot: int, seed: int, focus_label: str = "H&H",
               spreads: Mapping[str, tuple[float, float]] | None = None) -> list[ClaimResult]:
    """C1–C5 and C8 from ``margins[arm][test]`` (arms ``more``, ``mean``, ``top``, ``more_k2``)
    and ``margins["single"][head][test]``. Each row carries the held-out accuracy of the RMs it
    compares (the weakest; C1: the own-source heads on their own tests) and, where MORE is
    compared, ``spreads["more"]`` (MORE's λ spread, mean and max)."""
    every = list(margins["top"])
    focus = list(focus_tests)
    more_spread = (spreads or {}).get("more")

    def competence(arms: Sequence[str], tests: Sequence[str]) -> tuple[float, float, float]:
        return weakest([accuracy_interval({t: margins[a][t] for t in tests}, n_boot=n_boot,
                                          seed=seed) for a in arms])

    def row(claim: str, res: Any, what: str, rms: tuple[float, float, float],
            spread: tuple[float, float] | None = None) -> ClaimResult:
        return ClaimResult.from_interval(
            claim=claim, track=track, metric=f"{what} ({g} pair(s) per source per batch)",
            estimate=res.estimate, ci_low=res.low, ci_high=res.high, n_seeds=res.n_seeds,
            n_pairs=res.n_pairs, rm_accuracy=rms, lambda_spread=spread)

    def contrast(claim: str, a: str, b: str, tests: Sequence[str], what: str) -> ClaimResult:
        return row(claim, hh_contrast({t: margins[a][t] for t in tests},
                                      {t: margins[b][t] for t in tests}, n_boot=n_boot,
                                      seed=seed), what, competence((a, b), tests),
                   more_spread if "more" in (a, b) else None)

    single = margins["single"]
    own_first = {t: np.stack([single[t][t]] + [single[h][t] for h in single if h != t], axis=1)
                 for t in every}  # [S, heads, N_t], the own-source head first
    c1 = row("C1", statistic_contrast(own_first, own_minus_other_accuracy, n_boot=n_boot,
                                     seed=seed),
             f"accuracy of the own-source head − of the other single-source heads (mean over the "
             f"{len(every)} test sets)", competence(("top",), every))
    arms = {t: np.stack([margins["more"][t], margins["mean"][t]], axis=1) for t in focus}
    c5 = row("C5", statistic_contrast(arms, outlier_mean_gap, n_boot=n_boot, seed=seed),
             f"mean |Δr| of outliers (1.5 × IQR per sign), MORE − MultiTask, {focus_label}",
             competence(("more", "mean"), focus), more_spread)
    pair = list(margins["more_k2"])  # the K = 2 sources' own tests: both RMs trained on them
    c8 = (contrast("C8", "more", "more_k2", pair,
                   f"ECE on {' and '.join(pair)} (the K = 2 sources), MORE at K={k} − at K=2 "
                   "(MORE at K = 2 is stratified-uniform batching: λ = ½, ½ by construction)")
          if k > 2 else ClaimResult.not_run("C8", track, "K = 2: no larger K to compare with"))
    return [c1,
            contrast("C2", "mean", "top", every, f"ECE (mean over the {len(every)} test sets), "
                     "MultiTask − Top (own-source single-source head)"),
            contrast("C3", "more", "mean", every, f"ECE (mean over the {len(every)} test sets), "
                     "MORE − MultiTask"),
            contrast("C4", "more", "top", focus, f"{focus_label} ECE, MORE − Top (own-source head)"),
            c5, c8]

"""Claims C2, C3, C4 and C8 on a probe track, with C6's two-level bootstrap.

At one G (pairs per source per batch), besides the study's MORE and MultiTask heads, this
trains per seed a single-source head on each source alone (the same recipe and batch size
G·K) and a MORE head on the first two sources only (K = 2), all on the cached frozen features.
Every row is an ECE contrast A − B over test sets from
:func:`~morelib.probe.contrasts.hh_contrast` (seed s of A paired with seed s of B, the seeds and
each test set's pairs resampled), the mean over its test sets of each seed's ECE difference:

* C2: MultiTask − Top over every source's test set;
* C3: MORE − MultiTask over every source's test set;
* C4: MORE − Top over Helpful and Harmless;
* C8: MORE (all K sources) − MORE (K = 2) over Helpful and Harmless.

Top, per test set, is the single-source head trained on that test set's own source (on the
fine-tuned track it is the single-source RM with the best accuracy on that test set: with one
RM per source, the two coincide whenever the own-source RM is the most accurate, as C1 says).
C1 and C5 (accuracy and outlier statistics, not ECE) are not scored on the probe tracks.

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
    ['C6', 'C2', 'C3', 'C4', 'C8']
    >>> sorted(study.claim_margins), sorted(study.claim_margins["top"])
    (['mean', 'more', 'more_k2', 'top'], ['harmless', 'helpful', 'webgpt'])
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from morelib.claims import ClaimResult
from morelib.probe.contrasts import hh_contrast
from morelib.probe.heads import train_probe_heads


def claim_heads(base: Any, zc: torch.Tensor, zr: torch.Tensor, src: torch.Tensor,
                seeds: Sequence[int], g: int, n_sub: int,
                test_z: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
                names: Sequence[str], hh_tests: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """Margins [S, N_t] per test set of the single-source heads (``top``: each test set scored
    by its own source's head) and of MORE on the first two sources (``more_k2``, H&H only)."""
    K = len(names)
    single = dataclasses.replace(base, n_sources=1, strategy="mean", groups_per_device_batch=g * K)
    top = {}
    for k, name in enumerate(names):
        keep = src == k
        run = train_probe_heads(single, zc[keep], zr[keep], torch.zeros(int(keep.sum()),
                                dtype=torch.long), seeds, subset_per_source=n_sub,
                                batching="mixed")
        if name in test_z:
            top[name] = run.margins(*test_z[name]).numpy()
    two = src < 2
    k2 = dataclasses.replace(base, n_sources=2, strategy="more", groups_per_device_batch=g)
    run = train_probe_heads(k2, zc[two], zr[two], src[two], seeds, subset_per_source=n_sub,
                            batching="stratified")
    return {"top": top, "more_k2": {t: run.margins(*test_z[t]).numpy() for t in hh_tests}}


def claim_rows(margins: Mapping[str, Mapping[str, np.ndarray]], hh_tests: Sequence[str], *,
               track: str, g: int, k: int, n_boot: int, seed: int) -> list[ClaimResult]:
    """C2, C3, C4 and C8 from ``margins[arm][test]`` (arms ``more``, ``mean``, ``top``,
    ``more_k2``)."""
    every = list(margins["top"])
    hh = [t for t in hh_tests]

    def contrast(claim: str, a: str, b: str, tests: Sequence[str], what: str) -> ClaimResult:
        res = hh_contrast({t: margins[a][t] for t in tests}, {t: margins[b][t] for t in tests},
                          n_boot=n_boot, seed=seed)
        return ClaimResult.from_interval(
            claim=claim, track=track, metric=f"{what} ({g} pair(s) per source per batch)",
            estimate=res.estimate, ci_low=res.low, ci_high=res.high, n_seeds=res.n_seeds,
            n_pairs=res.n_pairs)

    return [contrast("C2", "mean", "top", every, f"ECE (mean over the {len(every)} test sets), "
                     "MultiTask − Top (own-source single-source head)"),
            contrast("C3", "more", "mean", every, f"ECE (mean over the {len(every)} test sets), "
                     "MORE − MultiTask"),
            contrast("C4", "more", "top", hh, "H&H ECE, MORE − Top (own-source head)"),
            contrast("C8", "more", "more_k2", hh, f"H&H ECE, MORE at K={k} − at K=2")]

"""A powered MORE-vs-MultiTask study in the probe regime, scored as claim C6 rows.

:func:`run_probe_study` splits real sources by prompt (:mod:`morelib.probe.split`), takes
frozen features from a :class:`~morelib.probe.FeatureStore`, and for each number G of pairs
per source per batch trains ``n_seeds`` MORE and ``n_seeds`` MultiTask heads
(:func:`~morelib.probe.train_probe_heads`). Seed s of both schemes shares its training subset
and head init (the data order differs only by the layout each scheme needs: one pair per
source per group for MORE, a uniform mix of as many pairs for MultiTask), and both take the
same number of steps on batches of G·K pairs.

C6's metric is the H&H ECE difference, MORE − MultiTask, where a seed's H&H ECE is the mean of
its ECE on the helpful and harmless test pairs. Its interval is the two-level bootstrap of
:mod:`morelib.calibration.seed_bootstrap` in its crossed design (every seed scores the same
test pairs: a replicate resamples seeds, and each test set's pairs once for all seeds), so it
carries seed and test-pair variance; the noise floor of each test set
(:func:`morelib.calibration.ece_noise_floor`, on MultiTask's margins) is returned beside it.

``arms`` adds ``stratified-uniform`` (MORE's batches, λ fixed at 1/K; :data:`ARMS`); then
``contrasts`` holds MORE − stratified-uniform (weighting) and stratified-uniform − MultiTask
(batching) beside C6, all from the same bootstrap replicates
(:mod:`morelib.probe.contrasts`). ``ranks`` / ``rank_lambda`` train every arm on simulated
data-parallel ranks (:mod:`morelib.probe.ranks`); ``max_train_per_source`` caps the training
pools (the features to compute) without touching the test sets.

Example (synthetic features standing in for a backbone's):
    >>> import torch
    >>> from morelib.data import LoadedSource, PreferencePair as P
    >>> names = ("helpful", "harmless", "webgpt")
    >>> srcs = [LoadedSource(n, [P(f"Human: {n} {i}\\n\\nAssistant:", f" good {i}", f" bad {i}",
    ...                            n, f"{n}{i}") for i in range(60)]) for n in names]
    >>> study = run_probe_study(_ToyStore(), srcs, n_seeds=3, pairs_per_source=(1, 4),
    ...                         n_boot=200)
    >>> [(r.claim, r.track, r.n_seeds) for r in study.rows]
    [('C6', 'real HH probe', 3), ('C6', 'real HH probe', 3)]
    >>> sorted(study.per_seed.strategy.unique()), len(study.per_seed)
    (['mean', 'more'], 24)
    >>> three = run_probe_study(_ToyStore(), srcs, n_seeds=3, pairs_per_source=(2,), n_boot=200,
    ...                         arms=("more", "stratified-uniform", "mean"))
    >>> three.contrasts.contrast.tolist()
    ['MORE − stratified-uniform', 'MORE − MultiTask', 'stratified-uniform − MultiTask']
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from morelib.calibration import accuracy, ece, ece_noise_floor
from morelib.calibration.noise_floor import NoiseFloor
from morelib.claims import ClaimResult
from morelib.data import LoadedSource
from morelib.data.mixing import first_n
from morelib.probe.claim_rows import claim_heads, claim_rows
from morelib.probe.contrasts import accuracy_interval, hh_contrast, seed_interval, weakest
from morelib.probe.heads import select_recipe, train_probe_heads
from morelib.probe.split import is_test, prompt_disjoint_split
from morelib.vocabulary import SCHEMES

HH = ("helpful", "harmless")
#: The share of training prompts held out to choose each scheme's recipe (``recipes``).
VALIDATION_FRACTION = 0.2
#: The schemes (arms) a study trains: name -> (weighting strategy, batch layout). ``more`` and
#: ``mean`` (MultiTask) always; ``stratified-uniform`` is MORE's stratified batches with λ
#: fixed at 1/K (the authors' ``--reweight False``): it differs from ``more`` only in the
#: weighting and from ``mean`` only in the batching.
ARMS = {"more": ("more", "stratified"), "stratified-uniform": ("uniform", "stratified"),
        "mean": ("mean", "mixed")}
LABELS = {"more": SCHEMES["more"].label, "stratified-uniform": "stratified-uniform",
          "mean": SCHEMES["multitask"].label}


@dataclass
class ProbeStudy:
    """What :func:`run_probe_study` measured.

    ``rows``: one C6 :class:`~morelib.claims.ClaimResult` per G; ``summary``: per G the C6
    estimate, interval, p-value and verdict, mean H&H ECE and accuracy per scheme, MORE's λ
    tilt (mean over seeds, steps and ranks of max_i |λ_i − 1/K|) with its seed interval,
    optimiser steps, and ``noise_floor_hh`` (the mean ECE calibrated RMs with MultiTask's
    margins would score, over seeds and H&H tests); ``contrasts``: per G every pair of arms
    A − B (:data:`ARMS` order) with its interval, all from the same bootstrap
    (:mod:`morelib.probe.contrasts`); ``per_seed``: ECE and accuracy per (G, arm, seed, test
    set); ``noise_floor``: per H&H test set, the floor of seed 0's MultiTask RM at the first G;
    ``sizes``: training and test pairs per source; ``margins[(G, arm)][test]`` [S, N] and
    ``spreads[(G, arm)]`` [S]: the raw material of contrasts across studies (ablations)."""

    rows: list[ClaimResult]
    summary: pd.DataFrame
    per_seed: pd.DataFrame
    noise_floor: dict[str, NoiseFloor] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    contrasts: pd.DataFrame = field(default_factory=pd.DataFrame)
    margins: dict[tuple[int, str], dict[str, np.ndarray]] = field(default_factory=dict)
    spreads: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    n_boot: int = 2000
    seed: int = 0
    claim_margins: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    recipes: pd.DataFrame = field(default_factory=pd.DataFrame)


def default_config(model: str, n_sources: int, max_length: int) -> Any:
    """The probe's training settings: AdamW at 1e-3 (a linear head, not a fine-tuned
    backbone), one epoch over each seed's subset, no accumulation or warm-up, MORE as in the
    paper (α = 0.99, l2 normalisation), clipping 1.0."""
    from morelib.training import RMTrainingConfig

    return RMTrainingConfig(model=model, n_sources=n_sources, learning_rate=1e-3,
                            gradient_accumulation_steps=1, num_train_epochs=1.0,
                            max_length=max_length, freeze_backbone=True)


def _features(store: Any, pairs: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    return store.pair_features(pairs)


def _check_arms(arms: Sequence[str]) -> list[str]:
    unknown = [a for a in arms if a not in ARMS]
    if unknown or not {"more", "mean"} <= set(arms):
        raise ValueError(f"arms must include 'more' and 'mean' and come from {list(ARMS)}, "
                         f"got {list(arms)}")
    return [a for a in ARMS if a in arms]


def run_probe_study(store: Any, sources: Sequence[LoadedSource], *, n_seeds: int = 10,
                    pairs_per_source: Sequence[int] = (1, 4, 16),
                    train_fraction: float = 0.8, test_fraction: float = 0.2,
                    split_seed: int = 0, config: Any = None, n_boot: int = 2000,
                    focus_tests: Sequence[str] = HH, focus_label: str = "H&H",
                    track: str = "real HH probe",
                    seed: int = 0, arms: Sequence[str] = ("more", "mean"), ranks: int = 1,
                    rank_lambda: str = "synchronised",
                    max_train_per_source: int | None = None,
                    claims_pairs_per_source: int | None = None,
                    other_tests_cap: int | None = None,
                    recipes: Sequence[tuple[float, float]] | None = None,
                    recipe_seeds: int = 3) -> ProbeStudy:
    """MORE vs MultiTask (and any other :data:`ARMS`) over ``n_seeds`` seeds for each G.

    Args:
        store: a :class:`~morelib.probe.FeatureStore` (or anything with ``pair_features``,
            ``name`` and ``max_length``).
        sources: the training sources (all of them, e.g.
            :func:`~morelib.probe.real_sources.real_probe_sources`); those named in
            ``focus_tests`` are the tests of C4–C6 and C8 (the paper's Helpful and Harmless;
            every domain on the DSP track), called ``focus_label`` in the metrics.
        train_fraction: each seed's training subset, per source, as a share of the smallest
            source's training pairs (drawn per seed without replacement).
        test_fraction, split_seed: the prompt-disjoint split.
        max_train_per_source: keep only the first this many training pairs of each source
            after the split (``None``: all): fewer texts to featurise, the tests unchanged.
        config: an :class:`~morelib.training.RMTrainingConfig` (default :func:`default_config`);
            its ``strategy`` and ``groups_per_device_batch`` are set here. With the default one
            epoch, a larger G takes fewer steps (``summary.steps``); set ``max_steps`` to hold
            the number of steps fixed across G instead.
        arms: the schemes to train (``more`` and ``mean`` at least).
        ranks, rank_lambda: simulated data-parallel ranks, for every arm
            (:func:`~morelib.probe.train_probe_heads`); a global batch is ``ranks`` × G·K.
        n_boot, seed: the two-level bootstrap; the training seeds are ``seed`` … ``seed +
            n_seeds − 1`` (each seed's subset, data order, head init and MORE EMA).
        claims_pairs_per_source: a G of ``pairs_per_source`` at which claims C1–C5 and C8
            are scored too (:mod:`morelib.probe.claim_rows`; their margins in
            ``claim_margins``); ``None``: C6 only.
        other_tests_cap: for those claims, the first this many test pairs of each source not
            in ``focus_tests`` (``None``: all).
        recipes: (learning rate, epochs) candidates (e.g.
            :data:`~morelib.probe.heads.RECIPES`): each scheme (MORE, MultiTask, the
            single-source heads, MORE at K = 2, …) gets the one with the lowest held-out BT
            loss on a prompt-disjoint validation split of the training pairs
            (:data:`VALIDATION_FRACTION`; :func:`~morelib.probe.heads.select_recipe` on the first
            ``recipe_seeds`` seeds, at the claims' G), then trains on all training pairs;
            ``summary``/``recipes`` record the choice. ``None``: ``config`` as given.
    """
    names = [s.name for s in sources]
    missing = [t for t in focus_tests if t not in names]
    if missing:
        raise ValueError(f"test sources {missing} are not among the sources {names}")
    arms = _check_arms(arms)
    train, tests = prompt_disjoint_split(sources, test_fraction, split_seed)
    if max_train_per_source:
        train = [first_n(s, min(len(s), int(max_train_per_source))) for s in train]
    K = len(train)
    base = config or default_config(store.name, K, store.max_length)
    base = dataclasses.replace(base, n_sources=K)
    pairs = [p for s in train for p in s.pairs]
    src = torch.tensor([k for k, s in enumerate(train) for _ in s.pairs])
    zc, zr = _features(store, pairs)
    test_z = {t: _features(store, tests[t]) for t in focus_tests}
    claims_g = None if claims_pairs_per_source is None else int(claims_pairs_per_source)
    if claims_g is not None and claims_g not in [int(g) for g in pairs_per_source]:
        raise ValueError(f"claims_pairs_per_source {claims_g} is not one of pairs_per_source "
                         f"{list(pairs_per_source)}")
    if claims_g is not None:  # every training source's test set
        cap = int(other_tests_cap) if other_tests_cap else None
        test_z.update({s.name: _features(store, tests[s.name][:cap]) for s in train
                       if s.name not in test_z})
    n_sub = max(1, int(train_fraction * min(len(s) for s in train)))
    seeds = list(range(int(seed), int(seed) + n_seeds))
    held_out = torch.tensor([is_test(p.prompt, VALIDATION_FRACTION, split_seed + 1)
                             for p in pairs])
    recipe_g = claims_g if claims_g is not None else int(pairs_per_source[0])
    chosen: dict[str, Any] = {}

    def recipe(name: str, cfg: Any, keep: torch.Tensor, **kwargs: Any) -> Any:
        """``cfg`` with the recipe :func:`select_recipe` picks for scheme ``name`` (at
        ``recipe_g``, on the first ``recipe_seeds`` seeds), chosen once per study."""
        if recipes is None:
            return cfg
        if name not in chosen:
            k_src = torch.unique(src[keep], return_inverse=True)[1]
            picked, losses = select_recipe(
                cfg, zc[keep], zr[keep], k_src, held_out[keep], seeds[:recipe_seeds],
                recipes=recipes, train_fraction=train_fraction, **kwargs)
            chosen[name] = (picked.learning_rate, picked.num_train_epochs, losses)
        lr, epochs, _ = chosen[name]
        return dataclasses.replace(cfg, learning_rate=lr, num_train_epochs=epochs, max_steps=-1)
    n_pairs = sum(len(tests[t]) for t in focus_tests)

    rows, summary, records, contrasts = [], [], [], []
    floors: dict[str, NoiseFloor] = {}
    all_margins: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    spreads: dict[tuple[int, str], np.ndarray] = {}
    spread_max: dict[tuple[int, str], float] = {}
    claim_margins: dict[str, dict[str, np.ndarray]] = {}
    for g in pairs_per_source:
        g = int(g)
        for arm in arms:
            strategy, batching = ARMS[arm]
            cfg = dataclasses.replace(base, strategy=strategy, groups_per_device_batch=recipe_g)
            cfg = dataclasses.replace(
                recipe(arm, cfg, torch.ones_like(held_out), batching=batching, ranks=ranks,
                       rank_lambda=rank_lambda), groups_per_device_batch=g)
            run = train_probe_heads(cfg, zc, zr, src, seeds, subset_per_source=n_sub,
                                    batching=batching, ranks=ranks, rank_lambda=rank_lambda)
            all_margins[(g, arm)] = {t: run.margins(*test_z[t]).numpy() for t in focus_tests}
            if g == claims_g and arm in ("more", "mean"):
                claim_margins[arm] = {s.name: run.margins(*test_z[s.name]).numpy()
                                      for s in train}
            spreads[(g, arm)] = run.lambda_spread().numpy().astype(float)
            spread_max[(g, arm)] = float(run.lambda_spread("max").max())
            steps = run.lambdas.shape[1] // cfg.gradient_accumulation_steps
            for t in focus_tests:
                for s, m in zip(seeds, all_margins[(g, arm)][t]):
                    records.append({"pairs_per_source": g, "strategy": arm, "seed": s,
                                    "test": t, "ece": ece(m), "accuracy": accuracy(m)})
        margins = {arm: all_margins[(g, arm)] for arm in arms}
        # the ECE a calibrated RM with MultiTask's margins would score, per seed and test set
        floor_means = [ece_noise_floor(m, n_draws=200, seed=seed).mean
                       for t in focus_tests for m in margins["mean"][t]]
        for t in focus_tests:
            floors.setdefault(t, ece_noise_floor(margins["mean"][t][0], n_draws=1000, seed=seed))
        # crossed: every seed scores the same test pairs, so a replicate resamples them once
        results = {}
        for i, a in enumerate(arms):
            for b in arms[i + 1:]:
                res = results[(a, b)] = hh_contrast(margins[a], margins[b], n_boot=n_boot,
                                                    seed=seed)
                contrasts.append({"pairs_per_source": g,
                                  "contrast": f"{LABELS[a]} − {LABELS[b]}",
                                  "estimate": res.estimate, "ci_low": res.low,
                                  "ci_high": res.high, "p_value": res.p_value})
        res = results[("more", "mean")]
        competence = {arm: accuracy_interval(margins[arm], n_boot=n_boot, seed=seed)
                      for arm in ("more", "mean")}
        spread = (float(spreads[(g, "more")].mean()), spread_max[(g, "more")])
        metric = f"{focus_label} ECE, MORE − MultiTask ({g} pair(s) per source per batch)"
        rows.append(ClaimResult.from_interval(
            claim="C6", track=track, metric=metric, estimate=res.estimate, ci_low=res.low,
            ci_high=res.high, n_seeds=n_seeds, n_pairs=n_pairs,
            rm_accuracy=weakest(list(competence.values())), lambda_spread=spread))
        frame = pd.DataFrame(records)
        here = frame[frame.pairs_per_source == g]
        acc = here.groupby("strategy").accuracy.mean()
        hh_ece = here.groupby("strategy").ece.mean()
        tilt, tilt_low, tilt_high = seed_interval(spreads[(g, "more")], n_boot=n_boot, seed=seed)
        row = {"pairs_per_source": g, "estimate": res.estimate, "ci_low": res.low,
               "ci_high": res.high, "p_value": res.p_value, "verdict": rows[-1].verdict,
               "ece_more": hh_ece["more"], "ece_multitask": hh_ece["mean"],
               "accuracy_more": acc["more"], "accuracy_multitask": acc["mean"],
               "accuracy_multitask_low": competence["mean"].low,
               "accuracy_multitask_high": competence["mean"].high,
               "lambda_spread": tilt, "lambda_spread_low": tilt_low,
               "lambda_spread_high": tilt_high, "lambda_spread_max": spread[1], "steps": steps,
               "noise_floor_hh": float(np.mean(floor_means))}
        if "stratified-uniform" in arms:
            row["ece_stratified_uniform"] = hh_ece["stratified-uniform"]
        summary.append(row)
    if claims_g is not None:
        claim_margins.update(claim_heads(base, zc, zr, src, seeds, claims_g, n_sub, test_z,
                                         [s.name for s in train], focus_tests, recipe))
        claim_spreads = {"more": (float(spreads[(claims_g, "more")].mean()),
                                  spread_max[(claims_g, "more")])}
        rows += claim_rows(claim_margins, focus_tests, track=track, g=claims_g, k=K,
                           n_boot=n_boot, seed=seed, focus_label=focus_label,
                           spreads=claim_spreads)
    sizes = {s.name: (len(s), len(tests[s.name])) for s in train}
    return ProbeStudy(rows, pd.DataFrame(summary), pd.DataFrame(records), floors, sizes,
                      pd.DataFrame(contrasts), all_margins, spreads, int(n_boot), int(seed),
                      claim_margins, recipe_table(chosen))


def recipe_table(chosen: dict[str, Any]) -> pd.DataFrame:
    """One row per scheme: the chosen learning rate and epochs and every candidate's held-out
    BT loss (columns ``loss lr=… epochs=…``)."""
    rows = []
    for name, (lr, epochs, losses) in chosen.items():
        row = {"scheme": name, "learning_rate": lr, "epochs": epochs}
        row.update({f"loss lr={a:g} epochs={b:g}": v for (a, b), v in losses.items()})
        rows.append(row)
    return pd.DataFrame(rows)


class _ToyStore:
    """A stand-in store for the example: features from a hash of each text (no model)."""

    name, max_length = "toy", 16

    def pair_features(self, pairs):
        def feats(texts):
            out = []
            for text in texts:
                g = torch.Generator().manual_seed(zlib.crc32(text.encode()))
                good = 1.5 if "good" in text else 0.0
                out.append(torch.randn(8, generator=g) + good)
            return torch.stack(out)

        return (feats([p.prompt + p.chosen for p in pairs]),
                feats([p.prompt + p.rejected for p in pairs]))

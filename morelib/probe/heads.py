"""Head-only RMs on frozen features, many seeds at once, with the very same MORE code.

With the backbone frozen, an RM is its head w (r = w·z on cached last-token features z), and
the gradient of the trainer's loss Σ_i λ_i · mean_i softplus(−m) is Σ_i λ_i g_i, where g_i are
exactly the per-source head gradients :func:`morelib.weighting.head_gradients` returns and MORE
feeds its solver. :func:`train_probe_heads` runs S such RMs (a [S, h] head) in lock step, one
micro-step for all seeds at a time:

1. each seed's micro-batch of B pairs (its own training subset, data order and head init);
2. per-source statistics of all seeds in ONE :func:`~morelib.weighting.head_gradients` call
   (seed s, source i is "source" s·K + i; margins passed in);
3. λ per seed from its own strategy object (:func:`~morelib.weighting.make_weighting`: MORE's
   EMA and min-norm solver, or the MultiTask batch mean), the loss λ·ℓ and gradient λ·G;
4. every ``gradient_accumulation_steps`` micro-steps: gradient clipping, the scheduler's
   learning rate, and AdamW, as ``transformers.Trainer`` does them, vectorised over seeds.

The settings are an :class:`~morelib.training.RMTrainingConfig` (strategy, groups per batch,
accumulation, learning rate, warm-up, schedule, steps, clipping, MORE's α / normalisation /
EMA init), so one config describes a probe run and its Trainer twin
(``freeze_backbone=True``); ``tests/test_probe_equivalence.py`` checks λ and the loss step for
step against :func:`morelib.training.train_reward_model`. The probe's features are eval-mode
(dropout off); the Trainer runs the frozen backbone in train mode, so the two agree exactly for
dropout-free backbones (Llama, GPT-NeoX) and differ by the dropout noise for BERT-style ones.

Example (3 seeds, 2 sources, MORE):
    >>> import torch
    >>> from morelib.training import RMTrainingConfig
    >>> g = torch.Generator().manual_seed(0)
    >>> zc, zr = torch.randn(40, 8, generator=g) + 0.3, torch.randn(40, 8, generator=g)
    >>> src = torch.arange(40) % 2
    >>> cfg = RMTrainingConfig(model="probe", strategy="more", n_sources=2,
    ...                        groups_per_device_batch=4, gradient_accumulation_steps=1,
    ...                        learning_rate=1e-2, max_steps=5)
    >>> run = train_probe_heads(cfg, zc, zr, src, seeds=[0, 1, 2])
    >>> run.weights.shape, run.lambdas.shape
    (torch.Size([3, 8]), torch.Size([3, 5, 2]))
    >>> bool(torch.allclose(run.lambdas.sum(-1), torch.ones(3, 5)))
    True
    >>> run.margins(zc, zr).shape
    torch.Size([3, 40])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from morelib.probe.ranks import check_ranks, combine_ranks, lambda_groups
from morelib.weighting import HeadGradients, head_gradients, make_weighting

SCHEDULES = ("linear", "constant", "constant_with_warmup", "cosine")
#: Batch layouts: ``stratified`` (groups of one pair per source, MORE's) or ``mixed`` (a
#: uniform shuffle of the subset, MultiTask's).
BATCHINGS = ("stratified", "mixed")


def default_batching(strategy: str) -> str:
    """The layout a strategy trains on in :func:`morelib.training.train_reward_model`: MORE on
    stratified groups, every other strategy on a uniform mix.

    Example:
        >>> default_batching("more"), default_batching("mean"), default_batching("uniform")
        ('stratified', 'mixed', 'mixed')
    """
    return "stratified" if strategy == "more" else "mixed"


@dataclass
class ProbeRun:
    """S trained heads and their per-micro-step histories.

    ``weights`` [S, h]; ``lambdas``, ``source_losses``, ``counts`` [S, M, K] (M micro-steps);
    ``loss`` [S, M] (the weighted loss Σ λ_i ℓ_i the trainer logs per micro-step); ``seeds``;
    ``train_index`` [S, n] the pairs each seed trained on; ``rank_lambdas`` [S, M, R', K] the
    λ of each simulated rank (R' = 1 unless per-rank, when ``lambdas`` is their mean)."""

    weights: torch.Tensor
    lambdas: torch.Tensor
    source_losses: torch.Tensor
    counts: torch.Tensor
    loss: torch.Tensor
    seeds: list[int]
    train_index: torch.Tensor
    rank_lambdas: torch.Tensor | None = None

    def lambda_spread(self, reduce: str = "mean") -> torch.Tensor:
        """Per seed [S], the mean (``reduce="max"``: the max) over micro-steps (and simulated
        ranks) of max_i |λ_i − 1/K|: how far λ moves from uniform (0 for fixed uniform
        weights, and for MORE at K = 2 with l2 normalisation, where λ = (½, ½) exactly).

        Example:
            >>> run = ProbeRun(torch.zeros(1, 2), torch.tensor([[[0.5, 0.5], [0.9, 0.1]]]),
            ...                None, None, None, [0], None)
            >>> run.lambda_spread(), run.lambda_spread("max")    # (0 + 0.4) / 2; 0.4
            (tensor([0.2000]), tensor([0.4000]))
        """
        lam = self.rank_lambdas if self.rank_lambdas is not None else self.lambdas
        K = lam.shape[-1]
        per_step = (lam - 1.0 / K).abs().amax(-1).reshape(lam.shape[0], -1)
        return per_step.amax(-1) if reduce == "max" else per_step.mean(-1)

    def margins(self, features_chosen: torch.Tensor, features_rejected: torch.Tensor
                ) -> torch.Tensor:
        """r(chosen) − r(rejected) of every seed's head on the given pairs: [S, N]."""
        w = self.weights.to(features_chosen.dtype)
        return w @ features_chosen.T - w @ features_rejected.T


def head_init(seed: int, hidden: int, init_std: float = 0.02) -> torch.Tensor:
    """The head :class:`~morelib.models.RewardModel` starts from with ``seed``: N(0, init_std²).

    Example:
        >>> from morelib.models import RewardModel
        >>> rm = RewardModel.from_name("tiny-llama", seed=3)
        >>> bool(torch.equal(head_init(3, 64), rm.head.weight[0]))
        True
    """
    generator = torch.Generator().manual_seed(int(seed))
    return (torch.randn((1, hidden), generator=generator) * init_std)[0]


def seed_batches(strategy: str, source_index: np.ndarray, n_sources: int, seed: int,
                 groups_per_batch: int, subset_per_source: int | None = None,
                 batching: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(micro-batches [M, G·K] of pair indices, training subset) for one seed.

    The subset takes ``subset_per_source`` pairs of each source without replacement (all of the
    smallest source's size when ``None``), seeded. ``batching`` (default
    :func:`default_batching` of ``strategy``): ``"stratified"``: groups of one pair per source
    (source order within a group, like :class:`~morelib.training.collator.PairCollator`
    flattens them), shuffled, ``groups_per_batch`` per micro-batch; ``"mixed"``: the subset
    shuffled, G·K pairs per micro-batch. A last partial batch is dropped. The layout alone
    decides the batches: one seed gives the same stratified batches to every strategy.

    Example:
        >>> batches, subset = seed_batches("more", np.array([0, 1, 0, 1, 0, 1]), 2, seed=0,
        ...                                groups_per_batch=1)
        >>> batches.shape, sorted(subset.tolist())
        ((3, 2), [0, 1, 2, 3, 4, 5])
        >>> [int(x) % 2 for x in batches[0]]      # one pair of source 0, then one of source 1
        [0, 1]
        >>> same, _ = seed_batches("uniform", np.array([0, 1, 0, 1, 0, 1]), 2, seed=0,
        ...                        groups_per_batch=1, batching="stratified")
        >>> bool((same == batches).all())          # MORE's batches, whatever the weighting
        True
    """
    layout = default_batching(strategy) if batching is None else batching
    if layout not in BATCHINGS:
        raise ValueError(f"batching must be one of {BATCHINGS}, got {batching!r}")
    rng = np.random.default_rng(int(seed))
    pools = [np.flatnonzero(source_index == i) for i in range(n_sources)]
    if any(p.size == 0 for p in pools):
        raise ValueError("every source needs at least one training pair")
    n = min(p.size for p in pools) if subset_per_source is None else int(subset_per_source)
    if n > min(p.size for p in pools):
        raise ValueError(f"subset_per_source={n} but the smallest source has "
                         f"{min(p.size for p in pools)} pairs")
    chosen = [rng.choice(p, size=n, replace=False) for p in pools]
    per_batch = groups_per_batch * n_sources
    if layout == "stratified":
        groups = np.stack(chosen, axis=1)[rng.permutation(n)]     # [n, K]
        flat = groups.reshape(-1)
    else:
        flat = rng.permutation(np.concatenate(chosen))
    m = flat.size // per_batch
    if m == 0:
        raise ValueError(f"{flat.size} training pairs cannot fill one batch of {per_batch}")
    return flat[:m * per_batch].reshape(m, per_batch), np.concatenate(chosen)


def learning_rate_factor(schedule: str, step: int, total: int, warmup: int) -> float:
    """The learning-rate multiplier ``transformers``' scheduler gives optimiser step ``step``
    (0-based) of ``total``, with ``warmup`` warm-up steps.

    Example:
        >>> [learning_rate_factor("linear", t, 4, 1) for t in range(4)]
        [0.0, 1.0, 0.6666666666666666, 0.3333333333333333]
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"the probe supports the schedules {SCHEDULES}, not {schedule!r}")
    if schedule == "constant":
        return 1.0
    if step < warmup:
        return step / max(1, warmup)
    if schedule == "constant_with_warmup":
        return 1.0
    progress = (step - warmup) / max(1, total - warmup)
    if schedule == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return max(0.0, (total - step) / max(1, total - warmup))


def _weightings(config: Any, seeds: Sequence[int], sizes: Sequence[int]) -> list[Any]:
    out = []
    for s in seeds:
        w = make_weighting(config.strategy, config.n_sources, sizes=sizes, alpha=config.alpha,
                           normalize=config.normalize, init=config.ema_init, seed=int(s))
        if getattr(w, "sync", False):
            w.sync = False  # one process: nothing to all-reduce (as RewardTrainer sets it)
        out.append(w)
    return out


@torch.no_grad()
def train_probe_heads(config: Any, features_chosen: torch.Tensor,
                      features_rejected: torch.Tensor, source_index: torch.Tensor,
                      seeds: Sequence[int], *, batches: torch.Tensor | None = None,
                      subset_per_source: int | None = None,
                      init: torch.Tensor | None = None, batching: str | None = None,
                      ranks: int = 1, rank_lambda: str = "synchronised") -> ProbeRun:
    """Train ``len(seeds)`` head-only RMs on cached features (see the module docstring).

    Args:
        config: an :class:`~morelib.training.RMTrainingConfig` (``model`` is not used).
        features_chosen, features_rejected: [N, h] features of the training pairs.
        source_index: [N] long, the pairs' sources in [0, K).
        seeds: one RM per seed: its subset, data order (:func:`seed_batches`), head init
            (:func:`head_init`) and MORE EMA seed.
        batches: optional [S, M, B] pair indices per seed and micro-step (e.g. a Trainer run's
            batches), replacing :func:`seed_batches`. Runs longer than M micro-steps (more
            than one epoch, or ``max_steps`` beyond it) go through the same order again, where
            the Trainer would reshuffle.
        subset_per_source: training subset size per source and seed (default: all of the
            smallest source).
        init: optional [S, h] initial heads.
        batching: the batch layout of :func:`seed_batches` (default: the strategy's own;
            ``"stratified"`` with ``strategy="uniform"`` is the authors' ``--reweight False``).
        ranks, rank_lambda: simulated data-parallel ranks (:mod:`morelib.probe.ranks`): each
            micro-step takes a global batch of ``ranks`` micro-batches of G·K pairs, and λ is
            ``"synchronised"`` (one λ from the global batch, morelib's trainer) or
            ``"per-rank"`` (one λ and one weighting state per rank, the authors' code).
            ``ranks`` synchronised ranks train exactly as one process with ``ranks`` times
            the groups per batch.
    """
    zc = features_chosen.detach().float()
    zr = features_rejected.detach().float()
    src = source_index.detach().long()
    n_pairs, hidden = zc.shape
    K, S = int(config.n_sources), len(seeds)
    if zr.shape != zc.shape or src.shape != (n_pairs,):
        raise ValueError("features_chosen, features_rejected must be [N, h], source_index [N]")
    check_ranks(ranks, rank_lambda)
    if batches is None:
        made = [seed_batches(config.strategy, src.numpy(), K, s,
                             config.groups_per_device_batch * int(ranks), subset_per_source,
                             batching) for s in seeds]
        batches = torch.as_tensor(np.stack([b for b, _ in made]))
        subset = torch.as_tensor(np.stack([t for _, t in made]))
    else:
        batches = torch.as_tensor(batches).long()
        subset = batches.reshape(S, -1)
    if batches.shape[0] != S:
        raise ValueError(f"batches hold {batches.shape[0]} seeds, seeds has {S}")
    ga = int(config.gradient_accumulation_steps)
    per_epoch = batches.shape[1] // ga
    total = (int(config.max_steps) if config.max_steps > 0
             else max(1, int(per_epoch * float(config.num_train_epochs))))
    warmup = (int(config.warmup_ratio) if config.warmup_ratio >= 1
              else math.ceil(total * config.warmup_ratio))
    sizes = config.source_sizes or tuple(int((src == i).sum()) for i in range(K))
    per_rank = int(ranks) if rank_lambda == "per-rank" else 1
    weightings = [_weightings(config, seeds, sizes) for _ in range(per_rank)]  # [R'][S]

    w = (torch.stack([head_init(s, hidden) for s in seeds]) if init is None
         else init.detach().float().clone())
    m1, m2 = torch.zeros_like(w), torch.zeros_like(w)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    M = total * ga
    lambdas, losses = torch.zeros(S, M, K), torch.zeros(S, M, K)
    counts, loss = torch.zeros(S, M, K), torch.zeros(S, M)
    rank_lambdas = torch.zeros(S, M, per_rank, K)
    grad = torch.zeros_like(w)
    for micro in range(M):
        idx = batches[:, micro % batches.shape[1]]                       # [S, R·B]
        fc, fr = zc[idx], zr[idx]                                        # [S, R·B, h]
        margins = torch.einsum("sbh,sh->sb", fc - fr, w)
        groups, _ = lambda_groups(src[idx], K, int(ranks), rank_lambda)
        stats = head_gradients(fc.reshape(-1, hidden), fr.reshape(-1, hidden), None,
                               groups, S * per_rank * K, margins=margins.reshape(-1))
        g = stats.grads.reshape(S, per_rank, K, hidden)
        ls = stats.losses.reshape(S, per_rank, K)
        cs = stats.counts.reshape(S, per_rank, K)
        lam = torch.stack([torch.stack([weightings[r][s].weights(
            HeadGradients(g[s, r], ls[s, r], cs[s, r])) for r in range(per_rank)])
            for s in range(S)]).float()                                  # [S, R', K]
        direction, loss[:, micro], losses[:, micro], counts[:, micro] = combine_ranks(
            lam, g, ls, cs)
        rank_lambdas[:, micro], lambdas[:, micro] = lam, lam.mean(1)
        grad += direction / ga
        if (micro + 1) % ga:
            continue
        step = micro // ga
        if config.max_grad_norm > 0:  # torch.nn.utils.clip_grad_norm_, per RM
            norm = grad.norm(dim=1, keepdim=True)
            grad = grad * (config.max_grad_norm / (norm + 1e-6)).clamp(max=1.0)
        lr = config.learning_rate * learning_rate_factor(config.lr_scheduler_type, step, total,
                                                         warmup)
        t = step + 1  # torch.optim.AdamW
        w = w * (1.0 - lr * config.weight_decay)
        m1 = beta1 * m1 + (1 - beta1) * grad
        m2 = beta2 * m2 + (1 - beta2) * grad * grad
        denom = (m2.sqrt() / math.sqrt(1 - beta2 ** t)) + eps
        w = w - (lr / (1 - beta1 ** t)) * m1 / denom
        grad = torch.zeros_like(w)
    return ProbeRun(w, lambdas, losses, counts, loss, [int(s) for s in seeds], subset,
                    rank_lambdas)


#: The head recipes a study chooses from, as (learning rate, epochs): AdamW on a linear head
#: converges in a few epochs at 1e-2; 1e-3 for one epoch is the recipe the probe used before
#: (under-trained heads are under-confident, and their ECE measures the recipe, not the data).
RECIPES = ((1e-3, 1.0), (1e-2, 1.0), (1e-2, 3.0), (1e-2, 6.0))


def validation_loss(run: ProbeRun, features_chosen: torch.Tensor,
                    features_rejected: torch.Tensor, source_index: torch.Tensor) -> float:
    """Held-out Bradley–Terry loss of a run's heads: the mean over seeds and sources of each
    source's mean softplus(−margin) (every source weighs the same, as in training).

    Example:
        >>> run = ProbeRun(torch.ones(1, 1), None, None, None, None, [0], None)
        >>> z = torch.tensor([[1.0], [0.0]])
        >>> round(validation_loss(run, z, torch.zeros(2, 1), torch.tensor([0, 1])), 4)
        0.5032
    """
    loss = torch.nn.functional.softplus(-run.margins(features_chosen, features_rejected))
    src = source_index.long()
    return float(torch.stack([loss[:, src == k].mean(1) for k in src.unique()]).mean())


def select_recipe(config: Any, features_chosen: torch.Tensor, features_rejected: torch.Tensor,
                  source_index: torch.Tensor, held_out: torch.Tensor, seeds: Sequence[int], *,
                  recipes: Sequence[tuple[float, float]] = RECIPES, train_fraction: float = 0.8,
                  **train_kwargs: Any) -> tuple[Any, dict[tuple[float, float], float]]:
    """(``config`` with the chosen learning rate and epochs, {recipe: validation loss}).

    Every recipe trains ``seeds`` heads on the pairs not ``held_out`` (a prompt-disjoint
    validation split of the training pairs, [N] bool) with ``train_fraction`` of the smallest
    source's remaining pairs per seed; the recipe with the lowest :func:`validation_loss` on
    the held-out pairs wins (the first on a tie). The same rule for every scheme.

    Example:
        >>> from morelib.training import RMTrainingConfig
        >>> g = torch.Generator().manual_seed(0)
        >>> zc, zr = torch.randn(200, 8, generator=g) + 0.5, torch.randn(200, 8, generator=g)
        >>> cfg = RMTrainingConfig(model="probe", strategy="mean", n_sources=1,
        ...                        groups_per_device_batch=8, gradient_accumulation_steps=1)
        >>> best, losses = select_recipe(cfg, zc, zr, torch.zeros(200, dtype=torch.long),
        ...                              torch.arange(200) % 5 == 0, seeds=[0, 1])
        >>> (best.learning_rate, best.num_train_epochs), len(losses)
        ((0.01, 6.0), 4)
    """
    import dataclasses

    fit = ~held_out
    src = source_index.long()
    K = int(config.n_sources)
    n_sub = max(1, int(train_fraction * min(int((src[fit] == k).sum()) for k in range(K))))
    losses = {}
    for lr, epochs in recipes:
        cfg = dataclasses.replace(config, learning_rate=float(lr), num_train_epochs=float(epochs),
                                  max_steps=-1)
        run = train_probe_heads(cfg, features_chosen[fit], features_rejected[fit], src[fit],
                                seeds, subset_per_source=n_sub, **train_kwargs)
        losses[(float(lr), float(epochs))] = validation_loss(
            run, features_chosen[held_out], features_rejected[held_out], src[held_out])
    lr, epochs = min(losses, key=losses.get)
    return (dataclasses.replace(config, learning_rate=lr, num_train_epochs=epochs, max_steps=-1),
            losses)

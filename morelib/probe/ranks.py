"""Simulated data-parallel ranks in the probe: synchronised vs per-rank MORE weights.

With R data-parallel ranks a global batch is R micro-batches of B pairs, one per rank, and the
gradient DDP applies is the mean of the ranks' gradients. Two ways to get λ:

* ``"synchronised"`` (morelib's trainer): the per-source statistics are all-reduced
  (:func:`morelib.weighting.all_reduce_source_stats`), so every rank solves for the same λ from
  the global batch's per-source means g_i; the step follows Σ_i λ_i g_i. That all-reduce turns
  rank means into global-batch means, so here the statistics are simply taken over the R·B
  pairs at once (one λ group per seed);
* ``"per-rank"`` (the authors' code, D7): each rank r solves for its own λ_r from its own
  micro-batch, with its own EMA buffers; the step follows (1/R) Σ_r Σ_i λ_ri g_ri.

:func:`lambda_groups` gives each pair its statistics group (seed, λ group, source) for ONE
:func:`morelib.weighting.head_gradients` call, and :func:`combine_ranks` turns the groups' λ,
gradients, losses and counts into the step direction, the logged loss and the global-batch
per-source losses and counts. Rank r holds the r-th contiguous B pairs of the global batch
(whole stratified groups, since B = G·K).

Example (1 seed, 2 ranks of 2 pairs, 2 sources):
    >>> import torch
    >>> src = torch.tensor([[0, 1, 0, 1]])
    >>> lambda_groups(src, n_sources=2, ranks=2, rank_lambda="per-rank")
    (tensor([0, 1, 2, 3]), 2)
    >>> lambda_groups(src, n_sources=2, ranks=2, rank_lambda="synchronised")
    (tensor([0, 1, 0, 1]), 1)
    >>> lam = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])          # rank 0 → source 0, rank 1 → 1
    >>> g = torch.tensor([[[[2.0], [4.0]], [[6.0], [8.0]]]])    # [S, R, K, h]
    >>> ls, cs = torch.ones(1, 2, 2), torch.ones(1, 2, 2)
    >>> direction, loss, losses, counts = combine_ranks(lam, g, ls, cs)
    >>> direction, loss, counts                                 # (2 + 8) / 2
    (tensor([[5.]]), tensor([1.]), tensor([[2., 2.]]))
"""

from __future__ import annotations

import torch

#: How λ is computed across simulated ranks.
RANK_LAMBDAS = ("synchronised", "per-rank")


def check_ranks(ranks: int, rank_lambda: str) -> None:
    """Raise ``ValueError`` for a rank count below 1 or an unknown λ mode.

    Example:
        >>> check_ranks(2, "per-rank")
        >>> check_ranks(2, "async")
        Traceback (most recent call last):
        ...
        ValueError: rank_lambda must be one of ('synchronised', 'per-rank'), got 'async'
    """
    if int(ranks) < 1:
        raise ValueError(f"ranks must be >= 1, got {ranks}")
    if rank_lambda not in RANK_LAMBDAS:
        raise ValueError(f"rank_lambda must be one of {RANK_LAMBDAS}, got {rank_lambda!r}")


def lambda_groups(source_ids: torch.Tensor, n_sources: int, ranks: int, rank_lambda: str
                  ) -> tuple[torch.Tensor, int]:
    """(statistics group of every pair, flattened [S·R·B], λ groups per seed R').

    ``source_ids`` [S, R·B]: the sources of each seed's global batch. Group of pair j of seed
    s: s·R'·K + (rank of j)·K + source with R' = R per-rank, and s·K + source (R' = 1)
    synchronised or with one rank.
    """
    check_ranks(ranks, rank_lambda)
    S, n = source_ids.shape
    if n % ranks:
        raise ValueError(f"a global batch of {n} pairs does not split over {ranks} ranks")
    per_rank = ranks if rank_lambda == "per-rank" else 1
    rank = torch.arange(n) // (n // ranks) if per_rank > 1 else torch.zeros(n, dtype=torch.long)
    seed = torch.arange(S).unsqueeze(1) * per_rank * n_sources
    return (seed + rank.unsqueeze(0) * n_sources + source_ids).reshape(-1), per_rank


def combine_ranks(lam: torch.Tensor, grads: torch.Tensor, losses: torch.Tensor,
                  counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                 torch.Tensor]:
    """(step direction [S, h], logged loss [S], global per-source losses [S, K] and counts
    [S, K]) from λ [S, R', K] and per-group gradients [S, R', K, h], losses and counts
    [S, R', K].

    The direction is the ranks' mean of Σ_i λ_ri g_ri (what DDP's gradient average gives; with
    R' = 1 it is Σ_i λ_i g_i), the loss the ranks' mean of Σ_i λ_ri ℓ_ri, and the per-source
    losses the count-weighted means over ranks.
    """
    direction = torch.einsum("srk,srkh->sh", lam, grads) / lam.shape[1]
    loss = (lam * losses).sum(-1).mean(-1)
    total = counts.sum(1)
    pooled = (losses * counts).sum(1) / total.clamp_min(1.0)
    return direction, loss, pooled, total

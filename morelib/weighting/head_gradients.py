"""Per-source Bradley–Terry head gradients in closed form, their all-reduce, and the weighted loss.

For a bias-free linear head r = w·z and a pair (z_c, z_r), the margin is m = w·(z_c − z_r), the
loss softplus(−m) = −log σ(m), and its gradient with respect to the head is

    ∂loss/∂w = −σ(−m) · (z_c − z_r).

:func:`head_gradients` averages these per source (any number of pairs per source per batch,
unlike the authors' row-i-is-source-i assumption, D9), on the features' device, in at least
float32, without autograd, copies of the head or host syncs: about ten tensor operations, the
per-source means being one [K, B] × [B, h] matmul with an averaging matrix. Source indices
outside [0, K) count for no source.

Example:
    >>> import torch
    >>> zc, zr = torch.tensor([[1.0, 2.0], [2.0, 2.0]]), torch.zeros(2, 2)
    >>> grads, losses, counts = head_gradients(zc, zr, torch.zeros(2), torch.tensor([0, 1]), 3)
    >>> grads                                # σ(0) = 1/2: −Δz/2; source 2 is absent
    tensor([[-0.5000, -1.0000],
            [-1.0000, -1.0000],
            [ 0.0000,  0.0000]])
    >>> counts
    tensor([1., 1., 0.])
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import torch
import torch.nn.functional as F


class HeadGradients(NamedTuple):
    """Per-source mean head gradients [K, h], mean losses [K] and pair counts [K].

    ``counts`` is a float tensor holding exact integers (so the three pack into one all-reduce);
    a source with count 0 has zero gradient and loss. Accepted wherever a ``SourceStats`` is.
    """

    grads: torch.Tensor
    losses: torch.Tensor
    counts: torch.Tensor


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.promote_types(dtype, torch.float32)


def no_autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """Disable autocast on ``device`` (the trainer's bf16 autocast would run our fp32 matmuls in
    bf16); a no-op context where autocast is off or unavailable (entering one costs µs)."""
    if torch.amp.is_autocast_available(device.type) and torch.is_autocast_enabled(device.type):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


@torch.no_grad()
def head_gradients(features_chosen: torch.Tensor, features_rejected: torch.Tensor,
                   head_weight: torch.Tensor | None, source_index: torch.Tensor,
                   n_sources: int, *, margins: torch.Tensor | None = None) -> HeadGradients:
    """Closed-form per-source mean Bradley–Terry gradients with respect to a linear head.

    Args:
        features_chosen, features_rejected: pooled features [B, h] (any float dtype; detached
            here). Under bf16/fp16 the arithmetic runs in float32.
        head_weight: the full (unsharded) head weight, [h] or [1, h]; ``None`` when
            ``margins`` is given.
        source_index: long [B], values in [0, n_sources). Not range-checked (that would sync):
            a pair with another value counts for no source.
        n_sources: K.
        margins: optional r_chosen − r_rejected [B] as the model computed them. The head weight
            only enters through the margin, so passing the margins instead serves a head that is
            sharded across ranks (FSDP, DeepSpeed ZeRO-3), where no rank holds the full weight.

    Returns:
        :class:`HeadGradients` (grads [K, h], losses [K], counts [K]) on the features' device,
        in float32 (float64 if the features are float64), all detached.

    Example:
        >>> import torch
        >>> zc = torch.tensor([[2.0, 2.0], [0.0, 2.0], [4.0, 2.0]])
        >>> g = head_gradients(zc, torch.zeros_like(zc), torch.zeros(1, 2),
        ...                    torch.tensor([0, 0, 1]), 2)
        >>> g.grads                              # source 0: mean of −(2,2)/2 and −(0,2)/2
        tensor([[-0.5000, -1.0000],
                [-2.0000, -1.0000]])
        >>> g.losses                             # softplus(0) = log 2
        tensor([0.6931, 0.6931])
        >>> same = head_gradients(zc, torch.zeros_like(zc), None, torch.tensor([0, 0, 1]), 2,
        ...                       margins=torch.zeros(3))     # margins instead of the weight
        >>> torch.equal(same.grads, g.grads)
        True
    """
    if features_chosen.shape != features_rejected.shape or features_chosen.dim() != 2:
        raise ValueError("features_chosen and features_rejected must both be [B, h]; got "
                         f"{tuple(features_chosen.shape)} and {tuple(features_rejected.shape)}")
    n_pairs, hidden = features_chosen.shape
    if margins is None:
        if head_weight is None or head_weight.numel() != hidden:
            got = "no head_weight" if head_weight is None else \
                f"head_weight has {head_weight.numel()} entries"
            raise ValueError(f"{got}, features have {hidden} (pass margins for a sharded head)")
    elif margins.shape != (n_pairs,):
        raise ValueError(f"margins must be [{n_pairs}], got {tuple(margins.shape)}")
    if source_index.shape != (n_pairs,):
        raise ValueError(f"source_index must be [{n_pairs}], got {tuple(source_index.shape)}")
    device = features_chosen.device
    with no_autocast(device):
        return _head_gradients(features_chosen, features_rejected, head_weight, source_index,
                               n_sources, margins)


def _head_gradients(features_chosen: torch.Tensor, features_rejected: torch.Tensor,
                    head_weight: torch.Tensor | None, source_index: torch.Tensor,
                    n_sources: int, margins: torch.Tensor | None = None) -> HeadGradients:
    n_pairs, hidden = features_chosen.shape
    device = features_chosen.device
    dtype = _compute_dtype(features_chosen.dtype)
    # signs folded into the operands: −Δz, −m, and −σ(−m)·Δz = σ(−m)·(−Δz), no negations
    neg_delta = features_rejected.detach().to(dtype) - features_chosen.detach().to(dtype)
    if margins is None:
        assert head_weight is not None  # checked by head_gradients
        neg_margin = neg_delta @ head_weight.detach().reshape(hidden).to(device=device,
                                                                          dtype=dtype)
    else:
        neg_margin = -margins.detach().to(device=device, dtype=dtype)
    # per-source means as one [K, B] averaging matrix (row i: 1/n_i on source i's pairs)
    member = (source_index.to(device=device).unsqueeze(0)
              == _source_ids(n_sources, device).unsqueeze(1)).to(dtype)
    counts = member.sum(1)
    member = member / counts.clamp_min(1.0).unsqueeze(1)
    grads = (member * torch.sigmoid(neg_margin)) @ neg_delta
    return HeadGradients(grads, member @ F.softplus(neg_margin), counts)


_SOURCE_IDS: dict[tuple[int, torch.device], torch.Tensor] = {}


def _source_ids(n_sources: int, device: torch.device) -> torch.Tensor:
    """``arange(K)`` on ``device``, made once (one allocation fewer per step)."""
    key = (n_sources, device)
    ids = _SOURCE_IDS.get(key)
    if ids is None:
        ids = _SOURCE_IDS[key] = torch.arange(n_sources, device=device)
    return ids


def all_reduce_source_stats(grads: torch.Tensor, losses: torch.Tensor, counts: torch.Tensor,
                            group: object = None) -> HeadGradients:
    """Turn per-rank source means into global-batch means (identity outside a distributed run).

    When ``torch.distributed`` is initialised with more than one rank, the per-source sums
    (mean × count), loss sums and counts are packed into one [K, h+2] tensor and all-reduced
    (one collective of K·(h+2) floats), then divided by the global counts, so every rank gets
    the same statistics and hence the same λ (the authors' λ differs per rank, D7). Every rank
    must call it at the same step (it is a collective).

    Example:
        >>> import torch
        >>> g = all_reduce_source_stats(torch.ones(2, 3), torch.ones(2), torch.tensor([1.0, 0.0]))
        >>> g.counts                              # not distributed: unchanged
        tensor([1., 0.])
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size(group) == 1:
        return HeadGradients(grads, losses, counts)
    c = counts.to(grads.dtype).unsqueeze(1)
    packed = torch.cat([grads * c, losses.to(grads.dtype).unsqueeze(1) * c, c], dim=1)
    dist.all_reduce(packed, op=dist.ReduceOp.SUM, group=group)
    total = packed[:, -1]
    denom = total.clamp_min(1.0).unsqueeze(1)
    return HeadGradients(packed[:, :-2] / denom, packed[:, -2] / denom[:, 0],
                         total.to(counts.dtype))


def weighted_loss(per_pair_losses: torch.Tensor, source_index: torch.Tensor,
                  weights: torch.Tensor, counts: torch.Tensor | None = None,
                  scale: float = 1.0) -> torch.Tensor:
    """Σ_i λ_i · (mean loss of source i in the batch), λ held constant (detached).

    Sources without pairs in the batch contribute 0. With λ_i = n_i/B this is the plain batch
    mean; with uniform λ and balanced sources too. Differentiable in ``per_pair_losses``.

    Data-parallel runs: pass the global per-source ``counts`` (all-reduced, as
    :func:`all_reduce_source_stats` returns them) and ``scale`` = the number of ranks. Each rank
    then returns ``W · Σ_i λ_i · (its loss sum of source i) / N_i``, and the gradient DDP,
    FSDP and DeepSpeed average over the W ranks is exactly the gradient of the global batch's
    Σ_i λ_i · (mean loss of source i), whatever each rank's share of every source.

    Example:
        >>> import torch
        >>> losses = torch.tensor([1.0, 3.0, 2.0, 4.0])
        >>> idx = torch.tensor([0, 0, 1, 1])
        >>> weighted_loss(losses, idx, torch.tensor([0.5, 0.5])), losses.mean()
        (tensor(2.5000), tensor(2.5000))
        >>> weighted_loss(losses, idx, torch.tensor([1.0, 0.0]))      # source 0's mean only
        tensor(2.)
        >>> # two ranks: rank 0 holds pairs 0-1, rank 1 pairs 2-3; their mean is the global loss
        >>> lam, n = torch.tensor([0.5, 0.5]), torch.tensor([2.0, 2.0])
        >>> parts = [weighted_loss(losses[r], idx[r], lam, n, scale=2) for r in ([0, 2], [1, 3])]
        >>> (parts[0] + parts[1]) / 2
        tensor(2.5000)
    """
    n_sources = weights.shape[0]
    index = source_index.to(device=per_pair_losses.device, dtype=torch.long)
    sums = per_pair_losses.new_zeros(n_sources).index_add(0, index, per_pair_losses)
    if counts is None:
        counts = torch.bincount(index, minlength=n_sources)
    counts = counts.detach().to(device=sums.device, dtype=sums.dtype)
    means = sums / counts.clamp_min(1.0)
    lam = weights.detach().to(device=means.device, dtype=means.dtype)
    return (lam * means).sum() * scale


def data_parallel_world_size(group: object = None) -> int:
    """Ranks of ``torch.distributed``'s (default) group; 1 outside a distributed run.

    Example:
        >>> data_parallel_world_size()
        1
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(group)
    return 1

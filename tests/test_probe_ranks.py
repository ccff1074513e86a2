"""Simulated ranks and batch layouts in the probe, against independent computations: per-rank
λ from MoreWeighting on each rank's own slice, synchronised ranks = one process with R× the
groups, fixed uniform weights on MORE's batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from morelib.probe.heads import head_init, seed_batches, train_probe_heads
from morelib.training import RMTrainingConfig
from morelib.weighting import MoreWeighting, head_gradients


def data(n=96, h=6, k=3):
    g = torch.Generator().manual_seed(1)
    zc = torch.randn(n, h, generator=g) + 0.3 * torch.arange(h) / h
    zr = torch.randn(n, h, generator=g)
    return zc, zr, torch.arange(n) % k


def config(strategy="more", groups=2, **kw):
    return RMTrainingConfig(model="probe", strategy=strategy, n_sources=3,
                            groups_per_device_batch=groups, gradient_accumulation_steps=1,
                            learning_rate=0.05, max_steps=6, alpha=0.7, **kw)


def test_synchronised_ranks_train_as_one_process_with_r_times_the_groups() -> None:
    zc, zr, src = data()
    two = train_probe_heads(config(groups=2), zc, zr, src, seeds=[0, 1], ranks=2)
    one = train_probe_heads(config(groups=4), zc, zr, src, seeds=[0, 1])
    assert torch.allclose(two.weights, one.weights, atol=1e-6)
    assert torch.allclose(two.lambdas, one.lambdas, atol=1e-6)
    assert two.rank_lambdas.shape == (2, 6, 1, 3)


def test_per_rank_lambda_is_more_on_each_ranks_own_slice_at_the_first_step() -> None:
    zc, zr, src = data()
    cfg = config(groups=2)
    run = train_probe_heads(cfg, zc, zr, src, seeds=[5], ranks=2, rank_lambda="per-rank")
    batch = torch.as_tensor(seed_batches("more", src.numpy(), 3, 5, groups_per_batch=4)[0][0])
    w0 = head_init(5, zc.shape[1])
    expected_loss = 0.0
    for r, part in enumerate(batch.reshape(2, 6)):
        stats = head_gradients(zc[part], zr[part], w0, src[part], 3)
        lam = MoreWeighting(3, alpha=0.7).weights(stats)
        assert torch.allclose(run.rank_lambdas[0, 0, r], lam, atol=1e-6)
        expected_loss += float((lam * stats.losses).sum()) / 2
    assert run.loss[0, 0].item() == pytest.approx(expected_loss, abs=1e-6)
    assert torch.allclose(run.lambdas[0, 0], run.rank_lambdas[0, 0].mean(0))
    # two distinct micro-batches give two distinct λ
    assert not torch.allclose(run.rank_lambdas[0, 0, 0], run.rank_lambdas[0, 0, 1], atol=1e-3)


def test_per_rank_on_identical_rank_batches_equals_synchronised() -> None:
    zc, zr, src = data()
    single = torch.as_tensor(np.stack([seed_batches("more", src.numpy(), 3, s, 2)[0]
                                       for s in (0, 1)]))             # [S, M, 6]
    doubled = torch.cat([single, single], dim=2)                        # both ranks see it
    per_rank = train_probe_heads(config(), zc, zr, src, seeds=[0, 1], batches=doubled,
                                 ranks=2, rank_lambda="per-rank")
    sync = train_probe_heads(config(), zc, zr, src, seeds=[0, 1], batches=single)
    assert torch.allclose(per_rank.weights, sync.weights, atol=1e-6)
    assert torch.allclose(per_rank.lambdas, sync.lambdas, atol=1e-6)


def test_per_rank_batch_mean_is_the_global_mean() -> None:
    zc, zr, src = data()
    a = train_probe_heads(config("mean"), zc, zr, src, seeds=[2], ranks=2,
                          rank_lambda="per-rank")
    b = train_probe_heads(config("mean"), zc, zr, src, seeds=[2], ranks=2)
    assert torch.allclose(a.weights, b.weights, atol=1e-6)


def test_stratified_uniform_uses_mores_batches_with_lambda_one_over_k() -> None:
    zc, zr, src = data()
    more = train_probe_heads(config("more"), zc, zr, src, seeds=[0, 3])
    flat = train_probe_heads(config("uniform"), zc, zr, src, seeds=[0, 3],
                             batching="stratified")
    mixed = train_probe_heads(config("uniform"), zc, zr, src, seeds=[0, 3])
    assert torch.equal(more.train_index, flat.train_index)
    assert torch.equal(flat.lambdas, torch.full_like(flat.lambdas, 1 / 3))
    assert torch.equal(flat.lambda_spread(), torch.zeros(2))
    assert bool((more.lambda_spread() > 0).all())
    # stratified batches hold 2 pairs of every source; a uniform mix does not
    assert torch.equal(flat.counts, torch.full_like(flat.counts, 2.0))
    assert not torch.equal(mixed.counts, torch.full_like(mixed.counts, 2.0))
    with pytest.raises(ValueError, match="batching"):
        train_probe_heads(config("uniform"), zc, zr, src, seeds=[0], batching="sorted")
    with pytest.raises(ValueError, match="rank_lambda"):
        train_probe_heads(config(), zc, zr, src, seeds=[0], ranks=2, rank_lambda="async")

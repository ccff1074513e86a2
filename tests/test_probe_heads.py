"""train_probe_heads: seeds trained together equal seeds trained alone; per-seed resampling;
the learning-rate schedule against transformers' own schedulers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from transformers import get_scheduler

from morelib.probe.heads import learning_rate_factor, seed_batches, train_probe_heads
from morelib.training import RMTrainingConfig


def data(n=60, h=6, k=3):
    g = torch.Generator().manual_seed(0)
    zc = torch.randn(n, h, generator=g) + 0.4
    zr = torch.randn(n, h, generator=g)
    return zc, zr, torch.arange(n) % k


@pytest.mark.parametrize("strategy", ["more", "mean"])
def test_seeds_together_equal_seeds_alone(strategy) -> None:
    zc, zr, src = data()
    cfg = RMTrainingConfig(model="probe", strategy=strategy, n_sources=3,
                           groups_per_device_batch=2, gradient_accumulation_steps=2,
                           learning_rate=0.05, max_steps=4, warmup_ratio=0.25, alpha=0.8)
    together = train_probe_heads(cfg, zc, zr, src, seeds=[3, 4, 5], subset_per_source=15)
    for i, s in enumerate([3, 4, 5]):
        alone = train_probe_heads(cfg, zc, zr, src, seeds=[s], subset_per_source=15)
        assert torch.allclose(together.weights[i], alone.weights[0], atol=1e-6)
        assert torch.allclose(together.lambdas[i], alone.lambdas[0], atol=1e-6)
        assert torch.equal(together.train_index[i], alone.train_index[0])
    # seeds differ in subset, order and init, so their heads differ
    assert not torch.allclose(together.weights[0], together.weights[1], atol=1e-3)


def test_seed_batches_resample_subset_and_order() -> None:
    src = np.arange(90) % 3
    a, sub_a = seed_batches("more", src, 3, seed=0, groups_per_batch=2, subset_per_source=10)
    b, sub_b = seed_batches("more", src, 3, seed=1, groups_per_batch=2, subset_per_source=10)
    mt, sub_mt = seed_batches("mean", src, 3, seed=0, groups_per_batch=2, subset_per_source=10)
    assert set(sub_a.tolist()) != set(sub_b.tolist())
    assert set(sub_a.tolist()) == set(sub_mt.tolist())      # same seed, same training subset
    assert a.shape == mt.shape == (5, 6)
    assert all(sorted(src[row].tolist()) == [0, 0, 1, 1, 2, 2] for row in a)  # stratified
    with pytest.raises(ValueError, match="smallest source"):
        seed_batches("mean", src, 3, seed=0, groups_per_batch=1, subset_per_source=31)


@pytest.mark.parametrize("schedule", ["linear", "constant", "constant_with_warmup", "cosine"])
def test_schedule_matches_transformers(schedule) -> None:
    total, warmup = 10, 3
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    kwargs = {} if schedule == "constant" else {"num_warmup_steps": warmup}
    if schedule in ("linear", "cosine"):
        kwargs["num_training_steps"] = total
    sched = get_scheduler(schedule, opt, **kwargs)
    expected = []
    for _ in range(total):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    got = [learning_rate_factor(schedule, t, total, 0 if schedule == "constant" else warmup)
           for t in range(total)]
    assert np.allclose(got, expected, atol=1e-12), (got, expected)
    with pytest.raises(ValueError, match="schedules"):
        learning_rate_factor("polynomial", 0, total, warmup)


def test_explicit_batches_must_match_the_seeds() -> None:
    zc, zr, src = data()
    cfg = RMTrainingConfig(model="probe", strategy="mean", n_sources=3, max_steps=1)
    with pytest.raises(ValueError, match="seeds"):
        train_probe_heads(cfg, zc, zr, src, seeds=[0, 1], batches=torch.zeros(1, 2, 3).long())
    cfg = dataclasses.replace(cfg, lr_scheduler_type="polynomial")
    with pytest.raises(ValueError, match="schedules"):
        train_probe_heads(cfg, zc, zr, src, seeds=[0])

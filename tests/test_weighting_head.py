"""Closed-form per-source head gradients against autograd, and the weighted loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from morelib.weighting import (
    BatchMeanWeighting,
    SourceStats,
    UniformWeighting,
    head_gradients,
    weighted_loss,
)


def autograd_reference(zc, zr, head: torch.nn.Linear, source, K):
    grads, losses = torch.zeros(K, zc.shape[1], dtype=zc.dtype), torch.zeros(K, dtype=zc.dtype)
    for i in range(K):
        rows = source == i
        if not rows.any():
            continue
        loss = F.softplus(-(head(zc[rows]) - head(zr[rows]))).mean()
        (g,) = torch.autograd.grad(loss, head.weight)
        grads[i], losses[i] = g.reshape(-1), loss.detach()
    return grads, losses


@pytest.mark.parametrize("dtype,atol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_matches_autograd_with_unequal_counts(dtype, atol) -> None:
    torch.manual_seed(0)
    h, K = 16, 5
    source = torch.tensor([0, 0, 0, 1, 3, 3, 0, 4, 4, 4, 4])  # counts 4, 1, 0, 2, 4
    zc = torch.randn(len(source), h, dtype=dtype)
    zr = torch.randn(len(source), h, dtype=dtype)
    head = torch.nn.Linear(h, 1, bias=False).to(dtype)
    with torch.no_grad():
        head.weight.mul_(5.0)  # margins far from 0, so σ(−m) varies across pairs
    ref_grads, ref_losses = autograd_reference(zc, zr, head, source, K)
    grads, losses, counts = head_gradients(zc, zr, head.weight, source, K)
    torch.testing.assert_close(grads, ref_grads, atol=atol, rtol=0)
    torch.testing.assert_close(losses, ref_losses, atol=atol, rtol=0)
    torch.testing.assert_close(counts, torch.tensor([4.0, 1, 0, 2, 4], dtype=dtype))
    assert grads.dtype == dtype and not grads.requires_grad
    # the head as [h] gives the same
    same = head_gradients(zc, zr, head.weight.reshape(-1), source, K)
    torch.testing.assert_close(same.grads, grads)


def test_absent_sources_and_detachment() -> None:
    zc = torch.randn(3, 4, requires_grad=True)
    zr = torch.randn(3, 4)
    w = torch.randn(1, 4, requires_grad=True)
    out = head_gradients(zc, zr, w, torch.tensor([1, 1, 3]), 4)
    assert not any(t.requires_grad for t in out)
    assert out.grads[0].abs().sum() == 0 and out.grads[2].abs().sum() == 0
    assert out.losses[0] == 0 and out.counts.tolist() == [0.0, 2.0, 0.0, 1.0]
    assert out.grads[1].abs().sum() > 0


def test_low_precision_features_computed_in_float32() -> None:
    torch.manual_seed(1)
    zc, zr = torch.randn(8, 32).bfloat16(), torch.randn(8, 32).bfloat16()
    w = torch.randn(32).bfloat16()
    idx = torch.arange(8) % 3
    out = head_gradients(zc, zr, w, idx, 3)
    assert out.grads.dtype == torch.float32 and out.losses.dtype == torch.float32
    ref = head_gradients(zc.float(), zr.float(), w.float(), idx, 3)
    torch.testing.assert_close(out.grads, ref.grads)


def test_float32_even_under_bf16_autocast() -> None:
    torch.manual_seed(4)
    zc, zr, w = torch.randn(8, 64), torch.randn(8, 64), torch.randn(64)
    idx = torch.arange(8) % 2
    plain = head_gradients(zc, zr, w, idx, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under = head_gradients(zc, zr, w, idx, 2)
    assert under.grads.dtype == torch.float32
    torch.testing.assert_close(under.grads, plain.grads, atol=0, rtol=0)
    torch.testing.assert_close(under.losses, plain.losses, atol=0, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_stays_on_the_device() -> None:
    zc, zr = torch.randn(6, 8, device="cuda"), torch.randn(6, 8, device="cuda")
    idx = torch.arange(6, device="cuda") % 2
    out = head_gradients(zc, zr, torch.randn(8, device="cuda"), idx, 2)
    assert all(t.device.type == "cuda" for t in out)
    cpu = head_gradients(zc.cpu(), zr.cpu(), torch.zeros(8), torch.arange(6) % 2, 2)
    assert cpu.grads.shape == out.grads.shape


def test_shape_errors() -> None:
    z, idx2 = torch.zeros(2, 3), torch.zeros(2).long()
    with pytest.raises(ValueError, match="head_weight"):
        head_gradients(z, z, torch.zeros(4), idx2, 2)
    with pytest.raises(ValueError, match="source_index"):
        head_gradients(z, z, torch.zeros(3), torch.zeros(3).long(), 2)
    with pytest.raises(ValueError, match=r"\[B, h\]"):
        head_gradients(z, torch.zeros(3, 3), torch.zeros(3), idx2, 2)


def test_weighted_loss_equals_plain_mean_for_uniform_balanced_sources() -> None:
    torch.manual_seed(2)
    K = 4
    for per_source in (1, 3):
        idx = torch.arange(K).repeat(per_source)[torch.randperm(K * per_source)]
        losses = torch.rand(K * per_source, requires_grad=True)
        lam = UniformWeighting(K).weights(SourceStats(counts=torch.bincount(idx).float()))
        loss = weighted_loss(losses, idx, lam)
        torch.testing.assert_close(loss, losses.mean())
        loss.backward()
        torch.testing.assert_close(losses.grad, torch.full_like(losses, 1 / (K * per_source)))


def test_weighted_loss_batch_mean_on_unbalanced_sources_and_constant_lambda() -> None:
    idx = torch.tensor([0, 0, 0, 2, 2, 1])
    losses = torch.tensor([1.0, 2.0, 3.0, 4.0, 6.0, 10.0])
    counts = torch.bincount(idx, minlength=4).float()
    lam = BatchMeanWeighting(4).weights(SourceStats(counts=counts))
    torch.testing.assert_close(weighted_loss(losses, idx, lam), losses.mean())
    w = torch.tensor([0.2, 0.3, 0.5, 0.0], requires_grad=True)
    out = weighted_loss(losses, idx, w)  # 0.2·2 + 0.3·10 + 0.5·5
    assert out.item() == pytest.approx(5.9)
    assert not out.requires_grad  # λ is held constant: no graph through the weights

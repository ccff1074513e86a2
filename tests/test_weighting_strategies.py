"""EMA semantics, normalisations, the strategies' interface and MORE's checkpoint round trip."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from morelib.weighting import (
    BatchMeanWeighting,
    GradientEMA,
    MoreWeighting,
    ProportionalWeighting,
    SourceStats,
    UniformWeighting,
    WeightingStrategy,
    gradient_normalizers,
    head_gradients,
    make_weighting,
    min_norm_weights,
    normalize_gradients,
    random_init,
)

ALL = torch.tensor([True, True, True])


def test_ema_alpha_weights_the_new_gradient_from_zero() -> None:
    g1, g2 = torch.randn(3, 5), torch.randn(3, 5)
    ema = GradientEMA(3, alpha=0.99)
    torch.testing.assert_close(ema.update(g1, ALL), 0.99 * g1)
    torch.testing.assert_close(ema.update(g2, ALL), 0.01 * 0.99 * g1 + 0.99 * g2)
    no_momentum = GradientEMA(3, alpha=1.0)
    no_momentum.update(g1, ALL)
    torch.testing.assert_close(no_momentum.update(g2, ALL), g2)


def test_ema_random_init_matches_the_authors_and_is_seeded() -> None:
    g = torch.randn(3, 64)
    start = random_init(3, 64, seed=4)
    assert torch.equal(start, random_init(3, 64, seed=4))
    assert not torch.equal(start, random_init(3, 64, seed=5))
    assert torch.equal(start[0], start[1])  # one Linear(h, 1) init copied into every buffer
    assert start.abs().max() <= 1 / math.sqrt(64)  # Kaiming-uniform bound of Linear(h, 1)
    ema = GradientEMA(3, alpha=0.99, init="random", seed=4)
    torch.testing.assert_close(ema.update(g, ALL), 0.01 * start + 0.99 * g)


def test_ema_first_init_and_absent_sources() -> None:
    g1, g2 = torch.randn(3, 4), torch.randn(3, 4)
    ema = GradientEMA(3, alpha=0.5, init="first")
    first = ema.update(g1, torch.tensor([True, False, True]))
    torch.testing.assert_close(first[0], g1[0])
    torch.testing.assert_close(first[1], torch.zeros(4))  # absent: untouched
    second = ema.update(g2, torch.tensor([True, True, False]))
    torch.testing.assert_close(second[0], 0.5 * g1[0] + 0.5 * g2[0])
    torch.testing.assert_close(second[1], g2[1])  # its first gradient
    torch.testing.assert_close(second[2], g1[2])  # absent this time: unchanged
    assert ema.updates.tolist() == [2, 1, 1]


def test_normalizations() -> None:
    m = torch.tensor([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    losses = torch.tensor([1.0, 0.0, 3.0])
    torch.testing.assert_close(normalize_gradients(m, losses, "l2"),
                               torch.tensor([[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]]))
    torch.testing.assert_close(normalize_gradients(m, losses, "none"), m)
    tilde = (losses + 1) / (losses + 1).sum()
    torch.testing.assert_close(normalize_gradients(m, losses, "loss"), m / tilde[:, None])
    present = torch.tensor([True, True, False])
    np.testing.assert_allclose(gradient_normalizers((m * m).sum(1), losses, "loss", present)[:2],
                               np.array([2.0, 1.0]) / 3.0)
    plus = normalize_gradients(m, losses, "loss+")
    torch.testing.assert_close(plus[0], m[0] / (5.0 * 1.0))
    torch.testing.assert_close(plus[2], m[2] / (1.0 * 3.0))
    assert torch.isfinite(plus).all()  # ℓ = 0 and ‖m‖ = 0 guarded (authors' D11)
    d = gradient_normalizers(torch.tensor([4.0]), torch.tensor([0.0]), "loss+")
    assert np.isfinite(d).all() and d.item() > 0
    with pytest.raises(ValueError):
        gradient_normalizers(torch.ones(2), torch.ones(2), "l1")


@pytest.mark.parametrize("normalize", ["l2", "loss", "loss+", "none"])
def test_more_equals_min_norm_of_normalised_ema(normalize: str) -> None:
    torch.manual_seed(0)
    K, h = 4, 12
    more = MoreWeighting(K, alpha=0.9, normalize=normalize)
    m = torch.zeros(K, h, dtype=torch.float64)
    for _ in range(3):
        grads, losses = torch.randn(K, h) + 1.0, torch.rand(K)
        lam = more.weights(SourceStats(grads, losses, torch.ones(K)))
        m = 0.1 * m + 0.9 * grads.double()
        v = normalize_gradients(m, losses.double(), normalize)
        np.testing.assert_allclose(lam.numpy(), min_norm_weights((v @ v.T).numpy()), atol=1e-6)


def test_more_absent_source_gets_zero_weight_and_diagnostics() -> None:
    torch.manual_seed(1)
    zc, zr = torch.randn(6, 8), torch.randn(6, 8)
    source = torch.tensor([0, 0, 1, 3, 3, 1])
    more = MoreWeighting(4)
    lam = more.weights(head_gradients(zc, zr, torch.randn(8), source, 4))
    assert lam[2] == 0 and lam.sum().item() == pytest.approx(1.0)
    assert lam.dtype == torch.float32
    diag = more.last_diagnostics.row()  # the history schema, sources named by index
    assert "grad_norm/2" not in diag and "cosine/0~2" not in diag  # undefined: left out
    assert -1 <= diag["cosine/0~1"] <= 1 and diag["weighting/kkt_violation"] < 1e-9
    expected = {"lambda/3", "ema_norm/0", "cosine_normalized/1~3", "weighting/min_norm",
                "weighting/fw_iterations"}
    assert expected <= set(diag)
    # nothing present at all: uniform, and the EMA does not move
    before = more.ema.buffer.clone()
    empty = SourceStats(torch.zeros(4, 8), torch.zeros(4), torch.zeros(4))
    torch.testing.assert_close(more.weights(empty), torch.full((4,), 0.25))
    assert torch.equal(more.ema.buffer, before)


def test_more_state_dict_round_trip_resumes_identically() -> None:
    torch.manual_seed(3)
    batches = [SourceStats(torch.randn(3, 10), torch.rand(3), torch.tensor([1.0, 2.0, 1.0]))
               for _ in range(6)]
    for init in ("zeros", "random"):
        full = MoreWeighting(3, alpha=0.7, init=init, seed=1)
        lams = [full.weights(b) for b in batches]
        for cut in (0, 3):
            first = MoreWeighting(3, alpha=0.7, init=init, seed=1)
            for b in batches[:cut]:
                first.weights(b)
            buf = io.BytesIO()
            torch.save(first.state_dict(), buf)
            buf.seek(0)
            resumed = MoreWeighting(3, alpha=0.7, init=init, seed=1)
            resumed.load_state_dict(torch.load(buf, weights_only=True))
            assert resumed.steps == cut
            for b, expected in zip(batches[cut:], lams[cut:]):
                assert torch.equal(resumed.weights(b), expected)
            assert torch.equal(resumed.ema.buffer, full.ema.buffer)
    with pytest.raises(ValueError, match="sources"):
        MoreWeighting(4).load_state_dict(full.state_dict())


def test_baselines() -> None:
    counts = torch.tensor([3.0, 0.0, 1.0])
    stats = SourceStats(counts=counts)
    torch.testing.assert_close(UniformWeighting(3).weights(stats), torch.tensor([0.5, 0.0, 0.5]))
    torch.testing.assert_close(BatchMeanWeighting(3).weights(stats),
                               torch.tensor([0.75, 0.0, 0.25]))
    torch.testing.assert_close(ProportionalWeighting([10, 50, 30]).weights(stats),
                               torch.tensor([0.25, 0.0, 0.75]))
    from_stats = ProportionalWeighting(n_sources=3).weights(
        SourceStats(counts=counts, sizes=torch.tensor([1.0, 1.0, 3.0])))
    torch.testing.assert_close(from_stats, torch.tensor([0.25, 0.0, 0.75]))
    nothing = SourceStats(counts=torch.zeros(3))
    torch.testing.assert_close(UniformWeighting(3).weights(nothing), torch.full((3,), 1 / 3))
    with pytest.raises(ValueError):
        ProportionalWeighting([1.0, -1.0])


def test_make_weighting_and_protocol() -> None:
    kw = {"alpha": 0.5, "normalize": "loss", "init": "random", "seed": 3}
    for name, cls in [("more", MoreWeighting), ("uniform", UniformWeighting),
                      ("mean", BatchMeanWeighting), ("proportional", ProportionalWeighting)]:
        strategy = make_weighting(name, 3, sizes=[1, 2, 3], **kw)
        assert isinstance(strategy, cls) and isinstance(strategy, WeightingStrategy)
        assert strategy.needs_head_gradients == (name == "more")
        strategy.load_state_dict(strategy.state_dict())
    assert make_weighting("more", 3, **kw).ema.init == "random"
    with pytest.raises(TypeError, match="unknown weighting option"):
        make_weighting("uniform", 3, momentum=0.9)
    with pytest.raises(ValueError):
        make_weighting("more", 3, normalize="l1")
    with pytest.raises(ValueError):
        make_weighting("more", 3, alpha=0.0)


# K = 2 MORE is stratified-uniform batching (MoreWeighting's docstring): property tests through
# the strategy object over several EMA steps, against closed forms computed here.
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)
ANGLES = st.one_of(st.floats(1e-6, 1e-3), st.floats(0.0, math.pi), st.floats(math.pi - 1e-3, math.pi))


def _plane(seed: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Two random orthonormal vectors of R^h."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(h, 2)))
    return q[:, 0], q[:, 1]


def _run_more(more: MoreWeighting, steps: list[np.ndarray]) -> list[tuple[np.ndarray, Any]]:
    """λ and the diagnostics of each step (every source present)."""
    out = []
    for g in steps:
        K = len(g)
        lam = more.weights(SourceStats(torch.from_numpy(g).float(), torch.rand(K), torch.ones(K)))
        out.append((lam.numpy().astype(np.float64), more.last_diagnostics))
    return out


@PROPERTY
@given(h=st.integers(2, 64), seed=st.integers(0, 2**32 - 1), theta=ANGLES,
       alpha=st.floats(0.05, 1.0), init=st.sampled_from(["zeros", "random", "first"]),
       norms=st.lists(st.tuples(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3)), min_size=1,
                      max_size=5))
def test_more_at_two_sources_with_l2_is_uniform(h, seed, theta, alpha, init, norms) -> None:
    u, v = _plane(seed, h)
    b_dir = math.cos(theta) * u + math.sin(theta) * v  # angle θ to u: the buffers keep it
    more = MoreWeighting(2, alpha=alpha, normalize="l2", init=init, seed=seed % 1000)
    for lam, diag in _run_more(more, [np.stack([r * u, s * b_dir]) for r, s in norms]):
        G = diag.solver_gram  # the unit vectors the solver saw: a rounding-limited tolerance
        spread = G[0, 0] + G[1, 1] - 2 * G[0, 1]  # ‖â − b̂‖² = 2(1 − cos θ)
        tol = 1e-7 + (np.inf if spread <= 0 else 16 * np.finfo(float).eps / spread)
        assert abs(lam[0] - 0.5) <= tol and abs(lam[1] - 0.5) <= tol, (lam, spread)
        assert diag.solver.kkt_violation <= 1e-12


@PROPERTY
@given(h=st.integers(2, 64), seed=st.integers(0, 2**32 - 1), theta=ANGLES,
       alpha=st.floats(0.05, 1.0), ratio=st.floats(1.25, 10.0), flip=st.booleans(),
       norms=st.lists(st.floats(1e-2, 1e2), min_size=1, max_size=5))
def test_more_at_two_sources_without_normalising_is_not_uniform(h, seed, theta, alpha, ratio,
                                                                 flip, norms) -> None:
    u, v = _plane(seed, h)
    b_dir = (math.cos(theta) * u + math.sin(theta) * v) * (1 / ratio if flip else ratio)
    steps = [np.stack([r * u, r * b_dir]).astype(np.float32) for r in norms]
    more = MoreWeighting(2, alpha=alpha, normalize="none")
    m = np.zeros((2, h))
    for g, (lam, _) in zip(steps, _run_more(more, steps)):
        m = (1 - alpha) * m + alpha * g.astype(np.float64)  # the EMA, from zero
        a, b = m
        gamma = np.clip((b - a) @ b / ((a - b) @ (a - b)), 0.0, 1.0)  # min-norm weight on a
        np.testing.assert_allclose(lam, [gamma, 1 - gamma], atol=1e-5)
        # ‖b‖ = ratio·‖a‖ (or 1/ratio): |γ − ½| ≥ (ratio − 1)/(2(ratio + 1)) > 0.05
        assert abs(lam[0] - 0.5) > 0.05


@PROPERTY
@given(h=st.integers(3, 64), seed=st.integers(0, 2**32 - 1), theta=st.floats(0.05, math.pi - 0.05),
       inside=st.lists(st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0), st.floats(0.1, 10.0)),
                       min_size=1, max_size=4),
       alpha=st.floats(0.05, 1.0), norms=st.lists(st.floats(1e-2, 1e2), min_size=1, max_size=4))
def test_more_at_three_or_more_sources_is_not_uniform(h, seed, theta, inside, alpha,
                                                       norms) -> None:
    # sources 0, 1: unit directions u, w at angle θ; the others point strictly inside their
    # cone (p·u + q·w, p, q > 0). Every vector of the normalised hull projects onto the
    # bisector at ≥ cos(θ/2), with equality only on the segment [u, w]: the min-norm point is
    # its midpoint, λ = (½, ½, 0, …), whatever the norms.
    u, v = _plane(seed, h)
    w = math.cos(theta) * u + math.sin(theta) * v
    dirs = np.stack([u, w] + [(p * u + q * w) * c for p, q, c in inside])
    K = len(dirs)
    more = MoreWeighting(K, alpha=alpha, normalize="l2")
    for lam, diag in _run_more(more, [dirs * r for r in norms]):
        np.testing.assert_allclose(lam, [0.5, 0.5] + [0.0] * (K - 2), atol=1e-5)


def test_more_at_two_sources_zero_buffer_takes_all_the_weight() -> None:
    more = MoreWeighting(2, alpha=1.0, normalize="l2")
    lam = more.weights(SourceStats(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), torch.ones(2),
                                   torch.ones(2)))
    assert lam.tolist() == [0.0, 1.0]

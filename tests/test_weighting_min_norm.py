"""The min-norm solver against independent quadratic-programming solutions and its KKT conditions.

References (both independent of the solver's code):

* Lawson–Hanson NNLS (``scipy.optimize.nnls``): with G = VᵀV, min_{x≥0} ‖Vx‖² + (Σx − 1)² is
  solved by x = λ*/(1 + q*), q* = λ*ᵀGλ*, so λ* = x/Σx (exact active-set reference);
* SLSQP (``scipy.optimize.minimize``) on the QP itself, as a second opinion on objectives.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import minimize, nnls

from morelib.weighting import min_norm_pair, min_norm_solve, min_norm_weights


def nnls_reference(G: np.ndarray) -> np.ndarray:
    evals, evecs = np.linalg.eigh(G)
    V = (evecs * np.sqrt(np.clip(evals, 0.0, None))).T  # VᵀV = G
    E = np.vstack([V, np.ones((1, G.shape[0]))])
    f = np.zeros(E.shape[0])
    f[-1] = 1.0
    x, _ = nnls(E, f, maxiter=50 * G.shape[0])
    return x / x.sum()


def slsqp_reference(G: np.ndarray) -> np.ndarray:
    K = G.shape[0]
    res = minimize(lambda w: w @ G @ w, np.full(K, 1.0 / K), jac=lambda w: 2 * G @ w,
                   method="SLSQP", bounds=[(0.0, 1.0)] * K,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0,
                                 "jac": lambda w: np.ones_like(w)}],
                   options={"ftol": 1e-16, "maxiter": 1000})
    return res.x


def random_gram(rng: np.random.Generator, K: int, kind: str) -> np.ndarray:
    h = 2 * K + 3
    if kind == "full":
        V = rng.normal(size=(K, h))
    elif kind == "shifted":  # a shared component: the optimum sits on a face or inside
        V = rng.normal(size=(K, h)) + 2.0 * rng.normal(size=h)
    elif kind == "rank-deficient":
        V = rng.normal(size=(K, max(1, K // 2))) * rng.uniform(0.1, 10.0, size=(K, 1))
    elif kind == "duplicated":
        base = rng.normal(size=(max(1, K - 2), h)) + rng.normal(size=h)
        V = base[rng.integers(0, len(base), size=K)]
    else:  # "scaled": wildly different lengths
        V = rng.normal(size=(K, h)) * 10.0 ** rng.uniform(-3, 3, size=(K, 1))
    return V @ V.T


def assert_kkt(G: np.ndarray, lam: np.ndarray, tol: float = 1e-6) -> None:
    scale = np.diag(G).max()
    assert np.all(lam >= 0.0)
    assert abs(lam.sum() - 1.0) < 1e-12
    Gl = G @ lam
    mu = lam @ Gl
    assert np.all(Gl >= mu - tol * scale), (Gl - mu) / scale
    support = lam > 1e-9
    np.testing.assert_allclose(Gl[support], mu, atol=tol * scale, rtol=0)


KINDS = ["full", "shifted", "rank-deficient", "duplicated", "scaled"]


@pytest.mark.parametrize("K", range(2, 9))
@pytest.mark.parametrize("kind", KINDS)
def test_matches_independent_qp(K: int, kind: str) -> None:
    rng = np.random.default_rng(1000 * K + KINDS.index(kind))
    for _ in range(8):
        G = random_gram(rng, K, kind)
        scale = np.diag(G).max()
        res = min_norm_solve(G)
        lam = res.weights
        ref = nnls_reference(G)
        second = slsqp_reference(G)
        ours, theirs = lam @ G @ lam, ref @ G @ ref
        assert ours <= theirs + 1e-10 * scale
        assert ours <= second @ G @ second + 1e-10 * scale
        assert theirs <= ours + 1e-8 * scale
        assert res.kkt_violation < 1e-9
        assert_kkt(G, lam, tol=1e-9)
        if kind in ("full", "shifted", "scaled") and np.linalg.eigvalsh(G / scale).min() > 1e-6:
            np.testing.assert_allclose(lam, ref, atol=1e-6)  # unique optimum


@pytest.mark.parametrize("g11,g12,g22", [(1.0, 0.2, 2.0), (3.0, -1.0, 0.5), (1.0, 1.5, 4.0),
                                          (4.0, 1.5, 1.0), (1.0, 1.0, 1.0), (2.0, -2.0, 2.0)])
def test_two_source_closed_form(g11: float, g12: float, g22: float) -> None:
    G = np.array([[g11, g12], [g12, g22]])
    denom = g11 + g22 - 2 * g12
    gamma = np.clip((g22 - g12) / denom, 0.0, 1.0) if denom > 0 else 1.0
    lam = min_norm_weights(G)
    np.testing.assert_allclose(lam, [gamma, 1.0 - gamma], atol=1e-12)
    assert min_norm_pair(g11, g12, g22)[0] == pytest.approx(gamma)
    assert_kkt(G, lam, tol=1e-12)


def test_orthogonal_vectors_weights_inverse_squared_norms() -> None:
    norms2 = np.array([100.0, 1.0, 1.0, 4.0])  # source 0 dominates, orthogonally
    lam = min_norm_weights(np.diag(norms2))
    expected = (1 / norms2) / (1 / norms2).sum()
    np.testing.assert_allclose(lam, expected, atol=1e-12)
    assert lam[0] < 0.01


def test_permutation_equivariance() -> None:
    rng = np.random.default_rng(7)
    for K in range(3, 9):
        for kind in ("full", "shifted", "duplicated"):
            G = random_gram(rng, K, kind)
            lam = min_norm_weights(G)
            for _ in range(3):
                p = rng.permutation(K)
                lam_p = min_norm_weights(G[np.ix_(p, p)])
                np.testing.assert_allclose(lam_p @ G[np.ix_(p, p)] @ lam_p, lam @ G @ lam,
                                           rtol=1e-9, atol=1e-12)
                if kind != "duplicated":
                    np.testing.assert_allclose(lam_p, lam[p], atol=1e-8)


@pytest.mark.parametrize("c", [1e-8, 0.5, 3.0, 1e6])
def test_scale_invariance(c: float) -> None:
    rng = np.random.default_rng(3)
    for K in (3, 5, 8):
        G = random_gram(rng, K, "shifted")
        np.testing.assert_allclose(min_norm_weights(c * G), min_norm_weights(G), atol=1e-10)


def test_trivial_and_degenerate_cases() -> None:
    np.testing.assert_array_equal(min_norm_weights(np.array([[5.0]])), [1.0])
    np.testing.assert_allclose(min_norm_weights(np.zeros((4, 4))), np.full(4, 0.25))
    # a zero vector among others: the min norm is 0, reached with all weight on it
    V = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    res = min_norm_solve(V @ V.T)
    assert res.value == 0.0 and res.weights[1] == pytest.approx(1.0)
    # identical vectors: any split is optimal, value = their squared norm
    G = np.ones((3, 3))
    lam = min_norm_weights(G)
    assert lam @ G @ lam == pytest.approx(1.0) and lam.sum() == pytest.approx(1.0)


def test_inactive_sources_get_zero_weight() -> None:
    rng = np.random.default_rng(11)
    G = random_gram(rng, 5, "full")
    G[2, :] = G[:, 2] = 0.0  # a source absent from the batch: zero gradient would "win"
    active = np.array([True, True, False, True, True])
    lam = min_norm_weights(G, active=active)
    assert lam[2] == 0.0
    sub = np.ix_(active, active)
    np.testing.assert_allclose(lam[active], min_norm_weights(G[sub]), atol=1e-12)
    np.testing.assert_array_equal(min_norm_weights(G, active=[0, 0, 0, 1, 0]), [0, 0, 0, 1, 0])
    with pytest.raises(ValueError, match="no active source"):
        min_norm_weights(G, active=np.zeros(5, bool))


@pytest.mark.parametrize("bad", [np.full((3, 3), np.nan), np.array([[1.0, np.inf], [np.inf, 1.0]]),
                                 np.ones((2, 3)), np.ones(3), np.zeros((0, 0)),
                                 -np.eye(2)])
def test_invalid_input_raises(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        min_norm_weights(bad)


def test_torch_in_torch_out() -> None:
    G = torch.tensor([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 3.0]], dtype=torch.float64)
    lam = min_norm_weights(G)
    assert isinstance(lam, torch.Tensor) and lam.dtype == torch.float64
    np.testing.assert_allclose(lam.numpy(), min_norm_weights(G.numpy()))
    assert min_norm_weights(G.float()).dtype == torch.float32


def test_paper_method_reproduces_the_authors_quirks() -> None:
    # b = 2a: the exact answer puts all weight on a; the authors' clamp gives 0.999/0.001
    np.testing.assert_allclose(min_norm_weights(np.array([[1.0, 2.0], [2.0, 4.0]]),
                                                method="paper"), [0.999, 0.001])
    rng = np.random.default_rng(5)
    worse = 0
    for K, kind in itertools.product((3, 5, 8), ("shifted", "rank-deficient")):
        G = random_gram(rng, K, kind)
        exact = min_norm_weights(G)
        for method in ("paper", "fw"):
            lam = min_norm_weights(G, method=method)
            assert np.all(lam >= 0) and lam.sum() == pytest.approx(1.0)
            assert lam @ G @ lam >= exact @ G @ exact - 1e-12 * np.diag(G).max()
            worse += (lam @ G @ lam - exact @ G @ exact) > 1e-9 * np.diag(G).max()
    assert worse > 0  # plain Frank–Wolfe does stall short of the optimum somewhere


def test_corrective_converges_in_few_iterations() -> None:
    rng = np.random.default_rng(9)
    for K in range(3, 9):
        for kind in KINDS:
            res = min_norm_solve(random_gram(rng, K, kind))
            assert res.iterations <= 3 * K and res.kkt_violation < 1e-9

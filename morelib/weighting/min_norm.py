"""The min-norm point of a convex hull, from its Gram matrix (the MGDA / MORE weight solver).

Given K vectors g_1..g_K through their Gram matrix G (G_ij = <g_i, g_j>), find

    λ* = argmin_{λ ≥ 0, Σλ = 1} λᵀGλ = ‖Σ_i λ_i g_i‖²,

the weights of the shortest vector in the vectors' convex hull. Optimality (KKT): with
μ = λᵀGλ, (Gλ)_i ≥ μ for every i, with equality where λ_i > 0.

Methods (``method=``):

* ``"corrective"`` (default): first two shortcuts, each one direct solve of a support's KKT
  system, accepted only if it passes the stopping rule below: the ``support`` hint (MORE passes
  the previous step's) and all sources (the optimum is often interior). Otherwise the authors'
  start (the best pair in closed form) and Frank–Wolfe
  steps with exact line search, each followed by a *fully corrective* step that re-optimises λ
  over the affine hull of the current support (the small KKT system, solved by least squares so
  that singular Grams and duplicated vectors are fine), dropping any weight that would turn
  negative (Wolfe's 1976 min-norm-point algorithm in Gram form). It stops when the Frank–Wolfe
  duality gap μ − min_i (Gλ)_i is ≤ 1e-12 · max_i G_ii, so it ends at the exact optimum in a
  handful of steps, where plain Frank–Wolfe creeps towards a face in O(1/t).
* ``"fw"``: plain Frank–Wolfe with exact line search (no clamps); stops when a step moves λ by
  less than ``tol`` in L1 and returns the current iterate.
* ``"paper"``: the authors' ``find_min_norm_element_FW`` step for step, kept for parity checks:
  the two-vector rule clamps γ to 0.999/0.001 instead of 1/0, which makes the iterate creep
  towards a vertex even at the optimum, and at convergence the *previous* iterate is returned.

Deviations from the authors in every method: sources can be excluded (``active``: weight 0,
e.g. a source absent from the batch, whose zero gradient would otherwise win the min-norm
problem); one active source gives [1.0] and an all-zero Gram gives uniform weights over the
active sources (every λ is optimal; their code crashes, D12); non-finite or non-square input
raises ``ValueError``. The Gram is scaled by its largest diagonal entry before solving, so the
weights are invariant to the vectors' scale. Everything runs in float64 numpy on the CPU: the
K×K matrix is tiny, and moving it once per step is the only device sync of a MORE step.

Example:
    >>> import numpy as np
    >>> g = np.array([[1.0, 0.0], [0.0, 2.0]])       # two orthogonal vectors, |g2|² = 2
    >>> min_norm_weights(g).round(4)                  # weights ∝ 1/|g_i|²
    array([0.6667, 0.3333])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

METHODS = ("corrective", "fw", "paper")
_GAP_TOL = 1e-12  # relative duality-gap threshold of the corrective method


@dataclass(frozen=True)
class MinNormResult:
    """What :func:`min_norm_solve` found.

    Attributes:
        weights: λ, float64 [K], on the simplex (zeros for inactive sources).
        value: λᵀGλ on the input's scale.
        iterations: Frank–Wolfe steps taken (0 when a support shortcut, the best pair or a
            trivial case ended it).
        kkt_violation: max(μ − min_i (Gλ)_i, max_{λ_i>0} |(Gλ)_i − μ|) over active i,
            relative to max_i G_ii (0 at the exact optimum).
    """

    weights: np.ndarray
    value: float
    iterations: int
    kkt_violation: float


def min_norm_pair(g11: float, g12: float, g22: float, paper_clamps: bool = False
                  ) -> tuple[float, float]:
    """Closed form of min_{γ∈[0,1]} ‖γ a + (1−γ) b‖² from g11=‖a‖², g12=<a,b>, g22=‖b‖².

    Returns (γ, cost). ``paper_clamps=True`` reproduces the authors' 0.999/0.001 in place of 1/0
    (their cost stays that of the vertex).

    Example:
        >>> min_norm_pair(1.0, 0.0, 1.0)      # orthogonal unit vectors: the midpoint
        (0.5, 0.5)
        >>> min_norm_pair(1.0, 2.0, 4.0)      # b = 2a: all weight on a
        (1.0, 1.0)
        >>> min_norm_pair(1.0, 2.0, 4.0, paper_clamps=True)
        (0.999, 1.0)
    """
    if g12 >= g11:
        return (0.999 if paper_clamps else 1.0), g11
    if g12 >= g22:
        return (0.001 if paper_clamps else 0.0), g22
    gamma = (g22 - g12) / (g11 + g22 - 2.0 * g12)
    return gamma, g22 + gamma * (g12 - g22)


def _best_pair(G: np.ndarray, paper_clamps: bool) -> np.ndarray:
    """The authors' start: the cheapest two-vector solution over all pairs (first minimum)."""
    n = G.shape[0]
    best, lam = np.inf, None
    for i in range(n):
        for j in range(i + 1, n):
            gamma, cost = min_norm_pair(G[i, i], G[i, j], G[j, j], paper_clamps)
            if cost < best:
                best, lam = cost, np.zeros(n)
                lam[i], lam[j] = gamma, 1.0 - gamma
    assert lam is not None  # costs are finite (input checked), so some pair was taken
    return lam


def _fw_step(G: np.ndarray, lam: np.ndarray, paper_clamps: bool) -> np.ndarray:
    """One Frank–Wolfe step towards the best vertex, with exact line search."""
    Gl = G @ lam
    t = int(np.argmin(Gl))
    gamma, _ = min_norm_pair(float(lam @ Gl), float(Gl[t]), float(G[t, t]), paper_clamps)
    new = gamma * lam
    new[t] += 1.0 - gamma
    return new


def _affine_minimizer(Gs: np.ndarray) -> np.ndarray:
    """argmin xᵀGs x subject to Σx = 1 (no sign constraint): the bordered KKT system.

    A direct solve when the system is regular; least squares (a minimiser of the same problem,
    the shortest one) when it is singular, e.g. for duplicated or affinely dependent vectors.
    """
    m = Gs.shape[0]
    A = np.ones((m + 1, m + 1))
    A[:m, :m] = Gs
    A[m, m] = 0.0
    b = np.zeros(m + 1)
    b[m] = 1.0
    try:
        x = np.linalg.solve(A, b)
        if np.all(np.isfinite(x)) and np.abs(A @ x - b).max() <= 1e-12 * (1.0 + np.abs(x).max()):
            return x[:m]
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(A, b, rcond=None)[0][:m]


def _correct(G: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Re-optimise over the support's affine hull; a weight that would go negative is dropped."""
    for _ in range(len(lam) + 1):
        S = np.flatnonzero(lam > 0)
        if len(S) < 2:
            return lam
        x = _affine_minimizer(G[S][:, S])
        d = x - lam[S]
        if np.all(x >= 0):
            new = np.zeros_like(lam)
            new[S] = x / x.sum()
            # guard against a badly conditioned solve making things worse
            return new if new @ G @ new <= lam @ G @ lam + 1e-15 else lam
        neg = np.flatnonzero(d < 0)
        ratios = lam[S][neg] / -d[neg]
        k = int(np.argmin(ratios))
        lam = lam.copy()
        lam[S] = np.maximum(lam[S] + min(ratios[k], 1.0) * d, 0.0)
        lam[S[neg[k]]] = 0.0
        lam /= lam.sum()
    return lam


def _kkt_violation(G: np.ndarray, lam: np.ndarray) -> float:
    Gl = G @ lam
    mu = float(lam @ Gl)
    on_support = np.abs(Gl[lam > 0] - mu).max(initial=0.0)
    return float(max(mu - Gl.min(), on_support, 0.0))


def _support_optimum(G: np.ndarray, support: np.ndarray) -> np.ndarray | None:
    """λ on ``support`` (bool [K]) if that support holds the optimum, else ``None``.

    One direct solve of the support's bordered KKT system; the answer is accepted only when the
    solve is accurate, the weights are non-negative and the Frank–Wolfe duality gap meets the
    corrective method's stopping rule, so an accepted λ is the optimum that method would reach
    (the unique one: a regular bordered system means affinely independent vectors).
    """
    S = np.flatnonzero(support)
    m = len(S)
    if m < 2:
        return None
    A = np.ones((m + 1, m + 1))
    A[:m, :m] = G if m == len(G) else G[np.ix_(S, S)]
    A[m, m] = 0.0
    b = np.zeros(m + 1)
    b[m] = 1.0
    try:
        x = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return None
    if not (np.abs(A @ x - b).max() <= 1e-12 * (1.0 + np.abs(x).max()) and x[:m].min() >= 0.0):
        return None
    lam = np.zeros(G.shape[0])
    lam[S] = x[:m] / x[:m].sum()
    Gl = G @ lam
    return lam if lam @ Gl - Gl.min() <= _GAP_TOL else None


def _solve(G: np.ndarray, method: str, max_iter: int, tol: float,
           support: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    paper = method == "paper"
    if method == "corrective" and len(G) >= 3:
        # shortcuts, each certified by the KKT check: the hinted support (e.g. the previous
        # step's, as λ moves slowly in training), then every source
        every = np.ones(len(G), bool)
        hinted = () if support is None or support.all() else (support,)
        for candidate in hinted + (every,):
            lam = _support_optimum(G, candidate)
            if lam is not None:
                return lam, 0
    lam = _best_pair(G, paper_clamps=paper)
    if len(lam) < 3:
        return lam, 0
    if method == "corrective":
        for it in range(max_iter):
            if it > 0:  # the best pair is already optimal on its own segment
                lam = _correct(G, lam)
            Gl = G @ lam
            if lam @ Gl - Gl.min() <= _GAP_TOL:
                return lam, it
            lam = _fw_step(G, lam, paper_clamps=False)
        return _correct(G, lam), max_iter
    for it in range(max_iter):
        new = _fw_step(G, lam, paper_clamps=paper)
        if np.abs(new - lam).sum() < tol:
            return (lam if paper else new), it + 1
        lam = new
    return lam, max_iter


def _as_gram(gram: Any) -> np.ndarray:
    if hasattr(gram, "detach"):  # torch tensor, any device: one small copy to the CPU
        gram = gram.detach().to("cpu").double().numpy()
    G = np.asarray(gram, dtype=np.float64)
    if G.ndim != 2 or G.shape[0] != G.shape[1] or G.shape[0] == 0:
        raise ValueError(f"gram must be a non-empty square K×K matrix, got shape {G.shape}")
    if not np.isfinite(G).all():
        raise ValueError("gram contains NaN or infinite values (non-finite head gradients or "
                         "losses upstream)")
    G = 0.5 * (G + G.T)  # a new array: the caller's is never modified
    low = G.diagonal().min()
    if low < 0.0 and low < -1e-10 * max(np.abs(G).max(), 1e-300):
        raise ValueError("gram has a negative diagonal entry: not a Gram matrix")
    return G


def min_norm_solve(gram: Any, max_iter: int = 1000, tol: float = 1e-5, *,
                   active: Any = None, method: str = "corrective",
                   support: Any = None) -> MinNormResult:
    """Solve the min-norm problem and report iterations and the KKT residual.

    Args:
        gram: K×K Gram matrix (numpy, torch on any device, or nested lists).
        max_iter: cap on Frank–Wolfe steps (the authors' MAX_ITER = 1000).
        tol: L1 step threshold of the ``"fw"`` and ``"paper"`` methods (authors' 1e-5).
        active: optional boolean [K]; inactive sources get weight 0 and are left out.
        method: ``"corrective"`` (exact, default), ``"fw"`` or ``"paper"`` (module docstring).
        support: optional boolean [K], a guess of the optimum's support (e.g. the previous
            step's λ > 0) that ``"corrective"`` tries first; a wrong guess only costs one solve.

    Example:
        >>> import numpy as np
        >>> V = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
        >>> res = min_norm_solve(V @ V.T)
        >>> res.weights.round(3), round(res.value, 3), res.kkt_violation < 1e-9
        (array([0.5, 0.5, 0. ]), 0.5, True)
        >>> min_norm_solve(V @ V.T, active=[True, False, True]).weights.round(3)
        array([0.483, 0.   , 0.517])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    G = _as_gram(gram)
    K = G.shape[0]
    mask = np.ones(K, bool) if active is None else np.asarray(
        active.detach().cpu() if hasattr(active, "detach") else active).astype(bool).reshape(-1)
    if mask.shape != (K,):
        raise ValueError(f"active must have {K} entries, got {mask.shape}")
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        raise ValueError("no active source: nothing to weight")
    Gs = G if len(idx) == K else G[np.ix_(idx, idx)]
    scale = float(Gs.diagonal().max())
    iterations = 0
    if len(idx) == 1:
        lam_s = np.ones(1)
    elif scale <= 0.0:  # every vector is zero: every λ is optimal, take the uniform one
        lam_s = np.full(len(idx), 1.0 / len(idx))
    else:
        hint = None if support is None else np.asarray(support, bool).reshape(-1)[idx]
        Gn = Gs / scale
        lam_s, iterations = _solve(Gn, method, max_iter, tol, hint)
        lam_s = np.maximum(lam_s, 0.0)
        lam_s /= lam_s.sum()
    weights = np.zeros(K)
    weights[idx] = lam_s
    kkt = _kkt_violation(Gn, lam_s) if scale > 0 and len(idx) > 1 else 0.0
    return MinNormResult(weights, float(lam_s @ Gs @ lam_s), iterations, kkt)


def min_norm_weights(gram: Any, max_iter: int = 1000, tol: float = 1e-5, *,
                     active: Any = None, method: str = "corrective") -> Any:
    """Weights λ of the min-norm point of the vectors' convex hull, from their Gram matrix.

    Same type out as in: a torch tensor gives a tensor of its dtype on its device (solved on the
    CPU in float64), anything else a float64 numpy array. Arguments as :func:`min_norm_solve`.

    Example:
        >>> import torch
        >>> g = torch.tensor([[4.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        >>> min_norm_weights(g)                       # ∝ 1/‖g_i‖²: (1/4, 1, 1)/2.25
        tensor([0.1111, 0.4444, 0.4444])
        >>> min_norm_weights([[1.0]])                 # one source
        array([1.])
    """
    weights = min_norm_solve(gram, max_iter, tol, active=active, method=method).weights
    if hasattr(gram, "detach"):
        import torch

        dtype = gram.dtype if gram.is_floating_point() else torch.float32
        return torch.as_tensor(weights, dtype=dtype).to(gram.device)
    return weights

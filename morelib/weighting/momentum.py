"""MORE's per-source gradient EMA and the normalisations applied before the min-norm solve.

EMA (the paper's semantics): m_i ← (1 − α)·m_i + α·g_i, where **α weights the NEW gradient**
(α = 0.99: 99 % current, 1 % history; α = 1: no momentum; the conventional decay is β = 1 − α).
Buffers start at zero (``init="zeros"``, a documented correction: the authors start from a
random linear layer's weights, D8); ``init="random"`` matches them (ONE seeded Kaiming-uniform
``Linear(h, 1)`` weight copied into every source's buffer, as their code does) and
``init="first"`` starts each buffer at its source's first gradient. A source absent from a
batch keeps its buffer unchanged (and gets weight 0 that step).

Normalisations (divisors d_i; the solver sees m_i / d_i):

* ``"l2"``: d_i = ‖m_i‖ (0 → 1), the paper's setting;
* ``"loss"``: d_i = ℓ̃_i = (ℓ_i + 1)/Σ_j (ℓ_j + 1), the sum over the sources present;
* ``"loss+"``: d_i = ‖m_i‖·max(ℓ_i, eps) (0 → 1), guarded against ℓ_i = 0 (D11);
* ``"none"``: d_i = 1.

Example:
    >>> import torch
    >>> ema = GradientEMA(2, alpha=0.99)
    >>> ema.update(torch.tensor([[1.0, 0.0], [0.0, 2.0]]), torch.tensor([True, False]))
    tensor([[0.9900, 0.0000],
            [0.0000, 0.0000]])
    >>> gradient_normalizers([4.0, 0.0], [1.0, 1.0], "l2")
    array([2., 1.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

NORMALIZATIONS = ("l2", "loss", "loss+", "none")
INITS = ("zeros", "random", "first")


def gradient_normalizers(sq_norms: Any, losses: Any, kind: str, present: Any = None,
                         eps: float = 1e-8) -> np.ndarray:
    """Divisors d [K] of the normalisation ``kind`` from squared norms ‖m_i‖² and losses ℓ_i.

    Host-side arithmetic on K numbers (numpy in, float64 numpy out; CPU tensors are accepted).
    ``present`` (bool [K], default all) restricts the ``"loss"`` sum to the sources present.

    Example:
        >>> sq, loss = [9.0, 1.0], [1.0, 3.0]
        >>> gradient_normalizers(sq, loss, "loss").round(4)     # (ℓ+1)/Σ(ℓ+1) = (2, 4)/6
        array([0.3333, 0.6667])
        >>> gradient_normalizers(sq, [0.5, 0.0], "loss+")       # ℓ = 0 floored at eps
        array([1.5e+00, 1.0e-08])
    """
    if kind not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {kind!r}")
    norms = np.sqrt(np.clip(np.asarray(sq_norms, dtype=np.float64), 0.0, None))
    if kind == "l2":
        return np.where(norms > 0, norms, 1.0)
    if kind == "none":
        return np.ones_like(norms)
    losses = np.asarray(losses, dtype=np.float64)
    if kind == "loss":
        mask = np.ones(len(norms), bool) if present is None else np.asarray(present, bool)
        shifted = np.where(mask, losses + 1.0, 0.0)
        return np.where(mask, shifted / max(shifted.sum(), eps), 1.0)
    d = norms * np.maximum(losses, eps)
    return np.where(d > 0, d, 1.0)


def normalize_gradients(grads: torch.Tensor, losses: torch.Tensor, kind: str = "l2",
                        present: torch.Tensor | None = None) -> torch.Tensor:
    """The vectors the solver sees: ``grads[i] / d_i`` (see :func:`gradient_normalizers`).

    A convenience for inspection and tests (it reads K numbers back to the host); MORE itself
    normalises the Gram matrix instead (Ĝ = G / ddᵀ).

    Example:
        >>> import torch
        >>> normalize_gradients(torch.tensor([[3.0, 4.0], [0.0, 0.0]]), torch.ones(2))
        tensor([[0.6000, 0.8000],
                [0.0000, 0.0000]])
    """
    sq = (grads * grads).sum(1).detach().cpu()
    mask = None if present is None else present.detach().cpu()
    d = gradient_normalizers(sq, losses.detach().cpu(), kind, mask)
    return grads / torch.as_tensor(d, dtype=grads.dtype, device=grads.device).unsqueeze(1)


def random_init(n_sources: int, hidden: int, seed: int = 0) -> torch.Tensor:
    """The authors' start: one Kaiming-uniform ``Linear(h, 1)`` weight, U(±1/√h), per buffer.

    Example:
        >>> b = random_init(3, 4, seed=0)
        >>> b.shape, bool((b[0] == b[2]).all()), bool(b.abs().max() <= 0.5)
        (torch.Size([3, 4]), True, True)
    """
    generator = torch.Generator().manual_seed(seed)
    weight = torch.empty(1, hidden)
    torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    return weight.expand(n_sources, hidden).clone()


class GradientEMA:
    """Per-source EMA buffers m [K, h] with α weighting the new gradient (module docstring).

    The buffers live where the gradients are (created at the first update, when h is known);
    updating is branch-free tensor code, so it never syncs with the host.

    Example:
        >>> import torch
        >>> ema = GradientEMA(1, alpha=0.5)
        >>> _ = ema.update(torch.tensor([[2.0]]), torch.tensor([True]))
        >>> ema.update(torch.tensor([[4.0]]), torch.tensor([True]))    # 0.5·1 + 0.5·4
        tensor([[2.5000]])
    """

    def __init__(self, n_sources: int, alpha: float = 0.99, init: str = "zeros", seed: int = 0):
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha (the weight of the new gradient) must be in (0, 1], "
                             f"got {alpha}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.n_sources, self.alpha, self.init, self.seed = n_sources, alpha, init, seed
        self.buffer: torch.Tensor | None = None
        self.updates: torch.Tensor = torch.zeros(n_sources, dtype=torch.long)

    def _start(self, like: torch.Tensor) -> None:
        if self.init == "random":
            start = random_init(self.n_sources, like.shape[1], self.seed)
        else:
            start = torch.zeros(self.n_sources, like.shape[1])
        self.buffer = start.to(device=like.device, dtype=like.dtype)

    def update(self, grads: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """Blend in this batch's gradients for the sources ``present``; return the buffers."""
        if self.buffer is None:
            self._start(grads)
        assert self.buffer is not None
        if self.buffer.shape != grads.shape:
            raise ValueError(f"EMA buffers are {tuple(self.buffer.shape)}, gradients "
                             f"{tuple(grads.shape)}")
        device = grads.device
        buffer = self.buffer
        if buffer.device != device or buffer.dtype != grads.dtype:  # .to costs µs even as no-op
            buffer = buffer.to(device=device, dtype=grads.dtype)
        updates = self.updates if self.updates.device == device else self.updates.to(device)
        if present.device != device or present.dtype != torch.bool:
            present = present.to(device).bool()
        if self.init == "first":
            blended = torch.lerp(buffer, grads, self.alpha)  # (1 − α)·m + α·g
            blended = torch.where((updates == 0).unsqueeze(1), grads, blended)
            self.buffer = torch.where(present.unsqueeze(1), blended, buffer)
        else:  # weight α where present, 0 (the buffer itself, exactly) where absent
            weight = present.unsqueeze(1).to(grads.dtype) * self.alpha
            self.buffer = torch.lerp(buffer, grads, weight)
        self.updates = updates + present  # bool promotes to long
        return self.buffer

    def state_dict(self) -> dict[str, Any]:
        return {"buffer": None if self.buffer is None else self.buffer.detach().cpu().clone(),
                "updates": self.updates.detach().cpu().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        buffer = state["buffer"]
        if buffer is not None and buffer.shape[0] != self.n_sources:
            raise ValueError(f"state has {buffer.shape[0]} EMA buffers, expected "
                             f"{self.n_sources}")
        device = self.updates.device if self.buffer is None else self.buffer.device
        self.buffer = None if buffer is None else buffer.clone().to(device)
        self.updates = state["updates"].clone().to(device)

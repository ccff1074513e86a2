"""Weighting strategies behind one interface: per-source statistics in, K weights λ out.

The trainer's loss is then :func:`~morelib.weighting.weighted_loss` = Σ_i λ_i · (mean loss of
source i). Strategies:

* :class:`UniformWeighting`: λ_i = 1/K' over the K' sources present in the batch;
* :class:`BatchMeanWeighting` (``"mean"``): λ_i = n_i/B, i.e. the plain batch mean (the paper's
  MultiTask on uniformly mixed batches);
* :class:`ProportionalWeighting`: λ_i ∝ |D_i| over the sources present;
* :class:`MoreWeighting`: MORE: EMA, normalise, min-norm λ.

Every strategy has ``weights(stats)``, ``last_diagnostics`` (the last step's
:class:`~morelib.weighting.diagnostics.StepDiagnostics`, ``None`` before the first; its
``row(names)`` is a training-history row), ``state_dict()`` / ``load_state_dict()`` and
``needs_head_gradients`` (only MORE needs the [K, h] gradients to compute λ; the others read
``counts``, and report gradient norms and cosines when given gradients). ``stats`` is a
:class:`SourceStats` or the :class:`~morelib.weighting.HeadGradients` that
:func:`~morelib.weighting.head_gradients` returns. Strategies never communicate: in a
data-parallel run the caller all-reduces the statistics first
(:func:`~morelib.weighting.all_reduce_source_stats`; :class:`~morelib.training.RewardTrainer`
does), so every rank computes the same λ.

Example:
    >>> import torch
    >>> stats = SourceStats(counts=torch.tensor([2.0, 2.0, 0.0]))
    >>> make_weighting("uniform", 3).weights(stats)
    tensor([0.5000, 0.5000, 0.0000])
    >>> make_weighting("proportional", 3, sizes=[1, 3, 4]).weights(stats)
    tensor([0.2500, 0.7500, 0.0000])
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, Sequence, runtime_checkable

import numpy as np
import torch

from morelib.weighting.diagnostics import StepDiagnostics
from morelib.weighting.head_gradients import no_autocast
from morelib.weighting.min_norm import METHODS, min_norm_solve
from morelib.weighting.momentum import NORMALIZATIONS, GradientEMA, gradient_normalizers
from morelib.vocabulary import SCHEMES


class SourceStats(NamedTuple):
    """Per-source statistics of one batch: grads [K, h], losses [K], counts [K], sizes [K]."""

    grads: torch.Tensor | None = None
    losses: torch.Tensor | None = None
    counts: torch.Tensor | None = None
    sizes: torch.Tensor | None = None


@runtime_checkable
class WeightingStrategy(Protocol):
    n_sources: int
    needs_head_gradients: bool

    def weights(self, stats: Any) -> torch.Tensor: ...

    @property
    def last_diagnostics(self) -> StepDiagnostics | None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def _normalized_over_present(scores: torch.Tensor, counts: torch.Tensor | None) -> torch.Tensor:
    """scores·present / Σ; uniform over all K if nothing is present (no host sync)."""
    scores = scores.float()
    if counts is not None:
        scores = scores * (counts.to(scores.device) > 0).float()
    total = scores.sum()
    uniform = torch.full_like(scores, 1.0 / scores.numel())
    return torch.where(total > 0, scores / total.clamp_min(1e-30), uniform)


def _gram_dtype(device: torch.device) -> torch.dtype:
    """float64 for the K×K Grams, except on MPS (no float64 there)."""
    return torch.float32 if device.type == "mps" else torch.float64


class _Stateless:
    needs_head_gradients = False

    def __init__(self, n_sources: int):
        if n_sources < 1:
            raise ValueError(f"n_sources must be >= 1, got {n_sources}")
        self.n_sources = n_sources
        self._last: tuple[torch.Tensor, Any] | None = None
        self._diagnostics: StepDiagnostics | None = None

    @property
    def last_diagnostics(self) -> StepDiagnostics | None:
        """λ, counts, losses and the batch's gradient Gram (those the stats had), built on the
        first read after a step in one device-to-host transfer.

        Example:
            >>> w = UniformWeighting(2)
            >>> _ = w.weights(SourceStats(torch.tensor([[3.0, 0.0], [0.0, 1.0]]),
            ...                           torch.tensor([0.6, 0.7]), torch.tensor([1.0, 2.0])))
            >>> w.last_diagnostics.row(["a", "b"])["grad_norm/a"]
            3.0
        """
        if self._diagnostics is None and self._last is not None:
            lam, stats = self._last
            parts = {"lambdas": lam.float()}
            for name in ("counts", "losses"):
                if getattr(stats, name, None) is not None:
                    parts[name] = getattr(stats, name).to(lam.device)
            grads = getattr(stats, "grads", None)
            if grads is not None:
                with torch.no_grad(), no_autocast(grads.device):
                    g = grads.to(_gram_dtype(grads.device))
                    parts["grad_gram"] = (g @ g.T).to(lam.device)
            sizes = [p.numel() for p in parts.values()]
            dtype = parts.get("grad_gram", parts["lambdas"]).dtype
            host = torch.cat([p.flatten().to(dtype) for p in parts.values()]).cpu().numpy()
            values = dict(zip(parts, np.split(host, np.cumsum(sizes)[:-1])))
            values["lambdas"] = values["lambdas"].astype(np.float32)
            if "grad_gram" in values:
                values["grad_gram"] = values["grad_gram"].reshape(self.n_sources, self.n_sources)
            self._diagnostics = StepDiagnostics(**values)
        return self._diagnostics

    def _scores(self, stats: Any) -> torch.Tensor:
        raise NotImplementedError

    def weights(self, stats: Any) -> torch.Tensor:
        lam = _normalized_over_present(self._scores(stats), stats.counts)
        self._last, self._diagnostics = (lam, stats), None
        return lam

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class UniformWeighting(_Stateless):
    """λ_i = 1/K' over the K' sources with pairs in the batch (all K if ``counts`` is None)."""

    def _scores(self, stats: Any) -> torch.Tensor:
        device = stats.counts.device if stats.counts is not None else None
        return torch.ones(self.n_sources, device=device)


class BatchMeanWeighting(_Stateless):
    """λ_i = n_i / B: the weighted loss is the plain mean over the batch's pairs.

    Example:
        >>> import torch
        >>> BatchMeanWeighting(2).weights(SourceStats(counts=torch.tensor([3.0, 1.0])))
        tensor([0.7500, 0.2500])
    """

    def _scores(self, stats: Any) -> torch.Tensor:
        return stats.counts.float()


class ProportionalWeighting(_Stateless):
    """λ_i ∝ source size |D_i| over the sources present (sizes given here or in the stats)."""

    def __init__(self, sizes: Sequence[float] | torch.Tensor | None = None,
                 n_sources: int | None = None):
        self.sizes = None if sizes is None else torch.as_tensor(sizes, dtype=torch.float32)
        if n_sources is None:
            if self.sizes is None:
                raise ValueError("ProportionalWeighting needs sizes or n_sources")
            n_sources = len(self.sizes)
        super().__init__(n_sources)
        if self.sizes is not None and (self.sizes.shape != (n_sources,)
                                       or bool((self.sizes < 0).any())):
            raise ValueError(f"sizes must be {n_sources} non-negative numbers, got {sizes}")

    def _scores(self, stats: Any) -> torch.Tensor:
        sizes = self.sizes if self.sizes is not None else getattr(stats, "sizes", None)
        if sizes is None:
            raise ValueError("ProportionalWeighting: no source sizes given")
        device = stats.counts.device if stats.counts is not None else None
        return torch.as_tensor(sizes, dtype=torch.float32).to(device)


class MoreWeighting:
    """MORE's λ: the min-norm point of the normalised, EMA-smoothed per-source head gradients.

    Per call (``weights(stats)``, once per micro-step, on every rank; in a data-parallel run
    with the statistics already all-reduced, so every rank computes the global batch's λ; the
    authors' code takes per-rank λ, D7):

    1. EMA over the sources present (:class:`~morelib.weighting.momentum.GradientEMA`);
    2. the K×K Gram matrices of the batch gradients and of the EMA buffers on the device,
       moved to the CPU with the losses and counts in ONE transfer (the step's only host sync);
    3. normalise the Gram (divisors d: Ĝ = G / ddᵀ, same as normalising the vectors) and solve
       the min-norm problem over the sources present; absent sources get λ = 0. The previous
       step's support (λ > 0) is the solver's first guess: one small linear solve when it is
       still right, which the KKT check decides (it is saved in ``state_dict``, so a resumed
       run takes the same path).

    At K = 2 with ``normalize="l2"`` MORE re-weights nothing: the min-norm point of the
    segment between two unit vectors is its midpoint whatever their angle, so λ = (½, ½) (up to
    rounding of order ε/(1 − cos θ), which matters only for numerically parallel buffers: their
    unit vectors coincide, every λ is optimal and the solver returns a vertex). MORE at K = 2 is
    stratified batching with uniform weights. Exceptions: ``normalize="none"``, ``"loss"`` or
    ``"loss+"`` give λ_1 = clip(((b − a)·b)/‖a − b‖², 0, 1) on the solver's vectors a, b,
    not ½ whenever ‖a‖ ≠ ‖b‖; a present source with a zero EMA buffer stays zero after
    normalising and takes all the weight. At K ≥ 3 λ is not uniform in general (a source whose
    gradient lies inside the cone of two others gets λ = 0).

    ``last_diagnostics`` is a :class:`~morelib.weighting.diagnostics.StepDiagnostics` of those
    host copies (nothing recomputed): besides λ, counts and losses, the batch Gram (gradient
    norms and cosines), the EMA Gram (``ema_norm``), the normalised Gram (``cosine_normalized``:
    normalising is a positive rescaling, so these are the EMA buffers' cosines) and the solver's
    result (``min_norm`` = λᵀĜλ, ``fw_iterations``, ``kkt_violation``).

    Example:
        >>> import torch
        >>> more = MoreWeighting(2, alpha=1.0)
        >>> stats = SourceStats(torch.tensor([[1.0, 0.0], [0.0, 3.0]]), torch.ones(2),
        ...                     torch.ones(2))
        >>> more.weights(stats)                      # l2-normalised orthogonal: equal weights
        tensor([0.5000, 0.5000])
        >>> row = more.last_diagnostics.row(["a", "b"])
        >>> row["cosine/a~b"], row["grad_norm/b"], row["weighting/fw_iterations"]
        (0.0, 3.0, 0.0)
    """

    needs_head_gradients = True

    def __init__(self, n_sources: int, alpha: float = 0.99, normalize: str = "l2",
                 init: str = "zeros", seed: int = 0, *,
                 max_iter: int = 1000, tol: float = 1e-5, method: str = "corrective"):
        if normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.n_sources, self.normalize = n_sources, normalize
        self.max_iter, self.tol, self.method = max_iter, tol, method
        self.ema = GradientEMA(n_sources, alpha=alpha, init=init, seed=seed)
        self.steps = 0
        self._diagnostics: StepDiagnostics | None = None
        self._support: np.ndarray | None = None  # last λ > 0: the solver's first guess

    def weights(self, stats: Any) -> torch.Tensor:
        """λ [K] (float32, on the gradients' device) for this micro-step; updates the EMA.

        Call it once per training micro-step (not on evaluation batches). Non-finite gradients
        raise ``ValueError`` from the solver.
        """
        grads, losses, counts = stats.grads, stats.losses, stats.counts
        if grads is None or losses is None or counts is None:
            raise ValueError("MoreWeighting needs grads, losses and counts (head_gradients)")
        K = self.n_sources
        present = counts > 0
        momentum = self.ema.update(grads, present)
        self.steps += 1
        dtype = _gram_dtype(grads.device)
        with no_autocast(grads.device):
            # two K×K Grams (the batch's, for diagnostics; the EMA's, for the solver), not one
            # 2K×2K Gram whose cross terms nobody reads
            g, m = grads.to(dtype), momentum.to(dtype)
            # cat promotes the float32 losses and counts to the Grams' dtype
            packed = torch.cat([(g @ g.T).flatten(), (m @ m.T).flatten(), losses, counts])
        host = packed.cpu().numpy()  # the one device -> host transfer of the step
        n = K * K
        gram_raw, gram_m = host[:n].reshape(K, K), host[n:2 * n].reshape(K, K)
        host_losses, host_counts = host[2 * n:2 * n + K], host[2 * n + K:]
        present_np = host_counts > 0
        d = gradient_normalizers(np.diagonal(gram_m), host_losses, self.normalize, present_np)
        gram_hat = gram_m / np.outer(d, d)
        result = None
        if present_np.any():
            result = min_norm_solve(gram_hat, self.max_iter, self.tol, active=present_np,
                                    method=self.method, support=self._support)
            lam = result.weights
            self._support = lam > 0  # the next step's first guess (λ moves slowly)
        else:
            lam = np.full(K, 1.0 / K)
        out = torch.from_numpy(lam.astype(np.float32))
        self._diagnostics = StepDiagnostics(lam.astype(np.float32), host_counts, host_losses,
                                            gram_raw, gram_m, gram_hat, result)
        return out if grads.device.type == "cpu" else out.to(grads.device, non_blocking=True)

    @property
    def last_diagnostics(self) -> StepDiagnostics | None:
        return self._diagnostics

    def state_dict(self) -> dict[str, Any]:
        """EMA buffers, per-source update counts, step count and settings (torch.save-able)."""
        support = None if self._support is None else torch.from_numpy(self._support.copy())
        return {"n_sources": self.n_sources, "steps": self.steps, "alpha": self.ema.alpha,
                "normalize": self.normalize, "init": self.ema.init, "support": support,
                **self.ema.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("n_sources") != self.n_sources:
            raise ValueError(f"weighting state is for {state.get('n_sources')} sources, this "
                             f"run has {self.n_sources}")
        self.ema.load_state_dict(state)
        self.steps = int(state["steps"])
        support = state.get("support")  # absent from older checkpoints
        self._support = None if support is None else support.numpy().astype(bool)


#: Strategy names (``mean`` is the paper's MultiTask baseline: the plain batch mean).
STRATEGIES = ("more", "mean", "uniform", "proportional")
#: The paper's scheme names, accepted wherever a strategy is named (``multitask`` → ``mean``).
STRATEGY_ALIASES = {"multitask": SCHEMES["multitask"].strategy}


def make_weighting(name: str, n_sources: int, sizes: Sequence[float] | None = None,
                   **kwargs: Any) -> Any:
    """Build a strategy by name: ``"more"``, ``"uniform"``, ``"mean"`` (= ``"multitask"``) or
    ``"proportional"``.

    ``kwargs`` are :class:`MoreWeighting`'s options; the baselines accept and ignore them, so
    one call site can pass a config's MORE settings whatever the strategy.

    Example:
        >>> make_weighting("more", 5, alpha=0.99, normalize="l2").ema.alpha
        0.99
        >>> make_weighting("bogus", 2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: unknown weighting 'bogus'; choose one of ('more', 'uniform', 'mean', ...
    """
    import inspect

    names = ("more", "uniform", "mean", "proportional")
    name = STRATEGY_ALIASES.get(name, name)
    allowed = set(inspect.signature(MoreWeighting).parameters) - {"n_sources"}
    unknown = set(kwargs) - allowed
    if unknown:
        raise TypeError(f"unknown weighting option(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    if name == "more":
        return MoreWeighting(n_sources, **kwargs)
    if name == "uniform":
        return UniformWeighting(n_sources)
    if name == "mean":
        return BatchMeanWeighting(n_sources)
    if name == "proportional":
        return ProportionalWeighting(sizes, n_sources=n_sources)
    raise ValueError(f"unknown weighting {name!r}; choose one of {names}")

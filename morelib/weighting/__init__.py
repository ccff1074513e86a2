"""Per-source loss weightings: uniform, batch mean, proportional, and MORE's min-norm λ.

A weighting strategy maps per-source statistics of a batch (head gradients, losses, pair
counts, source sizes) to K weights λ on the simplex; the trainer's loss is then
Σ_i λ_i · (mean Bradley–Terry loss of source i), with λ held constant.

* :mod:`~morelib.weighting.head_gradients`: closed-form per-source head gradients, their
  distributed all-reduce, and the weighted loss;
* :mod:`~morelib.weighting.min_norm`: the min-norm solver on the K×K Gram matrix;
* :mod:`~morelib.weighting.momentum`: MORE's gradient EMA and normalisations;
* :mod:`~morelib.weighting.strategies`: the strategies and :func:`make_weighting`;
* :mod:`~morelib.weighting.diagnostics`: :class:`StepDiagnostics` (what a step measured: every
  strategy's ``last_diagnostics``) and the one schema of the training-history keys.

Example (one MORE step on a batch):
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> zc, zr = torch.randn(6, 8), torch.randn(6, 8)
    >>> source = torch.tensor([0, 0, 1, 1, 2, 2])
    >>> stats = head_gradients(zc, zr, torch.zeros(8), source, n_sources=3)
    >>> weighting = make_weighting("more", 3)
    >>> lam = weighting.weights(stats)
    >>> round(float(lam.sum()), 6), bool((lam >= 0).all())
    (1.0, True)
    >>> per_pair = torch.nn.functional.softplus(-(zc - zr) @ torch.zeros(8))
    >>> loss = weighted_loss(per_pair, source, lam)       # = log 2 at a zero head
    >>> round(float(loss), 4)
    0.6931
"""

from morelib.weighting.diagnostics import StepDiagnostics, parse_key
from morelib.weighting.head_gradients import (
    HeadGradients,
    all_reduce_source_stats,
    data_parallel_world_size,
    head_gradients,
    weighted_loss,
)
from morelib.weighting.min_norm import (
    MinNormResult,
    min_norm_pair,
    min_norm_solve,
    min_norm_weights,
)
from morelib.weighting.momentum import (
    NORMALIZATIONS,
    GradientEMA,
    gradient_normalizers,
    normalize_gradients,
    random_init,
)
from morelib.weighting.strategies import (
    BatchMeanWeighting,
    MoreWeighting,
    ProportionalWeighting,
    SourceStats,
    UniformWeighting,
    WeightingStrategy,
    make_weighting,
)

__all__ = [
    "BatchMeanWeighting", "GradientEMA", "HeadGradients", "MinNormResult", "MoreWeighting",
    "NORMALIZATIONS", "ProportionalWeighting", "SourceStats", "StepDiagnostics", "UniformWeighting",
    "WeightingStrategy", "all_reduce_source_stats", "data_parallel_world_size",
    "gradient_normalizers", "head_gradients",
    "make_weighting", "min_norm_pair", "min_norm_solve", "min_norm_weights",
    "normalize_gradients", "parse_key", "random_init", "weighted_loss",
]

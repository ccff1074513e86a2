"""The probe regime: head-only RMs on frozen, cached backbone features, many seeds at once.

A frozen backbone makes an RM a linear head on fixed last-token features. Computing those
features once per text (:class:`~morelib.probe.features.FeatureStore`) and training S heads in
lock step with the very same :mod:`morelib.weighting` code
(:func:`~morelib.probe.heads.train_probe_heads`) turns a MORE-vs-MultiTask comparison over tens
of seeds into seconds of CPU time, exactly equal, step for step, to
:func:`morelib.training.train_reward_model` with ``freeze_backbone=True`` on the same batches.

* :mod:`~morelib.probe.features`: the feature store (content-keyed, verified on load);
* :mod:`~morelib.probe.heads`: vectorised head training (subset, order, init per seed);
* :mod:`~morelib.probe.split`: prompt-disjoint splits of real sources;
* :mod:`~morelib.probe.real_sources`: the real sources under ``MORELIB_DATA_DIR``;
* :mod:`~morelib.probe.ranks`: simulated data-parallel ranks, synchronised or per-rank λ;
* :mod:`~morelib.probe.study`: MORE vs MultiTask (and stratified-uniform) over many seeds, as
  claim C6 rows;
* :mod:`~morelib.probe.contrasts`: every contrast's interval from one shared bootstrap;
* :mod:`~morelib.probe.ablations`: the mechanism ablations (α, normalisation, batching vs
  weighting, synchronised vs per-rank λ) and their vocabulary;
* :mod:`~morelib.probe.factors`: which factor carries MORE's effect, decided by intervals.

Example:
    >>> import torch
    >>> from morelib.training import RMTrainingConfig
    >>> zc, zr = torch.randn(12, 4) + 0.5, torch.randn(12, 4)
    >>> cfg = RMTrainingConfig(model="probe", strategy="mean", n_sources=3, max_steps=2,
    ...                        learning_rate=1e-2)
    >>> train_probe_heads(cfg, zc, zr, torch.arange(12) % 3, seeds=range(4)).weights.shape
    torch.Size([4, 4])
"""

from morelib.probe.features import FeatureCacheError, FeatureStore, text_key
from morelib.probe.heads import ProbeRun, head_init, seed_batches, train_probe_heads
from morelib.probe.real_sources import real_probe_sources
from morelib.probe.split import prompt_disjoint_split, prompt_key
from morelib.probe.study import ARMS, ProbeStudy, run_probe_study
from morelib.probe.contrasts import hh_contrast, seed_interval
from morelib.probe.ablations import parse_ablation, run_ablations
from morelib.probe.factors import factor_sentence

__all__ = ["ARMS", "FeatureCacheError", "FeatureStore", "ProbeRun", "ProbeStudy",
           "factor_sentence", "head_init", "hh_contrast", "parse_ablation",
           "prompt_disjoint_split", "prompt_key", "real_probe_sources", "run_ablations",
           "run_probe_study", "seed_batches", "seed_interval", "text_key", "train_probe_heads"]

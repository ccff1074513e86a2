"""Typed settings for one reward-model training run.

The defaults are the paper's (App. C and the authors' README) where they exist: lr 1e-6, one
epoch, max length 512, 80 pairs per optimiser step (16 groups of 5), AdamW with weight decay 0,
clipping 1.0, seed 42, MORE with α = 0.99 and l2 normalisation. Profiles override them.

Example:
    >>> cfg = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=5)
    >>> cfg.pairs_per_device_batch, cfg.pairs_per_step
    (5, 10)
    >>> RMTrainingConfig(model="m", n_sources=5, world_size=8).global_pairs_per_step  # the paper's
    80
    >>> RMTrainingConfig(model="m", strategy="multitask").strategy  # the paper's name
    'mean'
    >>> RMTrainingConfig(model="m", learning_rate="5e-4")
    Traceback (most recent call last):
    ...
    morelib.typed_fields.SettingError: learning_rate: expected a number, got '5e-4' (str)

Every field is checked by type and range (:mod:`morelib.typed_fields`) when the config is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from morelib.training.optimiser import OptimiserConfig
from morelib.typed_fields import SettingError, check_settings, setting
from morelib.weighting.momentum import NORMALIZATIONS
from morelib.weighting.strategies import STRATEGIES, STRATEGY_ALIASES


@dataclass(kw_only=True)
class RMTrainingConfig(OptimiserConfig):
    """One RM's training: the optimiser settings of
    :class:`~morelib.training.optimiser.OptimiserConfig` (lr, schedule, steps, clipping, seed,
    precision) with the paper's defaults, plus the model, the weighting and the batch layout.
    Keyword-only."""

    model: str = setting("model name or folder (resolved by morelib.models.resolve_model)")
    strategy: str = setting(
        "loss weighting: 'more' (min-norm λ over stratified groups), 'mean' = 'multitask' "
        "(plain mean over a uniformly mixed batch: the paper's MultiTask), 'uniform' (λ=1/K), "
        "'proportional' (λ ∝ source size)", "mean",
        choices=STRATEGIES + tuple(STRATEGY_ALIASES))
    n_sources: int = setting("number of training sources K", 1, at_least=1)
    groups_per_device_batch: int = setting(
        "stratified groups per device batch (MORE); other strategies take the same number of "
        "pairs, groups × K, per device batch", 1, at_least=1)
    gradient_accumulation_steps: int = setting("micro-batches per optimiser step", 2, at_least=1)
    max_length: int = setting("tokens per sequence; longer texts keep their end (paper 512)",
                              512, at_least=2)
    # MORE
    alpha: float = setting("EMA weight of the NEW head gradient (paper 0.99; 1 = no momentum)",
                           0.99, above=0, at_most=1)
    normalize: str = setting("gradient normalisation before the solver: l2, loss, loss+, none",
                             "l2", choices=NORMALIZATIONS)
    ema_init: str = setting("EMA buffers start at 'zeros' (default) or 'random' (authors' code)",
                            "zeros", choices=("zeros", "random"))
    source_sizes: tuple[int, ...] = setting("source sizes for 'proportional'", ())
    # model
    lora_r: int = setting("LoRA rank; 0 trains all backbone weights", 0, at_least=0)
    lora_alpha: int = setting("LoRA scaling", 16, at_least=1)
    lora_dropout: float = setting("LoRA dropout", 0.05, at_least=0, below=1)
    trainable_top_layers: int = setting(
        "if > 0, freeze all but the top N transformer layers (cheap partial fine-tuning)", 0,
        at_least=0)
    freeze_backbone: bool = setting(
        "train the reward head only (every backbone weight frozen): a linear probe on the "
        "backbone's last-token features; with it the head gradients MORE uses are the whole "
        "gradient (see morelib.probe for a fast exact twin of this regime; the Trainer runs the "
        "frozen backbone in train mode, so a backbone with dropout differs from the probe's "
        "eval-mode features)", False,
        cache_key="unless_default")
    prefix_cache: bool = setting(
        "with trainable_top_layers: cache the frozen layers' outputs per text and run only the "
        "top layers (shared by every RM on the same backbone; frozen-layer dropout is off)",
        False)
    prefix_cache_dir: str = setting(
        "on-disk store of the prefix cache shared across processes ('' keeps it in memory)",
        "", cache_key=False)
    tf32: bool = setting("TF32 matmuls in fp32 parts (Ampere or newer GPUs; ignored elsewhere)",
                         False)
    world_size: int = setting(
        "data-parallel processes the RM trains on (the launcher's WORLD_SIZE; training refuses "
        "another); global batch = world_size x pairs_per_step, part of the cache key", 1,
        at_least=1)
    # bookkeeping
    logging_steps: int = setting("log averaged λ, losses and metrics every N optimiser steps",
                                 10, cache_key=False, at_least=1)
    eval_steps: int = setting("evaluate every N steps (0: only at the end)", 0, cache_key=False,
                              at_least=0)
    save_steps: int = setting("checkpoint every N steps (0: only at the end)", 0,
                              cache_key=False, at_least=0)
    eval_batch_size: int = setting("pairs per scoring batch in evaluation", 16, cache_key=False,
                                   at_least=1)
    dataloader_num_workers: int = setting("DataLoader workers", 0, cache_key=False, at_least=0)
    report_to: tuple[str, ...] = setting(
        "Trainer integrations to log to (e.g. tensorboard, wandb; empty: none)", (),
        cache_key=False)
    progress: bool = setting("show a progress bar (steps, ETA, latest loss)", False,
                             cache_key=False)

    def __post_init__(self) -> None:
        if isinstance(self.report_to, str):  # TrainingArguments accepts one name as a string
            self.report_to = () if self.report_to == "none" else (self.report_to,)
        check_settings(self)
        self.strategy = STRATEGY_ALIASES.get(self.strategy, self.strategy)
        if self.freeze_backbone and (self.trainable_top_layers > 0 or self.lora_r > 0):
            raise SettingError("freeze_backbone", "freezes every backbone weight: it excludes "
                               "trainable_top_layers and LoRA")
        if self.prefix_cache and (self.trainable_top_layers < 1 or self.lora_r > 0):
            raise SettingError("prefix_cache", "needs trainable_top_layers >= 1 and no LoRA")

    @property
    def pairs_per_device_batch(self) -> int:
        return self.groups_per_device_batch * self.n_sources

    @property
    def pairs_per_step(self) -> int:
        """Pairs per optimiser step on one process (× world size in a distributed run)."""
        return self.pairs_per_device_batch * self.gradient_accumulation_steps

    @property
    def global_pairs_per_step(self) -> int:
        """Pairs per optimiser step over all ``world_size`` processes."""
        return self.pairs_per_step * self.world_size

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
    >>> RMTrainingConfig(model="m", strategy="bogus")
    Traceback (most recent call last):
    ...
    ValueError: strategy must be one of ('more', 'mean', 'uniform', 'proportional'), got 'bogus'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

STRATEGIES = ("more", "mean", "uniform", "proportional")


def _help(text: str, default: Any = dataclasses.MISSING, cache_key: bool = True, **kw: Any) -> Any:
    """A field with help text; ``cache_key=False`` keeps it out of run-cache hashes
    (bookkeeping that does not change the trained model)."""
    metadata = {"help": text, "cache_key": cache_key}
    if default is dataclasses.MISSING:
        return field(metadata=metadata, **kw)
    return field(default=default, metadata=metadata, **kw)


@dataclass
class RMTrainingConfig:
    model: str = _help("model name or folder (resolved by morelib.models.resolve_model)")
    strategy: str = _help(
        "loss weighting: 'more' (min-norm λ over stratified groups), 'mean' (plain mean over a "
        "uniformly mixed batch: the paper's MultiTask), 'uniform' (λ=1/K), 'proportional' "
        "(λ ∝ source size)", "mean")
    n_sources: int = _help("number of training sources K", 1)
    groups_per_device_batch: int = _help(
        "stratified groups per device batch (MORE); other strategies take the same number of "
        "pairs, groups × K, per device batch", 1)
    gradient_accumulation_steps: int = _help("micro-batches per optimiser step", 2)
    learning_rate: float = _help("AdamW learning rate (paper 1e-6)", 1e-6)
    weight_decay: float = _help("AdamW weight decay (authors' code 0)", 0.0)
    warmup_ratio: float = _help("linear warm-up share of the steps", 0.0)
    lr_scheduler_type: str = _help("Trainer scheduler name (authors: warm-up then linear decay)",
                                   "linear")
    num_train_epochs: float = _help("epochs over the training set (paper: 1)", 1.0)
    max_steps: int = _help("if > 0, stop after this many optimiser steps", -1)
    max_length: int = _help("tokens per sequence; longer texts keep their end (paper 512)", 512)
    max_grad_norm: float = _help("gradient clipping (authors: 1.0)", 1.0)
    seed: int = _help("seed for data order, head init and dropout (authors: 42)", 42)
    # MORE
    alpha: float = _help("EMA weight of the NEW head gradient (paper 0.99; 1 = no momentum)", 0.99)
    normalize: str = _help("gradient normalisation before the solver: l2, loss, loss+, none", "l2")
    ema_init: str = _help("EMA buffers start at 'zeros' (default) or 'random' (authors' code)",
                          "zeros")
    source_sizes: tuple[int, ...] = _help("source sizes for 'proportional'", ())
    # model
    lora_r: int = _help("LoRA rank; 0 trains all backbone weights", 0)
    lora_alpha: int = _help("LoRA scaling", 16)
    lora_dropout: float = _help("LoRA dropout", 0.05)
    trainable_top_layers: int = _help(
        "if > 0, freeze all but the top N transformer layers (cheap partial fine-tuning)", 0)
    prefix_cache: bool = _help(
        "with trainable_top_layers: cache the frozen layers' outputs per text and run only the "
        "top layers (shared by every RM on the same backbone; frozen-layer dropout is off)",
        False)
    prefix_cache_dir: str = _help(
        "on-disk store of the prefix cache shared across processes ('' keeps it in memory)",
        "", cache_key=False)
    gradient_checkpointing: bool = _help("trade compute for memory", False)
    bf16: bool = _help("bf16 mixed precision (GPUs that support it)", False)
    tf32: bool = _help("TF32 matmuls in fp32 parts (Ampere or newer GPUs; ignored elsewhere)",
                       False)
    world_size: int = _help(
        "data-parallel processes the RM trains on (the launcher's WORLD_SIZE; training refuses "
        "another); global batch = world_size x pairs_per_step, part of the cache key", 1)
    # bookkeeping
    logging_steps: int = _help("log averaged λ, losses and metrics every N steps", 10, cache_key=False)
    eval_steps: int = _help("evaluate every N steps (0: only at the end)", 0, cache_key=False)
    save_steps: int = _help("checkpoint every N steps (0: only at the end)", 0, cache_key=False)
    eval_batch_size: int = _help("pairs per scoring batch in evaluation", 16, cache_key=False)
    dataloader_num_workers: int = _help("DataLoader workers", 0, cache_key=False)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if self.normalize not in ("l2", "loss", "loss+", "none"):
            raise ValueError(f"normalize must be l2, loss, loss+ or none, got {self.normalize!r}")
        for name in ("n_sources", "groups_per_device_batch", "gradient_accumulation_steps",
                     "max_length", "world_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha}")
        if self.prefix_cache and (self.trainable_top_layers < 1 or self.lora_r > 0):
            raise ValueError("prefix_cache needs trainable_top_layers >= 1 and no LoRA")

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

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

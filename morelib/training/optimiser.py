"""The optimiser settings every morelib ``Trainer`` run shares, and their one ``TrainingArguments``.

Reward-model training (:class:`~morelib.training.RMTrainingConfig`) and policy SFT
(:class:`~morelib.alignment.SFTConfig`) both run ``transformers.Trainer`` with AdamW
(β = 0.9 / 0.999, ε = 1e-8, the authors' DeepSpeed settings), a learning-rate schedule with a
warm-up share, gradient clipping, optional gradient checkpointing and bf16. Those knobs are
declared here once, with their checks and help; each subclass redeclares a field only to give
it another default (the RM's lr 1e-6 and linear decay are the paper's, SFT's small-CPU defaults
are not) or another cache role. :meth:`OptimiserConfig.trainer_arguments` is the one mapping to
``TrainingArguments``; callers add what only they have (batch size, evaluation, checkpoints).

Example:
    >>> import tempfile
    >>> cfg = OptimiserConfig(learning_rate=1e-6, gradient_accumulation_steps=8, warmup_ratio=0.05)
    >>> args = cfg.trainer_arguments(tempfile.mkdtemp(), per_device_batch_size=8)
    >>> args.learning_rate, args.per_device_train_batch_size * args.gradient_accumulation_steps
    (1e-06, 64)
    >>> args.warmup_steps, args.adam_beta2, args.save_strategy.value, args.report_to
    (0.05, 0.999, 'no', [])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch

from morelib.typed_fields import check_settings, setting

#: ``transformers.SchedulerType`` values (a test keeps them equal).
SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
              "constant_with_warmup", "inverse_sqrt", "reduce_lr_on_plateau",
              "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay", "greedy")

#: AdamW's moments and ε (the authors' DeepSpeed config; the Trainer's defaults too).
ADAM = {"adam_beta1": 0.9, "adam_beta2": 0.999, "adam_epsilon": 1e-8}


@dataclass(kw_only=True)
class OptimiserConfig:
    """AdamW, schedule, length of training, precision and memory of one Trainer run (see the
    module docstring). Keyword-only; subclasses override defaults by redeclaring a field."""

    learning_rate: float = setting("AdamW learning rate", 1e-6, above=0)
    num_train_epochs: float = setting("epochs over the training set (paper: 1)", 1.0, above=0)
    max_steps: int = setting("if > 0, stop after this many optimiser steps", -1, at_least=-1)
    gradient_accumulation_steps: int = setting("micro-batches per optimiser step", 1,
                                               at_least=1)
    lr_scheduler_type: str = setting("Trainer scheduler name", "linear", choices=SCHEDULERS)
    warmup_ratio: float = setting("linear warm-up share of the steps", 0.0, at_least=0, below=1)
    weight_decay: float = setting("AdamW weight decay (authors' code 0)", 0.0, at_least=0)
    max_grad_norm: float = setting("gradient clipping (authors: 1.0)", 1.0, at_least=0)
    seed: int = setting("seed for data order, initialisation and dropout (authors: 42)", 42,
                        at_least=0)
    gradient_checkpointing: bool = setting("trade compute for memory", False)
    bf16: bool = setting("bf16 mixed precision (GPUs that support it)", False)
    logging_steps: int = setting("log every N optimiser steps", 10, at_least=1)

    def __post_init__(self) -> None:
        check_settings(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def trainer_arguments(self, output_dir: str, per_device_batch_size: int, *,
                          cpu: bool = False, **overrides: Any) -> Any:
        """The ``TrainingArguments`` of these settings: AdamW (:data:`ADAM`), no checkpoints,
        evaluation or reports unless ``overrides`` (any ``TrainingArguments`` field) say so.
        ``use_cpu`` is set for ``cpu`` (the caller needs the CPU, e.g. DDP over CPU processes)
        and for bf16 without a GPU (a CPU run of a bf16 profile: CPU autocast)."""
        from transformers import TrainingArguments

        from morelib.devices import accelerator_available

        arguments = dict(
            output_dir=output_dir, per_device_train_batch_size=per_device_batch_size,
            gradient_accumulation_steps=self.gradient_accumulation_steps,
            learning_rate=self.learning_rate, weight_decay=self.weight_decay, **ADAM,
            max_grad_norm=self.max_grad_norm, lr_scheduler_type=self.lr_scheduler_type,
            warmup_steps=self.warmup_ratio,  # a float < 1 is a share of the steps
            num_train_epochs=self.num_train_epochs, max_steps=self.max_steps, seed=self.seed,
            logging_steps=self.logging_steps, bf16=self.bf16,
            activation_checkpointing=self.gradient_checkpointing,
            activation_checkpointing_kwargs={"use_reentrant": False},
            save_strategy="no", eval_strategy="no", report_to=[], remove_unused_columns=False,
            dataloader_pin_memory=torch.cuda.is_available(), disable_tqdm=True,
            use_cpu=cpu or (self.bf16 and not accelerator_available()))
        return TrainingArguments(**{**arguments, **overrides})

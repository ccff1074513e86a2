"""Train one reward model end to end: data layout, weighting, Trainer, checkpoints, final save.

``train_reward_model`` picks the batch layout from the strategy:

* ``more``: stratified groups (exactly one pair per source per group; several groups per device
  batch), so every micro-batch holds every source and λ is the min-norm point over K gradients;
* ``mean``, ``uniform``, ``proportional``: uniformly shuffled pairs, the same number of pairs
  per device batch (groups × K). ``mean`` is the paper's MultiTask baseline.

A run whose ``output_dir`` already holds checkpoints resumes from the newest one (weights,
optimiser, scheduler, RNG, data position and the weighting's EMA state), so a killed run picks
up where it stopped. The final model is saved under ``output_dir/model`` in the layout of
:func:`morelib.models.save_reward_model`; the λ history and evaluation history are written as
JSON lines next to it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd
import torch
from transformers import TrainingArguments, set_seed
from transformers.trainer_utils import get_last_checkpoint
from transformers.utils import is_torch_tf32_available as tf32_available

from morelib.data.mixing import stratified_groups, uniform_mix
from morelib.devices import accelerator_available
from morelib.data.schema import LoadedSource, PreferencePair
from morelib.io import atomic_write_text
from morelib.models import RewardModel, apply_lora, load_tokenizer, save_reward_model
from morelib.models.prefix_cache import enable_prefix_cache
from morelib.models.prefix_store import shared_prefix_cache
from morelib.training.collator import PairCollator
from morelib.training.freezing import freeze_backbone, freeze_lower_layers
from morelib.training.config import RMTrainingConfig
from morelib.training.launch import check_launch
from morelib.training.trainer import DeadRewardModelWarning, RewardTrainer, dead_rm_warning
from morelib.weighting import make_weighting


class ListDataset(torch.utils.data.Dataset):
    """A list of examples as a map-style dataset."""

    def __init__(self, items: Sequence[Any]):
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]


def _pair_example(pair: PreferencePair, index: Mapping[str, int]) -> dict[str, Any]:
    return {"prompt": pair.prompt, "chosen": pair.chosen, "rejected": pair.rejected,
            "source_index": index[pair.source]}


def build_examples(config: RMTrainingConfig, sources: Sequence[LoadedSource]) -> list[dict]:
    """Training examples in the layout the strategy needs (groups for MORE, pairs otherwise).

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair as P
        >>> srcs = [LoadedSource(n, [P("q", "a", "b", n, f"{n}{i}") for i in range(3)])
        ...         for n in ("x", "y")]
        >>> ex = build_examples(RMTrainingConfig(model="m", strategy="more", n_sources=2), srcs)
        >>> len(ex), [p["source_index"] for p in ex[0]["pairs"]]
        (3, [0, 1])
        >>> len(build_examples(RMTrainingConfig(model="m", strategy="mean", n_sources=2), srcs))
        6
    """
    if len(sources) != config.n_sources:
        raise ValueError(f"config.n_sources={config.n_sources} but {len(sources)} sources given")
    index = {s.name: i for i, s in enumerate(sources)}
    if len(index) != len(sources):
        raise ValueError(f"source names must be unique, got {[s.name for s in sources]}")
    if config.strategy == "more":
        groups = stratified_groups(sources, seed=config.seed)
        return [{"pairs": [_pair_example(p, index) for p in group]} for group in groups]
    return [_pair_example(p, index) for p in uniform_mix(sources, seed=config.seed)]


def training_arguments(config: RMTrainingConfig, output_dir: str) -> TrainingArguments:
    """The ``TrainingArguments`` for a config: the shared optimiser mapping
    (:meth:`~morelib.training.optimiser.OptimiserConfig.trainer_arguments`) plus the RM's batch
    layout, evaluation, checkpoints, TF32, reporting and data-parallel settings."""
    per_device = (config.groups_per_device_batch if config.strategy == "more"
                  else config.pairs_per_device_batch)
    return config.trainer_arguments(
        output_dir, per_device,
        eval_strategy="steps" if config.eval_steps > 0 else "no",
        eval_steps=config.eval_steps or None,
        save_strategy="steps" if config.save_steps > 0 else "no",
        save_steps=config.save_steps or 500,
        tf32=True if config.tf32 and tf32_available() else None,
        report_to=list(config.report_to),
        dataloader_num_workers=config.dataloader_num_workers,
        disable_tqdm=not config.progress,
        cpu=cpu_data_parallel(),  # DDP over CPU processes (gloo)
        # every trainable weight of an RM gets a gradient each step (LoRA and frozen layers
        # included): skip DDP's per-step search for unused ones (and its clash with checkpointing)
        ddp_find_unused_parameters=False,
    )


def cpu_data_parallel() -> bool:
    """Whether this process is one of several (``torchrun``, ``accelerate launch``) on a machine
    without a GPU or other accelerator.

    The Trainer must then be told to use the CPU: accelerate sets up gloo DDP only for
    ``use_cpu``; without it, it sees no distributed setup and every rank would train alone on
    all the data.

    Example:
        >>> import os
        >>> os.environ.get("WORLD_SIZE", "1") != "1" or cpu_data_parallel()
        False
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    return not accelerator_available()


@dataclass
class TrainResult:
    """What a training run leaves: the model, its tokenizer and the run's histories
    (``log_history``: the Trainer's logged rows: loss, grad_norm, learning_rate, ...)."""

    model: RewardModel
    tokenizer: Any
    output_dir: str
    lambda_history: pd.DataFrame
    eval_history: pd.DataFrame
    log_history: list[dict[str, Any]] = field(default_factory=list)


def build_reward_model(config: RMTrainingConfig) -> RewardModel:
    """The RM for a config, with LoRA or partial freezing applied (head always trainable), and
    the frozen-prefix cache when ``config.prefix_cache`` (see :mod:`morelib.models.prefix_cache`;
    the process-wide cache of ``config.prefix_cache_dir``)."""
    set_seed(config.seed)
    model = RewardModel.from_name(config.model, seed=config.seed,
                                  gradient_checkpointing=config.gradient_checkpointing)
    if config.lora_r > 0:
        model = apply_lora(model, r=config.lora_r, alpha=config.lora_alpha,
                           dropout=config.lora_dropout)
    elif config.freeze_backbone:
        freeze_backbone(model)
    elif config.trainable_top_layers > 0:
        freeze_lower_layers(model, config.trainable_top_layers)
        if config.prefix_cache:
            cache = shared_prefix_cache(config.prefix_cache_dir or None)
            enable_prefix_cache(model, config.trainable_top_layers, cache)
    return model


def train_reward_model(config: RMTrainingConfig, train_sources: Sequence[LoadedSource],
                       output_dir: str, eval_sources: Mapping[str, Sequence[PreferencePair]]
                       | None = None, resume: bool = True, label: str | None = None
                       ) -> TrainResult:
    """Train (or resume training) one RM; see the module docstring. With ``config.progress``
    a bar named ``label`` (default: the output folder's name) shows the steps and ETA."""
    check_launch(config)
    tokenizer = load_tokenizer(config.model)
    model = build_reward_model(config)
    examples = build_examples(config, train_sources)
    sizes = config.source_sizes or tuple(len(s) for s in train_sources)
    weighting = make_weighting(config.strategy, config.n_sources, sizes=sizes,
                               alpha=config.alpha, normalize=config.normalize,
                               init=config.ema_init, seed=config.seed)
    os.makedirs(output_dir, exist_ok=True)
    trainer = RewardTrainer(
        model=model,
        args=training_arguments(config, output_dir),
        train_dataset=ListDataset(examples),
        data_collator=PairCollator(tokenizer, config.max_length),
        processing_class=tokenizer,
        weighting=weighting,
        source_names=[s.name for s in train_sources],
        eval_sources=eval_sources,
        eval_batch_size=config.eval_batch_size,
        max_length=config.max_length,
        label=label or os.path.basename(os.path.normpath(output_dir)),
    )
    checkpoint = get_last_checkpoint(output_dir) if resume else None
    trainer.train(resume_from_checkpoint=checkpoint)
    dead = dead_rm_warning([max(v for k, v in row.items() if k.startswith("loss/"))
                            for row in trainer.lambda_history
                            if any(k.startswith("loss/") for k in row)])
    if dead:
        warnings.warn(f"{output_dir}: {dead}", DeadRewardModelWarning, stacklevel=2)
    if eval_sources:
        trainer.evaluate()
    to_save = model_to_save(trainer, model, config)  # a collective under FSDP / ZeRO-3
    if trainer.args.should_save:
        save_reward_model(to_save, tokenizer, os.path.join(output_dir, "model"),
                          max_length=config.max_length)
        _write_jsonl(os.path.join(output_dir, "lambda_history.jsonl"), trainer.lambda_history)
        _write_jsonl(os.path.join(output_dir, "eval_history.jsonl"), trainer.eval_history)
        atomic_write_text(os.path.join(output_dir, "training_config.json"),
                          json.dumps(config.to_dict(), indent=2, sort_keys=True))
        # the Trainer's own record (log history, steps, epochs), as in its checkpoints
        atomic_write_text(os.path.join(output_dir, "trainer_state.json"),
                          json.dumps(dataclasses.asdict(trainer.state), indent=2,
                                     sort_keys=True, default=str) + "\n")
        _write_jsonl(os.path.join(output_dir, "log_history.jsonl"), trainer.state.log_history)
    return TrainResult(model, tokenizer, output_dir, pd.DataFrame(trainer.lambda_history),
                       pd.DataFrame(trainer.eval_history), list(trainer.state.log_history))


def model_to_save(trainer: Any, model: RewardModel, config: RMTrainingConfig) -> RewardModel:
    """``model`` itself, or, where its parameters are sharded across ranks (FSDP, DeepSpeed
    ZeRO-3), a fresh CPU copy holding the gathered full weights on the main process (other
    ranks get ``model`` back). Every rank must call it: the gathering is a collective.

    Example (a run without sharding returns the model unchanged):
        >>> from types import SimpleNamespace
        >>> plain = SimpleNamespace(is_fsdp_enabled=False, is_deepspeed_enabled=False)
        >>> model_to_save(plain, "the model", None)
        'the model'
    """
    if not _parameters_sharded(trainer):
        return model
    state = trainer.accelerator.get_state_dict(trainer.model_wrapped)  # full, on the main rank
    if not trainer.args.should_save:
        return model
    full = build_reward_model(dataclasses.replace(config, prefix_cache=False))
    full.load_state_dict({k: v.to("cpu") for k, v in state.items()})
    return full


def _parameters_sharded(trainer: Any) -> bool:
    if getattr(trainer, "is_fsdp_enabled", False):
        return True
    if getattr(trainer, "is_deepspeed_enabled", False):
        plugin = trainer.accelerator.state.deepspeed_plugin
        return int(getattr(plugin, "zero_stage", 0) or 0) == 3
    return False


def _write_jsonl(path: str, rows: Sequence[Mapping[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(dict(r)) + "\n" for r in rows))

"""The optimiser settings RM training and policy SFT share (morelib.training.optimiser)."""

import dataclasses

import pytest

from morelib.alignment.sft import SFTConfig
from morelib.alignment.sft import training_arguments as sft_arguments
from morelib.runs.hashing import config_hash
from morelib.training import RMTrainingConfig
from morelib.training.optimiser import OptimiserConfig
from morelib.training.run import training_arguments as rm_arguments
from morelib.typed_fields import SettingError

SHARED = [f.name for f in dataclasses.fields(OptimiserConfig)]
#: a non-default value of every shared field, and the TrainingArguments attribute it sets
CHANGED = {"learning_rate": (3e-5, "learning_rate"), "num_train_epochs": (2.0, "num_train_epochs"),
           "max_steps": (7, "max_steps"),
           "gradient_accumulation_steps": (4, "gradient_accumulation_steps"),
           "lr_scheduler_type": ("constant", "lr_scheduler_type"),
           "warmup_ratio": (0.25, "warmup_steps"), "weight_decay": (0.1, "weight_decay"),
           "max_grad_norm": (0.5, "max_grad_norm"), "seed": (7, "seed"),
           "gradient_checkpointing": (True, "activation_checkpointing"),
           "bf16": (True, "bf16"), "logging_steps": (3, "logging_steps")}


def test_every_shared_field_is_covered_here():
    assert set(SHARED) == set(CHANGED)


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_a_shared_field_reaches_training_arguments_alike(name, tmp_path):
    value, attribute = CHANGED[name]
    rm = rm_arguments(RMTrainingConfig(model="m", **{name: value}), str(tmp_path))
    sft = sft_arguments(SFTConfig(**{name: value}), str(tmp_path))
    got = [getattr(a, attribute) for a in (rm, sft)]
    got = [getattr(g, "value", g) for g in got]  # enums (the scheduler) by their value
    assert got == [value, value]


def test_each_config_keeps_its_own_defaults():
    rm, sft = RMTrainingConfig(model="m"), SFTConfig()
    assert (rm.learning_rate, rm.lr_scheduler_type, rm.warmup_ratio,
            rm.gradient_accumulation_steps) == (1e-6, "linear", 0.0, 2)
    assert (sft.learning_rate, sft.lr_scheduler_type, sft.warmup_ratio,
            sft.gradient_accumulation_steps) == (1e-4, "cosine", 0.05, 1)


def test_shared_fields_are_checked_in_both():
    for make in (lambda **kw: RMTrainingConfig(model="m", **kw), SFTConfig):
        with pytest.raises(SettingError, match="warmup_ratio"):
            make(warmup_ratio=1.0)
        with pytest.raises(SettingError, match="lr_scheduler_type"):
            make(lr_scheduler_type="cosine_annealing")


def test_cache_keys_are_those_of_the_configs_before_the_shared_base():
    """The RM cache and the RJS policy cache hash these configs: moving the shared fields into
    a base class must not move a single key (values computed before the move)."""
    assert config_hash(RMTrainingConfig(model="m")) == \
        "2d6b9c917a1cdaedbf19c5801267f8aacd9b11ae04ce6ca98ff2f463ac0ce560"
    assert config_hash(SFTConfig()) == \
        "1b6b2114cd8af08cd77392a90e693e08c1fe419b8e82b6e39f478f3a85d04453"
    # logging is bookkeeping for an RM (not in its key) but part of an SFT run's key
    assert config_hash(RMTrainingConfig(model="m", logging_steps=1)) == \
        config_hash(RMTrainingConfig(model="m"))
    assert config_hash(SFTConfig(logging_steps=1)) != config_hash(SFTConfig())

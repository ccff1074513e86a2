"""What the launch changes in a trained RM: world size and precision are in the cache key, and
training refuses a launch that disagrees with the configuration."""

from __future__ import annotations

import dataclasses

import pytest

from morelib.experiments.data import simulator_data
from morelib.experiments.suite import _train_key
from morelib.runs import RunCache
from morelib.runs.hashing import config_hash
from morelib.training import RMTrainingConfig, train_reward_model
from morelib.training.launch import check_launch
from morelib.training.run import training_arguments

BASE = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=2,
                        gradient_accumulation_steps=2)
DATA = simulator_data(4, 2, sources=("helpful", "harmless"))


def key(config):
    return config_hash(_train_key(config, DATA, DATA.train))


def test_same_launch_same_key():
    assert key(BASE) == key(dataclasses.replace(BASE))
    # bookkeeping stays out of the key
    assert key(BASE) == key(dataclasses.replace(BASE, logging_steps=7, eval_batch_size=3))


@pytest.mark.parametrize("change", [dict(world_size=8), dict(bf16=True), dict(tf32=True),
                                    dict(gradient_accumulation_steps=16)])
def test_world_size_and_precision_change_the_key(change):
    assert key(BASE) != key(dataclasses.replace(BASE, **change))


def test_key_spells_out_global_batch_and_precision():
    run = _train_key(dataclasses.replace(BASE, world_size=8, bf16=True), DATA, DATA.train)["run"]
    assert run == {"world_size": 8, "global_pairs_per_step": 8 * 2 * 2, "precision": "bf16",
                   "tf32": False}


def test_same_global_batch_on_other_world_size_is_another_entry():
    """8 GPUs x 2 accumulation and 1 GPU x 16 give 80 pairs per step, but λ sees other pairs."""
    eight = dataclasses.replace(BASE, world_size=8, gradient_accumulation_steps=2)
    one = dataclasses.replace(BASE, world_size=1, gradient_accumulation_steps=16)
    assert eight.global_pairs_per_step == one.global_pairs_per_step
    assert key(eight) != key(one)


@pytest.mark.parametrize("env, config, message", [
    ({"WORLD_SIZE": "8"}, BASE, "configured for world_size 1 .* runs in 8 process"),
    ({}, dataclasses.replace(BASE, world_size=8), "world_size 8 \\(32 pairs per step\\)"),
    ({"ACCELERATE_MIXED_PRECISION": "bf16"}, BASE, "mixed_precision bf16 .* fp32"),
    ({"ACCELERATE_MIXED_PRECISION": "fp16"}, dataclasses.replace(BASE, bf16=True),
     "mixed_precision fp16 .* bf16"),
])
def test_launch_mismatch_is_refused(env, config, message):
    with pytest.raises(ValueError, match=message):
        check_launch(config, environ=env)


def test_matching_launch_passes():
    check_launch(dataclasses.replace(BASE, world_size=8, bf16=True),
                 environ={"WORLD_SIZE": "8", "ACCELERATE_MIXED_PRECISION": "bf16"})
    check_launch(dataclasses.replace(BASE, bf16=True), environ={})  # bf16 from the config alone


def test_training_refuses_before_loading_anything(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "8")
    with pytest.raises(ValueError, match="runs in 8 process"):
        train_reward_model(BASE, DATA.train, str(tmp_path / "rm"))
    assert not (tmp_path / "rm").exists()


def test_precision_and_checkpointing_reach_training_arguments(tmp_path):
    args = training_arguments(dataclasses.replace(BASE, gradient_checkpointing=True, tf32=True),
                              str(tmp_path))
    assert args.activation_checkpointing is True  # transformers 5's name for it
    assert args.tf32 is None  # no TF32-capable GPU here: left alone instead of raising
    assert args.bf16 is False and training_arguments(BASE, str(tmp_path)).tf32 is None


def test_notebook_lookup_finds_launcher_entry(tmp_path):
    """The notebook (one process) computes the launcher's key from the profile's world_size."""
    cache = RunCache(tmp_path)
    eight = dataclasses.replace(BASE, world_size=8)
    launcher = cache.path_for("rm", _train_key(eight, DATA, DATA.train))
    assert cache.path_for("rm", _train_key(dataclasses.replace(eight), DATA, DATA.train)) == launcher
    assert cache.path_for("rm", _train_key(BASE, DATA, DATA.train)) != launcher


@pytest.mark.parametrize("lora_r", [0, 4])
def test_gradient_checkpointing_trains_through_the_trainer(tmp_path, lora_r):
    from morelib.models.reward_model import unwrap_backbone

    config = dataclasses.replace(BASE, gradient_checkpointing=True, lora_r=lora_r, max_steps=2,
                                 max_length=32, learning_rate=1e-3, logging_steps=1)
    result = train_reward_model(config, DATA.train, str(tmp_path / "rm"), resume=False)
    assert unwrap_backbone(result.model.backbone).is_activation_checkpointing
    losses = [row["loss"] for row in result.log_history if "loss" in row]
    assert len(losses) == 2 and all(loss == loss for loss in losses)


def test_bf16_profile_trains_on_a_cpu_with_autocast(tmp_path):
    """A bf16 profile run without a GPU (the toy paper profile in CI): CPU autocast."""
    config = dataclasses.replace(BASE, bf16=True, tf32=True, max_steps=2, max_length=32,
                                 logging_steps=1)
    args = training_arguments(config, str(tmp_path))
    assert args.bf16 and args.use_cpu
    result = train_reward_model(config, DATA.train, str(tmp_path / "rm"), resume=False)
    assert len([r for r in result.log_history if "loss" in r]) == 2

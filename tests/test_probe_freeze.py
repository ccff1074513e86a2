"""RMTrainingConfig.freeze_backbone: head-only training through the Trainer path."""

from __future__ import annotations

import dataclasses

import pytest

from morelib.runs.hashing import canonical, config_hash
from morelib.training import RMTrainingConfig
from morelib.training.run import build_reward_model
from morelib.typed_fields import SettingError


def test_freeze_backbone_leaves_only_the_head_trainable() -> None:
    model = build_reward_model(RMTrainingConfig(model="tiny-llama", freeze_backbone=True))
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["head.weight"]
    plain = build_reward_model(RMTrainingConfig(model="tiny-llama"))
    assert all(p.requires_grad for p in plain.parameters())


def test_freeze_backbone_keeps_existing_hashes_and_changes_its_own() -> None:
    cfg = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=3)
    assert "freeze_backbone" not in canonical(cfg)  # old cache entries keep their keys
    frozen = dataclasses.replace(cfg, freeze_backbone=True)
    assert canonical(frozen)["freeze_backbone"] is True
    assert config_hash(frozen) != config_hash(cfg)


def test_freeze_backbone_excludes_partial_fine_tuning_and_lora() -> None:
    with pytest.raises(SettingError, match="freeze_backbone"):
        RMTrainingConfig(model="m", freeze_backbone=True, trainable_top_layers=1)
    with pytest.raises(SettingError, match="freeze_backbone"):
        RMTrainingConfig(model="m", freeze_backbone=True, lora_r=4)

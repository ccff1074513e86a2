"""Reward-model training on ``transformers.Trainer`` with a per-source loss weighting."""

from morelib.training.config import RMTrainingConfig  # noqa: F401
from morelib.training.run import TrainResult, build_examples, train_reward_model  # noqa: F401
from morelib.training.trainer import (  # noqa: F401
    DeadRewardModelWarning,
    NonFiniteLossError,
    RewardTrainer,
)

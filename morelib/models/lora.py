"""LoRA adapters on the RM's backbone (through peft); the scalar head always trains in full.

Default target modules are peft's per-architecture defaults (the attention projections of the
LoRA paper): Llama ``q_proj``/``v_proj``, GPT-NeoX ``query_key_value``, BERT ``query``/``value``;
an architecture peft does not know gets ``"all-linear"``. The head stays outside the adapter:
it is always trainable and :func:`morelib.models.save_reward_model` always saves it.

Example:
    >>> from morelib.models import RewardModel
    >>> rm = apply_lora(RewardModel.from_name("tiny-llama", seed=0), r=4)
    >>> is_lora(rm), rm.head.weight.requires_grad
    (True, True)
    >>> trained = [n for n, p in rm.named_parameters() if p.requires_grad]
    >>> all("lora_" in n for n in trained if n != "head.weight"), "head.weight" in trained
    (True, True)
"""

from __future__ import annotations

import warnings
from typing import Sequence

from torch import nn


def default_target_modules(model_type: str) -> list[str] | str:
    """peft's default LoRA targets for a ``model_type``, else ``"all-linear"``.

    Example:
        >>> default_target_modules("gpt_neox"), default_target_modules("no-such-type")
        (['query_key_value'], 'all-linear')
    """
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

    targets = TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING.get(model_type)
    return list(targets) if targets else "all-linear"


def is_lora(model: nn.Module) -> bool:
    """Whether the RM's backbone carries peft adapters.

    Example:
        >>> from morelib.models import RewardModel
        >>> is_lora(RewardModel.from_name("tiny-bert", seed=0))
        False
    """
    return hasattr(model.backbone, "peft_config")


def apply_lora(model: nn.Module, r: int = 8, alpha: int = 16, dropout: float = 0.05,
               target_modules: Sequence[str] | str | None = None) -> nn.Module:
    """Wrap ``model.backbone`` with LoRA adapters (its weights freeze); returns ``model``.

    Args:
        model: a :class:`morelib.models.RewardModel` without adapters.
        r, alpha, dropout: LoRA rank, scaling and dropout.
        target_modules: module names to adapt; ``None``: :func:`default_target_modules`.

    Example:
        >>> from morelib.models import RewardModel
        >>> rm = apply_lora(RewardModel.from_name("tiny-gpt-neox", seed=0))
        >>> rm.backbone.peft_config["default"].r
        8
    """
    from peft import LoraConfig, get_peft_model

    if is_lora(model):
        raise ValueError("the model already has LoRA adapters")
    if target_modules is None:
        target_modules = default_target_modules(model.config.model_type)
    elif not isinstance(target_modules, str):
        target_modules = list(target_modules)
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, bias="none",
                        target_modules=target_modules)
    training = model.training
    with warnings.catch_warnings():  # peft 0.21 calls a property transformers 5 deprecates
        warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
        model.backbone = get_peft_model(model.backbone, config)
    model.head.weight.requires_grad_(True)
    return model.train(training)  # peft switches to training mode; keep the caller's

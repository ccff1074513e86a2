"""Reward models: name resolution (hub or offline), RM tokenisation, the RM, LoRA, save/load.

| module | holds |
|---|---|
| :mod:`~morelib.models.resolve` | :func:`resolve_model`: hub id, local folder, offline package copy, tiny config |
| :mod:`~morelib.models.tiny` | tiny random-init BERT / GPT-NeoX / Llama configs for tests |
| :mod:`~morelib.models.loading` | :func:`load_tokenizer`, :func:`load_backbone` (GGUF → plain Llama) |
| :mod:`~morelib.models.special_tokens` | BOS/EOS and the dedicated pad token per tokenizer |
| :mod:`~morelib.models.tokenize` | :func:`encode_pairs`: chosen rows then rejected rows, left truncation |
| :mod:`~morelib.models.pooling` | last real token and position ids from the attention mask |
| :mod:`~morelib.models.reward_model` | :class:`RewardModel`: backbone + bias-free scalar head |
| :mod:`~morelib.models.lora` | :func:`apply_lora` through peft; the head always trains |
| :mod:`~morelib.models.saving` | :func:`save_reward_model` / :func:`load_reward_model` in HF's layout |
| :mod:`~morelib.models.hf_encoder_rm` | the exported form of encoder (BERT-style) RMs: HF loads it to the same scores |
| :mod:`~morelib.models.portable_tokenizer` | the exported tokenizer: plain ``tok(texts)`` gives the RM's inputs |

Example:
    >>> rm = RewardModel.from_name("tiny-llama", seed=0)
    >>> tok = load_tokenizer("tiny-llama")
    >>> rm(**encode_pairs(tok, ["Q:"], [" yes"], [" no"])).rewards.shape
    torch.Size([2])
"""

from morelib.models.loading import load_backbone, load_tokenizer
from morelib.models.lora import apply_lora, default_target_modules, is_lora
from morelib.models.pooling import last_token_index, pool_last, position_ids_from_mask
from morelib.models.resolve import (GatedModelNotFoundError, ModelNotFoundError, ResolvedModel,
                                    models_mode, resolve_model)
from morelib.models.reward_model import RewardModel, RewardOutput
from morelib.models.saving import load_reward_model, save_reward_model, trained_max_length
from morelib.models.special_tokens import RMTokens, prepare_tokenizer, rm_tokens
from morelib.models.tiny import TINY_MODELS
from morelib.models.tokenize import encode_pairs, encode_rows, encode_texts, pad_rows

__all__ = [
    "GatedModelNotFoundError", "ModelNotFoundError", "RMTokens", "ResolvedModel", "RewardModel",
    "RewardOutput", "TINY_MODELS", "apply_lora", "default_target_modules", "encode_pairs", "encode_rows",
    "encode_texts", "is_lora", "last_token_index", "load_backbone", "load_reward_model",
    "load_tokenizer", "models_mode", "pad_rows", "pool_last", "position_ids_from_mask",
    "prepare_tokenizer", "resolve_model", "rm_tokens", "save_reward_model", "trained_max_length",
]

"""Load and save the policy (a causal LM with its LM head) that best-of-n aligns.

:func:`load_policy` resolves names like :func:`morelib.models.resolve_model`: ``tiny-llama`` is a
random-init Llama with SmolLM2's tokenizer (tests), SmolLM2's offline GGUF copy is dequantised
and copied into a plain ``LlamaForCausalLM`` with no ``quantization_config`` (so it trains and
``save_pretrained`` works), anything else is ``AutoModelForCausalLM.from_pretrained``. The
tokenizer is :func:`morelib.models.load_tokenizer`'s: its dedicated pad token (SmolLM2:
``<|endoftext|>``) is never the EOS, so padding and masks never touch real tokens (D19).

:func:`save_policy` writes ``save_pretrained``'s layout (LoRA adapters merged into a copy by
default) plus the tokenizer, atomically.

Example:
    >>> model, tok = load_policy("tiny-llama")
    >>> type(model).__name__, model.config.vocab_size == len(tok), model.training
    ('LlamaForCausalLM', True, False)
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from morelib.io import atomic_directory
from morelib.models import load_tokenizer, resolve_model
from morelib.models.loading import quiet_transformers


@quiet_transformers()
def load_policy(name: str, dtype: torch.dtype | str | None = None, mode: str | None = None,
                seed: int = 0, trust_remote_code: bool = False) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a causal LM, in eval mode; ``dtype=None`` gives float32.

    Args:
        name: a hub id, a saved policy folder, ``tiny-llama`` / ``tiny-gpt-neox``.
        dtype: ``None`` float32, ``"auto"`` the checkpoint's, or a ``torch.dtype``.
        mode: resolution mode (see :func:`morelib.models.models_mode`).
        seed: initialisation seed of tiny random-init models.

    Example:
        >>> model, _ = load_policy("tiny-gpt-neox", dtype=torch.bfloat16)
        >>> type(model).__name__, model.dtype
        ('GPTNeoXForCausalLM', torch.bfloat16)
    """
    from transformers import AutoModelForCausalLM

    dtype = torch.float32 if dtype is None else dtype
    resolved = resolve_model(name, mode)
    tokenizer = load_tokenizer(name, mode, trust_remote_code)
    if resolved.origin == "tiny":
        from morelib.models.tiny import tiny_config

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = AutoModelForCausalLM.from_config(tiny_config(name, len(tokenizer)))
        model = model if dtype == "auto" else model.to(dtype)
    elif "gguf_file" in resolved.load_kwargs:
        quantized = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=torch.float32,
                                                         **resolved.load_kwargs)
        model = plain_copy(quantized)
        del quantized
        model = model if dtype in ("auto", torch.float32) else model.to(dtype)
    else:
        model = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=dtype,
                                                     trust_remote_code=trust_remote_code,
                                                     **resolved.load_kwargs)
    if model.get_input_embeddings().num_embeddings < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))  # an added pad token
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.eval(), tokenizer


def plain_copy(model: Any) -> Any:
    """A fresh model of the same class and config (minus ``quantization_config``) holding
    ``model``'s weights: turns a dequantised GGUF model into one that saves and trains.

    Example:
        >>> model, _ = load_policy("tiny-llama")
        >>> copy_ = plain_copy(model)
        >>> copy_ is not model, torch.equal(copy_.lm_head.weight, model.lm_head.weight)
        (True, True)
    """
    config = copy.deepcopy(model.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = type(model)(config).to(torch.float32)
    plain.load_state_dict(model.state_dict(), strict=True)
    plain.generation_config = copy.deepcopy(model.generation_config)
    return plain.eval()


@quiet_transformers()
def save_policy(model: Any, tokenizer: Any, path: str | Path, merge: bool = True) -> Path:
    """Save a policy (and its tokenizer) into the folder ``path``, atomically; returns it.

    A peft (LoRA) model is merged into a copy first (``merge=True``, reloads with
    :func:`load_policy`) or saved as its adapter (``merge=False``); the model passed in is
    left unchanged.

    Example:
        >>> import tempfile
        >>> model, tok = load_policy("tiny-llama")
        >>> folder = save_policy(model, tok, tempfile.mkdtemp() + "/policy")
        >>> again, _ = load_policy(str(folder))
        >>> torch.equal(again.lm_head.weight, model.lm_head.weight)
        True
    """
    path = Path(path)
    if hasattr(model, "peft_config") and merge:
        model = copy.deepcopy(model).merge_and_unload()
    if hasattr(getattr(model, "config", None), "quantization_config"):
        model = plain_copy(model)
    with atomic_directory(path) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return path

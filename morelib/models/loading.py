"""Load a resolved model's tokenizer and bare backbone (hub, local folder, package copy, tiny).

SmolLM2's offline copy is a GGUF file: transformers dequantises it to fp32, but the result keeps
a GGUF quantizer and cannot be saved; :func:`load_backbone` copies its weights into a plain
``LlamaModel`` of the same config, which saves and trains like any other.

Tokenizers from package copies and the hub are cached per process (SmolLM2's takes ~4 s to read
from the GGUF); every call returns a fresh copy, so callers may change it freely.

Example:
    >>> tok = load_tokenizer("tiny-llama")
    >>> tok.pad_token, tok.eos_token
    ('<|endoftext|>', '<|im_end|>')
    >>> backbone = load_backbone("tiny-llama")
    >>> type(backbone).__name__, backbone.config.vocab_size == len(tok)
    ('LlamaModel', True)
"""

from __future__ import annotations

import contextlib
import copy
from functools import lru_cache
from typing import Any

import torch

from morelib.models.resolve import ResolvedModel, resolve_model, split_layers
from morelib.models.special_tokens import prepare_tokenizer
from morelib.models.tiny import build_tiny_backbone


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' and huggingface_hub's progress bars (``Loading weights``,
    ``Writing model shards``, downloads) and their info logs (the loading report: the pooler and
    head keys it lists are expected, and checked by the callers) inside the block; the previous
    settings come back afterwards. Every load and save of the library runs in it; also a
    decorator.

    Example:
        >>> from transformers.utils import logging
        >>> before = logging.get_verbosity(), logging.is_progress_bar_enabled()
        >>> with quiet_transformers():
        ...     logging.get_verbosity() == logging.ERROR, logging.is_progress_bar_enabled()
        (True, False)
        >>> (logging.get_verbosity(), logging.is_progress_bar_enabled()) == before
        True
    """
    from huggingface_hub import utils as hub
    from transformers.utils import logging

    level, bars, hub_bars = (logging.get_verbosity(), logging.is_progress_bar_enabled(),
                             hub.are_progress_bars_disabled())
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    hub.disable_progress_bars()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()
        if not hub_bars:
            hub.enable_progress_bars()


def raw_tokenizer(name: str, mode: str | None = None, trust_remote_code: bool = False) -> Any:
    """The model's tokenizer as shipped (no RM pad policy applied); a fresh copy.

    Example:
        >>> raw_tokenizer("tiny-bert").cls_token
        '[CLS]'
    """
    resolved = resolve_model(name, mode)
    if resolved.origin == "tiny":
        return raw_tokenizer(resolved.tokenizer_name, mode)
    if resolved.origin == "local":  # a folder may be rewritten: never cached
        return _from_pretrained_tokenizer(resolved.path, (), trust_remote_code)
    kwargs = tuple(sorted(resolved.load_kwargs.items()))
    return copy.deepcopy(_cached_tokenizer(resolved.path, kwargs, trust_remote_code))


def load_tokenizer(name: str, mode: str | None = None, trust_remote_code: bool = False) -> Any:
    """The model's tokenizer with the RM special-token policy applied (a dedicated pad token;
    see :mod:`morelib.models.special_tokens`).

    Args:
        name: anything :func:`resolve_model` accepts; a saved RM folder gives its own tokenizer.
        mode: resolution mode (``None``: :func:`models_mode`).
        trust_remote_code: allow custom tokenizer code from the model's repository.

    Example:
        >>> tok = load_tokenizer("tiny-bert")
        >>> tok.pad_token, tok.pad_token_id
        ('[PAD]', 0)
    """
    tokenizer = raw_tokenizer(name, mode, trust_remote_code)
    prepare_tokenizer(tokenizer)
    return tokenizer


@quiet_transformers()
def load_backbone(name: str, dtype: torch.dtype | str | None = None, mode: str | None = None,
                  trust_remote_code: bool = False) -> Any:
    """The bare backbone (``AutoModel``: no LM head, no vocabulary logits) of a model.

    Args:
        name: anything :func:`resolve_model` accepts.
        dtype: ``None`` gives float32 (transformers 5 would otherwise load the checkpoint's
            dtype); ``"auto"`` keeps the checkpoint's; or a ``torch.dtype``.
        mode: resolution mode (``None``: :func:`models_mode`).
        trust_remote_code: allow custom model code from the model's repository.

    Example:
        >>> load_backbone("tiny-gpt-neox", dtype=torch.bfloat16).dtype
        torch.bfloat16
    """
    dtype = torch.float32 if dtype is None else dtype
    resolved = resolve_model(name, mode)
    if resolved.origin == "tiny":
        vocab = len(raw_tokenizer(resolved.tokenizer_name, mode))
        backbone = build_tiny_backbone(split_layers(name)[0], vocab,
                                       dtype=None if dtype == "auto" else dtype)
    elif "gguf_file" in resolved.load_kwargs:
        backbone = _load_gguf_backbone(resolved, dtype)
    else:
        from transformers import AutoModel

        backbone = AutoModel.from_pretrained(resolved.path, dtype=dtype,
                                             trust_remote_code=trust_remote_code,
                                             **resolved.load_kwargs)
    if resolved.num_layers is not None:
        truncate_layers(backbone, resolved.num_layers)
    return backbone


def truncate_layers(backbone: Any, n: int) -> Any:
    """Keep only the first ``n`` transformer layers of a backbone, in place (see
    :func:`morelib.models.resolve.split_layers`); the config's layer count follows, so a saved
    model reloads with ``n`` layers.

    Example:
        >>> truncate_layers(load_backbone("tiny-bert-l3"), 1).config.num_hidden_layers
        1
        >>> len(load_backbone("tiny-llama@layers=1").layers)
        1
    """
    layers = _layer_list(backbone)
    if not 1 <= n <= len(layers):
        raise ValueError(f"cannot keep {n} layers of a {len(layers)}-layer "
                         f"{backbone.config.model_type} backbone")
    del layers[n:]
    config = backbone.config
    config.num_hidden_layers = n
    if isinstance(getattr(config, "layer_types", None), list):
        config.layer_types = config.layer_types[:n]
    return backbone


def _layer_list(backbone: Any) -> torch.nn.ModuleList:
    """The backbone's list of transformer layers (BERT ``encoder.layer``, Llama/NeoX ``layers``)."""
    count = backbone.config.num_hidden_layers
    for path in ("layers", "encoder.layer", "h", "decoder.layers"):
        module = backbone
        for part in path.split("."):
            module = getattr(module, part, None)
        if isinstance(module, torch.nn.ModuleList) and len(module) == count:
            return module
    raise ValueError(f"no list of {count} layers found in {type(backbone).__name__}")


def _load_gguf_backbone(resolved: ResolvedModel, dtype: torch.dtype | str) -> Any:
    """Dequantise a GGUF checkpoint and copy its weights into a plain backbone of its config."""
    from transformers import AutoModel

    quantized = AutoModel.from_pretrained(resolved.path, dtype=torch.float32,
                                          **resolved.load_kwargs)
    config = copy.deepcopy(quantized.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModel.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantized.state_dict(), strict=True)
    del quantized
    return plain if dtype in ("auto", torch.float32) else plain.to(dtype)


@lru_cache(maxsize=16)
def _cached_tokenizer(path: str, kwargs: tuple, trust_remote_code: bool) -> Any:
    return _from_pretrained_tokenizer(path, kwargs, trust_remote_code)


@quiet_transformers()
def _from_pretrained_tokenizer(path: str, kwargs: tuple, trust_remote_code: bool) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code,
                                         **dict(kwargs))

"""A model's size without its weights: parameters, layers and hidden width, for memory and
time estimates before anything trains (``python -m morelib.suite_setup --dry-run``).

Hub models and local folders are read from their ``config.json`` (one small download; the
weights are never fetched) and built on the meta device, which holds no memory; tiny test
models from their configs; the GGUF package copy (135M parameters) is simply loaded.

Example:
    >>> shape = model_shape("tiny-gpt-neox")
    >>> shape.layers, shape.hidden, shape.parameters > 0
    (2, 64, True)
    >>> model_shape("tiny-llama@layers=1").layers
    1
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch


@dataclass(frozen=True)
class ModelShape:
    """``parameters`` of the bare backbone (the RM head adds ``hidden``), its number of
    transformer ``layers``, ``hidden`` width, MLP width ``intermediate`` and ``embedding``
    parameters (those named ``*embed*``)."""

    name: str
    parameters: int
    layers: int
    hidden: int
    intermediate: int
    embedding: int = 0


@lru_cache(maxsize=64)
def model_shape(name: str, mode: str | None = None) -> ModelShape:
    """The :class:`ModelShape` of any name :func:`morelib.models.resolve_model` accepts."""
    from transformers import AutoConfig, AutoModel

    from morelib.models.loading import load_backbone, raw_tokenizer
    from morelib.models.resolve import resolve_model, split_layers
    from morelib.models.tiny import tiny_config

    resolved = resolve_model(name, mode)
    if "gguf_file" in resolved.load_kwargs:
        backbone = load_backbone(name, mode=mode)
        return _shape(name, backbone)
    if resolved.origin == "tiny":
        vocab = len(raw_tokenizer(resolved.tokenizer_name, mode))
        config = tiny_config(split_layers(name)[0], vocab)
    else:
        config = AutoConfig.from_pretrained(resolved.path, **resolved.load_kwargs)
    with torch.device("meta"):
        backbone = AutoModel.from_config(config)
    if resolved.num_layers is not None:  # as load_backbone cuts it (its own config may lag)
        from morelib.models.loading import truncate_layers
        truncate_layers(backbone, resolved.num_layers)
    return _shape(name, backbone)


def _shape(name: str, backbone) -> ModelShape:
    text = backbone.config.get_text_config()
    hidden = text.hidden_size
    # BERT's pooler takes no part in an RM (it reads the last real token's state, not [CLS]'s)
    named = [(n, p) for n, p in backbone.named_parameters() if not n.startswith("pooler.")]
    return ModelShape(name, sum(p.numel() for _, p in named), int(text.num_hidden_layers),
                      int(hidden), int(getattr(text, "intermediate_size", None) or 4 * hidden),
                      sum(p.numel() for n, p in named if "embed" in n))

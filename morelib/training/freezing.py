"""Partial fine-tuning: freeze the embeddings and all but the top N transformer layers.

A cheap way to fit RM training on a CPU budget: gradients flow only through the top layers and
the head, so the backward pass stops early. The reward head always stays trainable.

Example:
    >>> from morelib.models import RewardModel
    >>> rm = RewardModel.from_name("tiny-llama")
    >>> freeze_lower_layers(rm, 1)
    >>> layers = transformer_layers(rm.backbone)
    >>> [any(p.requires_grad for p in l.parameters()) for l in layers]
    [False, True]
    >>> rm.head.weight.requires_grad
    True
"""

from __future__ import annotations

import torch


def transformer_layers(backbone: torch.nn.Module) -> torch.nn.ModuleList:
    """The stack of transformer blocks of a BERT, GPT-NeoX or Llama backbone."""
    for path in ("encoder.layer", "layers", "h", "transformer.h", "model.layers"):
        module = backbone
        try:
            for part in path.split("."):
                module = getattr(module, part)
        except AttributeError:
            continue
        if isinstance(module, torch.nn.ModuleList):
            return module
    raise ValueError(f"cannot find the transformer layers of {type(backbone).__name__}")


def freeze_lower_layers(model: torch.nn.Module, trainable_top_layers: int) -> None:
    """Freeze every backbone parameter except those of the top ``trainable_top_layers`` blocks
    (and a final norm after them, if any); the head stays trainable."""
    layers = transformer_layers(model.backbone)
    if not 0 < trainable_top_layers <= len(layers):
        raise ValueError(f"trainable_top_layers must be in 1..{len(layers)}, "
                         f"got {trainable_top_layers}")
    keep = {id(p) for layer in layers[len(layers) - trainable_top_layers:]
            for p in layer.parameters()}
    for name, param in model.backbone.named_parameters():
        is_final_norm = "norm" in name.split(".")[0] and "layers" not in name
        param.requires_grad = id(param) in keep or is_final_norm
    for param in model.head.parameters():
        param.requires_grad = True


def freeze_backbone(model: torch.nn.Module) -> None:
    """Freeze every backbone parameter; only the head trains (a linear probe on the features).

    Example:
        >>> from morelib.models import RewardModel
        >>> rm = RewardModel.from_name("tiny-llama")
        >>> freeze_backbone(rm)
        >>> [n for n, p in rm.named_parameters() if p.requires_grad]
        ['head.weight']
    """
    for param in model.backbone.parameters():
        param.requires_grad = False
    for param in model.head.parameters():
        param.requires_grad = True

"""Run a backbone in two parts: embeddings + layers ``[:k]`` (prefix), then layers ``[k:]`` + final
norm (suffix), exactly as the model's own ``forward`` would (same masks, positions, rotary).

One :class:`Stack` per architecture family: BERT encoders (no final norm after the encoder),
Llama (``norm``) and GPT-NeoX (``final_layer_norm``); the mask comes from
``transformers.masking_utils`` and the rotary ``position_embeddings`` from the model's own
``rotary_emb``, both called as in transformers' modelling code. Positions count real tokens only
(:func:`morelib.models.position_ids_from_mask`), as in :class:`morelib.models.RewardModel`.

Example:
    >>> from morelib.models import RewardModel, encode_pairs, load_tokenizer
    >>> rm = RewardModel.from_name("tiny-llama", seed=0)
    >>> batch = encode_pairs(load_tokenizer("tiny-llama"), ["Q:"], [" yes"], [" no"])
    >>> stack = stack_of(rm.backbone)
    >>> mask = batch["attention_mask"]
    >>> hidden = stack.run(stack.embed(batch["input_ids"], mask), mask, 0, None)
    >>> plain = rm.backbone(**batch, position_ids=position_ids_from_mask(mask)).last_hidden_state
    >>> torch.allclose(hidden, plain, atol=1e-6)
    True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from morelib.models.pooling import position_ids_from_mask


class Stack:
    """The layer stack of one backbone (subclasses: one per architecture family)."""

    model_types: tuple[str, ...] = ()

    def __init__(self, backbone: nn.Module):
        self.backbone = backbone
        self.config = backbone.config

    @property
    def layers(self) -> nn.ModuleList:
        raise NotImplementedError

    @property
    def final_norm(self) -> nn.Module | None:
        return None

    def embedding_modules(self) -> list[nn.Module]:
        """The modules the prefix uses besides its layers (embeddings, rotary tables)."""
        raise NotImplementedError

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The input of layer 0."""
        raise NotImplementedError

    def context(self, hidden: torch.Tensor, attention_mask: torch.Tensor,
                position_ids: torch.Tensor) -> dict[str, Any]:
        """Keyword arguments shared by every layer call (mask, positions, rotary)."""
        raise NotImplementedError

    def call(self, layer: nn.Module, hidden: torch.Tensor, context: dict[str, Any]) -> torch.Tensor:
        return layer(hidden, **context)

    def run(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int,
            stop: int | None) -> torch.Tensor:
        """Layers ``[start:stop]`` on ``hidden`` (``[N, L, h]``); ``stop=None`` also applies the
        final norm (the backbone's ``last_hidden_state``)."""
        context = self.context(hidden, attention_mask, position_ids_from_mask(attention_mask))
        for layer in self.layers[start:stop]:
            hidden = self.call(layer, hidden, context)
        if stop is None and self.final_norm is not None:
            hidden = self.final_norm(hidden)
        return hidden


class BertStack(Stack):
    """BERT-style encoders (``embeddings`` + ``encoder.layer``; bidirectional mask)."""

    model_types = ("bert",)

    @property
    def layers(self) -> nn.ModuleList:
        return self.backbone.encoder.layer

    def embedding_modules(self) -> list[nn.Module]:
        return [self.backbone.embeddings]

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.backbone.embeddings(input_ids=input_ids,
                                        position_ids=position_ids_from_mask(attention_mask))

    def context(self, hidden, attention_mask, position_ids):
        from transformers.masking_utils import create_bidirectional_mask, create_causal_mask

        if self.config.is_decoder:
            mask = create_causal_mask(config=self.config, inputs_embeds=hidden,
                                      attention_mask=attention_mask, past_key_values=None)
        else:
            mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden,
                                             attention_mask=attention_mask)
        return {"attention_mask": mask}


class LlamaStack(Stack):
    """Llama decoders (``embed_tokens``, ``layers``, ``norm``, ``rotary_emb``)."""

    model_types = ("llama",)
    cache_argument = "past_key_values"

    @property
    def layers(self) -> nn.ModuleList:
        return self.backbone.layers

    @property
    def final_norm(self) -> nn.Module | None:
        return self.backbone.norm

    def embedding_modules(self) -> list[nn.Module]:
        return [self.backbone.get_input_embeddings(), self.backbone.rotary_emb]

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.backbone.embed_tokens(input_ids)

    def context(self, hidden, attention_mask, position_ids):
        from transformers.masking_utils import create_causal_mask

        mask = create_causal_mask(config=self.config, inputs_embeds=hidden,
                                  attention_mask=attention_mask, past_key_values=None,
                                  position_ids=position_ids)
        rotary = self.backbone.rotary_emb(hidden, position_ids=position_ids)
        return {"attention_mask": mask, "position_embeddings": rotary,
                "position_ids": position_ids, self.cache_argument: None, "use_cache": False}


class GPTNeoXStack(LlamaStack):
    """GPT-NeoX / Pythia (``embed_in`` + ``emb_dropout``, ``layers``, ``final_layer_norm``)."""

    model_types = ("gpt_neox",)
    cache_argument = "layer_past"

    @property
    def final_norm(self) -> nn.Module | None:
        return self.backbone.final_layer_norm

    def embedding_modules(self) -> list[nn.Module]:
        return [self.backbone.embed_in, self.backbone.emb_dropout, self.backbone.rotary_emb]

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.backbone.emb_dropout(self.backbone.embed_in(input_ids))


STACKS: tuple[type[Stack], ...] = (BertStack, LlamaStack, GPTNeoXStack)


def stack_of(backbone: nn.Module) -> Stack:
    """The :class:`Stack` of a bare backbone (a peft wrapper is unwrapped).

    Raises:
        NotImplementedError: an architecture other than BERT, Llama or GPT-NeoX.

    Example:
        >>> from morelib.models import load_backbone
        >>> stack = stack_of(load_backbone("tiny-bert"))
        >>> type(stack).__name__, len(stack.layers), stack.final_norm
        ('BertStack', 2, None)
    """
    from morelib.models.reward_model import unwrap_backbone

    backbone = unwrap_backbone(backbone)
    model_type = backbone.config.model_type
    for stack in STACKS:
        if model_type in stack.model_types:
            return stack(backbone)
    known = sorted(t for s in STACKS for t in s.model_types)
    raise NotImplementedError(f"no prefix/suffix split for model_type {model_type!r} "
                              f"(supported: {known})")

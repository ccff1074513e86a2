"""The reward model: a bare transformers backbone + a bias-free scalar head on the last real token.

``r(x) = w · h(x)`` where ``h(x)`` is the backbone's final hidden state at the last real token
of ``x`` (the EOS under the policy of :mod:`morelib.models.tokenize`), found from the attention
mask, so left and right padding give the same rewards. The backbone is loaded with ``AutoModel``
(no LM head, no full-vocabulary logits; authors' D18) and runs with position ids counted over
real tokens. The head ``w`` (``head.weight``, ``[1, h]``) has no bias and starts from
N(0, 0.02), like the authors'. ``forward`` returns the pooled features too: MORE computes each
source's head gradient from them in closed form.

Works with BERT-style encoders (their pooler is dropped: it is unused), GPT-NeoX (Pythia) and
Llama backbones, and anything else ``AutoModel`` loads whose output has ``last_hidden_state``.

Example:
    >>> from morelib.models import encode_pairs, load_tokenizer
    >>> rm = RewardModel.from_name("tiny-llama", seed=0)
    >>> batch = encode_pairs(load_tokenizer("tiny-llama"), ["Q:"], [" yes"], [" no"])
    >>> out = rm(**batch)
    >>> out.rewards.shape, out.features.shape, rm.head.bias is None
    (torch.Size([2]), torch.Size([2, 64]), True)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from torch import nn
from transformers.utils import ModelOutput

from morelib.models.pooling import pool_last, position_ids_from_mask


@dataclass
class RewardOutput(ModelOutput):
    """Rewards ``[N]`` and the pooled features ``[N, h]`` the head saw (``rewards = features @ w``)."""

    rewards: torch.Tensor | None = None
    features: torch.Tensor | None = None


class RewardModel(nn.Module):
    """A backbone with a scalar, bias-free linear head on the last real token.

    Args:
        backbone: a bare transformers model (``AutoModel``), possibly wrapped by peft.
        pad_token_id: the dedicated pad id (recorded in the backbone config and used as the
            embedding's ``padding_idx``); ``None`` leaves the config as it is.
        name: the model name it was built from (recorded for LoRA saves).
        init_std: standard deviation of the head's normal initialisation.
        seed: seed of the head initialisation (``None``: the global torch RNG).
    """

    def __init__(self, backbone: nn.Module, pad_token_id: int | None = None,
                 name: str | None = None, init_std: float = 0.02, seed: int | None = None):
        super().__init__()
        self.backbone = backbone
        self.name = name
        self.origin: str | None = None
        if getattr(unwrap_backbone(backbone), "pooler", None) is not None:
            unwrap_backbone(backbone).pooler = None  # BERT-style poolers are unused
        if pad_token_id is not None:
            set_pad_token_id(unwrap_backbone(backbone), pad_token_id)
        hidden = self.config.get_text_config().hidden_size
        self.head = nn.Linear(hidden, 1, bias=False, dtype=torch.float32)
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        with torch.no_grad():
            self.head.weight.copy_(torch.randn(self.head.weight.shape, generator=generator)
                                   * init_std)
        self.head.to(next(backbone.parameters()).device)

    @classmethod
    def from_name(cls, name: str, tokenizer: Any = None, dtype: torch.dtype | str | None = None,
                  seed: int | None = None, init_std: float = 0.02,
                  gradient_checkpointing: bool = False, mode: str | None = None,
                  trust_remote_code: bool = False) -> "RewardModel":
        """A new RM on the backbone of ``name`` (see :func:`morelib.models.resolve_model`).

        The pad id comes from ``tokenizer`` (default :func:`morelib.models.load_tokenizer` of
        ``name``); the embeddings grow if the tokenizer has more tokens than the backbone (new
        rows are zero: they are only ever pads). ``dtype=None`` gives float32. The model is
        returned in eval mode (dropout off), like ``from_pretrained``'s.

        Example:
            >>> rm = RewardModel.from_name("tiny-bert", seed=1)
            >>> rm.pad_token_id, rm.config.model_type
            (0, 'bert')
        """
        from morelib.models.loading import load_backbone, load_tokenizer
        from morelib.models.resolve import resolve_model
        from morelib.models.special_tokens import rm_tokens

        if tokenizer is None:
            tokenizer = load_tokenizer(name, mode, trust_remote_code)
        backbone = load_backbone(name, dtype, mode, trust_remote_code)
        fit_vocabulary(backbone, len(tokenizer))
        model = cls(backbone, rm_tokens(tokenizer).pad_id, name, init_std, seed)
        model.origin = resolve_model(name, mode).origin  # where the backbone came from
        if gradient_checkpointing:
            model.activation_checkpointing_enable()
        return model.eval()  # like transformers' from_pretrained; training calls .train()

    @property
    def config(self) -> Any:
        """The backbone's transformers config."""
        return unwrap_backbone(self.backbone).config

    @property
    def pad_token_id(self) -> int | None:
        return self.config.get_text_config().pad_token_id

    #: Set by :func:`morelib.models.prefix_cache.enable_prefix_cache`: runs the frozen bottom
    #: layers from a cache and only the top ones here. ``None``: the whole backbone runs.
    prefix_runner: Any = None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                **kwargs: Any) -> RewardOutput:
        """Rewards of ``N`` sequences (``input_ids``/``attention_mask``: ``[N, L]``)."""
        if self.prefix_runner is not None and not kwargs:
            return self.prefix_runner(self, input_ids, attention_mask)
        return self.score_hidden(self.hidden_states(input_ids, attention_mask, **kwargs),
                                 attention_mask)

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                      **kwargs: Any) -> torch.Tensor:
        """The backbone's final hidden states ``[N, L, h]`` (position ids from the mask)."""
        accepted = _forward_parameters(unwrap_backbone(self.backbone))
        if "position_ids" in accepted and "position_ids" not in kwargs:
            kwargs["position_ids"] = position_ids_from_mask(attention_mask)
        if "use_cache" in accepted:
            kwargs.setdefault("use_cache", False)
        output = self.backbone(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        return output.last_hidden_state

    def score_hidden(self, last_hidden_state: torch.Tensor,
                     attention_mask: torch.Tensor) -> RewardOutput:
        """Pool the backbone's final hidden states ``[N, L, h]`` at each row's last real token
        and apply the head."""
        features = pool_last(last_hidden_state, attention_mask).to(self.head.weight.dtype)
        return RewardOutput(rewards=self.head(features).squeeze(-1), features=features)

    def activation_checkpointing_enable(self, activation_checkpointing_kwargs: dict | None = None,
                                        **kwargs: Any) -> None:
        """Checkpoint the backbone's activations (non-reentrant by default: works with LoRA's
        frozen embeddings). ``transformers.Trainer`` calls this for ``gradient_checkpointing``."""
        unwrap_backbone(self.backbone).activation_checkpointing_enable(
            activation_checkpointing_kwargs or {"use_reentrant": False}, **kwargs)

    def activation_checkpointing_disable(self) -> None:
        unwrap_backbone(self.backbone).activation_checkpointing_disable()

    # transformers < 6 spelling, kept for callers that use it
    def gradient_checkpointing_enable(self, gradient_checkpointing_kwargs: dict | None = None):
        self.activation_checkpointing_enable(gradient_checkpointing_kwargs)

    def gradient_checkpointing_disable(self) -> None:
        self.activation_checkpointing_disable()


def unwrap_backbone(backbone: nn.Module) -> nn.Module:
    """The transformers model inside a peft wrapper (or the backbone itself).

    Example:
        >>> from morelib.models import apply_lora
        >>> rm = apply_lora(RewardModel.from_name("tiny-llama", seed=0))
        >>> type(rm.backbone).__name__, type(unwrap_backbone(rm.backbone)).__name__
        ('PeftModel', 'LlamaModel')
    """
    get_base = getattr(backbone, "get_base_model", None)
    return get_base() if callable(get_base) else backbone


def set_pad_token_id(backbone: nn.Module, pad_token_id: int) -> None:
    """Record the pad id in the config and make it the embedding's ``padding_idx`` (so the
    real EOS embedding is not frozen when a checkpoint's own pad was its EOS, as SmolLM2's).

    Example:
        >>> from morelib.models import load_backbone
        >>> backbone = load_backbone("tiny-llama")
        >>> set_pad_token_id(backbone, 0)
        >>> backbone.config.pad_token_id, backbone.get_input_embeddings().padding_idx
        (0, 0)
    """
    backbone.config.get_text_config().pad_token_id = pad_token_id
    embeddings = backbone.get_input_embeddings()
    if isinstance(embeddings, nn.Embedding):
        embeddings.padding_idx = pad_token_id


def fit_vocabulary(backbone: nn.Module, n_tokens: int) -> None:
    """Grow the input embeddings to ``n_tokens`` rows (new rows zero) if the tokenizer is larger.

    Example:
        >>> from morelib.models import load_backbone
        >>> backbone = load_backbone("tiny-bert")
        >>> fit_vocabulary(backbone, 30523)
        >>> weight = backbone.get_input_embeddings().weight
        >>> weight.shape[0], bool((weight[-1] == 0).all())
        (30523, True)
    """
    old = backbone.get_input_embeddings().weight.shape[0]
    if n_tokens <= old:
        return
    backbone.resize_token_embeddings(n_tokens, mean_resizing=False)
    with torch.no_grad():
        backbone.get_input_embeddings().weight[old:].zero_()


def _forward_parameters(module: nn.Module) -> frozenset[str]:
    return _parameters_of(type(module).forward)


@lru_cache(maxsize=64)
def _parameters_of(function: Any) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)

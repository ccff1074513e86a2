"""Frozen-prefix cache: train and score a reward model while paying only for its top layers.

With the bottom ``k = L - n`` transformer layers (and the embeddings) frozen, their output for a
text never changes, so it is computed once per text and shared by every RM built on the same
backbone weights with the same ``k``. :func:`enable_prefix_cache` freezes that *prefix* and
makes ``model.forward(input_ids, attention_mask)`` (same signature, same
:class:`~morelib.models.RewardOutput`) look each row's prefix output up in a
:class:`~morelib.models.prefix_store.PrefixCache`, compute the missing rows in one no-grad
batched prefix pass, re-pad them into the batch (either padding side) and run only the *suffix*
(layers ``[k:]``, the final norm, pooling and the head). The model stays a full
:class:`~morelib.models.RewardModel` with all its weights, so the Trainer, the collator,
:func:`morelib.evaluation.score_pairs` and :func:`morelib.models.save_reward_model` work
unchanged, and a saved RM reloads and scores without any cache.

Entries are keyed by the exact token ids of each unpadded row and by :func:`prefix_fingerprint`
(a hash of the prefix's weights, buffers, the architecture settings that shape it, and ``k``): a
different checkpoint, dtype or ``k`` never hits. If the prefix weights change in place (e.g. a
checkpoint is loaded into the model), the fingerprint is recomputed.

The prefix always runs as in eval mode: with the cache, dropout inside frozen layers is off even
while training (suffix dropout is unchanged). For backbones without dropout (Llama, GPT-NeoX by
default) cached training equals plain partial fine-tuning up to float rounding.

Example:
    >>> from morelib.models import RewardModel, encode_pairs, load_tokenizer
    >>> from morelib.models.prefix_store import PrefixCache
    >>> tok, cache = load_tokenizer("tiny-llama"), PrefixCache()
    >>> rm = RewardModel.from_name("tiny-llama", seed=0)
    >>> batch = encode_pairs(tok, ["Q:"], [" yes"], [" no"])
    >>> plain = rm(**batch).rewards
    >>> rm = enable_prefix_cache(rm, trainable_top_layers=1, cache=cache)
    >>> torch.allclose(rm(**batch).rewards, plain, atol=1e-5), cache.misses, len(cache)
    (True, 2, 2)
    >>> _ = rm(**batch); cache.hits
    2
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import torch
from torch import nn

from morelib.models.prefix_layers import Stack, stack_of
from morelib.models.prefix_store import PrefixCache, row_key, shared_prefix_cache
from morelib.models.reward_model import RewardModel, RewardOutput

#: Bump when the prefix computation changes meaning (positions, masks): old entries never hit.
PREFIX_FORMAT = 1
#: Config entries (by substring) that shape the prefix computation and enter the fingerprint.
_CONFIG_WORDS = ("eps", "rope", "rotary", "act", "head", "hidden_size", "intermediate",
                 "residual", "position", "bias", "norm", "decoder", "causal", "type_vocab",
                 "model_type", "mlp", "scaling", "multiplier")


def prefix_modules(stack: Stack, k: int) -> list[nn.Module]:
    """The modules of the prefix: embeddings (and rotary tables) and layers ``[:k]``."""
    return [*stack.embedding_modules(), *stack.layers[:k]]


def prefix_fingerprint(model: RewardModel, k: int) -> str:
    """A hash of what the prefix of ``k`` layers computes: every parameter and buffer of the
    embeddings and layers ``[:k]`` (names, dtypes, shapes, bytes), the architecture settings
    (norm eps, rotary, heads, ...) and ``k``. The same checkpoint gives the same fingerprint in
    any process; a fine-tuned or reloaded RM keeps it as long as its prefix was frozen.

    Example:
        >>> a = RewardModel.from_name("tiny-llama", seed=0)
        >>> b = RewardModel.from_name("tiny-llama", seed=1)  # another head, same backbone
        >>> prefix_fingerprint(a, 1) == prefix_fingerprint(b, 1) != prefix_fingerprint(a, 0)
        True
    """
    stack = stack_of(model.backbone)
    settings = {key: value for key, value in sorted(stack.config.to_dict().items())
                if any(word in key for word in _CONFIG_WORDS)}
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps({"format": PREFIX_FORMAT, "k": k, "stack": type(stack).__name__,
                              "config": settings}, sort_keys=True, default=str).encode())
    for index, module in enumerate(prefix_modules(stack, k)):
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            data = tensor.detach().to("cpu").contiguous()
            digest.update(f"{index}.{name}:{data.dtype}:{tuple(data.shape)};".encode())
            digest.update(data.view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class PrefixRunner:
    """What :func:`enable_prefix_cache` attaches to a model (``model.prefix_runner``): the split
    point, the cache and the fingerprint of the prefix weights."""

    def __init__(self, model: RewardModel, trainable_top_layers: int, cache: PrefixCache,
                 prefix_batch_size: int = 32):
        n_layers = len(stack_of(model.backbone).layers)
        if not 0 <= trainable_top_layers <= n_layers:
            raise ValueError(f"trainable_top_layers must be in 0..{n_layers}, "
                             f"got {trainable_top_layers}")
        self.trainable_top_layers = trainable_top_layers
        self.k = n_layers - trainable_top_layers
        self.cache = cache
        self.prefix_batch_size = prefix_batch_size
        self._fingerprint: str | None = None
        self._watch: tuple | None = None

    def __deepcopy__(self, memo: dict) -> "PrefixRunner":
        """A copied model gets its own runner on the same cache (never a copy of the cache)."""
        runner = copy.copy(self)
        runner._fingerprint = runner._watch = None
        return runner

    def fingerprint(self, model: RewardModel) -> str:
        """The prefix fingerprint, recomputed only if a prefix tensor changed since."""
        watch = self._check(model)
        if watch != self._watch or self._fingerprint is None:
            self._fingerprint, self._watch = prefix_fingerprint(model, self.k), watch
        return self._fingerprint

    def _check(self, model: RewardModel) -> tuple:
        watch = []
        grad = torch.is_grad_enabled()
        for module in prefix_modules(stack_of(model.backbone), self.k):
            for name, param in module.named_parameters():
                if grad and param.requires_grad:
                    raise RuntimeError(f"prefix parameter {name} requires grad, but the prefix "
                                       "cache would never update it: re-run enable_prefix_cache")
                watch.append((param.data_ptr(), param._version, param.dtype))
            watch += [(b.data_ptr(), b._version, b.dtype) for b in module.buffers()]
        return tuple(watch)

    def prefix_states(self, model: RewardModel, input_ids: torch.Tensor,
                      attention_mask: torch.Tensor) -> torch.Tensor:
        """The prefix output ``[N, L, h]`` of a padded batch (zeros on padding), from the cache
        or computed for the missing rows; never part of the autograd graph."""
        stack = stack_of(model.backbone)
        fingerprint = self.fingerprint(model)
        real = attention_mask.bool()
        rows = [ids[mask] for ids, mask in zip(input_ids, real)]
        keys = [row_key(row) for row in rows]
        found = {key: self.cache.get(fingerprint, key) for key in dict.fromkeys(keys)}
        missing = [key for key, value in found.items() if value is None]
        if missing:
            first = {key: rows[keys.index(key)] for key in missing}
            for key, hidden in zip(missing, self._compute(stack, [first[k] for k in missing])):
                found[key] = self.cache.put(fingerprint, key, hidden)  # as stored: cold == warm
        dtype = stack.backbone.get_input_embeddings().weight.dtype
        states = torch.zeros((*input_ids.shape, stack.config.hidden_size), dtype=dtype,
                             device=input_ids.device)
        states[real.to(states.device)] = torch.cat([found[key] for key in keys]).to(
            device=states.device, dtype=dtype)
        return states

    def _compute(self, stack: Stack, rows: list[torch.Tensor]) -> list[torch.Tensor]:
        """Prefix outputs of unpadded rows, in length-sorted right-padded batches."""
        modules = prefix_modules(stack, self.k)
        device = stack.backbone.get_input_embeddings().weight.device
        out: list[torch.Tensor | None] = [None] * len(rows)
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
        modes = [m.training for m in modules]
        try:
            for m in modules:
                m.eval()
            with torch.inference_mode(False), torch.no_grad():
                for start in range(0, len(order), self.prefix_batch_size):
                    chunk = order[start:start + self.prefix_batch_size]
                    width = len(rows[chunk[0]])
                    ids = torch.zeros((len(chunk), width), dtype=torch.long, device=device)
                    mask = torch.zeros_like(ids)
                    for j, i in enumerate(chunk):
                        ids[j, :len(rows[i])] = rows[i].to(device)
                        mask[j, :len(rows[i])] = 1
                    hidden = stack.run(stack.embed(ids, mask), mask, 0, self.k)
                    for j, i in enumerate(chunk):
                        out[i] = hidden[j, :len(rows[i])]
        finally:
            for m, mode in zip(modules, modes):
                m.train(mode)
        return out

    def __call__(self, model: RewardModel, input_ids: torch.Tensor,
                 attention_mask: torch.Tensor) -> RewardOutput:
        states = self.prefix_states(model, input_ids, attention_mask)
        hidden = stack_of(model.backbone).run(states, attention_mask, self.k, None)
        return model.score_hidden(hidden, attention_mask)


def enable_prefix_cache(model: RewardModel, trainable_top_layers: int,
                        cache: PrefixCache | None = None, prefix_batch_size: int = 32
                        ) -> RewardModel:
    """Freeze the embeddings and all but the top ``trainable_top_layers`` layers of ``model`` and
    make its forward reuse their cached outputs (see the module docstring). Other parameters
    keep their ``requires_grad``. ``cache=None`` uses the process-wide
    :func:`~morelib.models.prefix_store.shared_prefix_cache`. Returns ``model`` itself.

    Raises:
        ValueError: a LoRA model (its adapters inside the prefix would never train), or
            ``trainable_top_layers`` outside ``0..L``.

    Example:
        >>> rm = enable_prefix_cache(RewardModel.from_name("tiny-bert", seed=0), 1, PrefixCache())
        >>> [any(p.requires_grad for p in l.parameters()) for l in rm.backbone.encoder.layer]
        [False, True]
        >>> rm.prefix_runner.k, rm.backbone.embeddings.word_embeddings.weight.requires_grad
        (1, False)
    """
    from morelib.models.lora import is_lora

    if is_lora(model):
        raise ValueError("the prefix cache needs a plain backbone (LoRA adapters would sit "
                         "inside the frozen prefix); use trainable_top_layers without LoRA")
    runner = PrefixRunner(model, trainable_top_layers,
                          shared_prefix_cache() if cache is None else cache, prefix_batch_size)
    for module in prefix_modules(stack_of(model.backbone), runner.k):
        for param in module.parameters():
            param.requires_grad = False
    model.prefix_runner = runner
    return model


def disable_prefix_cache(model: RewardModel) -> RewardModel:
    """Run the whole backbone again (the prefix stays frozen). Returns ``model``.

    Example:
        >>> rm = enable_prefix_cache(RewardModel.from_name("tiny-llama"), 1, PrefixCache())
        >>> disable_prefix_cache(rm).prefix_runner is None
        True
    """
    model.prefix_runner = None
    return model

"""Tiny random-init backbones for tests and the ``smoke`` profile, paired with real tokenizers.

========================  ===============================  ==========================================
name                      architecture                     tokenizer (a real one, available offline)
========================  ===============================  ==========================================
``tiny-bert``             BERT encoder                     all-MiniLM-L6-v2's (WordPiece, 30,522)
``tiny-gpt-neox``         GPT-NeoX, Pythia-shaped          SmolLM2-135M-Instruct's (byte-level BPE,
                          (parallel residual, 25% rotary)  49,152): Pythia's own tokenizer is not
                                                           available offline; SmolLM2's is the
                                                           closest in kind (byte-level BPE)
``tiny-llama``            Llama                            SmolLM2-135M-Instruct's
========================  ===============================  ==========================================

All have 2 layers, hidden size 64 and 4 attention heads, and are initialised from a fixed seed
(the same weights in every process: a LoRA adapter saved on a tiny model reloads onto the same
base). The vocabulary size is the tokenizer's.

Other sizes (for model-size sweeps in the ``smoke`` profile): append ``-d<hidden>`` and/or
``-l<layers>`` to a base name, e.g. ``tiny-llama-d32`` (hidden 32), ``tiny-bert-d128-l4``
(hidden 128, 4 layers). The feed-forward width scales with the hidden size (same ratio as the
base model); there are always 4 attention heads, so the hidden size must be a multiple of 4.

Example:
    >>> config = tiny_config("tiny-llama", vocab_size=100)
    >>> config.model_type, config.hidden_size, config.num_hidden_layers
    ('llama', 64, 2)
    >>> big = tiny_config("tiny-llama-d128-l3", vocab_size=100)
    >>> big.hidden_size, big.num_hidden_layers, big.intermediate_size
    (128, 3, 256)
    >>> a, b = build_tiny_backbone("tiny-bert", 100), build_tiny_backbone("tiny-bert", 100)
    >>> bool((a.embeddings.word_embeddings.weight == b.embeddings.word_embeddings.weight).all())
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


@dataclass(frozen=True)
class TinySpec:
    """A tiny model: its architecture (``model_type``) and the model whose tokenizer it uses."""

    model_type: str
    tokenizer: str


TINY_MODELS: dict[str, TinySpec] = {
    "tiny-bert": TinySpec("bert", MINILM),
    "tiny-gpt-neox": TinySpec("gpt_neox", SMOLLM2),
    "tiny-llama": TinySpec("llama", SMOLLM2),
}

_COMMON = dict(num_attention_heads=4, initializer_range=0.02)
_SIZED = re.compile(r"^(?P<base>tiny-[a-z-]+?)(?:-d(?P<hidden>\d+))?(?:-l(?P<layers>\d+))?$")


@dataclass(frozen=True)
class TinySize:
    """A parsed tiny model name: base name, hidden size and number of layers."""

    base: str
    hidden: int = 64
    layers: int = 2


def tiny_size(name: str) -> TinySize | None:
    """Parse ``tiny-<arch>[-d<hidden>][-l<layers>]``; ``None`` if ``name`` is not a tiny model.

    Example:
        >>> tiny_size("tiny-bert-d32"), tiny_size("tiny-llama") == TinySize("tiny-llama")
        (TinySize(base='tiny-bert', hidden=32, layers=2), True)
        >>> tiny_size("tiny-llama-l0"), tiny_size("tiny-llama-d30"), tiny_size("bert-base")
        (None, None, None)
    """
    match = _SIZED.match(name)
    if match is None or match["base"] not in TINY_MODELS:
        return None
    size = TinySize(match["base"], int(match["hidden"] or 64), int(match["layers"] or 2))
    if size.hidden < 4 or size.hidden % 4 or size.layers < 1:
        return None
    return size


def tiny_spec(name: str) -> TinySpec | None:
    """The :class:`TinySpec` of a tiny model name (sized variants included), else ``None``.

    Example:
        >>> tiny_spec("tiny-gpt-neox-d128").model_type, tiny_spec("gpt2")
        ('gpt_neox', None)
    """
    size = tiny_size(name)
    return None if size is None else TINY_MODELS[size.base]


def tiny_config(name: str, vocab_size: int):
    """The transformers config of a tiny model (see the module docstring).

    Example:
        >>> tiny_config("tiny-gpt-neox", vocab_size=100).rope_parameters["partial_rotary_factor"]
        0.25
    """
    from transformers import BertConfig, GPTNeoXConfig, LlamaConfig

    size = tiny_size(name)
    if size is None:
        raise KeyError(f"{name!r} is not a tiny model name ({', '.join(TINY_MODELS)}, "
                       "optionally with -d<hidden> and/or -l<layers>)")
    model_type = TINY_MODELS[size.base].model_type
    common = dict(_COMMON, hidden_size=size.hidden, num_hidden_layers=size.layers)
    if model_type == "bert":
        return BertConfig(vocab_size=vocab_size, intermediate_size=2 * size.hidden,
                          max_position_embeddings=512, **common)
    if model_type == "gpt_neox":
        return GPTNeoXConfig(vocab_size=vocab_size, intermediate_size=4 * size.hidden,
                             max_position_embeddings=2048, rotary_pct=0.25,
                             use_parallel_residual=True, **common)
    return LlamaConfig(vocab_size=vocab_size, intermediate_size=2 * size.hidden,
                       num_key_value_heads=2, max_position_embeddings=2048, **common)


def build_tiny_backbone(name: str, vocab_size: int, seed: int = 0, dtype: torch.dtype | None = None):
    """A tiny bare backbone (``AutoModel``), initialised from ``seed`` without touching the global RNG.

    Example:
        >>> state = torch.random.get_rng_state()
        >>> type(build_tiny_backbone("tiny-gpt-neox", 100)).__name__
        'GPTNeoXModel'
        >>> torch.equal(state, torch.random.get_rng_state())
        True
    """
    from transformers import AutoModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModel.from_config(tiny_config(name, vocab_size))
    return model if dtype is None else model.to(dtype)

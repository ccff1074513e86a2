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

Example:
    >>> config = tiny_config("tiny-llama", vocab_size=100)
    >>> config.model_type, config.hidden_size, config.num_hidden_layers
    ('llama', 64, 2)
    >>> a, b = build_tiny_backbone("tiny-bert", 100), build_tiny_backbone("tiny-bert", 100)
    >>> bool((a.embeddings.word_embeddings.weight == b.embeddings.word_embeddings.weight).all())
    True
"""

from __future__ import annotations

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

_COMMON = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, initializer_range=0.02)


def tiny_config(name: str, vocab_size: int):
    """The transformers config of a tiny model (see the module docstring).

    Example:
        >>> tiny_config("tiny-gpt-neox", vocab_size=100).rope_parameters["partial_rotary_factor"]
        0.25
    """
    from transformers import BertConfig, GPTNeoXConfig, LlamaConfig

    model_type = TINY_MODELS[name].model_type
    if model_type == "bert":
        return BertConfig(vocab_size=vocab_size, intermediate_size=128,
                          max_position_embeddings=512, **_COMMON)
    if model_type == "gpt_neox":
        return GPTNeoXConfig(vocab_size=vocab_size, intermediate_size=256,
                             max_position_embeddings=2048, rotary_pct=0.25,
                             use_parallel_residual=True, **_COMMON)
    return LlamaConfig(vocab_size=vocab_size, intermediate_size=128, num_key_value_heads=2,
                       max_position_embeddings=2048, **_COMMON)


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

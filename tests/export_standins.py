"""Stand-ins for the hub tokenizers whose classes behave differently on export.

Llama-2's ``LlamaTokenizer`` (adds a BOS, no EOS, pads on the left) and Pythia's
``GPTNeoXTokenizer`` (BOS = EOS = ``<|endoftext|>``, pad ``<|padding|>``, and a class that
rebuilds its post-processor on loading) are not available offline: these are the same
transformers classes built from small vocabularies, with the hub configs' settings.
"""

from __future__ import annotations

import json

from morelib.models import RewardModel, rm_tokens
from morelib.models.loading import raw_tokenizer
from morelib.models.special_tokens import prepare_tokenizer
from morelib.models.tiny import build_tiny_backbone

_CHARS = sorted(set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    ".,:;?!'\"<>|/[]_-()\n "))


def llama2_tokenizer():
    from transformers import LlamaTokenizer

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for prefix in ("", "\u2581"):
        for char in _CHARS:
            vocab.setdefault(prefix + char, len(vocab))
    return LlamaTokenizer(vocab=vocab, merges=[], add_bos_token=True, add_eos_token=False)


def pythia_tokenizer():
    from transformers import GPTNeoXTokenizer

    model = json.loads(raw_tokenizer("tiny-llama")._tokenizer.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split()) for m in model["merges"]]
    return GPTNeoXTokenizer(vocab=model["vocab"], merges=merges)


def standin_rm(kind: str, seed: int = 0):
    """``(rm, tokenizer)`` on a tiny backbone of the model family, with the stand-in tokenizer."""
    tokenizer = {"llama2": llama2_tokenizer, "pythia": pythia_tokenizer}[kind]()
    prepare_tokenizer(tokenizer)
    family = {"llama2": "tiny-llama", "pythia": "tiny-gpt-neox"}[kind]
    backbone = build_tiny_backbone(family, len(tokenizer))
    return RewardModel(backbone, rm_tokens(tokenizer).pad_id, seed=seed).eval(), tokenizer

"""The RM's special-token policy: which BOS, EOS and pad token a tokenizer gets.

Every RM input is ``[BOS] + text + [EOS]`` (each only if the tokenizer has one; BERT-style
tokenizers use ``[CLS]``/``[SEP]``), and the RM pools at the last real token, i.e. the EOS. The
text itself is tokenised with ``split_special_tokens=True``, so a literal ``"<|im_end|>"`` or
``"[SEP]"`` inside the data is read as plain text: special tokens enter a sequence only through
this policy.

The pad token must never equal a token that can occur in a real sequence. The authors padded
Pythia with ``"`` (id 3), which shifted their pooling left at every quote (D4); SmolLM2's own pad
is its EOS ``<|im_end|>``, which would make HF's "last non-pad token" pooling skip the EOS. The
dedicated pad is chosen, in order, as:

1. the tokenizer's pad, if it is a special token other than BOS, EOS and UNK
   (MiniLM/BERT: ``[PAD]``);
2. an existing special token whose text contains ``pad`` (Pythia: ``<|padding|>``;
   Llama-3.1: ``<|finetune_right_pad_id|>``);
3. ``<|endoftext|>``, if it is a special token other than BOS and EOS (SmolLM2: id 0, which
   byte-level BPE never emits for text);
4. otherwise a new special token ``<|pad|>`` is added (the backbone's embeddings are then
   resized by :meth:`RewardModel.from_name`).

The choice is recorded as the tokenizer's ``pad_token`` (saved with it) and as the model
config's ``pad_token_id``.

Example:
    >>> from morelib.models import load_tokenizer
    >>> tokens = rm_tokens(load_tokenizer("tiny-bert"))
    >>> tokens.bos_token, tokens.eos_token, tokens.pad_token, tokens.added
    ('[CLS]', '[SEP]', '[PAD]', False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADDED_PAD = "<|pad|>"


@dataclass(frozen=True)
class RMTokens:
    """The special tokens of RM inputs: ids (``None`` when absent) and their text."""

    bos_id: int | None
    eos_id: int | None
    pad_id: int
    bos_token: str | None
    eos_token: str | None
    pad_token: str
    added: bool = False  # the pad token was added to the vocabulary


def special_ids(tokenizer: Any) -> set[int]:
    """Ids of the tokenizer's special tokens (those ``split_special_tokens=True`` never emits).

    Example:
        >>> from morelib.models.loading import raw_tokenizer
        >>> sorted(special_ids(raw_tokenizer("tiny-bert")))
        [0, 100, 101, 102, 103]
    """
    ids = set(tokenizer.all_special_ids)
    ids.update(i for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items() if t.special)
    return ids


def bos_eos(tokenizer: Any) -> tuple[int | None, int | None]:
    """BOS and EOS ids: the tokenizer's ``bos``/``eos`` tokens, else ``cls``/``sep`` (BERT).

    Example:
        >>> from morelib.models.loading import raw_tokenizer
        >>> bos_eos(raw_tokenizer("tiny-bert")), bos_eos(raw_tokenizer("tiny-llama"))
        ((101, 102), (1, 2))
    """
    bos = tokenizer.bos_token_id
    eos = tokenizer.eos_token_id
    bos = tokenizer.cls_token_id if bos is None else bos
    eos = tokenizer.sep_token_id if eos is None else eos
    return bos, eos


def choose_pad_token(tokenizer: Any) -> str | None:
    """The dedicated pad token among the tokenizer's special tokens (rules 1-3 of the module
    docstring), or ``None`` when one must be added.

    Example:
        >>> from morelib.models.loading import raw_tokenizer
        >>> choose_pad_token(raw_tokenizer("tiny-llama"))
        '<|endoftext|>'
    """
    bos, eos = bos_eos(tokenizer)
    specials = special_ids(tokenizer) - {bos, eos}
    usable = specials - {tokenizer.unk_token_id}
    if tokenizer.pad_token_id in usable:
        return tokenizer.pad_token
    for i in sorted(usable):
        token = tokenizer.convert_ids_to_tokens(i)
        if "pad" in token.lower():
            return token
    eot = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    if eot in specials and tokenizer.convert_ids_to_tokens(eot) == "<|endoftext|>":
        return "<|endoftext|>"
    return None


def prepare_tokenizer(tokenizer: Any) -> RMTokens:
    """Give ``tokenizer`` its dedicated pad token (adding ``<|pad|>`` only if rules 1-3 find
    none) and return the policy's tokens. Idempotent.

    Example:
        >>> from morelib.models.loading import raw_tokenizer
        >>> tok = raw_tokenizer("tiny-llama")
        >>> tok.pad_token  # SmolLM2's own pad is its EOS
        '<|im_end|>'
        >>> prepare_tokenizer(tok).pad_token, tok.pad_token
        ('<|endoftext|>', '<|endoftext|>')
    """
    pad = choose_pad_token(tokenizer)
    added = pad is None
    if added:
        tokenizer.add_special_tokens({"pad_token": ADDED_PAD})
        pad = ADDED_PAD
    tokenizer.pad_token = pad
    return rm_tokens(tokenizer, _added=added)


def rm_tokens(tokenizer: Any, _added: bool = False) -> RMTokens:
    """The policy's tokens of a prepared tokenizer.

    Raises:
        ValueError: the tokenizer's pad is missing or could occur in a real sequence (it is not
            a special token, or it is the BOS, EOS or UNK); call :func:`prepare_tokenizer`.

    Example:
        >>> from morelib.models.loading import raw_tokenizer
        >>> rm_tokens(raw_tokenizer("tiny-llama"))
        Traceback (most recent call last):
        ...
        ValueError: pad token '<|im_end|>' (id 2) can occur in real sequences (it is the BOS or EOS, UNK, or not a special token); call morelib.models.prepare_tokenizer(tokenizer) first
    """
    bos, eos = bos_eos(tokenizer)
    pad = tokenizer.pad_token_id
    usable = special_ids(tokenizer) - {bos, eos}
    if pad is None:
        raise ValueError("tokenizer has no pad token; call morelib.models.prepare_tokenizer"
                         "(tokenizer) first")
    if pad not in usable or (pad == tokenizer.unk_token_id and tokenizer.pad_token != "<|endoftext|>"):
        raise ValueError(
            f"pad token {tokenizer.pad_token!r} (id {pad}) can occur in real sequences (it is "
            "the BOS or EOS, UNK, or not a special token); call "
            "morelib.models.prepare_tokenizer(tokenizer) first")
    name = tokenizer.convert_ids_to_tokens
    return RMTokens(bos, eos, pad, None if bos is None else name(bos),
                    None if eos is None else name(eos), tokenizer.pad_token,
                    _added or tokenizer.pad_token == ADDED_PAD)

"""Tokenisation of RM inputs: ``[BOS] + prompt + response + [EOS]``, kept from the end, padded.

* Text = ``prompt + response`` (plain concatenation, tokenised as one string so that BPE merges
  across the boundary are the natural ones; the data's prompts end with e.g. ``"Assistant:"``
  and responses start with a space).
* Special tokens follow :mod:`morelib.models.special_tokens`: BOS and EOS (``[CLS]``/``[SEP]``
  for BERT) are always kept; the text never yields special tokens (``split_special_tokens``).
* **Left truncation**: a text longer than ``max_length`` minus the special tokens keeps its
  *last* tokens (the paper keeps the last 512), so the response and the EOS survive.
* **Dynamic padding** to the batch's longest row with the dedicated pad token, on the
  tokenizer's ``padding_side`` unless ``padding_side`` is given; the mask is 0 on padding.

Example:
    >>> from morelib.models import load_tokenizer
    >>> tok = load_tokenizer("tiny-bert")
    >>> batch = encode_pairs(tok, ["Q: hi"], [" hello there"], [" go"], max_length=16)
    >>> [tok.decode(row[m.bool()]) for row, m in zip(batch["input_ids"], batch["attention_mask"])]
    ['[CLS] q : hi hello there [SEP]', '[CLS] q : hi go [SEP]']
    >>> batch["attention_mask"].tolist()
    [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0]]
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from morelib.models.special_tokens import rm_tokens

#: Tokens per RM input when nothing else says (the paper's 512; a saved RM records its own).
DEFAULT_MAX_LENGTH = 512


def encode_texts(tokenizer: Any, texts: Sequence[str],
                 max_length: int = DEFAULT_MAX_LENGTH,
                 padding_side: str | None = None) -> dict[str, torch.Tensor]:
    """Encode full RM texts into ``input_ids`` and ``attention_mask`` (``[N, L]``, long):
    :func:`encode_rows` then :func:`pad_rows`.

    Args:
        tokenizer: a tokenizer prepared by :func:`morelib.models.prepare_tokenizer` (as
            :func:`morelib.models.load_tokenizer` returns it).
        texts: the full texts (prompt and response already joined).
        max_length: the most tokens per row, special tokens included.
        padding_side: ``"left"`` or ``"right"``; ``None`` uses ``tokenizer.padding_side``.

    Raises:
        ValueError: ``max_length`` leaves no room for text, or a row would be empty.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-bert")
        >>> batch = encode_texts(tok, ["one two three four five"], max_length=4)
        >>> tok.decode(batch["input_ids"][0])  # the end is kept
        '[CLS] four five [SEP]'
        >>> encode_texts(tok, ["a b", "a"], padding_side="left")["attention_mask"].tolist()
        [[1, 1, 1, 1], [0, 1, 1, 1]]
    """
    return pad_rows(tokenizer, encode_rows(tokenizer, texts, max_length), padding_side)


def encode_rows(tokenizer: Any, texts: Sequence[str],
                max_length: int = DEFAULT_MAX_LENGTH) -> list[list[int]]:
    """Unpadded token ids of RM texts: ``[BOS] + text + [EOS]``, the text's last tokens kept.

    Scoring tokenises once, sorts the rows by their token counts and pads each batch with
    :func:`pad_rows` (length bucketing by tokens, not characters). Arguments and errors as
    :func:`encode_texts`.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-bert")
        >>> [len(row) for row in encode_rows(tok, ["a b c", "a"])]
        [5, 3]
    """
    tokens = rm_tokens(tokenizer)
    prefix = [] if tokens.bos_id is None else [tokens.bos_id]
    suffix = [] if tokens.eos_id is None else [tokens.eos_id]
    room = max_length - len(prefix) - len(suffix)
    if room < 1:
        raise ValueError(f"max_length={max_length} leaves no room for text after "
                         f"{len(prefix) + len(suffix)} special tokens")
    encoded = tokenizer(list(texts), add_special_tokens=False, split_special_tokens=True,
                        verbose=False)["input_ids"]
    rows = [prefix + ids[max(0, len(ids) - room):] + suffix for ids in encoded]
    if any(not row for row in rows):
        raise ValueError("an empty text gives an empty sequence (the tokenizer has no BOS/EOS)")
    if any(tokens.pad_id in ids for ids in encoded):
        raise ValueError(f"the pad token {tokens.pad_token!r} occurs in an encoded text; "
                         "pooling and HF-compatible scoring would be wrong (see D4)")
    return rows


def pad_rows(tokenizer: Any, rows: Sequence[Sequence[int]], padding_side: str | None = None,
             length: int | None = None) -> dict[str, torch.Tensor]:
    """Pad token id rows with the tokenizer's dedicated pad token into ``input_ids`` and
    ``attention_mask`` (``[N, length]``; default: the longest row, i.e. dynamic padding).

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-bert")
        >>> pad_rows(tok, [[2, 5, 3], [2, 3]], length=4)["attention_mask"].tolist()
        [[1, 1, 1, 0], [1, 1, 0, 0]]
    """
    side = padding_side or tokenizer.padding_side
    if side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {side!r}")
    longest = max(len(row) for row in rows)
    length = longest if length is None else length
    if length < longest:
        raise ValueError(f"length={length} is shorter than the longest row ({longest})")
    input_ids = torch.full((len(rows), length), rm_tokens(tokenizer).pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, row in enumerate(rows):
        span = slice(length - len(row), length) if side == "left" else slice(0, len(row))
        input_ids[i, span] = torch.tensor(row, dtype=torch.long)
        attention_mask[i, span] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def encode_pairs(tokenizer: Any, prompts: Sequence[str], chosen: Sequence[str],
                 rejected: Sequence[str], max_length: int = DEFAULT_MAX_LENGTH,
                 padding_side: str | None = None) -> dict[str, torch.Tensor]:
    """Encode B preference pairs as 2B rows: rows ``0..B-1`` chosen, rows ``B..2B-1`` rejected,
    so one forward pass scores both (``rewards[:B] - rewards[B:]`` are the margins).

    Args: as :func:`encode_texts`; ``prompts``, ``chosen`` and ``rejected`` have equal lengths.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-llama")
        >>> batch = encode_pairs(tok, ["Q:", "Q:"], [" yes", " sure"], [" no", " never"])
        >>> batch["input_ids"].shape[0]
        4
        >>> tok.decode(batch["input_ids"][2][batch["attention_mask"][2].bool()])
        '<|im_start|>Q: no<|im_end|>'
    """
    if not len(prompts) == len(chosen) == len(rejected):
        raise ValueError(f"prompts, chosen and rejected differ in length: "
                         f"{len(prompts)}, {len(chosen)}, {len(rejected)}")
    texts = [p + c for p, c in zip(prompts, chosen)] + [p + r for p, r in zip(prompts, rejected)]
    return encode_texts(tokenizer, texts, max_length, padding_side)

"""Turn preference examples (single pairs or MORE groups) into one tokenised batch.

Each training example is either one pair ``{"prompt", "chosen", "rejected", "source_index"}``
(MultiTask and single-source training) or a *group* ``{"pairs": [pair, ...]}`` holding exactly one
pair per source (MORE's stratified batches). Groups are flattened, so a device batch of G groups
becomes G×K pairs whose ``source_index`` says which source each row came from: the weighting
never assumes that row *i* belongs to source *i* (the authors' batch-size > 1 bug, D9).

The batch scores chosen and rejected responses in one forward pass: rows ``0..B-1`` are the
chosen texts and rows ``B..2B-1`` the rejected ones (see :func:`morelib.models.encode_pairs`).

Example:
    >>> from morelib.models import load_tokenizer
    >>> collate = PairCollator(load_tokenizer("tiny-llama"), max_length=32)
    >>> group = {"pairs": [
    ...     {"prompt": "Q:", "chosen": " yes", "rejected": " no", "source_index": 0},
    ...     {"prompt": "Q:", "chosen": " fine", "rejected": " bad", "source_index": 1}]}
    >>> batch = collate([group])
    >>> batch["input_ids"].shape[0], batch["source_index"].tolist()
    (4, [0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch

from morelib.models import encode_pairs


def flatten_examples(examples: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Pairs from a list of pairs and/or groups, in order.

    Example:
        >>> p = {"prompt": "", "chosen": "a", "rejected": "b", "source_index": 0}
        >>> len(flatten_examples([p, {"pairs": [p, p]}]))
        3
    """
    pairs: list[Mapping[str, Any]] = []
    for example in examples:
        if "pairs" in example:
            pairs.extend(example["pairs"])
        else:
            pairs.append(example)
    return pairs


@dataclass
class PairCollator:
    """Collate pairs or groups into ``input_ids``/``attention_mask`` (2B rows) + ``source_index``."""

    tokenizer: Any
    max_length: int = 512

    def __call__(self, examples: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        pairs = flatten_examples(examples)
        batch = encode_pairs(
            self.tokenizer,
            [p["prompt"] for p in pairs],
            [p["chosen"] for p in pairs],
            [p["rejected"] for p in pairs],
            max_length=self.max_length,
        )
        batch = dict(batch)
        batch["source_index"] = torch.tensor([int(p["source_index"]) for p in pairs],
                                             dtype=torch.long)
        return batch

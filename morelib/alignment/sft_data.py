"""SFT examples and batches: loss on the answer tokens (and EOS) only.

Each (prompt, response) becomes ``input_ids`` and ``labels`` by
:func:`~morelib.alignment.chat_format.encode_prompt_answer` (the rendering generation uses;
labels ``-100`` on the prompt; the last ``max_length`` tokens kept). :class:`SFTCollator` pads on
the right with the dedicated pad id, sets labels ``-100`` and the attention mask 0 on padding
(the authors padded labels with the pad id, D19, and derived the mask from ``ids != pad``).

The SFT baseline (the paper's Alpaca-SFT) trains on the **chosen** responses of the helpful and
harmless training pairs: :func:`chosen_sft_data`.

Example:
    >>> from morelib.models import load_tokenizer
    >>> tok = load_tokenizer("tiny-llama")
    >>> ex = encode_sft_examples(tok, ["\\n\\nHuman: Hi\\n\\nAssistant:"] * 2, [" Hello!", " Hey"])
    >>> batch = SFTCollator(tok.pad_token_id)(ex)
    >>> batch["input_ids"].shape == batch["labels"].shape
    True
    >>> [int(m.sum()) for m in batch["attention_mask"]] == [len(e["input_ids"]) for e in ex]
    True
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from morelib.alignment.chat_format import IGNORE_INDEX, encode_prompt_answer


def encode_sft_examples(tokenizer: Any, prompts: Sequence[str], responses: Sequence[str],
                        max_length: int = 512) -> list[dict[str, list[int]]]:
    """``[{"input_ids", "labels"}]`` for each (prompt, response).

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-llama")
        >>> ex = encode_sft_examples(tok, ["\\n\\nHuman: Hi\\n\\nAssistant:"], [" Hello!"])[0]
        >>> tok.decode([t for t, l in zip(ex["input_ids"], ex["labels"]) if l != -100])
        'Hello!<|im_end|>'
    """
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
    examples = []
    for prompt, response in zip(prompts, responses):
        ids, labels = encode_prompt_answer(tokenizer, prompt, response, max_length)
        examples.append({"input_ids": ids, "labels": labels})
    return examples


class SFTCollator:
    """Right-pad ``input_ids`` (pad id) and ``labels`` (``-100``); mask from the lengths.

    Example:
        >>> batch = SFTCollator(pad_id=0)([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
        ...                                {"input_ids": [8, 9], "labels": [-100, 9]}])
        >>> batch["labels"].tolist(), batch["attention_mask"].tolist()
        ([[-100, 6, 7], [-100, 9, -100]], [[1, 1, 1], [1, 1, 0]])
    """

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, examples: Sequence[dict[str, Sequence[int]]]) -> dict[str, torch.Tensor]:
        length = max(len(e["input_ids"]) for e in examples)
        n = len(examples)
        input_ids = torch.full((n, length), self.pad_id, dtype=torch.long)
        labels = torch.full((n, length), IGNORE_INDEX, dtype=torch.long)
        attention_mask = torch.zeros((n, length), dtype=torch.long)
        for i, e in enumerate(examples):
            k = len(e["input_ids"])
            input_ids[i, :k] = torch.tensor(list(e["input_ids"]), dtype=torch.long)
            labels[i, :k] = torch.tensor(list(e["labels"]), dtype=torch.long)
            attention_mask[i, :k] = 1
        return {"input_ids": input_ids, "labels": labels, "attention_mask": attention_mask}


def chosen_sft_data(pairs: Sequence[Any], sources: Sequence[str] | None = ("helpful", "harmless")
                    ) -> tuple[list[str], list[str]]:
    """``(prompts, chosen responses)`` of preference pairs from ``sources`` (``None``: all):
    the SFT baseline's data (the paper's Alpaca-SFT trains on helpful + harmless chosen).

    Example:
        >>> from morelib.data.schema import PreferencePair as P
        >>> pairs = [P("Q1", " good", " bad", "helpful", "a"), P("Q2", " x", " y", "webgpt", "b")]
        >>> chosen_sft_data(pairs)
        (['Q1'], [' good'])
    """
    keep = [p for p in pairs if sources is None or p.source in sources]
    return [p.prompt for p in keep], [p.chosen for p in keep]

"""Perplexity of held-out responses: the PPL columns of the paper's Table 1.

Per example, ``PPL = exp(mean NLL of the answer tokens given the prompt)``, with the prompt and
answer rendered exactly as in SFT and generation
(:func:`~morelib.alignment.chat_format.encode_prompt_answer`: chat template, answer + EOS, the last
``max_length`` tokens kept). The reported number is the **mean of per-example perplexities**
(not the exponential of the pooled NLL), as in the authors' ``compute_ppl``, on the chosen
responses of the helpful / harmless test sets.

**Outlier gate.** The authors dropped examples with PPL ≥ 10000 (``ppl_outlier_gate``) and NaN
before averaging, silently. :func:`mean_perplexity` applies that gate only when asked
(``outlier_gate=AUTHORS_OUTLIER_GATE``) and always reports how many examples it dropped, so a
mean is never quietly computed on a filtered set. By default nothing is dropped.

Example:
    >>> import numpy as np
    >>> s = mean_perplexity(np.array([3.0, 5.0, 2e4, np.nan]), outlier_gate=AUTHORS_OUTLIER_GATE)
    >>> s.mean, s.n_used, s.n_dropped
    (4.0, 2, 2)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from morelib.alignment.chat_format import IGNORE_INDEX
from morelib.alignment.sft_data import SFTCollator, encode_sft_examples

#: The authors' ``ppl_outlier_gate``: examples with PPL ≥ this (and NaN) were dropped.
AUTHORS_OUTLIER_GATE = 10000.0


def answer_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token NLL over each row's labelled tokens (``-100`` ignored): ``[N]``.
    Row ``i``'s token ``t`` is predicted from ``logits[i, t - 1]``; a row with no labelled
    token gives NaN.

    Example:
        >>> logits = torch.zeros(1, 3, 4)  # uniform over 4 tokens
        >>> nll = answer_nll(logits, torch.tensor([[-100, 2, 3]]))
        >>> bool(torch.isclose(nll, torch.tensor([np.log(4)], dtype=torch.float32)).all())
        True
    """
    shifted_logits = logits[:, :-1].float()
    shifted_labels = labels[:, 1:]
    per_token = F.cross_entropy(shifted_logits.transpose(1, 2), shifted_labels,
                                ignore_index=IGNORE_INDEX, reduction="none")
    counts = (shifted_labels != IGNORE_INDEX).sum(dim=1)
    return per_token.sum(dim=1) / counts  # 0 / 0 = NaN for rows without answer tokens


@torch.inference_mode()
def perplexity(model: Any, tokenizer: Any, prompts: Sequence[str], responses: Sequence[str],
               batch_size: int = 8, max_length: int = 512) -> np.ndarray:
    """Per-example perplexity of ``responses`` given ``prompts`` (float64 ``[N]``).

    Batches are formed longest first (right padding; the result is in input order).

    Example:
        >>> from morelib.alignment.policy import load_policy
        >>> model, tok = load_policy("tiny-llama")
        >>> ppl = perplexity(model, tok, ["\\n\\nHuman: Hi\\n\\nAssistant:"] * 2, [" Hello!", " Hi"])
        >>> ppl.shape, bool((ppl > 1).all())
        ((2,), True)
    """
    examples = encode_sft_examples(tokenizer, prompts, responses, max_length)
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]["input_ids"]))
    collate = SFTCollator(tokenizer.pad_token_id)
    device = next(model.parameters()).device
    nll = np.zeros(len(examples), dtype=np.float64)
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            batch_ids = order[start:start + batch_size]
            batch = collate([examples[i] for i in batch_ids])
            logits = model(input_ids=batch["input_ids"].to(device),
                           attention_mask=batch["attention_mask"].to(device)).logits
            nll[batch_ids] = answer_nll(logits, batch["labels"].to(device)).double().cpu().numpy()
    finally:
        model.train(was_training)
    return np.exp(nll)


@dataclass(frozen=True)
class PerplexitySummary:
    """A mean perplexity and what went into it."""

    mean: float
    n_total: int
    n_used: int
    n_dropped: int  # by the gate (≥ gate or NaN); 0 without a gate
    n_nonfinite: int  # NaN or infinite values among all examples
    outlier_gate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mean_perplexity(values: Sequence[float] | np.ndarray, outlier_gate: float | None = None
                    ) -> PerplexitySummary:
    """Mean of per-example perplexities; with ``outlier_gate``, values ≥ the gate and NaNs are
    dropped first (the authors' rule with :data:`AUTHORS_OUTLIER_GATE`) and counted.

    Example:
        >>> mean_perplexity([2.0, 4.0, 3e4]).mean, mean_perplexity([2.0, 4.0, 3e4], 1e4).mean
        (10002.0, 3.0)
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    keep = np.ones(len(values), dtype=bool)
    if outlier_gate is not None:
        keep = ~np.isnan(values) & (values < outlier_gate)
    used = values[keep]
    mean = float(used.mean()) if len(used) else float("nan")
    return PerplexitySummary(mean, len(values), int(keep.sum()), int((~keep).sum()),
                             int((~np.isfinite(values)).sum()), outlier_gate)

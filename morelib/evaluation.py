"""Score preference pairs with a reward model and tabulate accuracy and calibration per source.

Scoring is batched with dynamic padding and length bucketing (texts tokenised once, sorted by
their token counts, each batch padded to its longest row, scores returned in the original
order; ``bench/bench_scoring.py`` measures it against padding to the maximum length), through
the code path used in training:
``[BOS] + prompt + response + [EOS]`` (what :func:`morelib.models.encode_pairs` builds row by
row) and ``RewardModel.forward``.

Tables are tidy: one row per ``(source, metric)`` with a ``value``; ``source`` is each
evaluation source, ``pooled`` (all pairs merged) and ``mean`` (unweighted mean of the per-source
values, the paper's "Avg." convention for accuracy).

Example:
    >>> import numpy as np
    >>> table = metrics_table({"a": np.array([1.0, -0.5, 2.0]), "b": np.array([0.3, 0.1])})
    >>> float(table.query("source == 'pooled' and metric == 'accuracy'").value.iloc[0])
    0.8
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from morelib.calibration import calibration_summary
from morelib.data.schema import PreferencePair
from morelib.models import encode_rows, pad_rows

#: A scorer maps a list of pairs to their margins r(chosen) - r(rejected).
Scorer = Callable[[Sequence[PreferencePair]], np.ndarray]



#: Seconds between a progress bar's redraws. In a kernel every redraw of a widget bar is a
#: message on the IOPub channel, which drops messages past its high-water mark while nobody
#: reads it (nbval reads only after a cell ends): at most one redraw a second keeps a long cell
#: under that mark.
BAR_REFRESH_SECONDS = 1.0


def progress_bar(**kwargs):
    """A ``tqdm.auto`` bar (a widget in JupyterLab, text in a terminal) that redraws at most
    every :data:`BAR_REFRESH_SECONDS`."""
    return tqdm(mininterval=BAR_REFRESH_SECONDS, **kwargs)

def _buckets(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


@torch.inference_mode()
def score_texts(model: torch.nn.Module, tokenizer: Any, prompts: Sequence[str],
                responses: Sequence[str], batch_size: int = 16, max_length: int = 512,
                progress: bool | str = False) -> np.ndarray:
    """Rewards of ``prompt + response`` texts (float64 ``[N]``), tokenised once by
    :func:`morelib.models.encode_rows`, batched longest first by token count, each batch padded
    to its longest row (:func:`morelib.models.pad_rows`), through the RM's forward: the one
    scoring path that evaluation and best-of-n selection share (and training's, row for row).
    ``progress`` shows a bar over the texts (rate and ETA; ``tqdm.auto``: a widget in
    notebooks, stderr in a terminal), named by it if it is a string (default ``scoring``).

    Example:
        >>> from morelib.models import RewardModel, load_tokenizer
        >>> rm, tok = RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")
        >>> score_texts(rm, tok, ["Q:", "Q:"], [" yes", " no"]).shape
        (2,)
    """
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
    texts = [p + r for p, r in zip(prompts, responses)]
    rewards = np.zeros(len(texts), dtype=np.float64)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        rows = encode_rows(tokenizer, texts, max_length) if texts else []
        bar = progress_bar(total=len(rows), unit="text", disable=not progress,
                           desc=progress if isinstance(progress, str) else "scoring")
        for batch in _buckets([len(row) for row in rows], batch_size):
            enc = pad_rows(tokenizer, [rows[i] for i in batch])
            out = model(input_ids=enc["input_ids"].to(device),
                        attention_mask=enc["attention_mask"].to(device))
            rewards[batch] = out.rewards.float().cpu().numpy()
            bar.update(len(batch))
        bar.close()
    finally:
        model.train(was_training)
    return rewards


def score_pairs(model: torch.nn.Module, tokenizer: Any, pairs: Sequence[PreferencePair],
                batch_size: int = 16, max_length: int = 512, progress: bool | str = False
                ) -> np.ndarray:
    """Rewards of chosen and rejected responses, as an array ``[n_pairs, 2]`` (``batch_size``
    pairs, i.e. twice as many texts, per forward pass).

    Example:
        >>> from morelib.models import RewardModel, load_tokenizer
        >>> rm = RewardModel.from_name("tiny-llama")
        >>> pairs = [PreferencePair("Q:", " yes", " no", "s", "0")]
        >>> score_pairs(rm, load_tokenizer("tiny-llama"), pairs).shape
        (1, 2)
    """
    prompts = [p.prompt for p in pairs]
    responses = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    rewards = score_texts(model, tokenizer, prompts + prompts, responses, 2 * batch_size,
                          max_length, progress)
    return rewards.reshape(2, len(pairs)).T


def rm_scorer(model: torch.nn.Module, tokenizer: Any, batch_size: int = 16,
              max_length: int = 512, progress: bool | str = False) -> Scorer:
    """A :data:`Scorer` (pairs → margins) for one reward model."""
    def score(pairs: Sequence[PreferencePair]) -> np.ndarray:
        r = score_pairs(model, tokenizer, pairs, batch_size, max_length, progress)
        return r[:, 0] - r[:, 1]
    return score


def true_probabilities(pairs: Sequence[PreferencePair], key: str = "p_source") -> np.ndarray | None:
    """``metadata[key]`` of every pair (simulator ground truth), or ``None`` if any lacks it."""
    values = [p.metadata.get(key) for p in pairs]
    if not values or any(v is None for v in values):
        return None
    return np.asarray(values, dtype=np.float64)


#: The metrics ``intervals=True`` adds (95 %; the ECE noise floor is its mean).
INTERVAL_METRICS = ("accuracy_low", "accuracy_high", "ece_low", "ece_high", "ece_noise_floor")


def uncertainty(margins: np.ndarray) -> dict[str, float]:
    """95 % intervals of accuracy (Wilson, ties counting half) and ECE (pair bootstrap, 1,000
    replicates) and the ECE noise floor (:func:`morelib.calibration.ece_noise_floor`), seeded.

    Example:
        >>> u = uncertainty(np.array([1.0, -0.5, 2.0, 0.3]))
        >>> list(u) == list(INTERVAL_METRICS), u["accuracy_low"] < 0.75 < u["accuracy_high"]
        (True, True)
    """
    from morelib.calibration import accuracy, bootstrap_ece, ece_noise_floor
    from morelib.stats.intervals import wilson_interval

    low, high = wilson_interval(accuracy(margins) * margins.size, margins.size)
    boot = bootstrap_ece(margins, seed=0)
    return dict(zip(INTERVAL_METRICS, map(float, (low, high, boot.low, boot.high,
                                                  ece_noise_floor(margins).mean))))


def metrics_table(margins: Mapping[str, np.ndarray],
                  p_true: Mapping[str, np.ndarray | None] | None = None,
                  columns: Mapping[str, Any] | None = None,
                  intervals: bool = False) -> pd.DataFrame:
    """Tidy ``source, metric, value`` table for margins per source, plus ``pooled`` and ``mean``.

    ``columns`` become constant columns (e.g. ``{"model": "MORE", "seed": 0}``). ``intervals``
    adds :func:`uncertainty`'s metrics for every non-empty source and ``pooled`` (not ``mean``).
    """
    p_true = dict(p_true or {})
    rows: list[dict[str, Any]] = []
    per_source: dict[str, dict[str, float]] = {}
    for name, m in margins.items():
        summary = calibration_summary(np.asarray(m, dtype=np.float64), p_true=p_true.get(name))
        per_source[name] = summary
        rows += [{"source": name, "metric": k, "value": float(v)} for k, v in summary.items()]
    if len(margins) > 1:
        merged = np.concatenate([np.asarray(m, dtype=np.float64) for m in margins.values()])
        truths = [p_true.get(n) for n in margins]
        merged_truth = None if any(t is None for t in truths) else np.concatenate(truths)
        pooled = calibration_summary(merged, p_true=merged_truth)
        rows += [{"source": "pooled", "metric": k, "value": float(v)} for k, v in pooled.items()]
        for metric in pooled:
            values = [s[metric] for s in per_source.values() if metric in s]
            if metric != "n_pairs" and len(values) == len(per_source):
                rows.append({"source": "mean", "metric": metric, "value": float(np.mean(values))})
    if intervals:
        named = {n: np.asarray(m, dtype=np.float64) for n, m in margins.items()}
        if len(named) > 1:
            named["pooled"] = np.concatenate(list(named.values()))
        rows += [{"source": name, "metric": k, "value": v} for name, m in named.items()
                 if m.size for k, v in uncertainty(m).items()]
    table = pd.DataFrame(rows, columns=["source", "metric", "value"])
    for key, value in (columns or {}).items():
        table[key] = value
    return table


def evaluate_scorer(scorer: Scorer, sources: Mapping[str, Sequence[PreferencePair]],
                    columns: Mapping[str, Any] | None = None,
                    intervals: bool = False) -> pd.DataFrame:
    """Metrics of any scorer (an RM or an ensemble) on each source; see :func:`metrics_table`."""
    margins = {name: scorer(list(pairs)) for name, pairs in sources.items()}
    truth = {name: true_probabilities(list(pairs)) for name, pairs in sources.items()}
    return metrics_table(margins, truth, columns, intervals)


def evaluate_sources(model: torch.nn.Module, tokenizer: Any,
                     sources: Mapping[str, Sequence[PreferencePair]], batch_size: int = 16,
                     max_length: int = 512, columns: Mapping[str, Any] | None = None,
                     progress: bool = False, intervals: bool = False) -> pd.DataFrame:
    """Score every source with one RM and tabulate all metrics (tidy; ``intervals``: see
    :func:`metrics_table`)."""
    return evaluate_scorer(rm_scorer(model, tokenizer, batch_size, max_length, progress),
                           sources, columns, intervals)

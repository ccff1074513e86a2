"""MORE's λ over training and the head-gradient cosines between sources, from a suite RM's
``lambda_history.jsonl`` (keys as in :mod:`morelib.weighting.diagnostics`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from morelib.weighting.diagnostics import COSINE, LAMBDA, columns_of


def lambda_history(model_folder: str | Path | None) -> pd.DataFrame:
    """The training history (λ, losses, head-gradient norms and cosines per step) of a suite RM:
    ``<entry>/lambda_history.jsonl`` beside ``<entry>/model``; empty when absent."""
    if model_folder is None:
        return pd.DataFrame()
    path = Path(model_folder).parent / "lambda_history.jsonl"
    if not path.exists():
        return pd.DataFrame()
    with open(path) as f:
        return pd.DataFrame([json.loads(line) for line in f if line.strip()])


def lambda_long(history: pd.DataFrame, kind: str = LAMBDA) -> pd.DataFrame:
    """``step, source, lambda`` rows from a history's ``lambda/<source>`` columns (averaged over
    the micro-batches of a step); another per-source ``kind`` (e.g. ``"loss"``) gives its
    values under ``lambda``.

    Example:
        >>> h = pd.DataFrame({"step": [0, 0, 1], "lambda/a": [.2, .4, .5], "lambda/b": [.8, .6, .5]})
        >>> lambda_long(h).round(2).values.tolist()
        [[0, 'a', 0.3], [0, 'b', 0.7], [1, 'a', 0.5], [1, 'b', 0.5]]
    """
    cols = columns_of(history.columns, kind)
    if not cols:
        return pd.DataFrame(columns=["step", "source", "lambda"])
    long = history.rename(columns={c: s for s, c in cols.items()}).melt(
        id_vars="step", value_vars=list(cols), var_name="source", value_name="lambda")
    return long.groupby(["step", "source"], sort=False)["lambda"].mean().reset_index() \
        .sort_values(["step", "source"], kind="stable").reset_index(drop=True)


def lambda_summary(history: pd.DataFrame) -> pd.DataFrame:
    """Per source: mean λ over training, over its first and last quarter of steps, and the
    mean λ-free head-gradient cosine with the other sources. Columns: ``source, lambda_mean,
    lambda_first, lambda_last, uniform, mean_cosine``."""
    long = lambda_long(history)
    if long.empty:
        return pd.DataFrame(columns=["source", "lambda_mean", "lambda_first", "lambda_last",
                                     "uniform", "mean_cosine"])
    steps = np.sort(long.step.unique())
    q = max(1, len(steps) // 4)
    first, last = set(steps[:q]), set(steps[-q:])
    k = long.source.nunique()
    rows, cosines = [], columns_of(history.columns, COSINE)
    for src, part in long.groupby("source", sort=False):
        cos = [history[c].mean() for pair, c in cosines.items() if src in pair]
        rows.append({"source": src, "lambda_mean": part["lambda"].mean(),
                     "lambda_first": part[part.step.isin(first)]["lambda"].mean(),
                     "lambda_last": part[part.step.isin(last)]["lambda"].mean(),
                     "uniform": 1.0 / k,
                     "mean_cosine": float(np.nanmean(cos)) if cos else np.nan})
    return pd.DataFrame(rows)


def lambda_spread(history: pd.DataFrame) -> dict[str, float]:
    """How far MORE's λ stayed from uniform: per history row (one λ per weighting step, i.e.
    per micro-step) max_i |λ_i − 1/K|, its ``lambda_spread_mean`` and ``lambda_spread_max``
    over the rows, and ``lambda_steps`` (the number of rows); NaN and 0 without a history.
    At K = 2 with l2-normalised gradients it is 0 by construction
    (:class:`~morelib.weighting.MoreWeighting`): stratified batching with uniform weights.

    Example:
        >>> h = pd.DataFrame({"step": [0, 0, 1], "lambda/a": [.5, .4, .5], "lambda/b": [.5, .6, .5]})
        >>> {k: round(v, 4) for k, v in lambda_spread(h).items()}
        {'lambda_spread_mean': 0.0333, 'lambda_spread_max': 0.1, 'lambda_steps': 3}
    """
    cols = list(columns_of(history.columns, LAMBDA).values())
    if not cols or history.empty:
        return {"lambda_spread_mean": np.nan, "lambda_spread_max": np.nan, "lambda_steps": 0}
    spread = np.abs(history[cols].to_numpy(float) - 1.0 / len(cols)).max(axis=1)
    return {"lambda_spread_mean": float(spread.mean()), "lambda_spread_max": float(spread.max()),
            "lambda_steps": len(spread)}

"""The paper's families of reward models, trained once and cached, and their scores.

Schemes (``paper.md`` §6):

* ``raw``: the untrained backbone with its freshly initialised head;
* ``single``: one RM per training source (``single/<source>``); the paper's *Top* picks, for each
  test set, the best of them, and *Averaging* is their mean reward;
* ``multitask``: plain mean loss over uniformly mixed batches;
* ``more``: MORE's min-norm λ over stratified groups.

Every trained RM lives in a :class:`~morelib.runs.RunCache` entry keyed by its training config
and the data's key, so notebooks share RMs and a killed run resumes (the Trainer's checkpoints
sit inside the entry). Scores are cached the same way, as a long table with one row per
``(rm, test, pair)``: ``margin = r(chosen) − r(rejected)`` plus the simulator's ground truth
when present. Every metric table is computed from that one table.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.calibration import accuracy
from morelib.devices import place
from morelib.evaluation import metrics_table, rm_scorer, true_probabilities
from morelib.experiments.data import ExperimentData
from morelib.runs import RunCache
from morelib.training import RMTrainingConfig, train_reward_model
from morelib.training.launch import run_identity
from morelib.vocabulary import RM_SCHEMES as SCHEMES
from morelib.vocabulary import SCHEMES as VOCABULARY


def rm_configs(base: RMTrainingConfig, data: ExperimentData,
               schemes: Iterable[str] = SCHEMES) -> dict[str, tuple[RMTrainingConfig | None,
                                                                     list[Any]]]:
    """``{rm name: (config or None for raw, its training sources)}`` for the chosen schemes.

    Example:
        >>> from morelib.experiments.data import simulator_data
        >>> data = simulator_data(4, 2, sources=("helpful", "harmless"))
        >>> specs = rm_configs(RMTrainingConfig(model="tiny-llama"), data)
        >>> {k: (v[0].strategy if v[0] else None, len(v[1])) for k, v in specs.items()}
        {'raw': (None, 0), 'single/helpful': ('mean', 1), 'single/harmless': ('mean', 1), 'multitask': ('mean', 2), 'more': ('more', 2)}
    """
    schemes = list(schemes)
    unknown = set(schemes) - set(SCHEMES)
    if unknown:
        raise ValueError(f"unknown schemes {sorted(unknown)}; known: {SCHEMES}")
    k = len(data.train)
    specs: dict[str, tuple[RMTrainingConfig | None, list[Any]]] = {}
    if "raw" in schemes:
        specs["raw"] = (None, [])
    if "single" in schemes:
        for src in data.train:
            # same number of pairs per step as the mixtures, so steps are comparable
            cfg = dataclasses.replace(base, strategy=VOCABULARY["single"].strategy, n_sources=1,
                                      groups_per_device_batch=base.groups_per_device_batch * k)
            specs[f"single/{src.name}"] = (cfg, [src])
    for name in ("multitask", "more"):
        if name in schemes:
            specs[name] = (dataclasses.replace(base, strategy=VOCABULARY[name].strategy,
                                               n_sources=k), data.train)
    return specs


def _train_key(config: RMTrainingConfig, data: ExperimentData, sources: Sequence[Any]) -> dict:
    # the config holds world_size / bf16 / tf32; "run" spells out what they change (global
    # batch, precision), so an RM trained at 10 pairs per step never stands in for one at 80
    return {"config": config, "run": run_identity(config), "data": data.train_key,
            "sources": [s.name for s in sources]}


def train_suite(cache: RunCache, base: RMTrainingConfig, data: ExperimentData,
                schemes: Iterable[str] = SCHEMES, progress: bool = True) -> dict[str, Path | None]:
    """Train (or load from the cache) every RM of the schemes; ``{name: model folder}``
    (``None`` for ``raw``, which is built from the config's model name when scored).
    ``progress``: one line naming the cached RMs, a bar per RM trained (its name, ETA)."""
    configs = {name: (config, sources, _train_key(config, data, sources))
               for name, (config, sources) in rm_configs(base, data, schemes).items()
               if config is not None}
    cached = [name for name, (_, _, key) in configs.items() if cache.is_done("rm", key)]
    if progress and cached:
        print(f"[suite] cached: {', '.join(cached)}", flush=True)
    out: dict[str, Path | None] = {name: None for name in rm_configs(base, data, schemes)}
    for name, (config, sources, key) in configs.items():
        shown = dataclasses.replace(config, progress=progress)  # not part of the key
        out[name] = cache.cached(
            "rm", key, build=lambda path, c=shown, s=sources, n=name: _build(path, c, s, n),
            load=lambda path: path / "model")
    return out


def _build(path: Path, config: RMTrainingConfig, sources: Sequence[Any], name: str) -> Path:
    train_reward_model(config, sources, str(path), label=name)
    return path / "model"


def load_suite_model(folder: Path | None, base: RMTrainingConfig, device: Any = None):
    """(model, tokenizer) for a suite entry; ``None`` gives the untrained *Raw* RM. The model
    is on ``device`` (default: :func:`morelib.devices.best_device`, the GPU when there is one),
    where every scoring call runs it, in batches, with its inputs moved to it.

    When the suite trains with the frozen-prefix cache (``base.prefix_cache``), the model scores
    through the same shared cache: its frozen lower layers are the base model's, so every RM of
    the suite reuses one prefix pass per text (a model whose prefix weights differ gets its own
    fingerprint and never hits another's entries; scores are unchanged).

    Example:
        >>> rm, tok = load_suite_model(None, RMTrainingConfig(model="tiny-llama",
        ...     trainable_top_layers=1, prefix_cache=True))
        >>> rm.prefix_runner.k
        1
    """
    from morelib.models import RewardModel, load_reward_model, load_tokenizer
    from morelib.models.prefix_cache import enable_prefix_cache
    from morelib.models.prefix_store import shared_prefix_cache

    if folder is None:
        model, tok = RewardModel.from_name(base.model, seed=base.seed), load_tokenizer(base.model)
    else:
        model, tok = load_reward_model(folder), load_tokenizer(folder)
    if base.prefix_cache:
        enable_prefix_cache(model, base.trainable_top_layers,
                            shared_prefix_cache(base.prefix_cache_dir or None))
    return place(model, device).eval(), tok


def score_suite(cache: RunCache, models: Mapping[str, Path | None], base: RMTrainingConfig,
                data: ExperimentData, progress: bool = True) -> pd.DataFrame:
    """Long table ``rm, test, pair, margin, p_source, p_shared`` for every RM on every test;
    ``progress``: a bar per RM scored (all its test sets in one pass; none for cached scores)."""
    frames = []
    for name, folder in models.items():
        # a trained RM is identified by its cache entry (the hash of its training key)
        rm_id = folder.parent.name if folder is not None else {"raw": base.model,
                                                               "seed": base.seed}
        key = {"rm": rm_id,
               "tests": data.key, "test_names": sorted(data.tests),
               "max_length": base.max_length}

        def compute(name=name, folder=folder) -> pd.DataFrame:
            model, tok = load_suite_model(folder, base)
            score = rm_scorer(model, tok, base.eval_batch_size, base.max_length,
                              progress=progress and f"scoring {name}")
            margin = score([p for pairs in data.tests.values() for p in pairs])
            parts, start = [], 0
            for test, pairs in data.tests.items():
                part = pd.DataFrame({"test": test, "pair": np.arange(len(pairs)),
                                     "margin": margin[start:start + len(pairs)]})
                start += len(pairs)
                for col in ("p_source", "p_shared"):
                    truth = true_probabilities(pairs, col)
                    part[col] = truth if truth is not None else np.nan
                parts.append(part)
            return pd.concat(parts, ignore_index=True)

        frame = cache.cached_frame("scores", key, compute).copy()
        frame.insert(0, "rm", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def suite_metrics(scores: pd.DataFrame, columns: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Tidy metrics (``rm, source, metric, value``) for every RM in a score table, plus the
    paper's *Averaging* and *Top* (see :func:`with_ensembles`) when single-source RMs are present.

    Example:
        >>> # averaging: margins (1-1)/2 = 0 (a tie, half credit) and (2+3)/2 > 0
        >>> s = pd.DataFrame({"rm": ["single/a"] * 2 + ["single/b"] * 2, "test": ["a"] * 4,
        ...                   "pair": [0, 1, 0, 1], "margin": [1.0, 2.0, -1.0, 3.0]})
        >>> t = suite_metrics(s)
        >>> t[(t.metric == "accuracy") & (t.source == "a")].set_index("rm").value.to_dict()
        {'single/a': 1.0, 'single/b': 0.5, 'averaging': 0.75, 'top': 1.0}
    """
    tables = [_table(part, {**dict(columns or {}), "rm": rm})
              for rm, part in with_ensembles(scores).groupby("rm", sort=False)]
    return pd.concat(tables, ignore_index=True)


def _table(part: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    margins, truth = {}, {}
    for test, rows in part.groupby("test", sort=False):
        margins[test] = rows.margin.to_numpy()
        p = rows.p_source.to_numpy() if "p_source" in rows else None
        truth[test] = None if p is None or np.isnan(p).any() else p
    return metrics_table(margins, truth, columns)


def with_ensembles(scores: pd.DataFrame) -> pd.DataFrame:
    """``scores`` plus rows for ``averaging`` (mean margin of the ``single/*`` RMs) and ``top``
    (per test set, the margins of the single-source RM with the best accuracy; its name in
    ``picked``). Unchanged without single-source RMs."""
    singles = [rm for rm in scores.rm.unique() if str(rm).startswith("single/")]
    if not singles:
        return scores
    part = scores[scores.rm.isin(singles)]
    keep = [c for c in scores.columns if c not in ("rm", "margin")]
    avg = part.groupby(["test", "pair"], sort=False).agg(
        **{c: (c, "first") for c in keep if c not in ("test", "pair")},
        margin=("margin", "mean")).reset_index()
    avg["rm"] = "averaging"
    tops = []
    for test, rows in part.groupby("test", sort=False):
        acc = {rm: accuracy(r.margin.to_numpy()) for rm, r in rows.groupby("rm", sort=False)}
        best = max(singles, key=lambda rm: acc.get(rm, -1.0))
        top = rows[rows.rm == best].copy()
        top["picked"], top["rm"] = best, "top"
        tops.append(top)
    return pd.concat([scores, avg[scores.columns], *tops], ignore_index=True)

"""Scaling sweeps (paper §10.4, Fig. 6, and Table 2's size axis): model size × number of mixed
sources K × training-set size, built on :func:`~morelib.experiments.train_suite` and
:func:`~morelib.experiments.score_suite` (every RM is cached, so re-runs and other notebooks
share them).

For each model:

* the single-source RMs are trained once on the full data (the same cache entries as notebooks
  01, 02 and 04 when the base config matches); *Top* picks, per test set, the best of them over
  all sources (the paper's black dashed line in Fig. 6);
* MultiTask and MORE are trained on the first K sources in the paper's order
  (:func:`~morelib.data.mixing.select_sources`) for each K in ``ks``;
* at the largest K, MultiTask and MORE are also trained on ``n`` pairs per source for each
  ``n`` in ``train_sizes`` (the paper has no such sweep).

Everything is scored on the evaluation tests (by default Helpful and Harmless, as Fig. 6's y
axis implies), giving one long table (:func:`sweep_scores`) from which :func:`sweep_metrics`
computes accuracy and ECE with bootstrap intervals; :func:`sweep_lambda_spread` says per MORE RM
how far λ stayed from uniform (0 at K = 2, where MORE with l2-normalised gradients is stratified
batching with uniform weights: :class:`~morelib.weighting.MoreWeighting`).

Example (a toy sweep on tiny models: a few seconds):
    >>> import tempfile
    >>> from morelib.experiments import simulator_data
    >>> from morelib.runs import RunCache
    >>> from morelib.training import RMTrainingConfig
    >>> base = RMTrainingConfig(model="tiny-bert", max_steps=1, max_length=32,
    ...                         gradient_accumulation_steps=1, learning_rate=1e-3)
    >>> make = lambda n: simulator_data(n, 4, sources=("helpful", "harmless", "oasst1"))
    >>> s = sweep_scores(RunCache(tempfile.mkdtemp()), base, make, ["tiny-bert-d32"],
    ...                  n_train=4, ks=[2, 3], train_sizes=[2], progress=False)
    >>> s.groupby(["k", "n_train"]).rm.nunique().to_dict()   # the singles sit at K = 3
    {(2, 4): 2, (3, 2): 2, (3, 4): 5}
    >>> m = sweep_metrics(s, n_boot=20)
    >>> sorted(m[m.test == "H&H"].scheme.unique())
    ['MORE', 'MultiTask', 'Top']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from morelib.calibration import accuracy, bootstrap_ece
from morelib.data.mixing import select_sources
from morelib.experiments.data import ExperimentData
from morelib.experiments.suite import score_suite, train_suite
from morelib.runs import RunCache
from morelib.stats import Finding, bootstrap_accuracy, percentile_interval
from morelib.training import RMTrainingConfig
from morelib.vocabulary import SOURCES, scheme_name

HH = ("helpful", "harmless")


def _subset(data: ExperimentData, k: int, tests: Sequence[str]) -> ExperimentData:
    """The first ``k`` sources (paper order) and only the evaluation tests; the data key is
    unchanged (each RM's cache key already names its training sources)."""
    order = [s for s in SOURCES if s in data.source_names] or data.source_names
    return ExperimentData(select_sources(data.train, k, order=order),
                          {t: data.tests[t] for t in tests}, data.key, data.train_key)


@dataclass(frozen=True)
class SweepStep:
    """One training call of a sweep: ``schemes`` of ``config`` on ``data`` (its evaluation
    tests only), reported at ``(model, k, n_train)``."""

    model: str
    k: int
    n_train: int
    config: RMTrainingConfig
    data: ExperimentData
    schemes: tuple[str, ...]


def sweep_plan(base: RMTrainingConfig, make_data: Callable[[int], ExperimentData],
               models: Sequence[str], n_train: int, ks: Sequence[int] = (2, 3, 4, 5),
               train_sizes: Sequence[int] = (), tests: Sequence[str] | None = None
               ) -> list[SweepStep]:
    """Every training call of a sweep (arguments as :func:`sweep_scores`), in order, without
    training anything: what :func:`sweep_scores` runs and what the launcher
    (``python -m morelib.suite_setup``) trains before the notebook.

    Example:
        >>> from morelib.experiments import simulator_data
        >>> make = lambda n: simulator_data(n, 2, sources=("helpful", "harmless", "oasst1"))
        >>> plan = sweep_plan(RMTrainingConfig(model="x"), make, ["tiny-bert"], 4, [2, 3], [2])
        >>> [(s.model, s.k, s.n_train, s.schemes) for s in plan]  # doctest: +NORMALIZE_WHITESPACE
        [('tiny-bert', 3, 4, ('single',)), ('tiny-bert', 2, 4, ('multitask', 'more')),
         ('tiny-bert', 3, 4, ('multitask', 'more')), ('tiny-bert', 3, 2, ('multitask', 'more'))]
    """
    full = make_data(n_train)
    if tests is None:
        tests = [t for t in full.tests if t.split(" ")[0] in HH]
    tests = list(tests)
    steps = []
    for model in models:
        cfg = dataclasses.replace(base, model=model)
        steps.append(SweepStep(model, len(full.train), n_train, cfg,
                               _subset(full, len(full.train), tests), ("single",)))
        steps += [SweepStep(model, k, n_train, cfg, _subset(full, k, tests), ("multitask", "more"))
                  for k in ks]
        for n in train_sizes:
            if n != n_train:
                steps.append(SweepStep(model, max(ks), n, cfg,
                                       _subset(make_data(n), max(ks), tests),
                                       ("multitask", "more")))
    return steps


def sweep_scores(cache: RunCache, base: RMTrainingConfig,
                 make_data: Callable[[int], ExperimentData], models: Sequence[str],
                 n_train: int, ks: Sequence[int] = (2, 3, 4, 5),
                 train_sizes: Sequence[int] = (), tests: Sequence[str] | None = None,
                 progress: bool = True) -> pd.DataFrame:
    """Train (or load) every RM of the sweep and score it: a long table ``model, k, n_train,
    rm, test, pair, margin, p_source, p_shared`` (single-source RMs have ``k`` = the number of
    sources and the full ``n_train``).

    Args:
        base: the training config; its ``model`` is replaced by each of ``models``.
        make_data: ``n`` → the experiment data with ``n`` training pairs per source (the same
            test sets for every ``n``), e.g. ``lambda n: simulator_data(n, ...)``.
        n_train: training pairs per source of the K sweep (and of the single-source RMs).
        ks: numbers of mixed sources (first K in the paper's order).
        train_sizes: extra training-set sizes for MultiTask and MORE at the largest K.
        tests: evaluation tests (default: Helpful and Harmless plus their ``(real)`` versions
            when present).
    """
    frames = []
    for step in sweep_plan(base, make_data, models, n_train, ks, train_sizes, tests):
        if progress:
            what = ("single-source RMs" if step.schemes == ("single",)
                    else f"K={step.k}, n={step.n_train}")
            print(f"[sweep] {step.model}: {what}", flush=True)
        rms = train_suite(cache, step.config, step.data, step.schemes, progress=progress)
        scores = score_suite(cache, rms, step.config, step.data, progress=progress)
        scores.insert(0, "n_train", step.n_train)
        scores.insert(0, "k", step.k)
        scores.insert(0, "model", step.model)
        frames.append(scores)
    return pd.concat(frames, ignore_index=True)


def sweep_lambda_spread(cache: RunCache, base: RMTrainingConfig,
                        make_data: Callable[[int], ExperimentData], models: Sequence[str],
                        n_train: int, ks: Sequence[int] = (2, 3, 4, 5),
                        train_sizes: Sequence[int] = (), tests: Sequence[str] | None = None
                        ) -> pd.DataFrame:
    """``model, k, n_train, scheme, lambda_spread_mean, lambda_spread_max, lambda_steps`` per
    MORE RM of the sweep (arguments as :func:`sweep_scores`, which trains them; an RM not yet
    in the cache is trained here): how far its λ stayed from uniform over training
    (:func:`morelib.analysis.lambda_spread`). At K = 2 it is 0 with l2-normalised gradients:
    MORE there is stratified batching with uniform weights, not a re-weighting.

    Example:
        >>> import tempfile
        >>> from morelib.experiments import simulator_data
        >>> base = RMTrainingConfig(model="tiny-bert", max_steps=2, max_length=32,
        ...                         gradient_accumulation_steps=1, learning_rate=1e-3)
        >>> make = lambda n: simulator_data(n, 4, sources=("helpful", "harmless", "oasst1"))
        >>> t = sweep_lambda_spread(RunCache(tempfile.mkdtemp()), base, make, ["tiny-bert"],
        ...                         n_train=4, ks=[2, 3])
        >>> t.k.tolist(), t.lambda_steps.tolist(), t.lambda_spread_max.tolist()[0]  # K=2: uniform
        ([2, 3], [2, 2], 0.0)
        >>> bool(t.lambda_spread_max.iloc[1] > 0.01)                           # K=3: not
        True
    """
    from morelib.analysis.lambdas import lambda_history, lambda_spread

    rows = []
    for step in sweep_plan(base, make_data, models, n_train, ks, train_sizes, tests):
        if "more" in step.schemes:
            folder = train_suite(cache, step.config, step.data, ["more"], progress=False)["more"]
            rows.append({"model": step.model, "k": step.k, "n_train": step.n_train,
                         "scheme": scheme_name("more"), **lambda_spread(lambda_history(folder))})
    return pd.DataFrame(rows, columns=["model", "k", "n_train", "scheme", "lambda_spread_mean",
                                       "lambda_spread_max", "lambda_steps"])


def _row_values(margins: dict[str, np.ndarray], n_boot: int, ci: float, seed: int) -> list:
    """``(test, metric, value, low, high)`` per test and for the mean over tests (the paper's
    Table 1 convention for H&H): accuracy and ECE with ``ci`` percentile bootstrap intervals
    (tests resampled independently; the mean's interval is that of the mean replicate).

    Example:
        >>> m = {"helpful": np.array([1.0, -0.5, 2.0, 0.3]), "harmless": np.array([0.4, -1.0])}
        >>> rows = _row_values(m, 20, 0.9, 0)
        >>> [(t, metric) for t, metric, *_ in rows]  # doctest: +NORMALIZE_WHITESPACE
        [('helpful', 'accuracy'), ('helpful', 'ece'), ('harmless', 'accuracy'),
         ('harmless', 'ece'), ('H&H', 'accuracy'), ('H&H', 'ece')]
    """
    out, values, replicates = [], {"accuracy": [], "ece": []}, {"accuracy": [], "ece": []}
    for test, m in margins.items():
        acc_reps = bootstrap_accuracy(m, n_boot, seed)
        ece = bootstrap_ece(m, n_boot=n_boot, ci=ci, seed=seed)
        for metric, value, reps in (("accuracy", accuracy(m), acc_reps),
                                    ("ece", ece.estimate, ece.replicates)):
            values[metric].append(value)
            replicates[metric].append(reps)
            low, high = (ece.low, ece.high) if metric == "ece" else percentile_interval(reps, ci)
            out.append((test, metric, value, low, high))
    if len(margins) > 1:
        name = "H&H" if set(margins) == set(HH) else "mean"
        for metric in ("accuracy", "ece"):
            out.append((name, metric, float(np.mean(values[metric])),
                        *percentile_interval(np.mean(replicates[metric], axis=0), ci)))
    return out


def sweep_metrics(scores: pd.DataFrame, n_boot: int = 1000, ci: float = 0.95,
                  seed: int = 0) -> pd.DataFrame:
    """Tidy ``model, k, n_train, scheme, test, metric, value, low, high`` from
    :func:`sweep_scores`: accuracy and ECE per test set and their mean over the simulator's
    Helpful and Harmless tests (``test = "H&H"``; over the real ones, ``"H&H (real)"``), with
    percentile bootstrap intervals over pairs. *Top* (one row set per model, at the singles'
    ``k``) takes, per test set, the single-source RM with the best accuracy.
    Example: the module docstring."""
    rows = []
    groups = scores.groupby(["model", "k", "n_train"], sort=False)
    for (model, k, n), part in groups:
        singles = part[part.rm.str.startswith("single/")]
        entries: dict[str, dict[str, np.ndarray]] = {}
        for rm, rows_rm in part[~part.rm.str.startswith("single/")].groupby("rm", sort=False):
            entries[rm] = {t: r.sort_values("pair").margin.to_numpy(float)
                           for t, r in rows_rm.groupby("test", sort=False)}
        if len(singles):
            top = {}
            for test, rows_t in singles.groupby("test", sort=False):
                best = max(rows_t.rm.unique(),
                           key=lambda rm: accuracy(rows_t[rows_t.rm == rm].margin.to_numpy()))
                top[test] = rows_t[rows_t.rm == best].sort_values("pair").margin.to_numpy(float)
            entries["top"] = top
        for rm, margins in entries.items():
            for suffix in ("", " (real)"):
                chosen = {t: m for t, m in margins.items()
                          if t.endswith(suffix) and (suffix or not t.endswith(" (real)"))}
                if not chosen:
                    continue
                plain = {t[: len(t) - len(suffix)] if suffix else t: m for t, m in chosen.items()}
                for test, metric, value, low, high in _row_values(plain, n_boot, ci, seed):
                    rows.append((model, k, n, scheme_name(rm), test + suffix, metric,
                                 float(value), float(low), float(high)))
    return pd.DataFrame(rows, columns=["model", "k", "n_train", "scheme", "test", "metric",
                                       "value", "low", "high"])


def model_sizes(models: Sequence[str]) -> pd.DataFrame:
    """``model, layers, hidden, parameters, non_embedding``: what each model of a sweep is (RM
    = backbone + head), counted on the meta device from each model's config: no weights are
    loaded or downloaded (:func:`morelib.models.shape.model_shape`).

    Example:
        >>> model_sizes(["tiny-bert-d32"])[["layers", "hidden"]].values.tolist()
        [[2, 32]]
    """
    from morelib.models.shape import model_shape

    rows = []
    for name in models:
        shape = model_shape(name)
        total = shape.parameters + shape.hidden  # the bias-free reward head
        rows.append((name, shape.layers, shape.hidden, total, total - shape.embedding))
    return pd.DataFrame(rows, columns=["model", "layers", "hidden", "parameters",
                                       "non_embedding"])


def model_label(name: str, sizes: pd.DataFrame | None = None) -> str:
    """A short panel title for a model of a sweep: the hub name without its organisation, plus
    its parameter count when ``sizes`` (from :func:`model_sizes`) lists it.

    Example:
        >>> sizes = pd.DataFrame({"model": ["org/m@layers=2"], "parameters": [15_480_000]})
        >>> model_label("org/m@layers=2", sizes), model_label("tiny-bert")
        ('m@layers=2 (15.5M)', 'tiny-bert')
    """
    short = name.split("/", 1)[-1] if "/" in name.split("@", 1)[0] else name
    if sizes is not None and name in set(sizes.model):
        n = float(sizes.set_index("model").parameters[name])
        return f"{short} ({n / 1e6:.1f}M)" if n >= 1e5 else f"{short} ({n / 1e3:.0f}k)"
    return short


def findings(metrics: pd.DataFrame, sizes: pd.DataFrame, n_train: int,
             test: str = "H&H") -> list[Finding]:
    """Sentences (:class:`~morelib.stats.Finding`; claims ``ece_vs_k``, ``ece_more_vs_multitask``,
    ``ece_vs_train_size``) computed from :func:`sweep_metrics` (ECE and accuracy on ``test``): whether
    MORE's ECE falls from the smallest to the largest K and ends below Top's (the paper's
    Fig. 6 claim), MORE vs MultiTask at the largest K per model, and the train-size trend.
    When ``metrics`` carries :func:`sweep_lambda_spread`'s columns, the smallest K's λ spread
    is quoted (at K = 2: stratified-uniform batching).

    Example:
        >>> m = pd.DataFrame({"model": "a", "n_train": 8, "test": "H&H", "metric": "ece",
        ...                   "k": [2, 5, 2, 5, 5], "scheme": ["MORE", "MORE", "MultiTask",
        ...                   "MultiTask", "Top"], "value": [.08, .05, .07, .09, .06],
        ...                   "low": 0.0, "high": 1.0})
        >>> print(findings(m, pd.DataFrame({"model": ["a"], "parameters": [10]}), 8)[0])
        a: MORE's H&H ECE goes from 0.0800 (K=2) to 0.0500 (K=5) (falls), ending below Top's 0.0600; MultiTask goes from 0.0700 to 0.0900.
    """
    out = []
    ece = metrics[(metrics.test == test) & (metrics.metric == "ece")]
    for model in sizes.model:
        rows = ece[(ece.model == model) & (ece.n_train == n_train)]
        more = rows[rows.scheme == "MORE"].sort_values("k")
        mt = rows[rows.scheme == "MultiTask"].sort_values("k")
        top = rows[rows.scheme == "Top"]
        if len(more) < 2:
            continue
        first, last = more.iloc[0], more.iloc[-1]
        trend = "falls" if last.value < first.value else "does not fall"
        start = f"K={first.k}"
        if np.isfinite(first.get("lambda_spread_max", np.nan)):
            start += f", max |λ − 1/K| {first.lambda_spread_max:.1e} over training"
            if first.k == 2:
                start += ": stratified-uniform batching, not a re-weighting"
        text = (f"{model}: MORE's {test} ECE goes from {first.value:.4f} ({start}) to "
                f"{last.value:.4f} (K={last.k}) ({trend})")
        if len(top):
            t = float(top.value.iloc[0])
            where = "below" if last.value < t else "above"
            text += f", ending {where} Top's {t:.4f}"
        if len(mt) >= 2:
            text += f"; MultiTask goes from {mt.value.iloc[0]:.4f} to {mt.value.iloc[-1]:.4f}"
        out.append(Finding(text + ".", "ece_vs_k", estimate=last.value - first.value,
                           verdict=trend))
        if len(mt):
            a, b = last, mt.iloc[-1]
            overlap = a.low <= b.high and b.low <= a.high
            verdict = ("below" if a.value < b.value else "not below")
            out.append(Finding(
                f"{model}, K={last.k}: MORE's ECE {a.value:.4f} [{a.low:.4f}, {a.high:.4f}] "
                f"vs MultiTask's {b.value:.4f} [{b.low:.4f}, {b.high:.4f}]: "
                + (f"{verdict} as a point estimate, but the 95% intervals overlap, so no "
                   "difference can be claimed (the trends above are point estimates too)."
                   if overlap else f"{verdict}, and the 95% intervals do not overlap."),
                "ece_more_vs_multitask", estimate=a.value, ci_low=a.low, ci_high=a.high,
                verdict=("intervals overlap" if overlap else verdict)))
    sizes_rows = ece[ece.n_train != n_train]
    if len(sizes_rows):
        for (model, scheme), rows in ece[ece.scheme.isin(["MORE", "MultiTask"])
                                         & (ece.k == ece.k.max())].groupby(
                                             ["model", "scheme"], sort=False):
            rows = rows.sort_values("n_train")
            if rows.n_train.nunique() < 2:
                continue
            out.append(Finding(f"{model}, {scheme}: ECE {rows.value.iloc[0]:.4f} with "
                               f"{rows.n_train.iloc[0]} pairs per source, "
                               f"{rows.value.iloc[-1]:.4f} with {rows.n_train.iloc[-1]}.",
                               "ece_vs_train_size",
                               estimate=rows.value.iloc[-1] - rows.value.iloc[0]))
    return out

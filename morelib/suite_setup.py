"""The RM suite's cache, base config and data (:func:`suite_inputs`), and the launcher that
trains every RM of a profile and notebook 05's RJS policies (``morelib setup``, or
``python -m morelib.suite_setup`` under ``accelerate launch``).

The notebooks and the launcher build the suite from the profile's ``suite`` section
(:meth:`morelib.profile_sections.SuiteSpec.inputs`, which calls :func:`suite_inputs`), so they
build identical configurations and share the trained RMs through the
:class:`~morelib.runs.RunCache` (a trained RM is keyed by the hash of its config and data).

Example:
    >>> import tempfile
    >>> s = suite_inputs(cache_dir=tempfile.mkdtemp(), model="tiny-llama", n_train=4, n_test=2,
    ...                  sources=["helpful", "harmless"], seed=1, max_steps=1, use_real_data=False)
    >>> s.base.model, s.base.max_steps, s.data.source_names, {k: len(v) for k, v in s.data.tests.items()}
    ('tiny-llama', 1, ['helpful', 'harmless'], {'helpful': 2, 'harmless': 2})
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from morelib.experiments import ExperimentData, add_real_tests, hub_data, simulator_data
from morelib.runs import RunCache
from morelib.settings import data_dir
from morelib.training import RMTrainingConfig

REAL_SUFFIX = " (real)"
@dataclass
class SuiteInputs:
    cache: RunCache
    base: RMTrainingConfig
    data: ExperimentData

    @property
    def simulator_tests(self) -> list[str]:
        return [t for t in self.data.tests if not t.endswith(REAL_SUFFIX)]

    @property
    def real_tests(self) -> list[str]:
        return [t for t in self.data.tests if t.endswith(REAL_SUFFIX)]


def suite_inputs(*, cache_dir: str | Path, model: str, n_train: int, n_test: int,
                 sources: Sequence[str], seed: int = 42, conflict: float = 1.0,
                 use_real_data: bool = True, real_test_limit: int | None = None,
                 data_kind: str = "simulator", **config: Any) -> SuiteInputs:
    """Cache, base :class:`RMTrainingConfig` (``model``, ``seed`` and any of its fields given in
    ``config``, e.g. ``learning_rate``, ``max_steps``, ``lora_r``) and the simulator data, plus
    the real test sets when ``use_real_data`` and ``MORELIB_DATA_DIR`` is set. Unknown config
    names raise ``TypeError`` (a misspelt parameter is never silently dropped).
    ``data_kind``: ``simulator`` (default) or ``hub`` (the paper's five datasets through
    :func:`morelib.experiments.hub_data`: ``n_train`` pairs per source, the official test
    splits whole; ``n_test`` applies to the simulator only)."""
    known = {f.name for f in dataclasses.fields(RMTrainingConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise TypeError(f"not RMTrainingConfig fields: {unknown}")
    base = RMTrainingConfig(model=model, seed=seed, **config)
    if data_kind == "simulator":
        data = simulator_data(n_train, n_test, sources=tuple(sources), seed=seed,
                              conflict=conflict)
    elif data_kind == "hub":
        data = hub_data(n_train, sources=tuple(sources), seed=seed)  # official test splits
    else:
        raise ValueError(f"data_kind must be 'simulator' or 'hub', got {data_kind!r}")
    folder = data_dir() if use_real_data else None
    if folder is not None:
        data = add_real_tests(data, folder, limit=real_test_limit or None, suffix=REAL_SUFFIX)
    return SuiteInputs(RunCache(cache_dir), base, data)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m morelib.suite_setup``: parse ``argv`` and :func:`setup`."""
    import argparse

    from morelib.cli import add_setup_arguments

    parser = argparse.ArgumentParser(prog="python -m morelib.suite_setup")
    add_setup_arguments(parser)
    return setup(parser.parse_args(argv))


def setup(args: Any) -> int:
    """Train every RM a profile's notebooks use into the cache (04's suite, 03's sweep, 05's
    RMs under test and gold RM; :mod:`morelib.plan`), then, in a one-process run, notebook 05's
    RJS policies (:func:`train_policies`), e.g. on a multi-GPU node before the notebooks, which
    then only load them:

        morelib setup --profile paper --dry-run   # the plan; trains nothing
        accelerate launch --config_file params/launch/accelerate_8gpu.yaml \\
            -m morelib.suite_setup --profile paper
        morelib setup --profile paper --notebooks 05   # one process: 05's RJS policies
        morelib reproduce --profile paper     # notebooks load the trained RMs from the cache

    Every model and hub dataset is resolved first (:func:`morelib.plan.unreachable`): one
    line per one this machine cannot get, with its fix, then exit status 2; then the plan is
    printed before the first RM trains. ``--dry-run`` exits 1 when GPUs are visible and an
    estimate does not fit them.
    """
    import sys

    from morelib.plan import planned_rms, profile_cache, profile_jobs, train_jobs, unreachable
    from morelib.plan_report import (check_plan, format_plan, policy_line, policy_memory,
                                     visible_gpus)
    from morelib.profiles import TRAINING_NOTEBOOKS, ProfileError, load_profile, spec_from_mapping
    from morelib.reproduce import project_root
    from morelib.training.launch import launch_world_size

    sharded = True if args.sharded else None  # None: from the launch's environment
    stems = [next((t for t in TRAINING_NOTEBOOKS if t.startswith(n)), n) for n in args.notebooks]
    unknown = sorted(set(stems) - set(TRAINING_NOTEBOOKS))
    try:
        if unknown:
            raise ProfileError(f"--notebooks: no RMs are trained by {unknown}; choose from "
                               f"{list(TRAINING_NOTEBOOKS)}")
        root = project_root()
        profile = load_profile(root, args.profile)
        spec = spec_from_mapping(profile, f"params/{args.profile}.yaml")
    except (ProfileError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    missing = unreachable(spec, stems)
    for line in missing:
        print(f"cannot reach {line}", file=sys.stderr)
    if missing:
        return 2
    jobs = profile_jobs(spec, profile_cache(root, profile), notebooks=stems)
    rms = planned_rms(jobs)
    gpus = visible_gpus()
    main_process = int(os.environ.get("RANK", "0") or 0) == 0
    if main_process:
        print(format_plan(rms, gpus, sharded), flush=True)
        if "05_rjs_alignment" in stems:
            print(policy_line(spec.rjs), flush=True)
    training = not args.dry_run and not all(rm.cached for rm in rms)
    problems = check_plan(rms, gpus, launch_world_size() if training else None, sharded)
    if "05_rjs_alignment" in stems and gpus:
        need = policy_memory(spec.rjs)
        if need > min(memory for _, memory in gpus):
            problems.append(f"05 policy SFT: ~{need / 1e9:.0f} GB > one GPU's "
                            f"{min(memory for _, memory in gpus) / 1e9:.0f} GB (set rjs: sft: lora_r)")
    for problem in problems:
        print(f"problem: {problem}", flush=True)
    if args.dry_run:
        return 1 if problems and gpus else 0
    if any(p.startswith("this launch") for p in problems):
        return 2  # training would refuse every RM (morelib.training.launch.check_launch)
    models = train_jobs(jobs)
    if main_process:
        print({k: str(v) for k, v in models.items()})
    if "05_rjs_alignment" in stems:
        if launch_world_size() > 1:
            if main_process:
                print("05's RJS policies train in one process: next run "
                      f"`morelib setup --profile {args.profile} --notebooks 05`", flush=True)
        else:
            train_policies(spec, profile_cache(root, profile).root)
    return 0


def train_policies(spec: Any, cache_dir: str | Path) -> Any:
    """Notebook 05's RJS policies into the run cache: the candidates, each RM's picks and the
    policy fine-tuned on them, the SFT baseline and the base policy
    (:func:`morelib.alignment.rjs_loop.run_rjs`, built by
    :func:`morelib.alignment.rjs_inputs.rjs_inputs` exactly as the notebook builds it); the
    suite's RMs must be trained (:func:`setup` trains them first). Returns the
    :class:`~morelib.alignment.rjs_loop.RJSRun`."""
    from morelib.alignment.rjs_inputs import rjs_inputs
    from morelib.alignment.rjs_loop import run_rjs
    from morelib.alignment.sft_data import chosen_sft_data
    from morelib.experiments import train_suite

    suite = spec.suite.inputs(cache_dir)
    run = rjs_inputs(spec.rjs, suite, seed=spec.suite.seed)
    models = train_suite(suite.cache, suite.base, suite.data, progress=False)
    return run_rjs(run.experiment, {rm: models[rm] for rm in run.rms}, suite.base,
                   baseline=chosen_sft_data(run.queries, None),
                   max_length=suite.base.max_length)


if __name__ == "__main__":
    raise SystemExit(main())

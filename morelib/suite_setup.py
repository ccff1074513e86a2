"""One place that turns the notebooks' RM-suite parameters into a cache, a base config and data,
and the launcher that trains every RM of a profile (``python -m morelib.suite_setup``).

Notebooks 01, 02 and 04 (and the multi-GPU launcher) call :func:`suite_inputs` with the same
parameters, so they build identical configurations and share the trained RMs through the
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


#: Notebook parameters that describe the RM suite (what :func:`suite_inputs` takes).
SUITE_PARAMETERS = ("model", "n_train", "n_test", "sources", "seed", "conflict", "use_real_data",
                    "real_test_limit", "data_kind", "learning_rate", "num_train_epochs",
                    "max_steps", "max_length", "groups_per_device_batch",
                    "gradient_accumulation_steps", "trainable_top_layers", "lora_r",
                    "prefix_cache", "world_size", "bf16", "tf32", "gradient_checkpointing")


def suite_from_values(p: dict[str, Any], name: str = "smoke") -> SuiteInputs:
    """The suite a notebook with parameter values ``p`` builds, passed the way the notebooks
    pass them (``name``: the profile's name, which the command line gives)."""
    from morelib.report import notebook_paths

    _, cache = notebook_paths(p.get("output_root", "outputs"), name,
                              "suite", p.get("cache_dir", "outputs/cache"))
    kw = {k: p[k] for k in SUITE_PARAMETERS if k in p}
    if kw.pop("prefix_cache", False):
        kw["prefix_cache"] = True  # only set when used, as in the notebooks
    if kw.get("data_kind", "simulator") == "simulator":
        kw.pop("data_kind", None)
    return suite_inputs(cache_dir=cache, logging_steps=1, **kw)


def suite_from_profile(profile: dict[str, Any], defaults: dict[str, Any],
                       name: str = "smoke") -> SuiteInputs:
    """The suite a notebook builds for a profile: ``defaults`` (a notebook's parameter values)
    updated with the profile's ``common`` section (see :func:`suite_from_values`)."""
    return suite_from_values({**defaults, **(profile.get("common") or {})}, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Train every RM a profile's notebooks use into the cache (04's suite, 03's sweep, 05's
    RMs under test and gold RM; :mod:`morelib.plan`), e.g. on a multi-GPU node before the
    notebooks, which then only load them:

        python -m morelib.suite_setup --profile paper --dry-run   # the plan; trains nothing
        accelerate launch --config_file params/launch/accelerate_8gpu.yaml \\
            -m morelib.suite_setup --profile paper
        morelib reproduce --profile paper     # notebooks load the trained RMs from the cache

    Every model is resolved (gated models without a token fail here) and the plan printed
    before the first RM trains. ``--dry-run`` exits 1 when GPUs are visible and an estimate
    does not fit them.
    """
    import argparse

    from morelib.plan import (TRAINING_NOTEBOOKS, notebook_values, planned_rms, profile_jobs,
                              train_jobs)
    from morelib.plan_report import (check_plan, format_plan, policy_line, policy_memory,
                                     visible_gpus)
    from morelib.reproduce import load_profile, project_root
    from morelib.training.launch import launch_world_size

    parser = argparse.ArgumentParser(prog="python -m morelib.suite_setup")
    parser.add_argument("--profile", required=True)
    parser.add_argument("--notebooks", nargs="+", default=list(TRAINING_NOTEBOOKS),
                        help="notebooks whose RMs to train (stems or numbers: 03 04 05)")
    parser.add_argument("--dry-run", action="store_true",
                        help="resolve every model and dataset, print the plan (RMs, steps, "
                             "memory per GPU against the visible GPUs, expected time), train "
                             "nothing")
    parser.add_argument("--sharded", action="store_true",
                        help="estimate memory as FSDP / ZeRO-3 shard it (detected under such a "
                             "launch; give it for a dry run outside the launcher)")
    args = parser.parse_args(argv)
    sharded = True if args.sharded else None  # None: from the launch's environment
    stems = [next((t for t in TRAINING_NOTEBOOKS if t.startswith(n)), n) for n in args.notebooks]
    unknown = sorted(set(stems) - set(TRAINING_NOTEBOOKS))
    if unknown:
        parser.error(f"no RMs are trained by {unknown}; choose from {list(TRAINING_NOTEBOOKS)}")
    profile = load_profile(project_root(), args.profile)
    jobs = profile_jobs(profile, args.profile, notebooks=stems)
    rms = planned_rms(jobs)
    gpus = visible_gpus()
    main_process = int(os.environ.get("RANK", "0") or 0) == 0
    if main_process:
        print(format_plan(rms, gpus, sharded), flush=True)
        if "05_rjs_alignment" in stems:
            print(policy_line(notebook_values(profile, "05_rjs_alignment")), flush=True)
    problems = check_plan(rms, gpus, launch_world_size() if not args.dry_run else None,
                          sharded)
    if "05_rjs_alignment" in stems and gpus:
        need = policy_memory(notebook_values(profile, "05_rjs_alignment"))
        if need > min(memory for _, memory in gpus):
            problems.append(f"05 policy SFT: ~{need / 1e9:.0f} GB > one GPU's "
                            f"{min(memory for _, memory in gpus) / 1e9:.0f} GB (set sft_lora_r)")
    for problem in problems:
        print(f"problem: {problem}", flush=True)
    if args.dry_run:
        return 1 if problems and gpus else 0
    if any(p.startswith("this launch") for p in problems):
        return 2  # training would refuse every RM (morelib.training.launch.check_launch)
    models = train_jobs(jobs)
    if main_process:
        print({k: str(v) for k, v in models.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

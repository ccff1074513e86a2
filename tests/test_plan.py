"""The launcher's plan: every RM a profile's notebooks use (04's suite, 03's sweep, 05's RMs
under test and gold RM), trained into the cache the notebooks read; ``--dry-run`` trains
nothing and checks memory estimates against the visible GPUs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from morelib import plan_report, suite_setup
from morelib.models.shape import ModelShape
from morelib.plan import planned_rms, profile_cache, profile_jobs
from morelib.profiles import TRAINING_NOTEBOOKS, load_spec

ROOT = Path(__file__).resolve().parents[1]
TOY = {"suite": {"model": "tiny-bert", "n_train": 4, "n_test": 2, "max_length": 32,
                 "sources": ["helpful", "harmless", "oasst1"], "use_real_data": False,
                 "max_steps": 1, "learning_rate": 1e-3},
       "scaling": {"models": ["tiny-bert", "tiny-bert-d32"], "ks": [2, 3], "train_sizes": [2]},
       "gold": {"factor": 2},
       "rjs": {"policy_model": "tiny-llama", "prompts_per_source": 2, "max_new_tokens": 4,
               "eval_prompts_per_source": 2, "ppl_per_source": 2}}


def toy_jobs(project, notebooks=TRAINING_NOTEBOOKS):
    """The launcher's jobs for params/toy.yaml."""
    return profile_jobs(load_spec("toy", project), profile_cache(project, TOY), notebooks)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A checkout with the real notebooks and a toy profile."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "toy.yaml").write_text(yaml.safe_dump(TOY))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_plan_covers_the_sweep_and_the_gold_rm(project):
    rms = planned_rms(toy_jobs(project))
    by_notebook = {}
    for rm in rms:
        by_notebook.setdefault(rm.notebook, []).append(rm)
    # 04: 3 singles + MultiTask + MORE
    assert sorted(r.rm for r in by_notebook["04_more_training"]) == [
        "more", "multitask", "single/harmless", "single/helpful", "single/oasst1"]
    # 03: tiny-bert's singles at n=4 are 04's entries (shared); its K=3 MultiTask/MORE too
    sweep = by_notebook["03_scaling"]
    assert {r.config.model for r in sweep} == {"tiny-bert", "tiny-bert-d32"}
    assert len([r for r in sweep if r.config.model == "tiny-bert-d32"]) == 3 + 2 * 2 + 2
    # 05: its RMs under test are 04's; only the gold judge's RMs are new, on 2 x 4 pairs per
    # source: a MultiTask and a MORE RM (gold_scheme "both", the neutral default)
    gold = by_notebook["05_rjs_alignment"]
    assert [(g.rm, g.n_pairs) for g in gold] == [("multitask", 3 * 8), ("more", 3 * 8)]
    assert len({r.key for r in rms}) == len(rms)  # each cache entry once


def test_dry_run_trains_nothing_and_prints_the_plan(project, capsys):
    assert suite_setup.main(["--profile", "toy", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "05_rjs_alignment" in out and "gold both" in out and "sweep K=2 n=4" in out
    assert "no GPU visible" in out and "05 policy tiny-llama" in out
    assert not list((project / "outputs" / "cache").glob("rm/*/DONE.json"))


def test_launcher_trains_every_planned_rm_into_the_notebooks_cache(project, capsys):
    assert suite_setup.main(["--profile", "toy", "--notebooks", "04", "05"]) == 0
    rms = planned_rms(toy_jobs(project, ["04_more_training", "05_rjs_alignment"]))
    assert rms and all(rm.cached for rm in rms)
    done = {p.parent.name for p in (project / "outputs" / "cache").glob("rm/*/DONE.json")}
    assert {rm.key[:16] for rm in rms} == done
    # what notebook 04 computes (spec.suite.inputs of its cache folder) finds these entries
    from morelib.experiments.suite import _train_key, rm_configs
    from morelib.runs.hashing import config_hash

    suite = load_spec("toy").suite.inputs(project / "outputs" / "cache")
    keys = {config_hash(_train_key(c, suite.data, s))[:16]
            for c, s in rm_configs(suite.base, suite.data).values() if c is not None}
    assert keys <= done
    # then, in the same process, 05's RJS policies: every RM under test's, the SFT baseline's
    # and the base policy's outputs, which notebook 05 then loads (a second run trains nothing)
    policies = policy_entries(project)
    run = suite_setup.train_policies(load_spec("toy"), project / "outputs" / "cache")
    assert sorted(run.outputs) == ["base", "more", "multitask", "sft", "single/harmless",
                                   "single/helpful"]
    # one policy per distinct set of picks (RMs that pick alike share an entry), SFT, base
    assert len(policies) == len({tuple(run.picks[rm]) for rm in run.picks}) + 2
    assert policy_entries(project) == policies


def policy_entries(project):
    return {p.name for p in (project / "outputs" / "cache").glob("rjs_policy/*")}


def test_dry_run_flags_what_does_not_fit_the_visible_gpus(project, monkeypatch, capsys):
    llama = ModelShape("meta-llama/Llama-2-7b-hf", 6_738_415_616, 32, 4096, 11008)
    monkeypatch.setattr(plan_report, "model_shape", lambda name: llama)
    monkeypatch.setattr(plan_report, "visible_gpus", lambda: [("NVIDIA A100-SXM4-80GB", 80e9)])
    assert suite_setup.main(["--profile", "toy", "--dry-run", "--notebooks", "04"]) == 1
    out = capsys.readouterr().out
    assert "problem: 04_more_training suite more: ~" in out and "> 80 GB" in out
    # sharded 8 ways (FSDP), as params/paper-llama2-7b.yaml is launched: it fits
    profile = {**TOY, "suite": {**TOY["suite"], "world_size": 8}}
    (project / "params" / "toy.yaml").write_text(yaml.safe_dump(profile))
    monkeypatch.setattr(plan_report, "visible_gpus",
                        lambda: [("NVIDIA A100-SXM4-80GB", 80e9)] * 8)
    assert suite_setup.main(["--profile", "toy", "--dry-run", "--notebooks", "04",
                             "--sharded"]) == 0
    assert "(sharded)" in capsys.readouterr().out


def test_launch_with_another_process_count_stops_before_training(project, monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")  # a worker: prints no plan, still refuses
    assert suite_setup.main(["--profile", "toy", "--notebooks", "04"]) == 2
    assert "configured for world_size 1" in capsys.readouterr().out
    assert not list((project / "outputs" / "cache").glob("rm/*/DONE.json"))


def test_unknown_notebook_is_refused(project, capsys):
    assert suite_setup.main(["--profile", "toy", "--notebooks", "02"]) == 2
    assert "--notebooks: no RMs are trained by ['02']" in capsys.readouterr().err


def test_dry_run_flags_a_policy_sft_too_big_for_one_gpu(project, monkeypatch, capsys):
    mistral = ModelShape("mistralai/Mistral-7B-Instruct-v0.2", 7_241_732_096, 32, 4096, 14336)
    small = ModelShape("tiny-bert", 2_000_000, 2, 64, 128)
    monkeypatch.setattr(plan_report, "model_shape",
                        lambda name: mistral if name == "tiny-llama" else small)
    monkeypatch.setattr(plan_report, "visible_gpus", lambda: [("NVIDIA H100 80GB HBM3", 80e9)])
    profile = dict(TOY, rjs={**TOY["rjs"], "sft": {"lora_r": 0}})
    (project / "params" / "toy.yaml").write_text(yaml.safe_dump(profile))
    assert suite_setup.main(["--profile", "toy", "--dry-run", "--notebooks", "05"]) == 1
    assert "problem: 05 policy SFT: ~146 GB > one GPU's 80 GB" in capsys.readouterr().out
    profile["rjs"]["sft"]["lora_r"] = 16  # the paper profiles' setting: ~59 GB
    (project / "params" / "toy.yaml").write_text(yaml.safe_dump(profile))
    assert suite_setup.main(["--profile", "toy", "--dry-run", "--notebooks", "05"]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["paper", "smoke"])
def test_offline_dry_run_names_each_unreachable_model_and_dataset_once(tmp_path, profile):
    """Without the hub (HF_HUB_OFFLINE=1, empty caches, no mirror), ``setup --dry-run`` of the
    paper profile prints one line with its fix per model and hub repository it cannot get
    and exits 2 without a traceback; the smoke profile (tiny models, simulator) still plans."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("MORELIB_HUB_DATASETS_DIR", "MORELIB_MODELS")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf"),
               HF_DATASETS_CACHE=str(tmp_path / "hf-datasets"))
    done = subprocess.run([sys.executable, "-m", "morelib.cli", "setup", "--profile", profile,
                           "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("cannot reach ")]
    if profile == "smoke":
        assert (done.returncode, lines) == (0, []), done.stderr[-2000:]
        return
    assert done.returncode == 2
    paper = yaml.safe_load((ROOT / "params" / "paper.yaml").read_text())
    models = {paper["suite"]["model"], *paper["scaling"]["models"], paper["rjs"]["policy_model"]}
    repos = {"Anthropic/hh-rlhf", "OpenAssistant/oasst1", "openai/webgpt_comparisons",
             "openai/summarize_from_feedback"}
    named = [line.split(": ", 1)[0].removeprefix("cannot reach ") for line in lines]
    assert sorted(named) == sorted([f"model {m}" for m in models]
                                   + [f"dataset {r}" for r in repos])
    assert all("network access" in line for line in lines)
    assert "HF_TOKEN" in " ".join(lines) and "MORELIB_HUB_DATASETS_DIR" in " ".join(lines)

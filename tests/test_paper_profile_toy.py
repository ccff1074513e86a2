"""The `paper` profile end to end at toy size, as a GPU-node user runs it: ``params/paper.yaml``
through the same parameter machinery with only sizes shrunk and hub models swapped for tiny
ones of the same architecture, the five hub datasets read from stand-ins in their exact hub
layouts (``tests/hub_standins.py``: the Parquet branch without declared configs that once
broke the summarize loader), then

1. ``python -m morelib.suite_setup --profile <toy> --dry-run``: the plan, nothing trained;
2. ``python -m morelib.suite_setup --profile <toy>``: every RM (04's suite, 03's sweep, 05's
   gold RM) and 05's RJS policies trained into the cache;
3. ``morelib reproduce --profile <toy>``: all five notebooks green, and none of them trains
   an RM or a policy (the cache holds exactly the launcher's entries afterwards).

Every setting that is not a size stays as the profile has it (bf16, TF32, gradient
checkpointing, LoRA for the policy, data_kind hub, the schemes), so a change to
``params/paper.yaml`` that breaks the pipeline fails here.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
import yaml

from hub_standins import build_standins  # noqa: E402  (tests/hub_standins.py)

ROOT = Path(__file__).resolve().parents[1]

#: Hub models of the paper profile -> tiny random-init models of the same architecture.
MODEL_STANDINS = {"EleutherAI/pythia-1.4b": "tiny-gpt-neox",
                  "EleutherAI/pythia-2.8b": "tiny-gpt-neox-d128",
                  "meta-llama/Llama-2-7b-hf": "tiny-llama",
                  "mistralai/Mistral-7B-Instruct-v0.2": "tiny-llama"}

#: Sizes only: pairs, steps, lengths, prompts, batch sizes, bootstrap resamples, processes.
SIZES = {"n_train": 4, "n_test": 2, "max_length": 48, "real_test_limit": 4, "n_boot": 20,
         "world_size": 1, "prompts_per_source": 2, "max_new_tokens": 6,
         "eval_prompts_per_source": 2, "ppl_per_source": 2, "gen_batch_size": 4,
         "max_prompt_tokens": 64, "sft.per_device_batch_size": 2,
         "sft.gradient_accumulation_steps": 2, "sft.max_length": 64, "train_sizes": [2, 3, 4]}


def shrink(profile: dict) -> dict:
    """``profile`` with every size in :data:`SIZES` shrunk and every hub model replaced; a key
    or model the test does not know fails (a new setting must be placed on one side). Nested
    mappings (``rjs: sft:``) are shrunk by their dotted keys (``sft.max_length``)."""
    return {section: _shrunk(values, "") for section, values in profile.items()}


def _shrunk(values: dict, prefix: str) -> dict:
    out = {}
    for key, value in values.items():
        name = prefix + key
        if isinstance(value, dict):
            value = _shrunk(value, f"{name}.")
        elif name in SIZES:
            value = SIZES[name]
        elif key in ("model", "policy_model"):
            value = MODEL_STANDINS[value]
        elif key == "models":
            value = [MODEL_STANDINS[m] for m in value]
        out[key] = value
    return out


@pytest.fixture
def toy_project(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "params", tmp_path / "params")
    paper = yaml.safe_load((ROOT / "params" / "paper.yaml").read_text())
    (tmp_path / "params" / "paper-toy.yaml").write_text(yaml.safe_dump(shrink(paper)))
    hub = build_standins(tmp_path / "hub", copies=2)
    monkeypatch.setenv("MORELIB_HUB_DATASETS_DIR", str(hub))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    import datasets
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def done_entries(project: Path) -> set[str]:
    return {p.parent.name for p in (project / "outputs" / "cache").glob("rm/*/DONE.json")}


def test_shrink_changes_sizes_and_models_only():
    paper = yaml.safe_load((ROOT / "params" / "paper.yaml").read_text())
    toy = shrink(paper)
    for section, values in paper.items():
        for key, value in values.items():
            if key not in SIZES and key not in ("model", "policy_model", "models", "sft"):
                assert toy[section][key] == value, (section, key)
    for key, value in paper["rjs"]["sft"].items():
        if f"sft.{key}" not in SIZES:
            assert toy["rjs"]["sft"][key] == value, key
    assert toy["suite"]["data_kind"] == "hub" and toy["suite"]["bf16"] is True
    assert toy["rjs"]["sft"]["lora_r"] == paper["rjs"]["sft"]["lora_r"] == 16
    assert toy["rjs"]["sft"]["max_length"] == 64


@pytest.mark.slow
def test_paper_profile_runs_end_to_end_at_toy_size(toy_project, capsys):
    from morelib import suite_setup
    from morelib.reproduce import reproduce

    assert suite_setup.main(["--profile", "paper-toy", "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "gold both" in plan and "sweep K=5" in plan and "tiny-gpt-neox-d128" in plan
    assert not done_entries(toy_project)

    assert suite_setup.main(["--profile", "paper-toy"]) == 0
    trained = done_entries(toy_project)
    assert len(trained) >= 7 + 2 * 5 + 2  # 04's suite, the sweep's singles, the gold RMs
    policies = {p.name for p in (toy_project / "outputs" / "cache").glob("rjs_policy/*")}
    assert len(policies) >= 3  # 05's RJS policies too (at least one RM's, SFT's and base's)

    args = argparse.Namespace(profile="paper-toy", output_root="outputs", notebooks=None)
    assert reproduce(args) == 0
    report = (toy_project / "outputs" / "paper-toy" / "report.md").read_text()
    assert "failed" not in report.lower().split("## ")[0]
    for stem in ("01_data_diversity", "02_reward_distributions", "03_scaling",
                 "04_more_training", "05_rjs_alignment"):
        assert (toy_project / "outputs" / "paper-toy" / "notebooks" / f"{stem}.ipynb").exists()
        assert not (toy_project / "outputs" / "paper-toy" / "notebooks"
                    / f"{stem}.failed.ipynb").exists()
    assert done_entries(toy_project) == trained  # the notebooks only loaded RMs
    assert {p.name for p in (toy_project / "outputs" / "cache").glob("rjs_policy/*")} == policies


@pytest.mark.parametrize("profile", ["paper", "paper-pythia-2.8b", "paper-llama2-7b"])
def test_every_paper_profile_plans_at_toy_size(toy_project, capsys, profile):
    """Each paper profile's plan (03's sweep, 05's gold RM and policy) builds against the hub
    stand-ins with its own launch settings, and trains nothing."""
    from morelib import suite_setup

    paper = yaml.safe_load((ROOT / "params" / f"{profile}.yaml").read_text())
    (toy_project / "params" / "toy.yaml").write_text(yaml.safe_dump(shrink(paper)))
    assert {"suite", "scaling", "gold", "rjs"} <= set(paper)
    assert paper["suite"]["world_size"] == 8 and paper["suite"]["bf16"] is True
    assert suite_setup.main(["--profile", "toy", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "gold both" in out and "sweep K=5" in out and "05 policy tiny-llama" in out
    assert not done_entries(toy_project)

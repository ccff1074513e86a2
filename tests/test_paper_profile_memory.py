"""The paper profiles fit one 80 GB GPU per process: each profile's dry run, with its real
models' architectures (the hub's config.json values, built on the meta device) and its own
launch settings, against 8 mocked 80 GB GPUs, reports no problem: every RM of 04, 03 and 05
and 05's policy SFT. Only the pair counts are shrunk (memory does not depend on them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import yaml

from hub_standins import build_standins  # noqa: E402  (tests/hub_standins.py)

ROOT = Path(__file__).resolve().parents[1]


def hub_config(name: str):
    from transformers import GPTNeoXConfig, LlamaConfig, MistralConfig

    return {
        "EleutherAI/pythia-1.4b": GPTNeoXConfig(
            hidden_size=2048, num_hidden_layers=24, num_attention_heads=16,
            intermediate_size=8192, vocab_size=50304, rotary_pct=0.25),
        "EleutherAI/pythia-2.8b": GPTNeoXConfig(
            hidden_size=2560, num_hidden_layers=32, num_attention_heads=32,
            intermediate_size=10240, vocab_size=50304, rotary_pct=0.25),
        "meta-llama/Llama-2-7b-hf": LlamaConfig(
            hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
            intermediate_size=11008, vocab_size=32000),
        "mistralai/Mistral-7B-Instruct-v0.2": MistralConfig(
            hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
            num_key_value_heads=8, intermediate_size=14336, vocab_size=32000),
    }[name]


def meta_shape(name: str):
    from transformers import AutoModel

    from morelib.models.shape import _shape

    with torch.device("meta"):
        return _shape(name, AutoModel.from_config(hub_config(name)))


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "params", tmp_path / "params")
    monkeypatch.setenv("MORELIB_HUB_DATASETS_DIR", str(build_standins(tmp_path / "hub")))
    import datasets
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    from morelib import plan, plan_report
    # the paper's models exist here only as their hub configs on the meta device; whether a
    # machine can reach them is tests/test_plan.py's offline dry run
    monkeypatch.setattr(plan, "unreachable", lambda *args, **kwargs: [])
    monkeypatch.setattr(plan_report, "model_shape", meta_shape)
    monkeypatch.setattr(plan_report, "visible_gpus",
                        lambda: [("NVIDIA H100 80GB HBM3", 80e9)] * 8)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_pythia_1_4b_shape_is_the_real_count():
    assert meta_shape("EleutherAI/pythia-1.4b").parameters == 1_311_625_216


@pytest.mark.parametrize("profile, sharded", [("paper", False), ("paper-pythia-2.8b", False),
                                              ("paper-llama2-7b", True)])
def test_paper_profile_fits_80gb_gpus(project, capsys, profile, sharded):
    from morelib import suite_setup

    values = yaml.safe_load((project / "params" / f"{profile}.yaml").read_text())
    values["suite"].update(n_train=4, real_test_limit=4)  # pairs only
    values["scaling"]["train_sizes"] = [2]
    (project / "params" / "mem.yaml").write_text(yaml.safe_dump(values))
    argv = ["--profile", "mem", "--dry-run"] + (["--sharded"] if sharded else [])
    code = suite_setup.main(argv)
    out = capsys.readouterr().out
    assert code == 0 and "problem:" not in out, out[-3000:]
    assert "05 policy mistralai/Mistral-7B-Instruct-v0.2" in out and "LoRA r=16" in out
    assert "world_size [8]" in out


def test_full_fine_tuning_llama_without_sharding_is_flagged(project, capsys):
    from morelib import suite_setup

    values = yaml.safe_load((project / "params" / "paper-llama2-7b.yaml").read_text())
    values["suite"].update(n_train=4, real_test_limit=4)
    values["scaling"]["train_sizes"] = [2]
    (project / "params" / "mem.yaml").write_text(yaml.safe_dump(values))
    assert suite_setup.main(["--profile", "mem", "--dry-run", "--notebooks", "04"]) == 1
    assert "problem: 04_more_training suite" in capsys.readouterr().out

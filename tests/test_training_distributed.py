"""Two CPU processes (gloo DDP) train the same RM as one process over the same global batch.

The real launchers (``torchrun``; ``accelerate launch`` with
``params/launch/accelerate_cpu_2proc.yaml``) start ``tests/distributed_worker.py`` with 2
groups per device; the reference is one plain process with 4 groups per device (the same global
batch). Checked per training micro-step: λ (and every history column) identical on both ranks
and within 1e-6 of the single process; the ranks' batches are disjoint halves of the single
process's batch, each holding its share of every source; the Trainer's loss and gradient norm
(the norm of the DDP-averaged gradient) match; and the final evaluation metrics and weight
updates match.
``uniform`` on uniformly mixed batches gives the ranks unequal per-source counts, which checks the
loss scaling with the global counts.

The GPU launcher configurations in ``params/launch/`` are parsed the way ``accelerate launch``
parses them (FSDP ones down to the plugin the Trainer gets) and checked against the ``paper``
profile's 80 pairs per step; they are not run here (no GPUs).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "distributed_worker.py"
LAUNCH = ROOT / "params" / "launch"
CPU_CONFIG = LAUNCH / "accelerate_cpu_2proc.yaml"
GROUPS = 2  # per device and rank; the single process takes 2 × 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], timeout: float = 300) -> None:
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(ROOT))
    env.pop("WORLD_SIZE", None)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{cmd[:4]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-6000:]}")


def _load(folder: Path, rank: int) -> tuple[dict, dict]:
    with open(folder / f"rank{rank}.json") as f:
        record = json.load(f)
    return record, torch.load(folder / f"rank{rank}.pt")


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    _run([sys.executable, str(WORKER), str(out), str(2 * GROUPS), "more", "uniform"])
    return out


def _steps(log_history: list[dict], key: str) -> np.ndarray:
    return np.array([row[key] for row in log_history if key in row and "step" in row])


def _check(dist_dir: Path, single_dir: Path, strategy: str) -> None:
    (r0, w0), (r1, w1) = _load(dist_dir / strategy, 0), _load(dist_dir / strategy, 1)
    ref, w_ref = _load(single_dir / strategy, 0)
    assert (r0["world_size"], r1["world_size"], ref["world_size"]) == (2, 2, 1)

    # λ and the whole per-micro-step history: identical on both ranks, = the single process
    assert r0["lambda_history"] == r1["lambda_history"]
    assert len(r0["lambda_history"]) == len(ref["lambda_history"]) == 6
    for got, want in zip(r0["lambda_history"], ref["lambda_history"]):
        assert got.keys() == want.keys()
        for key, value in want.items():
            tol = 1e-6 if key.startswith(("lambda/", "count/")) else 1e-5
            assert got[key] == pytest.approx(value, abs=tol, rel=tol), (key, got[key], value)

    # sharding: each rank's micro-batch is its own half of the single process's batch
    assert len(r0["batches"]) == len(r1["batches"]) == len(ref["batches"]) == 6
    for a, b, whole in zip(r0["batches"], r1["batches"], ref["batches"]):
        assert not set(a) & set(b)
        assert sorted(a + b) == sorted(whole)
        if strategy == "more":  # every rank holds GROUPS pairs of every source
            for part in (a, b):
                assert Counter(key.split(":")[0] for key in part) == \
                    {"0": GROUPS, "1": GROUPS, "2": GROUPS}
    if strategy == "uniform":  # mixed batches: the ranks' per-source counts differ somewhere
        assert any(Counter(k.split(":")[0] for k in a) != Counter(k.split(":")[0] for k in b)
                   for a, b in zip(r0["batches"], r1["batches"]))

    # the Trainer's loss and the norm of the averaged gradient, step by step
    for key in ("loss", "grad_norm"):
        got, want = _steps(r0["log_history"], key), _steps(ref["log_history"], key)
        assert len(got) == len(want) == 3
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=key)

    # final evaluation metrics and weights
    np.testing.assert_equal(r0["eval"], r1["eval"])  # (NaN == NaN here)
    assert r0["eval"].keys() == ref["eval"].keys()
    for key, value in ref["eval"].items():
        assert r0["eval"][key] == pytest.approx(value, abs=1e-5, nan_ok=True), key
    # Weights: bit-identical on both ranks; vs one process, every tensor's change from the
    # initial weights agrees to 1e-3 of its norm (elementwise tolerances would trip on Adam:
    # a coordinate whose gradient is near eps=1e-8 turns float-rounding noise into a step)
    assert w0["final"].keys() == w1["final"].keys() == w_ref["final"].keys()
    for key, want in w_ref["update"].items():
        assert torch.equal(w0["final"][key], w1["final"][key]), key
        got = w0["update"][key]
        assert float((got - want).norm()) <= 1e-3 * float(want.norm()), key


@pytest.mark.slow
def test_torchrun_two_cpu_ranks_equal_one_process(tmp_path, single) -> None:
    _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
          "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
          str(WORKER), str(tmp_path), str(GROUPS), "more", "uniform"])
    for strategy in ("more", "uniform"):
        _check(tmp_path, single, strategy)


@pytest.mark.slow
def test_accelerate_launch_two_cpu_ranks_equal_one_process(tmp_path, single) -> None:
    _run([sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(CPU_CONFIG),
          "--main_process_ip", "127.0.0.1", "--main_process_port", str(_free_port()),
          str(WORKER), str(tmp_path), str(GROUPS), "more"])
    _check(tmp_path, single, "more")


# ---- the GPU launcher configurations ---------------------------------------------------------

def _launch_args(path: Path):
    """What ``accelerate launch --config_file path`` makes of the file (its own parsing)."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    args = launch_command_parser().parse_args(["--config_file", str(path), "train.py"])
    return _validate_launch_command(args)[0]


def _paper_pairs_per_step(processes: int, accumulation: int | None = None) -> int:
    with open(ROOT / "params" / "paper.yaml") as f:
        suite = yaml.safe_load(f)["suite"]
    accumulation = accumulation or suite["gradient_accumulation_steps"]
    return processes * accumulation * suite["groups_per_device_batch"] * len(suite["sources"])


@pytest.mark.parametrize("name, layer, model", [
    ("accelerate_fsdp_8gpu.yaml", "GPTNeoXLayer", "tiny-gpt-neox"),
    ("accelerate_fsdp_llama_8gpu.yaml", "LlamaDecoderLayer", "tiny-llama"),
])
def test_fsdp_configs_give_fsdp2_plugins_that_wrap_the_rm_layers(name, layer, model,
                                                                 monkeypatch) -> None:
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.dataclasses import get_module_class_from_name
    from accelerate.utils.launch import prepare_multi_gpu_env

    from morelib.models import RewardModel

    args = _launch_args(LAUNCH / name)
    assert args.use_fsdp and args.num_processes == 8 and args.mixed_precision == "bf16"
    assert _paper_pairs_per_step(args.num_processes) == 80
    env = prepare_multi_gpu_env(args)  # the variables the launcher hands to every rank
    for key, value in env.items():
        if key.startswith(("FSDP_", "ACCELERATE_")):
            monkeypatch.setenv(key, value)
    plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2 and plugin.transformer_cls_names_to_wrap == [layer]
    assert plugin.reshard_after_forward is True
    # accelerate raises at prepare() if the class is not in the model: the RM must contain it
    assert get_module_class_from_name(RewardModel.from_name(model, seed=0), layer) is not None


def test_ddp_and_zero3_configs_parse_and_give_80_pairs_per_step() -> None:
    ddp = _launch_args(LAUNCH / "accelerate_8gpu.yaml")
    assert ddp.multi_gpu and _paper_pairs_per_step(ddp.num_processes) == 80
    zero3 = _launch_args(LAUNCH / "accelerate_zero3_8gpu.yaml")  # deepspeed itself not needed
    assert zero3.use_deepspeed and zero3.zero_stage == 3 and zero3.zero3_save_16bit_model
    # DeepSpeed takes its accumulation from this file: it must be the profile's
    assert _paper_pairs_per_step(zero3.num_processes, zero3.gradient_accumulation_steps) == \
        _paper_pairs_per_step(zero3.num_processes) == 80
    cpu = _launch_args(CPU_CONFIG)
    assert cpu.multi_gpu and cpu.num_processes == 2


def test_sharded_models_are_saved_from_the_gathered_full_weights() -> None:
    """FSDP / ZeRO-3: the final save rebuilds the RM on the main process from the full state
    dict that accelerate gathers (a collective every rank joins); other ranks save nothing."""
    from types import SimpleNamespace

    from morelib.training import RMTrainingConfig
    from morelib.training.run import build_reward_model, model_to_save

    config = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=2, seed=3)
    trained = build_reward_model(dataclasses.replace(config, seed=4))  # other weights
    calls = []

    def get_state_dict(model):
        calls.append(model)
        return trained.state_dict()

    for main in (True, False):
        trainer = SimpleNamespace(is_fsdp_enabled=True, model_wrapped="wrapped",
                                  accelerator=SimpleNamespace(get_state_dict=get_state_dict),
                                  args=SimpleNamespace(should_save=main))
        out = model_to_save(trainer, "sharded model", config)
        if main:
            for key, value in trained.state_dict().items():
                assert torch.equal(out.state_dict()[key], value), key
        else:
            assert out == "sharded model"
    assert calls == ["wrapped", "wrapped"]

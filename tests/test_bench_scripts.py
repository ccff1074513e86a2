"""The cheap benchmark scripts run end to end (tiny settings; their timings are not checked here).

* ``bench/bench_gpu_throughput.py --tiny``: a tiny GPT-NeoX RM through RewardTrainer's real
  step with MultiTask and MORE alternating (the GPU script, checked on the CPU);
* ``bench/bench_lambda.py`` with a few steps: our λ equals the authors' gradient path within
  1e-5 in both scenarios (its speed bound, and hence its exit status, is not checked here).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "bench"


def run_script(name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *argv])
    threads = torch.get_num_threads()
    try:
        return module.main()
    finally:
        torch.set_num_threads(threads)  # the scripts pin torch to one thread on CPUs


def test_gpu_throughput_tiny_runs_end_to_end(monkeypatch, capsys) -> None:
    assert run_script("bench_gpu_throughput", ["--tiny", "--steps", "2", "--warmup", "1"],
                      monkeypatch) == 0
    out = capsys.readouterr().out
    assert "MORE / MultiTask step time" in out and "tokens/s" in out
    assert "6N + 12·L·d·s" in out
    lam = [float(x) for x in out.split("MORE's last λ: ")[1].splitlines()[0].split(", ")]
    assert len(lam) == 5 and abs(sum(lam) - 1.0) < 1e-3  # MORE really ran


def test_gpu_throughput_peak_lookup() -> None:
    spec = importlib.util.spec_from_file_location("bench_gpu", BENCH / "bench_gpu_throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = dict(module.PEAK_BF16_TFLOPS)
    names = {"NVIDIA H100 80GB HBM3": 989.0, "NVIDIA H100 PCIe": 756.0, "NVIDIA H200": 989.0,
             "NVIDIA A100-SXM4-80GB": 312.0, "NVIDIA L40S": 362.0, "NVIDIA L4": 121.0}
    for name, tflops in names.items():
        found = next(v for k, v in module.PEAK_BF16_TFLOPS if k in name)
        assert found == tflops, name
    assert table["H100"] == 989.0


def test_lambda_bench_agrees_with_the_authors_gradients(monkeypatch, capsys) -> None:
    run_script("bench_lambda", ["--steps", "8"], monkeypatch)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("max |Δλ|, same solver")]
    assert len(lines) == 2 and all("(target ≤ 1e-5: met)" in line for line in lines)

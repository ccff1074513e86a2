"""bench/bench_probe.py runs end to end on tiny settings and reports its ratios (the bound and
hence the exit status are not checked here: timings on a shared CI machine)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_probe.py"


def test_bench_probe_tiny(monkeypatch, capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_probe", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["bench_probe.py", "--model", "tiny-llama", "--steps", "2",
                                      "--seeds", "3", "--reps", "1", "--pairs-per-source", "4",
                                      "--max-length", "32", "--min-ratio", "0"])
    threads = torch.get_num_threads()
    try:
        assert module.main() == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "speed-up per RM: cold" in out and "(target cold >= 0x: met)" in out

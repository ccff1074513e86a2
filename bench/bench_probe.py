"""The probe regime vs the Trainer path: cost per trained head-only RM, side by side in one run.

Both train the same kind of RM (frozen backbone, head only, the same RMTrainingConfig) on the
same simulator pairs for the same number of optimiser steps:

* ``trainer``: :func:`morelib.training.train_reward_model` with ``freeze_backbone=True``, one
  run per seed (model load, tokenisation, backbone forward on every batch, Trainer step);
* ``probe cold``: :class:`morelib.probe.FeatureStore` computes every training text's features
  once (fresh store), then :func:`morelib.probe.train_probe_heads` trains ``--seeds`` RMs at once;
* ``probe warm``: the same with the features already stored (a second study on the same texts).

Trainer runs and probe runs alternate (``--reps`` rounds) so machine noise hits both; medians
are compared. The ratio printed is (trainer seconds per RM) / (probe seconds per RM). Exit
status 1 if the cold ratio is below ``--min-ratio``.

    python bench/bench_probe.py [--model sentence-transformers/all-MiniLM-L6-v2] [--seeds 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings

import torch

from morelib.data import SimulatorConfig, simulate_sources
from morelib.probe import FeatureStore, train_probe_heads
from morelib.training import RMTrainingConfig, train_reward_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--strategy", default="more")
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument("--pairs-per-source", type=int, default=24)
    parser.add_argument("--groups", type=int, default=2, help="pairs per source per batch")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=20, help="probe RMs trained at once")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: see README, Benchmarks, on shared cores)")
    parser.add_argument("--min-ratio", type=float, default=10.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    sources = simulate_sources(SimulatorConfig(n_pairs_per_source=args.pairs_per_source,
                                               seed=1))[:args.sources]
    pairs = [p for s in sources for p in s.pairs]
    src = torch.tensor([k for k, s in enumerate(sources) for _ in s.pairs])
    cfg = RMTrainingConfig(model=args.model, strategy=args.strategy, n_sources=args.sources,
                           groups_per_device_batch=args.groups, gradient_accumulation_steps=1,
                           learning_rate=1e-3, max_steps=args.steps, freeze_backbone=True,
                           max_length=args.max_length, logging_steps=args.steps)
    folder = tempfile.mkdtemp()

    def trainer(rep: int) -> float:
        start = time.perf_counter()
        train_reward_model(RMTrainingConfig(**{**cfg.to_dict(), "seed": rep}), sources,
                           f"{folder}/trainer-{rep}", resume=False)
        return time.perf_counter() - start

    def probe(store: FeatureStore, rep: int) -> float:
        start = time.perf_counter()
        zc, zr = store.pair_features(pairs)
        train_probe_heads(cfg, zc, zr, src, seeds=range(rep * args.seeds,
                                                        (rep + 1) * args.seeds))
        return time.perf_counter() - start

    times: dict[str, list[float]] = {"trainer": [], "cold": [], "warm": []}
    for rep in range(args.reps):
        times["trainer"].append(trainer(rep))
        store = FeatureStore(args.model, max_length=args.max_length, directory=None)
        times["cold"].append(probe(store, rep))
        times["warm"].append(probe(store, rep))
    med = {k: statistics.median(v) for k, v in times.items()}
    per_rm = {"trainer": med["trainer"], "cold": med["cold"] / args.seeds,
              "warm": med["warm"] / args.seeds}
    cold, warm = per_rm["trainer"] / per_rm["cold"], per_rm["trainer"] / per_rm["warm"]
    print(f"model={args.model} strategy={args.strategy} K={args.sources} "
          f"pairs/batch={cfg.pairs_per_device_batch} steps={args.steps} texts={2 * len(pairs)} "
          f"probe seeds={args.seeds} threads={torch.get_num_threads()} reps={args.reps}")
    print(f"median seconds: trainer {med['trainer']:.2f} per RM; probe cold {med['cold']:.2f} "
          f"and warm {med['warm']:.3f} for {args.seeds} RMs")
    ok = cold >= args.min_ratio
    print(f"speed-up per RM: cold {cold:.1f}x, warm {warm:.1f}x (target cold >= "
          f"{args.min_ratio:g}x: {'met' if ok else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Step time of MORE over step time of MultiTask, measured side by side in one run.

Both strategies run through the same ``RewardTrainer.training_step`` (forward, weighting, loss,
backward) plus an optimiser step, on the same model weights and the same batches; steps are
interleaved (MORE, MultiTask, MORE, ...) so machine noise hits both alike, and the ratio of
medians is printed. Bound from the issue: at most 1.05 on a 2-core CPU (exit status 1 if missed).

    python bench/bench_more_step.py [--model sentence-transformers/all-MiniLM-L6-v2] [--rounds 12]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from morelib.data.mixing import balance
from morelib.data.simulator import SimulatorConfig, simulate_sources
from morelib.models import load_tokenizer
from morelib.training import RMTrainingConfig
from morelib.training.collator import PairCollator
from morelib.training.run import ListDataset, build_examples, build_reward_model, training_arguments
from morelib.training.trainer import RewardTrainer
from morelib.weighting import make_weighting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--groups", type=int, default=2, help="groups per batch (× 5 pairs)")
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(0)

    sources = balance(simulate_sources(SimulatorConfig(n_pairs_per_source=64)), n=64)
    tokenizer = load_tokenizer(args.model)
    collate = PairCollator(tokenizer, args.max_length)
    trainers, configs = {}, {}
    for strategy in ("more", "mean"):
        config = RMTrainingConfig(model=args.model, strategy=strategy, n_sources=len(sources),
                                  groups_per_device_batch=args.groups,
                                  gradient_accumulation_steps=1, learning_rate=1e-5,
                                  max_length=args.max_length)
        model = build_reward_model(config)
        trainer = RewardTrainer(
            model=model, args=training_arguments(config, tempfile.mkdtemp()),
            train_dataset=ListDataset(build_examples(config, sources)), data_collator=collate,
            processing_class=tokenizer, source_names=[s.name for s in sources],
            weighting=make_weighting(strategy, len(sources), sizes=[len(s) for s in sources]))
        trainer.create_optimizer_and_scheduler(num_training_steps=1000)
        trainer.current_gradient_accumulation_steps = 1  # set by train(); we drive steps by hand
        trainers[strategy], configs[strategy] = trainer, config
    trainers["mean"].model.load_state_dict(trainers["more"].model.state_dict())

    # Same batches for both: MORE's stratified groups, flattened (MultiTask sees the same pairs).
    more_examples = build_examples(configs["more"], sources)
    batches = [collate(more_examples[i:i + args.groups])
               for i in range(0, args.groups * args.rounds * 2, args.groups)]

    times: dict[str, list[float]] = {"more": [], "mean": []}
    for r in range(args.rounds + 2):
        for strategy in (("more", "mean") if r % 2 == 0 else ("mean", "more")):
            trainer = trainers[strategy]
            batch = batches[r % len(batches)]
            start = time.perf_counter()
            trainer.training_step(trainer.model, batch)
            trainer.optimizer.step()
            trainer.optimizer.zero_grad(set_to_none=True)
            elapsed = time.perf_counter() - start
            if r >= 2:  # two warm-up rounds
                times[strategy].append(elapsed)
    more, mean = statistics.median(times["more"]), statistics.median(times["mean"])
    print(f"model={args.model} pairs/step={args.groups * len(sources)} "
          f"max_length={args.max_length} threads={torch.get_num_threads()}")
    print(f"median step: MORE {more * 1000:.1f} ms, MultiTask {mean * 1000:.1f} ms")
    print(f"MORE / MultiTask step time ratio: {more / mean:.3f} (bound: <= 1.05: "
          f"{'met' if more / mean <= 1.05 else 'MISSED'})")
    return 0 if more / mean <= 1.05 else 1


if __name__ == "__main__":
    raise SystemExit(main())

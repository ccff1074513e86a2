"""Worker of ``tests/test_training_distributed.py``: train tiny RMs, dump what this rank saw.

Run under a launcher (``torchrun``, ``accelerate launch``) or as one plain process::

    python tests/distributed_worker.py OUT GROUPS_PER_DEVICE STRATEGY [STRATEGY ...]

For each strategy it trains a ``tiny-llama`` RM on simulator data (3 sources, 24 pairs each,
3 optimiser steps of 2 micro-batches) with ``morelib.training.train_reward_model`` and writes
``OUT/<strategy>/rank<r>.json`` (world size, λ history, the Trainer's logs, final evaluation
metrics and the pairs of every training micro-batch of this rank) and ``rank<r>.pt`` (final
weights and their change from the initial ones). Importing this module does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

SOURCES = ("helpful", "harmless", "oasst1")
N_PAIRS = 24  # per source: 24 MORE groups = 3 steps × 2 micro-steps × 4 groups (global)


def _pair_key(pair) -> str:
    text = "\x1f".join((pair["prompt"], pair["chosen"], pair["rejected"]))
    return f'{pair["source_index"]}:{hashlib.sha1(text.encode()).hexdigest()[:12]}'


def _full(tensor):
    """A plain CPU copy (an FSDP2-sharded DTensor is gathered: a collective)."""
    if hasattr(tensor, "full_tensor"):
        tensor = tensor.full_tensor()
    return tensor.detach().cpu()


def main(out: str, groups: int, strategies: list[str]) -> None:
    import torch

    from morelib.data.mixing import balance
    from morelib.data.simulator import SimulatorConfig, simulate_sources
    from morelib.training import RMTrainingConfig, run, train_reward_model
    from morelib.training.collator import PairCollator, flatten_examples

    torch.set_num_threads(1)
    seen: list[list[str]] = []

    class RecordingCollator(PairCollator):  # the training batches this rank gets
        def __call__(self, examples):
            seen.append([_pair_key(p) for p in flatten_examples(examples)])
            return super().__call__(examples)

    run.PairCollator = RecordingCollator
    sim = SimulatorConfig(n_pairs_per_source=N_PAIRS, sources=SOURCES, seed=3)
    train = balance(simulate_sources(sim, split="train"), n=N_PAIRS)
    test = {s.name: s.pairs[:12] for s in simulate_sources(sim, split="test")}
    rank = int(os.environ.get("RANK", "0"))
    for strategy in strategies:
        seen.clear()
        config = RMTrainingConfig(
            model="tiny-llama", strategy=strategy, n_sources=len(SOURCES),
            groups_per_device_batch=groups, gradient_accumulation_steps=2, max_steps=3,
            learning_rate=1e-3, max_length=64, logging_steps=1, alpha=0.5, seed=7,
            world_size=int(os.environ.get("WORLD_SIZE", "1")))
        folder = os.path.join(out, strategy)
        init = run.build_reward_model(config).state_dict()
        result = train_reward_model(config, train, folder, eval_sources=test, resume=False)
        world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
        final = result.eval_history[result.eval_history.step == result.eval_history.step.max()]
        record = {
            "world_size": world,
            "lambda_history": result.lambda_history.to_dict("records"),
            "log_history": result.log_history,
            "eval": {f"{r.source}/{r.metric}": r.value for r in final.itertuples()},
            "batches": list(seen),
        }
        with open(os.path.join(folder, f"rank{rank}.json"), "w") as f:
            json.dump(record, f)
        final = {k: _full(v) for k, v in result.model.state_dict().items()}
        update = {k: v - init[k] for k, v in final.items()}
        torch.save({"final": final, "update": update}, os.path.join(folder, f"rank{rank}.pt"))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])

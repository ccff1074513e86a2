"""Frozen-prefix cache: training step time and scoring throughput, side by side in one run.

Three copies of one RM train on the same batches (10 pairs = 20 rows of ~128 tokens), steps
interleaved in rotating order so machine noise hits all alike (forward, Bradley–Terry loss,
backward, AdamW step; train mode):

* ``full``: full fine-tuning;
* ``partial``: the top ``--top`` layers (+ head) trainable, no cache;
* ``cached``: the same partial fine-tuning with the prefix cache, warmed beforehand (every
  batch seen once, as when a second RM trains on texts the first one saw).

Then scoring (:func:`morelib.evaluation.score_pairs`, 16 pairs per batch): the model without a
cache, with a cold cache, and with the warm cache (medians of ``--score-reps`` alternated
passes, a fresh cache each time); pairs/s and ratios are printed, with the cache's memory per
text.

    python bench/bench_prefix_cache.py [--model sentence-transformers/all-MiniLM-L6-v2] [--top 2]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from morelib.data.simulator import SimulatorConfig, simulate_sources
from morelib.data.schema import PreferencePair
from morelib.evaluation import score_pairs
from morelib.models import RewardModel, encode_pairs, load_tokenizer
from morelib.models.prefix_cache import disable_prefix_cache, enable_prefix_cache
from morelib.models.prefix_store import PrefixCache
from morelib.training.freezing import freeze_lower_layers


def long_pairs(n: int) -> list[PreferencePair]:
    """Simulator pairs with their prompt repeated, so rows fill ~128 tokens (kept from the end)."""
    sources = simulate_sources(SimulatorConfig(n_pairs_per_source=(n + 4) // 5 + 1))
    pairs = [p for group in zip(*(s.pairs for s in sources)) for p in group][:n]
    return [PreferencePair((p.prompt + " ") * 5, p.chosen, p.rejected, p.source, p.id)
            for p in pairs]


def train_step(model: RewardModel, optimizer: torch.optim.Optimizer,
               batch: dict[str, torch.Tensor]) -> float:
    start = time.perf_counter()
    rewards = model(**batch).rewards
    half = rewards.shape[0] // 2
    torch.nn.functional.softplus(-(rewards[:half] - rewards[half:])).mean().backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def timed_scoring(model: RewardModel, tokenizer, pairs, max_length: int) -> float:
    start = time.perf_counter()
    score_pairs(model, tokenizer, pairs, batch_size=16, max_length=max_length)
    return len(pairs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--top", type=int, default=2, help="trainable top layers")
    parser.add_argument("--pairs", type=int, default=10, help="pairs per training batch")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--score-pairs", type=int, default=96)
    parser.add_argument("--score-reps", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    tokenizer = load_tokenizer(args.model)
    pairs = long_pairs(args.pairs * args.rounds)
    batches = [encode_pairs(tokenizer, [p.prompt for p in chunk], [p.chosen for p in chunk],
                            [p.rejected for p in chunk], max_length=args.max_length)
               for chunk in (pairs[i:i + args.pairs] for i in range(0, len(pairs), args.pairs))]
    tokens = statistics.mean(float(b["attention_mask"].sum(1).float().mean()) for b in batches)

    full = RewardModel.from_name(args.model, seed=0)
    partial = copy.deepcopy(full)
    freeze_lower_layers(partial, args.top)
    cache = PrefixCache()
    cached = enable_prefix_cache(copy.deepcopy(partial), args.top, cache)
    models = {"full": full, "partial": partial, "cached": cached}
    optimizers = {name: torch.optim.AdamW([p for p in m.parameters() if p.requires_grad],
                                          lr=1e-5) for name, m in models.items()}
    with torch.no_grad():  # warm the cache: every training text seen once
        for batch in batches:
            cached(**batch)
    for model in models.values():
        model.train()

    times: dict[str, list[float]] = {name: [] for name in models}
    names = list(models)
    for r in range(args.rounds + 1):
        for name in names[r % 3:] + names[:r % 3]:
            elapsed = train_step(models[name], optimizers[name], batches[r % len(batches)])
            if r >= 1:  # one warm-up round
                times[name].append(elapsed)
    step = {name: statistics.median(t) for name, t in times.items()}
    print(f"model={args.model} top={args.top} pairs/step={args.pairs} "
          f"mean tokens/row={tokens:.0f} threads={torch.get_num_threads()}")
    print("median train step: " + ", ".join(f"{n} {s * 1000:.0f} ms ({args.pairs / s:.1f} pairs/s)"
                                            for n, s in step.items()))
    print(f"speed-up of the warm cache: {step['partial'] / step['cached']:.2f}x vs partial "
          f"fine-tuning without it, {step['full'] / step['cached']:.2f}x vs full fine-tuning "
          f"(partial vs full: {step['full'] / step['partial']:.2f}x)")

    score = long_pairs(args.score_pairs)
    scorer = copy.deepcopy(partial).eval()
    speeds: dict[str, list[float]] = {"plain": [], "cold": [], "warm": []}
    for _ in range(args.score_reps):  # alternated, a fresh cache each time
        speeds["plain"].append(timed_scoring(disable_prefix_cache(scorer), tokenizer, score,
                                             args.max_length))
        enable_prefix_cache(scorer, args.top, PrefixCache())
        for name in ("cold", "warm"):
            speeds[name].append(timed_scoring(scorer, tokenizer, score, args.max_length))
    plain, cold, warm = (statistics.median(speeds[n]) for n in ("plain", "cold", "warm"))
    report = scorer.prefix_runner.cache.size_report()
    print(f"scoring {len(score)} pairs: no cache {plain:.1f} pairs/s, cold cache {cold:.1f} "
          f"pairs/s, warm cache {warm:.1f} pairs/s (warm/cold {warm / cold:.2f}x, warm/no cache "
          f"{warm / plain:.2f}x, cold/no cache {cold / plain:.2f}x)")
    print(f"cache: {report['entries']} texts, {report['bytes'] / 2**20:.1f} MiB "
          f"({report['bytes'] / report['entries'] / 1024:.0f} KiB per text, "
          f"{report['bytes_per_token']:.0f} B per token, {report['dtype']})")


if __name__ == "__main__":
    main()

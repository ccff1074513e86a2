"""Best-of-n sampling: one batched call against a per-prompt loop, measured side by side.

Both paths sample with :class:`morelib.alignment.generation.TransformersGenerator` on the same
policy (SmolLM2-135M-Instruct, float32, CPU), the paper's sampling settings (temperature 1,
top-k 50, top-p 1), the same prompts, ``n`` samples each:

* **batched** (the library's way): every prompt in one ``generate`` call, left-padded,
  ``num_return_sequences=n``: P·n rows decoded together;
* **per-prompt loop**: one call per prompt and sample (P·n calls of one unpadded row), the
  straightforward loop;
* for information, **per-prompt, n per call**: one call per prompt with its n samples.

Repetitions alternate the paths' order; medians are compared. Each path's generated tokens
are counted (until each row's EOS), so the work can be compared too. Bound (issue 6): batched
≥ 3× faster than the per-prompt loop; exit status 1 if missed.

    python bench/bench_best_of_n.py [--n 4] [--max-new-tokens 16] [--reps 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from morelib.alignment.generation import TransformersGenerator
from morelib.alignment.policy import load_policy

PROMPTS = [
    "\n\nHuman: How do I make a cup of tea?\n\nAssistant:",
    "\n\nHuman: What are some good exercises for back pain?\n\nAssistant:",
    "\n\nHuman: Can you recommend a book about the history of science for a teenager who "
    "likes physics?\n\nAssistant:",
    "\n\nHuman: Why is the sky blue?\n\nAssistant:",
    "\n\nHuman: My neighbour's dog barks all night. What can I do about it without starting "
    "a fight?\n\nAssistant:",
    "\n\nHuman: Give me a tip for saving money.\n\nAssistant:",
]


def count_tokens(tokenizer, rows: list[list[str]]) -> int:
    return sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for r in rows for t in r)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="HuggingFaceTB/SmolLM2-135M-Instruct")
    parser.add_argument("--prompts", type=int, default=len(PROMPTS))
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (0: "
                        "torch's default); 1 because on a CPU shared with other jobs OpenMP "
                        "threads that wait for each other make every op pay for the contention")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    prompts = (PROMPTS * (args.prompts // len(PROMPTS) + 1))[:args.prompts]
    model, tokenizer = load_policy(args.model)
    batched = TransformersGenerator(model, tokenizer, batch_size=len(prompts))
    single = TransformersGenerator(model, tokenizer, batch_size=1)
    k, new = args.n, args.max_new_tokens

    def run_batched(seed: int):
        return batched.generate(prompts, n=k, max_new_tokens=new, seed=seed)

    def run_loop(seed: int):
        return [[single.generate([p], n=1, max_new_tokens=new, seed=seed + j)[0][0]
                 for j in range(k)] for p in prompts]

    def run_per_prompt(seed: int):
        return [single.generate([p], n=k, max_new_tokens=new, seed=seed)[0] for p in prompts]

    paths = {"batched": run_batched, "loop": run_loop, "per-prompt n": run_per_prompt}
    run_batched(0)  # warm-up
    run_loop(0)
    times: dict[str, list[float]] = {name: [] for name in paths}
    tokens: dict[str, int] = {}
    names = list(paths)
    for rep in range(args.reps):
        for name in (names if rep % 2 == 0 else names[::-1]):
            start = time.perf_counter()
            out = paths[name](1000 * rep)
            times[name].append(time.perf_counter() - start)
            assert len(out) == len(prompts) and all(len(r) == k for r in out)
            tokens[name] = count_tokens(tokenizer, out)
    med = {name: statistics.median(t) for name, t in times.items()}
    ratio = med["loop"] / med["batched"]
    print(f"model={args.model} {len(prompts)} prompts x n={k}, max_new_tokens={new}, "
          f"threads={torch.get_num_threads()}, {args.reps} alternated reps, medians")
    for name in names:
        print(f"{name:>13}: {med[name]:6.2f} s  ({len(prompts) * k / med[name]:5.1f} samples/s;"
              f" {tokens[name]} response tokens in the last rep)")
    print(f"speed ratio batched vs per-prompt loop: {ratio:.2f}x (bound >= 3: "
          f"{'met' if ratio >= 3 else 'MISSED'}); vs per-prompt calls of n: "
          f"{med['per-prompt n'] / med['batched']:.2f}x")
    return 0 if ratio >= 3 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""RM scoring: dynamic padding + length bucketing vs padding every batch to the maximum length.

Both paths score the same preference pairs with the same reward model (MiniLM-L6 backbone, head
seeded) through ``RewardModel.forward`` in inference mode, ``--batch-size`` pairs (twice as
many texts) per forward pass:

* **bucketed** (the library): :func:`morelib.evaluation.score_pairs`: every text tokenised
  once, sorted by token count, each batch padded to its own longest row, scores put back in
  the original order;
* **padded to max**: the pairs in their original order, every batch padded to ``--max-length``
  tokens (what ``tokenizer(..., padding="max_length")`` gives: static shapes).

Texts: a seeded random sample of ``--pairs`` pairs from the real Anthropic HH helpful + harmless
test sets (``authors-format/{helpful,harmless}.test.json.gz`` under ``MORELIB_DATA_DIR``, else
``../shared/data`` next to the repository). Without them, synthetic texts whose token counts
follow the HH test sets' distribution under the MiniLM tokenizer (log-normal fit: mean 4.82,
s.d. 0.79 in log tokens, i.e. median 133, mean 164 tokens; 2 % longer than 512), which the
output says. The timed passes alternate (padded, bucketed, bucketed, padded, ...), medians
are compared, and the maximum |score difference| between the two paths is printed.

Bounds (issue 6): bucketed ≥ 2× faster, scores identical (max |Δ| ≤ 1e-5); exit status 1 if
either is missed.

    python bench/bench_scoring.py [--pairs 64] [--batch-size 8] [--reps 3] [--unsorted]

The sample is small so that a CPU run takes minutes; the bucketing gain grows with the number
of texts (tighter buckets): token counts of the full 4,664 HH test pairs at 16 pairs per batch
predict about 4.3x, of this default sample about 3.1x.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from morelib.data.authors_format import load_authors_file
from morelib.data.schema import PreferencePair
from morelib.evaluation import score_pairs
from morelib.models import RewardModel, encode_rows, load_tokenizer, pad_rows
from morelib.settings import data_dir

HH_FILES = ("authors-format/helpful.test.json.gz", "authors-format/harmless.test.json.gz")
#: log-normal fit of the HH helpful + harmless test texts' MiniLM token counts (prompt + reply)
FALLBACK_LOG_MEAN, FALLBACK_LOG_SD = 4.82, 0.79
WORDS = ("the", "cat", "house", "water", "you", "can", "help", "with", "that", "how", "make",
         "good", "time", "people", "know", "think", "about", "what", "food", "day")


def hh_folder() -> Path | None:
    """MORELIB_DATA_DIR, else ``../shared/data`` beside the repository, if it has the HH files."""
    for folder in (data_dir(), Path(__file__).resolve().parents[2] / "shared" / "data"):
        if folder is not None and all((folder / f).is_file() for f in HH_FILES):
            return folder
    return None


def sample_pairs(n: int, seed: int) -> tuple[list[PreferencePair], str]:
    """``n`` pairs: a random sample of the real HH test pairs, or the synthetic fallback."""
    rng = np.random.default_rng(seed)
    folder = hh_folder()
    if folder is not None:
        pairs = [p for f in HH_FILES for p in load_authors_file(folder / f).pairs]
        chosen = rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)
        return [pairs[i] for i in chosen], f"real HH test pairs ({len(pairs)} in {folder})"

    def words(k: int) -> str:
        return " ".join(rng.choice(WORDS, size=max(k, 1)))

    out = []
    for i in range(n):
        total_c, total_r = np.exp(rng.normal(FALLBACK_LOG_MEAN, FALLBACK_LOG_SD, size=2))
        prompt_len = int(min(total_c, total_r) * rng.uniform(0.3, 0.8))
        prompt = f"\n\nHuman: {words(prompt_len)}\n\nAssistant:"
        out.append(PreferencePair(prompt, " " + words(int(total_c) - prompt_len),
                                  " " + words(int(total_r) - prompt_len), "synthetic", str(i)))
    return out, "SYNTHETIC texts with the HH test sets' length distribution (no data folder)"


@torch.inference_mode()
def score_padded(model: RewardModel, tokenizer, pairs: list[PreferencePair], batch_size: int,
                 max_length: int) -> np.ndarray:
    """[n, 2] rewards, pairs in their original order, every batch padded to ``max_length``."""
    out = np.zeros((len(pairs), 2))
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        texts = [p.prompt + p.chosen for p in chunk] + [p.prompt + p.rejected for p in chunk]
        enc = pad_rows(tokenizer, encode_rows(tokenizer, texts, max_length), length=max_length)
        rewards = model(**enc).rewards.float().numpy()
        out[start:start + len(chunk)] = rewards.reshape(2, len(chunk)).T
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8, help="pairs per forward pass")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (0: "
                        "torch's default); 1 because on a CPU shared with other jobs OpenMP "
                        "threads that wait for each other make every op pay for the contention")
    parser.add_argument("--unsorted", action="store_true",
                        help="also time dynamic padding without sorting (original order)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    pairs, origin = sample_pairs(args.pairs, args.seed)
    tokenizer = load_tokenizer(args.model)
    model = RewardModel.from_name(args.model, tokenizer=tokenizer, seed=0).eval()
    texts = [p.prompt + p.chosen for p in pairs] + [p.prompt + p.rejected for p in pairs]
    lengths = np.array([len(r) for r in encode_rows(tokenizer, texts, args.max_length)])

    paths = {
        "padded": lambda: score_padded(model, tokenizer, pairs, args.batch_size,
                                       args.max_length),
        "bucketed": lambda: score_pairs(model, tokenizer, pairs, args.batch_size,
                                        args.max_length),
    }
    if args.unsorted:  # dynamic padding alone: batches in the original order
        paths["unsorted"] = lambda: np.concatenate([
            score_pairs(model, tokenizer, pairs[i:i + args.batch_size], args.batch_size,
                        args.max_length) for i in range(0, len(pairs), args.batch_size)])
    # warm-up (allocator, kernels) on a few pairs
    score_pairs(model, tokenizer, pairs[:2], args.batch_size, args.max_length)
    score_padded(model, tokenizer, pairs[:2], args.batch_size, args.max_length)

    times: dict[str, list[float]] = {name: [] for name in paths}
    scores: dict[str, np.ndarray] = {}
    names = list(paths)
    for rep in range(args.reps):
        for name in (names if rep % 2 == 0 else names[::-1]):
            start = time.perf_counter()
            scores[name] = paths[name]()
            times[name].append(time.perf_counter() - start)

    med = {name: statistics.median(t) for name, t in times.items()}
    ratio = med["padded"] / med["bucketed"]
    diff = float(np.abs(scores["padded"] - scores["bucketed"]).max())
    print(f"model={args.model} texts: {origin}; sample of {len(pairs)} pairs (seed "
          f"{args.seed}), {len(texts)} texts, tokens/text mean {lengths.mean():.0f}, median "
          f"{np.median(lengths):.0f}, max {lengths.max()} (max_length {args.max_length}); "
          f"{args.batch_size} pairs/batch; threads={torch.get_num_threads()}; "
          f"{args.reps} alternated reps, medians")
    for name in names:
        print(f"{name:>9}: {med[name]:7.2f} s  ({len(pairs) / med[name]:6.1f} pairs/s)")
    if "unsorted" in med:
        print(f"dynamic padding alone (unsorted) vs padded: {med['padded'] / med['unsorted']:.2f}x")
    print(f"speed ratio bucketed vs padded to max: {ratio:.2f}x (bound >= 2: "
          f"{'met' if ratio >= 2 else 'MISSED'}); max |score diff| {diff:.1e} (bound <= 1e-5: "
          f"{'met' if diff <= 1e-5 else 'MISSED'})")
    return 0 if ratio >= 2 and diff <= 1e-5 else 1


if __name__ == "__main__":
    raise SystemExit(main())

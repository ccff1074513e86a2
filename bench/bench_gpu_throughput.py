"""RM training throughput of a Pythia-1.4B-shaped reward model: tokens/s, MFU, MORE / MultiTask.

The model is a GPT-NeoX backbone built from a config with Pythia-1.4B's shape (24 layers,
d = 2048, 16 heads, FFN 8192, rotary on 25 % of each head, parallel residual; vocabulary 50,304)
and random initialisation (no network needed), PyTorch scaled-dot-product attention
(``attn_implementation="sdpa"``), wrapped in :class:`morelib.models.RewardModel`. Training
runs the real step: :class:`morelib.training.trainer.RewardTrainer`'s ``training_step``
(forward, closed-form head gradients, the weighting, Σ λ_i · per-source Bradley–Terry loss,
``accelerator.backward``) on the accelerate-prepared model (bf16 autocast with fp32 master
weights: ``TrainingArguments(bf16=True)``, what the ``paper`` profile uses), then gradient
clipping (1.0), AdamW and the scheduler, as ``Trainer``'s loop does.

MultiTask (``mean``) and MORE share the model, the optimiser and the batches: steps alternate
between the two weightings (MORE, MultiTask, MultiTask, MORE, ...) so drift and noise hit both
alike; each step is timed to the device's completion; medians are compared after warm-up.
Batches: random token ids, every row ``--seq-len`` tokens long (no padding), ``--groups``
stratified groups of K = 5 pairs per step, i.e. 2 · 5 · groups rows.

Model FLOPs per trained token (the convention of PaLM's MFU, Chowdhery et al. 2022, App. B):

    6 · N  +  12 · L · d · s

with N the parameters outside the input embedding (the backbone's layers, the norms' ~0.1 %
included, plus the head; an RM has no LM head; Pythia-1.4B shape: N = 1.209 B, 7.55 GFLOP per
token at s = 512), L layers, d the width, s the sequence length (attention scores and values
counted as a full, non-causal s × s matrix; activation recomputation not counted).
MFU = tokens/s × FLOPs per token / peak bf16 dense FLOP/s, the peak looked up from the GPU's name
(H100 SXM 989, H100 PCIe 756, H200 989, A100 312, L40S 362, L4 121 TFLOP/s) or given with
``--peak-tflops``.

Bounds (issue 6, checked on a GPU without ``--tiny``; exit status 1 if missed): MORE / MultiTask
step time ≤ 1.02, MFU ≥ 35 %. ``--tiny`` runs a small config for a few steps (CPU: seconds) to
check the script end to end; it reports but does not enforce the bounds.

    python bench/bench_gpu_throughput.py                 # on a GPU
    python bench/bench_gpu_throughput.py --tiny          # anywhere, end-to-end check
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

import torch
from transformers import AutoModel, GPTNeoXConfig, TrainingArguments

from morelib.models import RewardModel
from morelib.training.trainer import RewardTrainer
from morelib.weighting import make_weighting

SOURCES = ("helpful", "harmless", "webgpt", "summarize", "oasst1")
#: dense bf16 tensor-core peaks in TFLOP/s; the first substring found in the device name wins
PEAK_BF16_TFLOPS = (("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("GH200", 989.0),
                    ("H200", 989.0), ("H100", 989.0), ("H800", 989.0), ("A100", 312.0),
                    ("A800", 312.0), ("L40S", 362.0), ("L4", 121.0))


def neox_config(tiny: bool) -> GPTNeoXConfig:
    """Pythia-1.4B's shape (``EleutherAI/pythia-1.4b`` config.json), or a tiny one."""
    if tiny:
        return GPTNeoXConfig(vocab_size=1024, hidden_size=64, num_hidden_layers=2,
                             num_attention_heads=4, intermediate_size=256,
                             max_position_embeddings=256, rotary_pct=0.25,
                             use_parallel_residual=True, tie_word_embeddings=False)
    return GPTNeoXConfig(vocab_size=50304, hidden_size=2048, num_hidden_layers=24,
                         num_attention_heads=16, intermediate_size=8192,
                         max_position_embeddings=2048, rotary_pct=0.25, rotary_emb_base=10000,
                         use_parallel_residual=True, layer_norm_eps=1e-5,
                         tie_word_embeddings=False, hidden_act="gelu")


def flops_per_token(model: RewardModel, seq_len: int) -> tuple[float, int]:
    """(6·N + 12·L·d·s, N) with N the parameters outside the input embedding (module notes)."""
    embedding = model.backbone.get_input_embeddings().weight.numel()
    n = sum(p.numel() for p in model.parameters()) - embedding
    cfg = model.config
    return 6.0 * n + 12.0 * cfg.num_hidden_layers * cfg.hidden_size * seq_len, n


def peak_flops(device: torch.device, override_tflops: float | None) -> tuple[float | None, str]:
    """Peak bf16 FLOP/s and the device's name (``None`` when unknown and not given)."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    if override_tflops:
        return override_tflops * 1e12, name
    for key, tflops in PEAK_BF16_TFLOPS:
        if key in name:
            return tflops * 1e12, name
    return None, name


def make_batches(n: int, groups: int, seq_len: int, vocab: int, device: torch.device,
                 seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """``n`` batches of ``groups`` stratified groups (one pair per source each), full rows."""
    gen = torch.Generator().manual_seed(seed)
    pairs = groups * len(SOURCES)
    source_index = torch.arange(len(SOURCES)).repeat(groups)
    return [{"input_ids": torch.randint(1, vocab, (2 * pairs, seq_len), generator=gen).to(device),
             "attention_mask": torch.ones(2 * pairs, seq_len, dtype=torch.long, device=device),
             "source_index": source_index.to(device)} for _ in range(n)]


def build_trainer(model: RewardModel, args: argparse.Namespace, output_dir: str) -> Any:
    """A RewardTrainer with the model and AdamW prepared by accelerate (as ``train`` does)."""
    training_args = TrainingArguments(
        output_dir=output_dir, per_device_train_batch_size=args.groups, learning_rate=1e-6,
        max_grad_norm=1.0, bf16=args.bf16, report_to=[], disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(), save_strategy="no", logging_strategy="no")
    trainer = RewardTrainer(model=model, args=training_args, source_names=list(SOURCES),
                            weighting=make_weighting("mean", len(SOURCES)))
    trainer.create_optimizer()
    prepared, trainer.optimizer = trainer.accelerator.prepare(trainer.model, trainer.optimizer)
    trainer.model_wrapped = prepared
    trainer.create_scheduler(num_training_steps=10_000)
    trainer.current_gradient_accumulation_steps = 1  # set by train(); we drive steps by hand
    return trainer


def timed_step(trainer: Any, batch: dict[str, torch.Tensor], device: torch.device) -> float:
    """One optimiser step (the Trainer loop's order), timed to the device's completion."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    model = trainer.model_wrapped
    trainer.training_step(model, batch)
    trainer.accelerator.clip_grad_norm_(model.parameters(), trainer.args.max_grad_norm)
    trainer.optimizer.step()
    trainer.lr_scheduler.step()
    model.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="small config, few steps (CPU ok)")
    parser.add_argument("--groups", type=int, default=None,
                        help="stratified groups of 5 pairs per step (default 4; tiny 1)")
    parser.add_argument("--seq-len", type=int, default=None, help="tokens per row (512; tiny 64)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per weighting (default 12; tiny 3)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per weighting")
    parser.add_argument("--no-bf16", dest="bf16", action="store_false",
                        help="fp32 instead of bf16 autocast")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="peak bf16 dense TFLOP/s of the device (overrides the name lookup)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads when running on the CPU (0: torch's default)")
    args = parser.parse_args()
    args.groups = args.groups or (1 if args.tiny else 4)
    args.seq_len = args.seq_len or (64 if args.tiny else 512)
    args.steps = args.steps or (3 if args.tiny else 12)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu" and args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    config = neox_config(args.tiny)
    with torch.device(device):  # random init straight on the device
        backbone = AutoModel.from_config(config, attn_implementation="sdpa",
                                         dtype=torch.float32)
    model = RewardModel(backbone, pad_token_id=0, name="pythia-1.4b-shaped (random init)",
                        seed=0)
    if args.gradient_checkpointing:
        model.activation_checkpointing_enable()
    per_token, n_params = flops_per_token(model, args.seq_len)
    peak, device_name = peak_flops(device, args.peak_tflops)

    with tempfile.TemporaryDirectory() as output_dir:
        trainer = build_trainer(model, args, output_dir)
        weightings = {"mean": trainer.weighting,
                      "more": make_weighting("more", len(SOURCES), alpha=0.99, normalize="l2")}
        batches = make_batches(4, args.groups, args.seq_len, config.vocab_size, device)
        times: dict[str, list[float]] = {"more": [], "mean": []}
        for r in range(args.warmup + args.steps):
            for name in (("more", "mean") if r % 2 == 0 else ("mean", "more")):
                trainer.weighting = weightings[name]
                elapsed = timed_step(trainer, batches[r % len(batches)], device)
                if r >= args.warmup:
                    times[name].append(elapsed)
        lam = weightings["more"].last_diagnostics.lambdas
        precision = trainer.accelerator.mixed_precision

    tokens = 2 * args.groups * len(SOURCES) * args.seq_len
    med = {name: statistics.median(t) for name, t in times.items()}
    ratio = med["more"] / med["mean"]
    label = {"mean": "MultiTask", "more": "MORE"}
    print(f"device: {device_name}; torch {torch.__version__}; "
          f"{'tiny config' if args.tiny else 'Pythia-1.4B shape'}: {n_params / 1e6:.1f} M "
          f"matmul parameters, {config.num_hidden_layers} layers, d={config.hidden_size}; "
          f"mixed precision {precision!r}, sdpa; {tokens} tokens/step "
          f"({2 * args.groups * len(SOURCES)} rows x {args.seq_len}); {args.steps} timed steps "
          f"per weighting after {args.warmup} warm-up, alternated, medians")
    print(f"model FLOPs per token: 6N + 12·L·d·s = {per_token / 1e9:.3f} GFLOP")
    mfu: dict[str, float] = {}
    for name in ("mean", "more"):
        rate = tokens / med[name]
        line = f"{label[name]:>9}: {med[name] * 1000:8.1f} ms/step, {rate:10.0f} tokens/s"
        if peak:
            mfu[name] = rate * per_token / peak
            line += f", MFU {100 * mfu[name]:.1f} % of {peak / 1e12:.0f} TFLOP/s"
        print(line)
    print(f"MORE / MultiTask step time: {ratio:.3f} (bound on a GPU: <= 1.02)"
          + ("" if not peak else f"; MFU target >= 35 %"))
    print("MORE's last λ: " + ", ".join(f"{v:.3f}" for v in lam))
    if args.tiny or device.type != "cuda":
        print("(--tiny or no GPU: bounds reported, not enforced)")
        return 0
    ok = ratio <= 1.02 and (not mfu or min(mfu.values()) >= 0.35)
    print("bounds: " + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Memory per GPU and time of one RM's training, from arithmetic (not a measurement): what
``python -m morelib.suite_setup --dry-run`` prints before anything trains.

Memory per process, in bytes (N parameters of the RM, T of them trained):

* training state: trained weights 16 B each (fp32 weight, gradient, two Adam moments), frozen
  weights 4 B, plus 2 B per weight for bf16 copies under autocast; divided by the world size
  when FSDP or ZeRO-3 shards it (``sharded``), plus one gathered layer (bf16, twice for prefetch);
* activations of one micro-batch (``2 × pairs per device batch`` sequences × ``max_length``
  tokens): per token and layer about ``5.5·hidden + 3·intermediate`` numbers (17·hidden for a
  4·hidden MLP, Korthikanti et al. 2022, sdpa attention), 2 B each in bf16, 4 B in fp32; with
  gradient checkpointing only each layer's input plus one layer's activations;
* 1.5 GB of CUDA context and workspace.

Time: 6·N FLOPs per token for full fine-tuning (4·N when only a small part trains: no weight
gradients for the rest), × 4/3 with checkpointing, at ``mfu`` (35 %) of the GPUs' peak: bf16
tensor peak with ``bf16``, half of it for TF32, 1/16 for plain fp32.

Example:
    >>> from morelib.models.shape import ModelShape
    >>> from morelib.training import RMTrainingConfig
    >>> pythia = ModelShape("EleutherAI/pythia-1.4b", 1_311_625_216, 24, 2048, 8192)
    >>> cfg = RMTrainingConfig(model=pythia.name, strategy="more", n_sources=5, world_size=8,
    ...                        bf16=True, tf32=True)
    >>> m = memory_estimate(pythia, cfg)
    >>> round(m.state / 1e9, 1), round(m.activations / 1e9, 1), round(m.total / 1e9, 1)
    (23.6, 8.8, 33.9)
    >>> round(step_seconds(pythia, cfg, peak_flops=312e12), 2)   # 8 A100s at 35 %
    0.74
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GB = 1e9
CUDA_OVERHEAD = 1.5 * GB
MFU = 0.35
A100_BF16 = 312e12

#: bf16 dense tensor peak by GPU name (substring of torch.cuda.get_device_name).
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A6000": 155e12,
             "L4": 121e12, "A10": 125e12, "V100": 125e12}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per process: ``state`` (weights, gradients, optimiser, bf16 copies, gathered
    layer), ``activations`` and ``total`` (with the CUDA overhead)."""

    state: float
    activations: float

    @property
    def total(self) -> float:
        return self.state + self.activations + CUDA_OVERHEAD


def trained_parameters(shape: Any, config: Any) -> int:
    """Parameters that get gradients and Adam states: all, the top layers' share, or LoRA's
    adapters (rank r on the four attention projections of every layer) plus the head.

    Example:
        >>> from morelib.models.shape import ModelShape
        >>> from morelib.training import RMTrainingConfig
        >>> s = ModelShape("m", 1000_000, 10, 100, 400)
        >>> trained_parameters(s, RMTrainingConfig(model="m", lora_r=8))
        64101
    """
    head = shape.hidden + 1
    if config.lora_r > 0:
        return shape.layers * 4 * 2 * config.lora_r * shape.hidden + head
    if config.trainable_top_layers > 0:
        share = min(config.trainable_top_layers, shape.layers) / shape.layers
        return int(shape.parameters * share) + head
    return shape.parameters + head


def memory_estimate(shape: Any, config: Any, sharded: bool = False) -> MemoryEstimate:
    """The :class:`MemoryEstimate` of training ``config`` on a model of ``shape``."""
    total = shape.parameters + shape.hidden + 1
    trained = trained_parameters(shape, config)
    state = 16.0 * trained + 4.0 * (total - trained) + (2.0 * total if config.bf16 else 0.0)
    if sharded and config.world_size > 1:
        state = state / config.world_size + 2 * 2.0 * total / shape.layers
    per_number = 2.0 if config.bf16 else 4.0
    tokens = 2 * config.pairs_per_device_batch * config.max_length
    layer = tokens * (5.5 * shape.hidden + 3 * shape.intermediate) * per_number
    if config.gradient_checkpointing:
        activations = shape.layers * tokens * shape.hidden * per_number + layer
    else:
        activations = shape.layers * layer
    return MemoryEstimate(state, activations)


def flops_per_step(shape: Any, config: Any) -> float:
    """FLOPs of one optimiser step over all processes (every sequence at ``max_length``)."""
    tokens = 2 * config.global_pairs_per_step * config.max_length
    full = trained_parameters(shape, config) > 0.5 * shape.parameters
    flops = (6.0 if full else 4.0) * (shape.parameters + shape.hidden + 1) * tokens
    return flops * (4 / 3 if config.gradient_checkpointing else 1.0)


def peak_flops(gpu_name: str | None, config: Any) -> float:
    """The peak FLOP/s of one GPU for the config's precision (A100 when the name is unknown).

    Example:
        >>> from morelib.training import RMTrainingConfig
        >>> peak_flops("NVIDIA H100 80GB HBM3", RMTrainingConfig(model="m", bf16=True)) / 1e12
        989.0
        >>> peak_flops(None, RMTrainingConfig(model="m")) / 1e12   # A100, plain fp32
        19.5
    """
    peak = next((v for k, v in PEAK_BF16.items() if gpu_name and k in gpu_name), A100_BF16)
    if config.bf16:
        return peak
    return peak / 2 if config.tf32 else peak / 16


def step_seconds(shape: Any, config: Any, peak_flops: float, mfu: float = MFU) -> float:
    """Seconds per optimiser step on ``config.world_size`` GPUs of ``peak_flops`` each."""
    return flops_per_step(shape, config) / (config.world_size * peak_flops * mfu)

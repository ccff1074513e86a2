"""The launcher's plan as text: every RM with its steps, memory per GPU and expected time,
against the GPUs this process sees (:mod:`morelib.experiments.estimates` holds the arithmetic).

Models are resolved here, before anything trains (:func:`morelib.models.shape.model_shape`
reads only their configs), so a missing or gated model stops the run at once.

Example:
    >>> from morelib.plan import PlannedRM
    >>> from morelib.training import RMTrainingConfig
    >>> rm = PlannedRM("04_more_training", "suite", "more",
    ...                RMTrainingConfig(model="tiny-bert", strategy="more", n_sources=2), 8, 4,
    ...                "k", False)
    >>> text = format_plan([rm], gpus=[])
    >>> "no GPU visible" in text, "tiny-bert" in text
    (True, True)
    >>> from morelib.profile_sections import RJSSpec
    >>> rjs = RJSSpec(policy_model="tiny-llama", prompts_per_source=2, max_new_tokens=4,
    ...               eval_prompts_per_source=2, ppl_per_source=2, sft={"lora_r": 8})
    >>> print(policy_line(rjs))  # doctest: +ELLIPSIS
    05 policy tiny-llama: 0.00 B parameters; SFT (LoRA r=8) in one process: ~1.5 GB ...
    >>> check_plan([rm], [("NVIDIA H100", 80e9)], world_size=2)
    ['this launch has 2 process(es) but the RMs are configured for world_size 1']
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from morelib.experiments.estimates import (GB, memory_estimate, peak_flops, step_seconds)
from morelib.models.shape import model_shape


def visible_gpus() -> list[tuple[str, float]]:
    """``(name, total memory in bytes)`` of each CUDA GPU this process sees."""
    import torch

    if not torch.cuda.is_available():
        return []
    return [(torch.cuda.get_device_name(i), float(torch.cuda.get_device_properties(i).total_memory))
            for i in range(torch.cuda.device_count())]


def sharded_launch(environ: Any = None) -> bool:
    """Whether the launch shards parameters (accelerate's FSDP, or DeepSpeed ZeRO-3).

    Example:
        >>> sharded_launch({"ACCELERATE_USE_FSDP": "true"}), sharded_launch({})
        (True, False)
    """
    env = os.environ if environ is None else environ
    if env.get("ACCELERATE_USE_FSDP", "").lower() == "true":
        return True
    return (env.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true"
            and env.get("ACCELERATE_DEEPSPEED_ZERO_STAGE", "") == "3")


def _human(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def rm_estimates(rm: Any, gpu_name: str | None, sharded: bool) -> tuple[float, float]:
    """``(bytes per GPU, seconds)`` of one planned RM."""
    shape = model_shape(rm.config.model)
    memory = memory_estimate(shape, rm.config, sharded=sharded).total
    return memory, rm.steps * step_seconds(shape, rm.config, peak_flops(gpu_name, rm.config))


def format_plan(rms: Sequence[Any], gpus: Sequence[tuple[str, float]],
                sharded: bool | None = None) -> str:
    """The plan table (one row per RM) and its totals."""
    sharded = sharded_launch() if sharded is None else sharded
    gpu_name = gpus[0][0] if gpus else None
    lines = [f"{'notebook':<17} {'job':<34} {'rm':<18} {'model':<34} {'pairs':>8} "
             f"{'steps':>6} {'GB/GPU':>7} {'time':>9}  state"]
    total_seconds, to_train = 0.0, 0
    for rm in rms:
        memory, seconds = rm_estimates(rm, gpu_name, sharded)
        if not rm.cached:
            total_seconds += seconds
            to_train += 1
        lines.append(f"{rm.notebook:<17} {rm.label[:34]:<34} {rm.rm[:18]:<18} "
                     f"{rm.config.model[:34]:<34} {rm.n_pairs:>8} {rm.steps:>6} "
                     f"{memory / GB:>7.1f} {_human(seconds):>9}  "
                     f"{'cached' if rm.cached else 'to train'}")
    worlds = sorted({rm.config.world_size for rm in rms})
    gpu_text = (f"{len(gpus)} x {gpus[0][0]} ({gpus[0][1] / GB:.0f} GB)" if gpus
                else "no GPU visible: memory not checked; times assume A100s")
    lines += ["", f"RMs: {len(rms)}, to train: {to_train}, expected training time "
              f"{_human(total_seconds)} at 35 % of peak on world_size {worlds} "
              f"({'sharded' if sharded else 'not sharded (DDP)'}); GPUs: {gpu_text}"]
    return "\n".join(lines)


def policy_memory(rjs: Any) -> float:
    """Bytes of notebook 05's SFT, which runs in one process (``morelib setup --notebooks 05``):
    the base policy (fp32, 4 B per weight) stays loaded next to the copy being trained (16 B per
    weight in full fine-tuning; 4 B plus small adapters with LoRA), plus the CUDA overhead. Resolving the
    policy here makes a gated one without a token fail before anything trains."""
    n = model_shape(rjs.policy_model).parameters
    return 4.0 * n + (4.0 * n if rjs.sft_config(seed=0).lora_r else 16.0 * n) + 1.5 * GB


def policy_line(rjs: Any) -> str:
    """One line on notebook 05's policy (an :class:`~morelib.profile_sections.RJSSpec`) and
    its SFT memory (:func:`policy_memory`)."""
    n, lora = model_shape(rjs.policy_model).parameters, rjs.sft_config(seed=0).lora_r
    kind = f"LoRA r={lora}" if lora else "full fine-tuning"
    return (f"05 policy {rjs.policy_model}: {n / 1e9:.2f} B parameters; SFT ({kind}) in "
            f"one process: ~{policy_memory(rjs) / GB:.1f} GB plus activations")


def check_plan(rms: Sequence[Any], gpus: Sequence[tuple[str, float]],
               world_size: int | None = None, sharded: bool | None = None) -> list[str]:
    """Problems that would stop or doom the run: a launch whose process count is not the RMs'
    ``world_size``, more processes than visible GPUs, an estimate over a GPU's memory."""
    sharded = sharded_launch() if sharded is None else sharded
    problems = []
    worlds = sorted({rm.config.world_size for rm in rms})
    if world_size is not None and any(w != world_size for w in worlds):
        problems.append(f"this launch has {world_size} process(es) but the RMs are configured "
                        f"for world_size {', '.join(map(str, worlds))}")
    if not gpus:
        return problems
    if world_size is None and max(worlds, default=1) > len(gpus):
        problems.append(f"world_size {max(worlds)} but {len(gpus)} GPU(s) visible")
    smallest = min(memory for _, memory in gpus)
    for rm in rms:
        memory, _ = rm_estimates(rm, gpus[0][0], sharded)
        if memory > smallest:
            problems.append(f"{rm.notebook} {rm.label} {rm.rm}: ~{memory / GB:.0f} GB per GPU "
                            f"> {smallest / GB:.0f} GB")
    return problems

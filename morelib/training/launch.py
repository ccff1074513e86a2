"""What a training run's launch changes in the trained model, and the check that the launch
matches the configuration.

Two runs of one :class:`~morelib.training.RMTrainingConfig` differ when the launcher differs:
the number of processes sets the global batch (``world_size × pairs_per_step``) and the pairs
each MORE λ is solved over, and a launch config's ``mixed_precision`` (the
``ACCELERATE_MIXED_PRECISION`` it exports) turns on bf16 even where the config says fp32. A
notebook that looks a trained RM up in the cache runs in one process without the launcher, so
these must come from the configuration (``world_size``, ``bf16``, ``tf32``), and training
refuses a launch that disagrees with it (:func:`check_launch`); :func:`run_identity` is what
the cache key adds.

Example:
    >>> from morelib.training import RMTrainingConfig
    >>> cfg = RMTrainingConfig(model="m", n_sources=5, world_size=8, bf16=True)
    >>> run_identity(cfg)
    {'world_size': 8, 'global_pairs_per_step': 80, 'precision': 'bf16', 'tf32': False}
    >>> check_launch(cfg, environ={"WORLD_SIZE": "1"})
    Traceback (most recent call last):
    ...
    ValueError: this RM is configured for world_size 8 (80 pairs per step) but runs in 1 process(es): train it under the launcher with 8 processes (python -m morelib.suite_setup), or set world_size: 1 and raise gradient_accumulation_steps to keep the global batch
"""

from __future__ import annotations

import os
from typing import Any, Mapping

PRECISIONS = {"no": "fp32", "fp32": "fp32", "bf16": "bf16", "fp16": "fp16"}


def launch_world_size(environ: Mapping[str, str] | None = None) -> int:
    """Processes of this launch (``WORLD_SIZE`` that torchrun / accelerate export; 1 alone).

    Example:
        >>> launch_world_size({"WORLD_SIZE": "8"}), launch_world_size({})
        (8, 1)
    """
    env = os.environ if environ is None else environ
    return int(env.get("WORLD_SIZE", "1") or 1)


def launch_precision(environ: Mapping[str, str] | None = None) -> str:
    """The mixed precision a launcher asks for (``ACCELERATE_MIXED_PRECISION``), as
    ``fp32``/``bf16``/``fp16``.

    Example:
        >>> launch_precision({"ACCELERATE_MIXED_PRECISION": "bf16"}), launch_precision({})
        ('bf16', 'fp32')
    """
    env = os.environ if environ is None else environ
    value = env.get("ACCELERATE_MIXED_PRECISION", "no") or "no"
    return PRECISIONS.get(value.lower(), value.lower())


def config_precision(config: Any) -> str:
    """``bf16`` or ``fp32``: the precision the configuration asks for."""
    return "bf16" if config.bf16 else "fp32"


def run_identity(config: Any) -> dict[str, Any]:
    """What the cache key adds for a config: world size, global batch, precision, TF32."""
    return {"world_size": config.world_size,
            "global_pairs_per_step": config.global_pairs_per_step,
            "precision": config_precision(config), "tf32": bool(config.tf32)}


def check_launch(config: Any, environ: Mapping[str, str] | None = None) -> None:
    """Raise ``ValueError`` if this process's launch would train another model than ``config``
    describes (another world size, or a launch config's mixed precision against ``bf16``).

    Example:
        >>> from morelib.training import RMTrainingConfig
        >>> check_launch(RMTrainingConfig(model="m", world_size=2),
        ...              environ={"WORLD_SIZE": "2", "ACCELERATE_MIXED_PRECISION": "no"})
        >>> check_launch(RMTrainingConfig(model="m"), {"ACCELERATE_MIXED_PRECISION": "bf16"})
        Traceback (most recent call last):
        ...
        ValueError: the launch config asks for mixed_precision bf16 but this RM is configured for fp32 (bf16: false): set the profile's bf16 to match the launch config
    """
    world = launch_world_size(environ)
    if world != config.world_size:
        raise ValueError(
            f"this RM is configured for world_size {config.world_size} "
            f"({config.global_pairs_per_step} pairs per step) but runs in {world} process(es): "
            f"train it under the launcher with {config.world_size} processes "
            "(python -m morelib.suite_setup), or set world_size: "
            f"{world} and raise gradient_accumulation_steps to keep the global batch")
    launched, wanted = launch_precision(environ), config_precision(config)
    if launched != "fp32" and launched != wanted:
        raise ValueError(
            f"the launch config asks for mixed_precision {launched} but this RM is configured "
            f"for {wanted} (bf16: {str(config.bf16).lower()}): set the profile's bf16 to match "
            "the launch config")

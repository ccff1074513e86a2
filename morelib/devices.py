"""The device a model scores and generates on: the best one this process can see.

``best_device()`` is ``MORELIB_DEVICE`` when set (e.g. ``cpu`` to keep a GPU free, ``cuda:1``),
else the first CUDA GPU when torch sees one, else the CPU. ``place(model)`` moves a model there
unless accelerate has already dispatched it over several devices (``hf_device_map``); inputs
follow the model (:func:`model_device`), so scoring and generation code never names a device.

Example:
    >>> import torch
    >>> best_device({"MORELIB_DEVICE": "cpu"})
    device(type='cpu')
    >>> layer = place(torch.nn.Linear(2, 1), "cpu")
    >>> model_device(layer)
    device(type='cpu')
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import torch


def best_device(environ: Mapping[str, str] | None = None) -> torch.device:
    """``MORELIB_DEVICE``, else ``cuda`` when available, else ``cpu`` (see the module notes).

    Example:
        >>> best_device({"MORELIB_DEVICE": "cuda:1"})
        device(type='cuda', index=1)
    """
    env = os.environ if environ is None else environ
    chosen = env.get("MORELIB_DEVICE", "").strip()
    if chosen:
        return torch.device(chosen)
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def accelerator_available() -> bool:
    """Whether torch sees a GPU or other accelerator (``torch.accelerator`` where it exists).

    Example:
        >>> accelerator_available() == (torch.cuda.is_available() or accelerator_available())
        True
    """
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None and hasattr(accelerator, "is_available"):
        return bool(accelerator.is_available())
    return torch.cuda.is_available()


def model_device(model: Any) -> torch.device:
    """Where a model's first parameter lives (where its inputs must go).

    Example:
        >>> model_device(torch.nn.Linear(1, 1))
        device(type='cpu')
    """
    return next(model.parameters()).device


def place(model: Any, device: str | torch.device | None = None) -> Any:
    """``model`` moved to ``device`` (default :func:`best_device`); a model that accelerate
    dispatched over several devices (``hf_device_map`` with more than one) stays where it is.

    Example:
        >>> class Dispatched(torch.nn.Linear):
        ...     hf_device_map = {"a": 0, "b": 1}
        >>> place(Dispatched(1, 1), "meta").weight.device   # left alone
        device(type='cpu')
        >>> place(torch.nn.Linear(1, 1), "meta").weight.device
        device(type='meta')
    """
    device_map = getattr(model, "hf_device_map", None) or {}
    if len(set(device_map.values())) > 1:
        return model
    target = torch.device(device) if device is not None else best_device()
    return model if model_device(model) == target else model.to(target)

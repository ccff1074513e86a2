"""Ask the Hugging Face hub about a model before anything loads it: found, gated without
access, missing, or unreachable.

* A **gated** repository (Llama-2, Mistral, ...) answers ``model_info`` like any other; whether
  this machine may download it is asked separately (``auth_check``). Gated without access is
  :data:`GATED`, which :func:`morelib.models.resolve_model` turns into a one-line
  :class:`GatedModelError` naming the model, its licence page, ``HF_TOKEN`` and
  ``hf auth login`` (``huggingface-cli login``), before any training starts.
* A **slow** reply (a timeout, ``MORELIB_HUB_TIMEOUT`` seconds, default 3) is asked once more
  with five times the timeout, and never marks the hub as down for the rest of the process;
  only a failure to connect at all (no network, DNS, refused) does.

Example:
    >>> gated_message("meta-llama/Llama-2-7b-hf")  # doctest: +ELLIPSIS
    'meta-llama/Llama-2-7b-hf is a gated model and this machine has no access to it: accept its licence at https://huggingface.co/meta-llama/Llama-2-7b-hf, then log in (hf auth login, or huggingface-cli login) or set HF_TOKEN to a token with read access ...'
"""

from __future__ import annotations

import os
from functools import lru_cache

FOUND, GATED = "found", "gated, and no access with this machine's token"
RETRY_FACTOR = 5

_HUB_DOWN: list[str] = []  # the first failure to connect, remembered for the process


class GatedModelError(LookupError):
    """A gated hub model this machine has no token for (see :func:`gated_message`)."""


def gated_message(name: str) -> str:
    """The one-line error for a gated model without access."""
    return (f"{name} is a gated model and this machine has no access to it: accept its licence "
            f"at https://huggingface.co/{name}, then log in (hf auth login, or "
            "huggingface-cli login) or set HF_TOKEN to a token with read access "
            "(README: Hub tokens)")


def ask_hub(name: str) -> str:
    """:data:`FOUND`, :data:`GATED`, or why the hub did not give the model (see the module
    notes); once the hub could not be reached at all, it is not asked again."""
    if _HUB_DOWN:
        return f"unreachable earlier in this process ({_HUB_DOWN[0]})"
    return _ask_hub_cached(name, float(os.environ.get("MORELIB_HUB_TIMEOUT", "3")))


def is_timeout(error: BaseException) -> bool:
    """Whether an HTTP client's error is a timeout (httpx, requests, or the builtin).

    Example:
        >>> is_timeout(TimeoutError()), is_timeout(ConnectionRefusedError())
        (True, False)
    """
    return any("timeout" in cls.__name__.lower() for cls in type(error).__mro__)


class _Slow(Exception):
    pass


@lru_cache(maxsize=256)
def _ask_hub_cached(name: str, timeout: float) -> str:
    try:
        return _probe(name, timeout)
    except _Slow:
        pass
    try:
        return _probe(name, timeout * RETRY_FACTOR)
    except _Slow as slow:
        return (f"timed out twice ({timeout:g} s, then {timeout * RETRY_FACTOR:g} s: "
                f"{slow.args[0]}); other models are still asked")


def _probe(name: str, timeout: float) -> str:
    from huggingface_hub import auth_check, model_info
    from huggingface_hub.errors import (GatedRepoError, HFValidationError,
                                        RepositoryNotFoundError)

    try:
        info = model_info(name, timeout=timeout)
    except GatedRepoError:
        return GATED
    except RepositoryNotFoundError:
        return "no such model (or private)"
    except HFValidationError:
        return "not a valid hub id"
    except Exception as error:  # network errors of whatever HTTP client huggingface_hub uses
        if is_timeout(error):
            raise _Slow(f"{type(error).__name__}: {error}") from error
        _HUB_DOWN.append(f"{type(error).__name__}: {error}")
        return f"unreachable ({_HUB_DOWN[0]})"
    if getattr(info, "gated", False):
        try:
            auth_check(name)
        except GatedRepoError:
            return GATED
    return FOUND

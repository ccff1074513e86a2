"""The :class:`~morelib.alignment.generation.Generator` interface on vLLM (GPU machines).

``vllm`` is imported only when a :class:`VLLMGenerator` is built; without it the constructor
raises an ``ImportError`` that says what to install (``pip install 'morelib[vllm]'``) and what to
use instead. Prompts go to vLLM as **token ids** from
:func:`~morelib.alignment.chat_format.prompt_token_ids`, so both backends see exactly the same
prompt tokens; responses come back in the same convention (:func:`hh_response`). Each prompt
gets its own ``SamplingParams`` with ``seed = seed + prompt index``, so a prompt's samples do not
depend on how vLLM schedules the batch.

Not tested beyond the missing-package error (no GPU in CI). A GGUF model name (SmolLM2's offline
copy) is passed as the ``.gguf`` file with the hub id as ``tokenizer``, which needs network.

Example:
    >>> isinstance(vllm_available(), bool)
    True
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Sequence

from morelib.alignment.chat_format import hh_response, prompt_token_ids, uses_chat_template
from morelib.alignment.generation import Generations, cut_at_next_turn, versions

MISSING = ("vllm is not installed: install it on a GPU machine with `pip install 'morelib[vllm]'`, "
           "or sample with morelib.alignment.TransformersGenerator (same interface)")


def vllm_available() -> bool:
    """Whether ``vllm`` can be imported (checked without importing it).

    Example:
        >>> vllm_available() == (importlib.util.find_spec("vllm") is not None)
        True
    """
    return importlib.util.find_spec("vllm") is not None


def require_vllm() -> Any:
    """The ``vllm`` module, or an ``ImportError`` naming the fix.

    Example:
        >>> try:
        ...     _ = require_vllm()
        ... except ImportError as err:
        ...     assert "pip install 'morelib[vllm]'" in str(err)
    """
    if not vllm_available():
        raise ImportError(MISSING)
    import vllm

    return vllm


class VLLMGenerator:
    """vLLM sampling behind the :class:`~morelib.alignment.generation.Generator` interface.

    Args:
        model: a model name (resolved with :func:`morelib.models.resolve_model`) or folder.
        tokenizer: the tokenizer that renders prompts (default
            :func:`morelib.models.load_tokenizer` of ``model``).
        temperature, top_k, top_p: default sampling settings (the paper's).
        max_prompt_tokens: longer rendered prompts keep their last tokens (``None``: all), as
            in :class:`~morelib.alignment.generation.TransformersGenerator`.
        llm_kwargs: passed to ``vllm.LLM`` (e.g. ``dtype``, ``gpu_memory_utilization``).

    Raises:
        ImportError: vllm is not installed.
    """

    backend = "vllm"

    def __init__(self, model: str, tokenizer: Any = None, temperature: float = 1.0,
                 top_k: int = 50, top_p: float = 1.0, max_prompt_tokens: int | None = None,
                 **llm_kwargs: Any):
        self._vllm = require_vllm()
        from morelib.models import load_tokenizer, resolve_model

        resolved = resolve_model(model)
        path = resolved.path or model
        if "gguf_file" in resolved.load_kwargs:
            path = os.path.join(path, resolved.load_kwargs["gguf_file"])
            llm_kwargs.setdefault("tokenizer", model)
        self.model_name = model
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(model)
        self.sampling = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
        self.max_prompt_tokens = max_prompt_tokens
        self.llm_kwargs = dict(llm_kwargs)
        self.llm = self._vllm.LLM(model=path, **llm_kwargs)

    def record(self, n: int, max_new_tokens: int, seed: int, **sampling: Any) -> dict[str, Any]:
        """The record of a call with these arguments (backend, model, settings, versions)."""
        return {"backend": self.backend, "model": self.model_name,
                "settings": {"n": n, "max_new_tokens": max_new_tokens, "seed": seed,
                             "seed_rule": "seed + prompt index", **self.sampling, **sampling,
                             "chat_template": uses_chat_template(self.tokenizer),
                             "max_prompt_tokens": self.max_prompt_tokens,
                             "llm_kwargs": {k: str(v) for k, v in self.llm_kwargs.items()}},
                "versions": {**versions(), "vllm": self._vllm.__version__}}

    def generate(self, prompts: Sequence[str], n: int = 1, max_new_tokens: int = 256,
                 seed: int = 0, **sampling: Any) -> Generations:
        """``n`` sampled responses per prompt (``sampling``: any ``SamplingParams`` field)."""
        settings = {**self.sampling, **sampling}
        ids = [prompt_token_ids(self.tokenizer, p) for p in prompts]
        if self.max_prompt_tokens:
            ids = [row[-self.max_prompt_tokens:] for row in ids]
        inputs = [{"prompt_token_ids": row} for row in ids]
        params = [self._vllm.SamplingParams(n=n, max_tokens=max_new_tokens, seed=seed + i,
                                            skip_special_tokens=True, **settings)
                  for i in range(len(prompts))]
        outputs = self.llm.generate(inputs, params, use_tqdm=False)
        chat = uses_chat_template(self.tokenizer)
        rows = [[hh_response(o.text if chat else cut_at_next_turn(o.text)) for o in out.outputs]
                for out in outputs]
        return Generations(rows, self.record(n, max_new_tokens, seed, **sampling))

    __call__ = generate

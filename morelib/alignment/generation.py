"""Sampling n responses per prompt: one :class:`Generator` interface, two backends.

``generate(prompts, n, max_new_tokens, seed, **sampling) -> list[list[str]]`` returns, for each
prompt, its ``n`` sampled responses in the data's response convention (one leading space, see
:func:`~morelib.alignment.chat_format.hh_response`). The result is a :class:`Generations` list
that also carries a ``record`` (backend name, model, every sampling setting, versions), so saved
outputs always say how they were made.

* :class:`TransformersGenerator`: batched ``model.generate`` with **left padding** (position ids
  follow the attention mask), ``num_return_sequences=n`` in one call per batch of prompts,
  prompts rendered by :func:`~morelib.alignment.chat_format.prompt_token_ids` (chat template),
  answers decoded from the **tokens after the prompt** (not by slicing characters, D21) with
  special tokens skipped. Seeded: the same seed, prompts and ``batch_size`` give the same samples
  (prompts are batched longest first; the global RNG is left untouched).
* :class:`~morelib.alignment.vllm_generation.VLLMGenerator`: the same interface on vLLM (GPU
  machines; imported only when used).

Sampling defaults are the paper's (HF defaults in the authors' code): temperature 1.0, top-k 50,
top-p 1.0; the authors used 256 new tokens.

Example:
    >>> from morelib.alignment.policy import load_policy
    >>> gen = TransformersGenerator(*load_policy("tiny-llama"), batch_size=2)
    >>> out = gen.generate(["\\n\\nHuman: Hi\\n\\nAssistant:"], n=3, max_new_tokens=4, seed=0)
    >>> len(out), len(out[0]), out.record["backend"], out.record["settings"]["top_k"]
    (1, 3, 'transformers', 50)
"""

from __future__ import annotations

import platform
from typing import Any, Protocol, Sequence, runtime_checkable

import torch

from morelib.alignment.chat_format import hh_response, prompt_token_ids, uses_chat_template
from morelib.vocabulary import GENERATION_BACKENDS

#: The paper's sampling settings (the authors' HF defaults).
PAPER_SAMPLING = {"temperature": 1.0, "top_k": 50, "top_p": 1.0}


class Generations(list):
    """``list[list[str]]`` (responses per prompt) with the generation ``record`` attached.

    Example:
        >>> g = Generations([[" a", " b"]], record={"backend": "fake"})
        >>> g == [[" a", " b"]], g.record["backend"]
        (True, 'fake')
    """

    def __init__(self, rows: Sequence[Sequence[str]] = (), record: dict[str, Any] | None = None):
        super().__init__([list(r) for r in rows])
        self.record = dict(record or {})


@runtime_checkable
class Generator(Protocol):
    """Anything that samples ``n`` responses for each prompt (see the module docstring)."""

    backend: str

    def generate(self, prompts: list[str], n: int, max_new_tokens: int, seed: int,
                 **sampling: Any) -> list[list[str]]: ...


def versions() -> dict[str, str]:
    """Versions of the libraries that shape the samples.

    Example:
        >>> sorted(versions())
        ['python', 'torch', 'transformers']
    """
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__}


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-padded ``input_ids`` and ``attention_mask`` (``[N, longest]``) of token id lists.

    Example:
        >>> left_pad([[5, 6, 7], [8]], pad_id=0)["input_ids"].tolist()
        [[5, 6, 7], [0, 0, 8]]
    """
    length = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            input_ids[i, length - len(row):] = torch.tensor(list(row), dtype=torch.long)
            attention_mask[i, length - len(row):] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def _generation_defaults(model: Any) -> dict[str, Any]:
    config = getattr(model, "generation_config", None)
    if config is None:
        return {}
    return {k: v for k, v in config.to_diff_dict().items() if k != "transformers_version"}


def cut_at_next_turn(text: str) -> str:
    """Drop a hallucinated next dialogue turn (base models without a chat template continue
    with ``"\\n\\nHuman: ..."``).

    Example:
        >>> cut_at_next_turn(" Sure.\\n\\nHuman: thanks\\n\\nAssistant: ok")
        ' Sure.'
    """
    return text.split("\n\nHuman:", 1)[0]


class TransformersGenerator:
    """Batched, left-padded, seeded sampling with ``transformers`` (see the module docstring).

    Args:
        model: a causal LM (e.g. from :func:`morelib.alignment.policy.load_policy`).
        tokenizer: its tokenizer; its pad token must not be its EOS.
        batch_size: prompts per ``generate`` call (each gives ``n`` rows).
        temperature, top_k, top_p: default sampling settings (the paper's).
        max_prompt_tokens: longer rendered prompts keep their last tokens (``None``: all).
        model_name: recorded name (default: the model config's ``_name_or_path``).

    Example:
        >>> from morelib.alignment.policy import load_policy
        >>> gen = TransformersGenerator(*load_policy("tiny-llama"))
        >>> p = ["\\n\\nHuman: Hi\\n\\nAssistant:", "\\n\\nHuman: Why?\\n\\nAssistant:"]
        >>> gen.generate(p, 2, 5, seed=1) == gen.generate(p, 2, 5, seed=1)
        True
    """

    backend = "transformers"

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 8,
                 temperature: float = 1.0, top_k: int = 50, top_p: float = 1.0,
                 max_prompt_tokens: int | None = None, model_name: str | None = None):
        if tokenizer.pad_token_id is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
            raise ValueError("the tokenizer needs a pad token other than its EOS "
                             "(use morelib.models.load_tokenizer or prepare_tokenizer)")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        self.sampling = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
        self.max_prompt_tokens = max_prompt_tokens
        self.model_name = model_name or getattr(model.config, "_name_or_path", "") or "unnamed"

    def record(self, n: int, max_new_tokens: int, seed: int, **sampling: Any) -> dict[str, Any]:
        """The record of a call with these arguments (backend, model, settings, versions)."""
        return {"backend": self.backend, "model": self.model_name,
                "settings": {"n": n, "max_new_tokens": max_new_tokens, "seed": seed,
                             "batch_size": self.batch_size, "do_sample": True,
                             **self.sampling, **sampling,
                             "chat_template": uses_chat_template(self.tokenizer),
                             "max_prompt_tokens": self.max_prompt_tokens,
                             "dtype": str(self.model.dtype).replace("torch.", ""),
                             "device": str(self.model.device)},
                # fills settings not given here (e.g. a repetition penalty of the checkpoint)
                "model_generation_config": _generation_defaults(self.model),
                "versions": versions()}

    @torch.inference_mode()
    def generate(self, prompts: Sequence[str], n: int = 1, max_new_tokens: int = 256,
                 seed: int = 0, **sampling: Any) -> Generations:
        """``n`` sampled responses per prompt; ``sampling`` overrides the defaults (any
        ``GenerationConfig`` field, e.g. ``temperature=0.7`` or ``do_sample=False``)."""
        settings = {"do_sample": True, **self.sampling, **sampling}
        ids = [prompt_token_ids(self.tokenizer, p) for p in prompts]
        if self.max_prompt_tokens:
            ids = [row[-self.max_prompt_tokens:] for row in ids]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        out: list[list[str]] = [[] for _ in prompts]
        device = self.model.device
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                torch.manual_seed(seed)
                for start in range(0, len(order), self.batch_size):
                    batch = order[start:start + self.batch_size]
                    texts = self._generate_batch([ids[i] for i in batch], n, max_new_tokens,
                                                 settings)
                    for j, i in enumerate(batch):
                        out[i] = texts[j * n:(j + 1) * n]
        finally:
            self.model.train(was_training)
        return Generations(out, self.record(n, max_new_tokens, seed, **sampling))

    __call__ = generate

    def _generate_batch(self, rows: list[list[int]], n: int, max_new_tokens: int,
                        settings: dict[str, Any]) -> list[str]:
        enc = left_pad(rows, self.tokenizer.pad_token_id)
        sequences = self.model.generate(
            input_ids=enc["input_ids"].to(self.model.device),
            attention_mask=enc["attention_mask"].to(self.model.device),
            max_new_tokens=max_new_tokens, num_return_sequences=n,
            pad_token_id=self.tokenizer.pad_token_id, eos_token_id=self.tokenizer.eos_token_id,
            **settings)
        new_tokens = sequences[:, enc["input_ids"].shape[1]:]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        if not uses_chat_template(self.tokenizer):
            texts = [cut_at_next_turn(t) for t in texts]
        return [hh_response(t) for t in texts]


def resolve_backend(backend: str) -> str:
    """``"transformers"`` or ``"vllm"`` for a name of
    :data:`morelib.vocabulary.GENERATION_BACKENDS` (``"auto"``: vLLM when it is installed and a
    GPU is visible).

    Example:
        >>> resolve_backend("transformers")
        'transformers'
        >>> resolve_backend("auto") in ("transformers", "vllm")
        True
    """
    from morelib.alignment.vllm_generation import vllm_available

    if backend not in GENERATION_BACKENDS:
        raise ValueError(f"backend must be one of {GENERATION_BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "vllm" if vllm_available() and torch.cuda.is_available() else "transformers"
    return backend


def make_generator(model_name: str, backend: str = "transformers", batch_size: int = 8,
                   **kwargs: Any) -> Generator:
    """A generator for a model name: ``"transformers"`` (loads it with
    :func:`~morelib.alignment.policy.load_policy`, on the GPU when there is one), ``"vllm"``, or
    ``"auto"`` (:func:`resolve_backend`). ``kwargs`` go to the generator (sampling defaults,
    ``max_prompt_tokens``; vLLM's ``LLM`` arguments).

    Example:
        >>> make_generator("tiny-llama", top_k=10).sampling["top_k"]
        10
    """
    if resolve_backend(backend) == "vllm":
        from morelib.alignment.vllm_generation import VLLMGenerator

        return VLLMGenerator(model_name, **kwargs)
    from morelib.alignment.policy import load_policy
    from morelib.devices import place

    model, tokenizer = load_policy(model_name)
    return TransformersGenerator(place(model), tokenizer, batch_size=batch_size,
                                 model_name=model_name, **kwargs)

"""The RJS experiment of the paper (§10.5 Table 1, §10.6 Fig. 7): its cached steps.

One base policy samples ``n_candidates`` responses per RJS query **once**
(:meth:`RJSExperiment.candidates`); every RM under test scores those same candidates
(:meth:`RJSExperiment.scores`), its best ones become the SFT data of its RJS policy
(:meth:`RJSExperiment.policy_outputs`: LoRA/full SFT, one sampled answer per evaluation prompt,
per-example perplexity on the PPL sets). The base policy (no training) and the SFT baseline
(chosen responses of the training pairs) go through the same :meth:`policy_outputs`. Each step
is a :class:`~morelib.runs.RunCache` entry keyed by everything it depends on (texts included),
so a killed run resumes at the first unfinished step.

The loop over the RMs under test is :func:`morelib.alignment.rjs_loop.run_rjs` (the launcher's
and notebook 05's); judging (:mod:`~morelib.alignment.judging`), the Table 1 and Fig. 7
statistics (:mod:`~morelib.alignment.rjs_statistics`), Table 1 (:mod:`~morelib.alignment.table1`)
and the findings (:mod:`~morelib.alignment.findings`) are cheap and recomputed.

Example (tiny random-init policy, toy length "RM"; smoke-sized):
    >>> import tempfile
    >>> from morelib.alignment.best_of_n import Candidates, best_responses
    >>> from morelib.runs import RunCache
    >>> cfg = RJSConfig(policy="tiny-llama", n_candidates=2, max_new_tokens=4, batch_size=4,
    ...                 sft=sft_config(max_steps=1, per_device_batch_size=2, lora_r=4))
    >>> q = ["\\n\\nHuman: Hi\\n\\nAssistant:", "\\n\\nHuman: Why?\\n\\nAssistant:"]
    >>> exp = RJSExperiment(RunCache(tempfile.mkdtemp()), cfg, rjs_prompts=q, eval_prompts=q,
    ...                     ppl_sets={"helpful": (q, [" Hello.", " Because."])})
    >>> length = lambda prompts, responses: np.array([float(len(r)) for r in responses])
    >>> sc = exp.scores("length", {"toy": "length"}, length)
    >>> out = exp.policy_outputs("rjs/length", *best_responses(Candidates(sc)))
    >>> len(out.responses), sorted(out.ppl.set.unique()), out.n_sft_examples
    (2, ['helpful'], 2)
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.alignment.best_of_n import COLUMNS, Candidates, sample_candidates, score_candidates
from morelib.alignment.sft import SFTConfig
from morelib.io import atomic_write_text
from morelib.runs import RunCache

__all__ = ["PolicyOutputs", "RJSConfig", "RJSExperiment", "sft_config"]

#: The cached candidates' columns (scores are per RM: :meth:`RJSExperiment.scores`).
CANDIDATE_COLUMNS = COLUMNS[:4]


@dataclass
class RJSConfig:
    """Policy, sampling and SFT settings of one RJS experiment (paper: Alpaca-7B, S = 4,
    temperature 1, top-k 50; SFT 1 epoch, batch 64, lr 1e-6)."""

    policy: str = "tiny-llama"
    n_candidates: int = 4
    max_new_tokens: int = 48
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    batch_size: int = 8
    max_prompt_tokens: int | None = 256
    ppl_max_length: int = 256
    seed: int = 42
    sft: SFTConfig = field(default_factory=SFTConfig)
    #: how the candidates are sampled (a name of morelib.vocabulary.GENERATION_BACKENDS; "auto":
    #: vLLM when installed and a GPU is visible); the policies' evaluation answers always use
    #: transformers.
    backend: str = "transformers"

    def sampling(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p}


@dataclass
class PolicyOutputs:
    """What one policy produced: ``responses`` (one per evaluation prompt, in order), ``ppl``
    (``set, prompt_id, ppl``), the SFT log and example count (0 for the base policy)."""

    name: str
    responses: list[str]
    ppl: pd.DataFrame
    log: dict[str, Any]
    n_sft_examples: int

    def ppl_means(self, gate: float | None = None) -> dict[str, float]:
        """Mean perplexity per set (``gate``: drop values ≥ gate and NaNs, the authors' rule)."""
        from morelib.alignment.perplexity import mean_perplexity

        return {s: mean_perplexity(g.ppl.to_numpy(), gate).mean
                for s, g in self.ppl.groupby("set", sort=False)}


class RJSExperiment:
    """Candidates, RM scores and RJS / baseline policies of one experiment; see the module
    docstring. ``ppl_sets``: ``{name: (prompts, responses)}`` (e.g. helpful / harmless chosen
    answers of test pairs)."""

    def __init__(self, cache: RunCache, config: RJSConfig, rjs_prompts: Sequence[str],
                 eval_prompts: Sequence[str],
                 ppl_sets: Mapping[str, tuple[Sequence[str], Sequence[str]]]):
        self.cache, self.config = cache, config
        self.rjs_prompts, self.eval_prompts = list(rjs_prompts), list(eval_prompts)
        self.ppl_sets = {k: (list(p), list(r)) for k, (p, r) in ppl_sets.items()}
        self._base: tuple[Any, Any] | None = None

    # -- the base policy, loaded once per process ------------------------------------------
    def base_policy(self) -> tuple[Any, Any]:
        if self._base is None:
            from morelib.alignment.policy import load_policy
            from morelib.devices import place

            model, tok = load_policy(self.config.policy, seed=self.config.seed)
            self._base = (place(model), tok)  # the GPU when there is one
        return self._base

    def _generator(self, model: Any, tok: Any) -> Any:
        from morelib.alignment.generation import TransformersGenerator

        c = self.config
        return TransformersGenerator(model, tok, batch_size=c.batch_size,
                                     max_prompt_tokens=c.max_prompt_tokens,
                                     model_name=c.policy, **c.sampling())

    def _backend(self) -> str:
        from morelib.alignment.generation import resolve_backend

        return resolve_backend(self.config.backend)

    def _sample_key(self) -> dict[str, Any]:
        c = self.config
        return {"policy": c.policy, "seed": c.seed, "max_new_tokens": c.max_new_tokens,
                "sampling": c.sampling(), "batch_size": c.batch_size,
                "max_prompt_tokens": c.max_prompt_tokens}

    # -- step 1: candidates of the base policy ---------------------------------------------
    def candidates(self) -> pd.DataFrame:
        """``prompt_id, prompt, candidate, text`` for every RJS query (sampled once, by
        :func:`~morelib.alignment.best_of_n.sample_candidates` with the config's backend)."""
        backend = self._backend()
        key = {**self._sample_key(), "n": self.config.n_candidates, "prompts": self.rjs_prompts}
        if backend != "transformers":  # transformers keeps the keys runs were cached under
            key["backend"] = backend

        def compute() -> pd.DataFrame:
            c = self.config
            if backend == "vllm":
                from morelib.alignment.vllm_generation import VLLMGenerator

                gen = VLLMGenerator(c.policy, max_prompt_tokens=c.max_prompt_tokens,
                                    **c.sampling())
            else:
                gen = self._generator(*self.base_policy())
            sampled = sample_candidates(self.rjs_prompts, c.n_candidates, gen,
                                        c.max_new_tokens, seed=c.seed)
            if backend == "vllm":  # drop the engine before the RMs and the SFT need the GPU
                import gc

                import torch

                del gen
                gc.collect()
                torch.cuda.empty_cache()  # how much vLLM hands back depends on its version
            return sampled.frame[list(CANDIDATE_COLUMNS)]

        return self.cache.cached_frame("rjs_candidates", key, compute)

    # -- step 2: one RM's scores of the candidates -----------------------------------------
    def scores(self, name: str, rm_key: Any, score_fn: Callable[..., np.ndarray]) -> pd.DataFrame:
        """The candidates with a ``score`` column from ``score_fn`` (an RM identified in the
        cache by ``rm_key``, e.g. its suite cache entry; scored by
        :func:`~morelib.alignment.best_of_n.score_candidates`), the sampling ``backend`` and the
        RM's ``name`` (``rm``)."""
        cands = self.candidates()
        key = {"rm": rm_key, "candidates": cands[["prompt", "text"]].values.tolist()}

        def compute() -> pd.DataFrame:
            unscored = Candidates(cands.assign(score=np.nan, backend=self._backend()))
            return score_candidates(unscored, score_fn).frame

        return self.cache.cached_frame("rjs_scores", key, compute).assign(rm=name)

    # -- step 3: a policy (SFT on given data, or none) and its outputs ---------------------
    def policy_outputs(self, name: str, prompts: Sequence[str] = (),
                       responses: Sequence[str] = ()) -> PolicyOutputs:
        """Train a copy of the base policy on ``(prompts, responses)`` (none: the base policy
        itself), then sample one answer per evaluation prompt and measure perplexity."""
        prompts, responses = list(prompts), list(responses)
        key = {**self._sample_key(), "sft": self.config.sft if prompts else None,
               "ppl_max_length": self.config.ppl_max_length, "train": [prompts, responses],
               "eval": self.eval_prompts, "ppl_sets": self.ppl_sets}

        def build(path: Path) -> PolicyOutputs:
            from morelib.alignment.perplexity import perplexity
            from morelib.alignment.policy import save_policy
            from morelib.alignment.sft import train_sft

            model, tok = self.base_policy()
            log: dict[str, Any] = {"name": name}
            if prompts:
                result = train_sft(copy.deepcopy(model), tok, prompts, responses, self.config.sft)
                model = result.model
                log.update(global_step=result.global_step, seconds=round(result.train_seconds, 2),
                           log_history=result.log_history)
                if hasattr(model, "peft_config"):  # the adapter only: small
                    save_policy(model, tok, path / "adapter", merge=False)
            gen = self._generator(model, tok)
            out = gen.generate(self.eval_prompts, 1, self.config.max_new_tokens,
                               seed=self.config.seed + 1)
            texts = [row[0] for row in out]
            parts = []
            for set_name, (ps, rs) in self.ppl_sets.items():
                ppl = perplexity(model, tok, ps, rs, batch_size=self.config.batch_size,
                                 max_length=self.config.ppl_max_length)
                parts.append(pd.DataFrame({"set": set_name, "prompt_id": range(len(ps)),
                                           "ppl": ppl}))
            ppl_frame = pd.concat(parts, ignore_index=True) if parts else \
                pd.DataFrame(columns=["set", "prompt_id", "ppl"])
            ppl_frame.to_csv(path / "ppl.csv", index=False)
            atomic_write_text(path / "responses.json", json.dumps(texts))
            log["n_sft_examples"] = len(prompts)
            atomic_write_text(path / "log.json", json.dumps(log, default=str))
            return load(path)

        def load(path: Path) -> PolicyOutputs:
            log = json.loads((path / "log.json").read_text())
            return PolicyOutputs(name, json.loads((path / "responses.json").read_text()),
                                 pd.read_csv(path / "ppl.csv"), log, log["n_sft_examples"])

        return self.cache.cached("rjs_policy", key, build, load)


def sft_config(**overrides: Any) -> SFTConfig:
    """An :class:`SFTConfig` from notebook parameters (unknown names raise ``TypeError``).

    Example:
        >>> sft_config(lora_r=4, max_steps=2).lora_r
        4
    """
    known = {f.name for f in dataclasses.fields(SFTConfig)}
    bad = sorted(set(overrides) - known)
    if bad:
        raise TypeError(f"not SFTConfig fields: {bad}")
    return SFTConfig(**overrides)

"""RJS alignment: best-of-n sampling, SFT on the best samples, perplexity, judges and win rates.

Pipeline (paper §10.5, Eq. 3): :func:`load_policy` → a :class:`Generator`
(:class:`TransformersGenerator`, or :class:`VLLMGenerator` on GPUs; :func:`make_generator` picks
one by name) → :func:`best_of_n` (or its two steps, :func:`sample_candidates` and
:func:`score_candidates`) with a score function (:func:`rm_score_fn`, the training RM path;
:func:`utility_score_fn`, the simulator's truth) → :func:`select_best` / :func:`best_responses`
→ :func:`train_sft` (the SFT baseline: the same on :func:`chosen_sft_data`) →
:func:`save_policy`; then :func:`perplexity` / :func:`mean_perplexity` and the judges below.
The paper's experiment, cached step by step, is :func:`morelib.alignment.rjs_loop.run_rjs` over
a :class:`~morelib.alignment.rjs.RJSExperiment`.

Judges (``judge(prompt, response_a, response_b) -> Verdict``): :class:`UtilityJudge` (the
simulator's ground-truth utility), :class:`RewardModelJudge` (a held-out "gold" RM) and
:class:`LLMJudge` (an OpenAI-compatible chat API with the paper's helpful / harmless prompts).
:func:`compare_both_orders` judges both positions (disagreement = tie, any error = error);
:func:`win_rates` and :func:`bootstrap_win_rate` summarise the outcomes (Wilson intervals:
:func:`morelib.stats.wilson_interval`).

    >>> from morelib.alignment import UtilityJudge, compare_all, win_rates
    >>> judge = UtilityJudge(lambda prompt, response: len(response))
    >>> a, b = ["long answer", "ok", "same"], ["short", "okay", "same"]
    >>> outcomes = compare_all(judge, ["q"] * 3, a, b)
    >>> [o.winner for o in outcomes], win_rates(outcomes)["win_half_tie"]
    (['A', 'B', 'tie'], 0.5)

This face is what a user of best-of-n alignment calls. The parts beneath it (chat formatting,
SFT encoding, judge prompts, verdict algebra, return types) are imported from their modules:
:mod:`~morelib.alignment.chat_format`, :mod:`~morelib.alignment.sft_data`,
:mod:`~morelib.alignment.judge_prompts`, :mod:`~morelib.alignment.verdicts`.
"""

from .best_of_n import (Candidates, best_of_n, best_responses, load_candidates, sample_candidates,
                        save_candidates, score_candidates, select_best, selection_summary)
from .generation import Generator, TransformersGenerator, make_generator
from .judge_log import JudgementLog
from .llm_judge import LLMJudge
from .perplexity import AUTHORS_OUTLIER_GATE, mean_perplexity, perplexity
from .policy import load_policy, save_policy
from .score_judges import RewardModelJudge, UtilityJudge
from .scoring import rm_score_fn, utility_score_fn
from .sft import SFTConfig, train_sft
from .sft_data import chosen_sft_data
from .verdicts import Verdict, compare_all, compare_both_orders
from .vllm_generation import VLLMGenerator
from .win_rates import bootstrap_win_rate, win_rates

__all__ = [
    # best-of-n
    "Candidates", "best_of_n", "sample_candidates", "score_candidates", "select_best",
    "best_responses", "selection_summary", "save_candidates", "load_candidates",
    # sampling
    "Generator", "TransformersGenerator", "VLLMGenerator", "make_generator",
    # policy and SFT
    "load_policy", "save_policy", "SFTConfig", "train_sft", "chosen_sft_data",
    # scoring and perplexity
    "rm_score_fn", "utility_score_fn", "perplexity", "mean_perplexity", "AUTHORS_OUTLIER_GATE",
    # judging
    "Verdict", "UtilityJudge", "RewardModelJudge", "LLMJudge", "JudgementLog",
    "compare_both_orders", "compare_all", "win_rates", "bootstrap_win_rate",
]

"""RJS alignment: best-of-n sampling, SFT on the best samples, perplexity, judges and win rates.

Pipeline (paper §10.5, Eq. 3): :func:`load_policy` → a :class:`Generator`
(:class:`TransformersGenerator`, or :class:`VLLMGenerator` on GPUs) → :func:`best_of_n` with a
score function (:func:`rm_score_fn`, the training RM path; :func:`utility_score_fn`, the
simulator's truth) → :func:`select_best` / :func:`best_responses` → :func:`train_sft` (the SFT
baseline: the same on :func:`chosen_sft_data`) → :func:`save_policy`; then :func:`perplexity` /
:func:`mean_perplexity` and the judges below. The paper's experiment, cached step by step, is
:func:`morelib.alignment.rjs_loop.run_rjs` over a
:class:`~morelib.alignment.rjs.RJSExperiment`.

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
"""

from .best_of_n import (Candidates, best_of_n, best_responses, load_candidates, save_candidates,
                        select_best, selection_summary)
from .chat_format import encode_prompt_answer, hh_response, hh_to_messages, prompt_token_ids
from .generation import Generations, Generator, TransformersGenerator, make_generator
from .judge_log import JudgementLog
from .judge_prompts import KINDS, final_line, judge_prompt, parse_verdict
from .llm_judge import LLMJudge
from .perplexity import AUTHORS_OUTLIER_GATE, PerplexitySummary, mean_perplexity, perplexity
from .policy import load_policy, save_policy
from .score_judges import RewardModelJudge, UtilityJudge
from .scoring import rm_score_fn, score_texts, utility_score_fn
from .sft import SFTConfig, SFTResult, train_sft
from .sft_data import SFTCollator, chosen_sft_data, encode_sft_examples
from .verdicts import Outcome, Verdict, combine, compare_all, compare_both_orders, delta_verdict
from .vllm_generation import VLLMGenerator, vllm_available
from .win_rates import bootstrap_win_rate, outcome_counts, win_rates

__all__ = [
    "AUTHORS_OUTLIER_GATE",
    "Candidates",
    "Generations",
    "Generator",
    "PerplexitySummary",
    "SFTCollator",
    "SFTConfig",
    "SFTResult",
    "TransformersGenerator",
    "VLLMGenerator",
    "best_of_n",
    "best_responses",
    "chosen_sft_data",
    "encode_prompt_answer",
    "encode_sft_examples",
    "hh_response",
    "hh_to_messages",
    "load_candidates",
    "load_policy",
    "make_generator",
    "mean_perplexity",
    "perplexity",
    "prompt_token_ids",
    "rm_score_fn",
    "save_candidates",
    "save_policy",
    "score_texts",
    "select_best",
    "selection_summary",
    "train_sft",
    "utility_score_fn",
    "vllm_available",
    "KINDS",
    "JudgementLog",
    "LLMJudge",
    "Outcome",
    "RewardModelJudge",
    "UtilityJudge",
    "Verdict",
    "bootstrap_win_rate",
    "combine",
    "compare_all",
    "compare_both_orders",
    "delta_verdict",
    "final_line",
    "judge_prompt",
    "outcome_counts",
    "parse_verdict",
    "win_rates",
]

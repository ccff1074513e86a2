"""RJS alignment evaluation: pairwise judges, the swap rule and win-rate statistics.

Judges (``judge(prompt, response_a, response_b) -> Verdict``): :class:`UtilityJudge` (the
simulator's ground-truth utility), :class:`RewardModelJudge` (a held-out "gold" RM) and
:class:`LLMJudge` (an OpenAI-compatible chat API with the paper's helpful / harmless prompts).
:func:`compare_both_orders` judges both positions (disagreement = tie, any error = error);
:func:`win_rates` and :func:`bootstrap_win_rate` summarise the outcomes.

    >>> from morelib.alignment import UtilityJudge, compare_all, win_rates
    >>> judge = UtilityJudge(lambda prompt, response: len(response))
    >>> a, b = ["long answer", "ok", "same"], ["short", "okay", "same"]
    >>> outcomes = compare_all(judge, ["q"] * 3, a, b)
    >>> [o.winner for o in outcomes], win_rates(outcomes)["win_half_tie"]
    (['A', 'B', 'tie'], 0.5)
"""

from .judge_log import JudgementLog
from .judge_prompts import KINDS, final_line, judge_prompt, parse_verdict
from .llm_judge import LLMJudge
from .score_judges import RewardModelJudge, UtilityJudge
from .verdicts import Outcome, Verdict, combine, compare_all, compare_both_orders, delta_verdict
from .win_rates import bootstrap_win_rate, outcome_counts, win_rates

__all__ = [
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

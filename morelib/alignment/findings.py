"""Notebook 05's generated findings (:class:`~morelib.stats.Finding`), worded by their intervals.

Claims: ``ece_gap``, ``perplexity``, ``win_rate`` and ``ece_win_correlation``
(:func:`findings`, on Table 1, the MORE-vs-MultiTask win rates and the Fig. 7 correlations);
``identical_answers`` (:func:`identical_answers`, :func:`finding_identical_answers`) and
``scale`` (:func:`finding_scale`).

Example:
    >>> print(finding_scale(16, 8, "tiny-llama").claim)
    scale
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.stats import Finding

__all__ = ["finding_identical_answers", "finding_scale", "findings", "identical_answers"]


def findings(table1: pd.DataFrame, wins: pd.DataFrame, corr: Mapping[str, Mapping[str, Any]],
             base_row: str = "base policy", ece_gap: Mapping[str, float] | None = None,
             paper_base: str = "LLaMa2-7B") -> list[Finding]:
    """Generated sentences (:class:`~morelib.stats.Finding`; claims ``ece_gap``, ``perplexity``,
    ``win_rate``, ``ece_win_correlation``) on Table 1 (``table1`` indexed by row name with ``ece``,
    ``ppl_*`` columns), the MORE-vs-MultiTask win rates (``wins``: :func:`win_table` rows with
    policy ``more_vs_multitask``) and the Fig. 7 correlations per judge. Intervals decide the
    wording: a difference is only called one when its 95 % interval excludes chance.
    ``ece_gap``: :func:`mean_ece_gap` of MORE and MultiTask on the H&H tests (``difference,
    low, high``); without it the ECE sentence only compares the two values. ``paper_base``:
    whose GPT-4 win/tie/lose (the paper's Table 1) the win-rate sentences quote.

    Example:
        >>> t1 = pd.DataFrame({"ece": [np.nan, 0.03, 0.02], "ppl_helpful": [9.0, 8.0, 7.0]},
        ...                   index=["base policy", "MultiTask", "MORE"])
        >>> w = pd.DataFrame([{"judge": "utility", "policy": "more_vs_multitask", "n": 20,
        ...     "win": .4, "tie": .2, "lose": .4, "win_half_tie": .5, "win_half_tie_low": .3,
        ...     "win_half_tie_high": .7}])
        >>> print("\\n".join(findings(t1, w, {})))
        RM calibration: MORE's mean H&H ECE is 0.0200 vs MultiTask's 0.0300 (lower), a difference of -0.0100 without an interval.
        Perplexity (helpful): base policy 9.00, MultiTask-RJS 8.00, MORE-RJS 7.00 (MORE lower than MultiTask).
        Judge `utility`: MORE-RJS vs MultiTask-RJS win/tie/lose 40/20/40 % over 20 prompts; win rate (ties as half) 0.50 [0.30, 0.70]: the interval includes 0.5, no difference can be claimed (paper, GPT-4, LLaMa2-7B RMs: 45/23/32).
        >>> gap = {"difference": -0.01, "low": -0.03, "high": 0.012}
        >>> findings(t1, w.iloc[:0], {}, ece_gap=gap)[0].split("; ")[1]
        'paired bootstrap of the difference: -0.0100 [-0.0300, +0.0120], not distinguishable.'
    """
    from morelib.paper_numbers import table1 as paper_table

    out = []
    if {"MORE", "MultiTask"} <= set(table1.index) and "ece" in table1:
        m, t = table1.loc["MORE", "ece"], table1.loc["MultiTask", "ece"]
        if ece_gap is None:
            out.append(Finding(f"RM calibration: MORE's mean H&H ECE is {m:.4f} vs MultiTask's "
                               f"{t:.4f} ({'lower' if m < t else 'not lower'}), a difference of "
                               f"{m - t:+.4f} without an interval.", "ece_gap", estimate=m - t,
                               verdict="lower" if m < t else "not lower"))
        else:
            d, lo, hi = (float(ece_gap[k]) for k in ("difference", "low", "high"))
            verdict = ("MORE lower (the interval excludes 0)" if hi < 0 else
                       "MORE higher (the interval excludes 0)" if lo > 0 else "not distinguishable")
            out.append(Finding(f"RM calibration: MORE's mean H&H ECE is {m:.4f} vs MultiTask's "
                               f"{t:.4f}; paired bootstrap of the difference: {d:+.4f} "
                               f"[{lo:+.4f}, {hi:+.4f}], {verdict}.", "ece_gap", estimate=d,
                               ci_low=lo, ci_high=hi, verdict=verdict))
    for col in [c for c in table1 if c.startswith("ppl_")]:
        if {"MORE", "MultiTask"} <= set(table1.index):
            vals = table1[col]
            parts = ", ".join(f"{k if k == base_row or k == 'SFT baseline' else k + '-RJS'} {v:.2f}"
                              for k, v in vals.items() if k in (base_row, "SFT baseline", "MultiTask", "MORE"))
            rel = "lower" if vals["MORE"] < vals["MultiTask"] else "not lower"
            out.append(Finding(f"Perplexity ({col[4:]}): {parts} (MORE {rel} than MultiTask).",
                               "perplexity", verdict=rel))
    paper = paper_table()
    paper = paper[(paper.base == paper_base) & (paper.scheme == "MORE")]
    quote = (f" (paper, GPT-4, {paper_base} RMs: {paper.win.iloc[0]:.0f}/{paper.tie.iloc[0]:.0f}/"
             f"{paper.lose.iloc[0]:.0f})" if len(paper) else "")
    for r in wins[wins.policy == "more_vs_multitask"].itertuples():
        inside = r.win_half_tie_low <= 0.5 <= r.win_half_tie_high
        verdict = ("the interval includes 0.5, no difference can be claimed" if inside else
                   f"MORE-RJS is {'better' if r.win_half_tie > 0.5 else 'worse'} (interval excludes 0.5)")
        out.append(Finding(f"Judge `{r.judge}`: MORE-RJS vs MultiTask-RJS win/tie/lose "
                           f"{100 * r.win:.0f}/{100 * r.tie:.0f}/{100 * r.lose:.0f} % over {r.n} "
                           f"prompts; win rate (ties as half) {r.win_half_tie:.2f} "
                           f"[{r.win_half_tie_low:.2f}, {r.win_half_tie_high:.2f}]: "
                           f"{verdict}{quote}.", "win_rate", estimate=r.win_half_tie,
                           ci_low=r.win_half_tie_low, ci_high=r.win_half_tie_high,
                           verdict=verdict))
    for judge, c in corr.items():
        if np.isnan(c.get("spearman", np.nan)):
            out.append(Finding(f"Fig. 7 (`{judge}`): {c.get('note')}.", "ece_win_correlation"))
            continue
        sign = ("negative (lower ECE, higher win rate: the paper's claim)"
                if c["spearman_high"] < 0 else "positive (against the paper's claim)"
                if c["spearman_low"] > 0 else "not distinguishable from zero")
        out.append(Finding(f"Fig. 7 (`{judge}`): across {c['n_rms']} RMs, Spearman ρ(ECE, win "
                           f"rate vs SFT) = {c['spearman']:.2f} [{c['spearman_low']:.2f}, "
                           f"{c['spearman_high']:.2f}], Pearson r = {c['pearson']:.2f} "
                           f"[{c['pearson_low']:.2f}, {c['pearson_high']:.2f}]: {sign}; "
                           f"{c['note']}.", "ece_win_correlation", estimate=c["spearman"],
                           ci_low=c["spearman_low"], ci_high=c["spearman_high"], verdict=sign))
    return out


def finding_identical_answers(identical: Mapping[str, int], n_prompts: int,
                              rms: Sequence[str]) -> Finding:
    """How many evaluation answers two policies share (every policy samples with one seed, so a
    policy that SFT barely moved answers as before, and any judge calls that a tie).
    ``identical``: counts for ``more_vs_multitask``, each of ``rms`` (vs the SFT baseline) and
    ``base_vs_sft``; ``estimate`` is the MORE / MultiTask count.

    Example:
        >>> print(finding_identical_answers({"more_vs_multitask": 3, "more": 1, "base_vs_sft": 0},
        ...                                 8, ["more"]))
        Identical answers (all policies sample with one seed): MORE-RJS and MultiTask-RJS answer 3 of 8 evaluation prompts identically (a tie for every judge); each RJS policy and the SFT baseline: more 1; base policy and SFT baseline: 0.
    """
    return Finding(f"Identical answers (all policies sample with one seed): MORE-RJS and "
                   f"MultiTask-RJS answer {identical['more_vs_multitask']} of {n_prompts} "
                   f"evaluation prompts identically (a tie for every judge); each RJS policy and "
                   f"the SFT baseline: " + ", ".join(f"{rm} {identical[rm]}" for rm in rms)
                   + f"; base policy and SFT baseline: {identical['base_vs_sft']}.",
                   "identical_answers", estimate=identical["more_vs_multitask"])


def identical_answers(answers: Mapping[str, Sequence[str]], rms: Sequence[str],
                      reference: str = "sft", base: str = "base", a: str = "more",
                      b: str = "multitask") -> dict[str, int]:
    """How many evaluation answers two policies share: ``{a}_vs_{b}``, each of ``rms`` against
    ``reference`` and ``{base}_vs_{reference}`` (``answers``: each policy's answers, in prompt
    order), the input of :func:`finding_identical_answers`.

    Example:
        >>> ans = {"more": ["x", "y"], "multitask": ["x", "z"], "sft": ["x", "y"], "base": ["w", "y"]}
        >>> identical_answers(ans, ["more", "multitask"])
        {'more_vs_multitask': 1, 'more': 2, 'multitask': 1, 'base_vs_sft': 1}
    """
    def same(x: Sequence[str], y: Sequence[str]) -> int:
        return int(sum(p == q for p, q in zip(x, y)))

    return {f"{a}_vs_{b}": same(answers[a], answers[b]),
            **{rm: same(answers[rm], answers[reference]) for rm in rms},
            f"{base}_vs_{reference}": same(answers[base], answers[reference])}


def finding_scale(n_queries: int, n_prompts: int, policy_model: str) -> Finding:
    """The run's scale, as a reminder that its intervals say what it can show.

    Example:
        >>> print(finding_scale(16, 8, "tiny-llama"))
        Scale: 16 RJS queries, 8 evaluation prompts and a tiny-llama policy: the intervals above, not the point estimates, say what this run can show.
    """
    return Finding(f"Scale: {n_queries} RJS queries, {n_prompts} evaluation prompts and a "
                   f"{policy_model} policy: the intervals above, not the point estimates, say "
                   "what this run can show.", "scale")

"""Judging RJS policies: every judge on both answer orders, long verdict tables, win rates.

:func:`judge_against` judges the policies of ``a`` against one reference answer list with each
judge (both orders, :func:`~morelib.alignment.verdicts.compare_all`); :func:`rjs_comparisons`
names notebook 05's two comparisons (MORE-RJS against MultiTask-RJS for Table 1, every RJS policy
against the SFT baseline for Fig. 7); :func:`judge_all` runs them with judges that see every
prompt and with per-kind judges (an LLM judge with the helpful or harmless prompt, on that kind's
prompts only); :func:`win_table` summarises the verdicts per judge and policy.

Example:
    >>> from morelib.alignment.score_judges import UtilityJudge
    >>> longer = UtilityJudge(lambda p, r: len(r))
    >>> answers = {"more": ["aaa", "a"], "multitask": ["aa", "aa"]}
    >>> v = judge_all({"len": longer}, ["q", "q"], rjs_comparisons(answers, ["a", "a"]))
    >>> v.groupby("policy", sort=False).winner.apply(list).to_dict()
    {'more_vs_multitask': ['A', 'B'], 'more': ['A', 'tie'], 'multitask': ['A', 'A']}
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from morelib.stats import wilson_interval

#: One comparison: ``({policy: answers}, reference answers)``, answers aligned with the prompts.
Comparison = tuple[Mapping[str, Sequence[str]], Sequence[str]]

__all__ = ["Comparison", "judge_against", "judge_all", "rjs_comparisons", "win_table"]


def judge_against(judges: Mapping[str, Any], prompts: Sequence[str],
                  a: Mapping[str, Sequence[str]], b: Sequence[str],
                  max_workers: int = 1) -> pd.DataFrame:
    """Winners (``A`` = the row's policy, ``B`` = the reference, ``tie``, ``error``) of every
    policy in ``a`` against the reference answers ``b``, per judge; both orders are judged
    (:func:`~morelib.alignment.verdicts.compare_all`). Long table ``judge, policy, prompt_id,
    winner``.

    Example:
        >>> from morelib.alignment.score_judges import UtilityJudge
        >>> longer = UtilityJudge(lambda p, r: len(r))
        >>> t = judge_against({"len": longer}, ["q", "q"], {"x": ["aaa", "a"]}, ["bb", "bb"])
        >>> t.winner.tolist()
        ['A', 'B']
    """
    from morelib.alignment.verdicts import compare_all

    rows = []
    for jname, judge in judges.items():
        for pname, answers in a.items():
            outcomes = compare_all(judge, prompts, answers, b, max_workers=max_workers)
            rows += [(jname, pname, i, o.winner) for i, o in enumerate(outcomes)]
    return pd.DataFrame(rows, columns=["judge", "policy", "prompt_id", "winner"])


def rjs_comparisons(answers: Mapping[str, Sequence[str]], reference: Sequence[str],
                    a: str = "more", b: str = "multitask") -> list[Comparison]:
    """Notebook 05's comparisons: ``{a}_vs_{b}`` (the ``a`` policy against the ``b`` policy,
    Table 1), then every policy of ``answers`` against ``reference`` (the SFT baseline, Fig. 7).

    Example:
        >>> [sorted(x) for x, _ in rjs_comparisons({"more": ["m"], "multitask": ["t"]}, ["s"])]
        [['more_vs_multitask'], ['more', 'multitask']]
    """
    return [({f"{a}_vs_{b}": list(answers[a])}, list(answers[b])),
            ({k: list(v) for k, v in answers.items()}, list(reference))]


def judge_all(judges: Mapping[str, Any], prompts: Sequence[str],
              comparisons: Sequence[Comparison], *,
              kind_judges: Mapping[str, Callable[[str], Any]] | None = None,
              kinds: Mapping[str, int] | None = None, max_workers: int = 1) -> pd.DataFrame:
    """Every comparison judged by every judge: the :func:`judge_against` tables, concatenated
    (``judge, policy, prompt_id, winner``; ``prompt_id`` indexes ``prompts``).

    ``judges`` see every prompt. ``kind_judges`` maps a judge name to ``make(kind)``, which builds
    that kind's judge (e.g. an :class:`~morelib.alignment.llm_judge.LLMJudge` with the helpful or
    harmless prompt; used as a context manager when it is one, so its client closes); it sees only
    that kind's prompts, which ``kinds`` gives as ``{kind: number of prompts}`` in prompt order, and
    is called on ``max_workers`` threads.

    Example (a per-kind judge that only knows its own kind):
        >>> from morelib.alignment.score_judges import UtilityJudge
        >>> seen = []
        >>> def make(kind):
        ...     seen.append(kind)
        ...     return UtilityJudge(lambda p, r: len(r) if kind == "helpful" else -len(r))
        >>> v = judge_all({}, ["q1", "q2", "q3"], [({"x": ["aa", "aa", "aa"]}, ["a"] * 3)],
        ...               kind_judges={"by kind": make}, kinds={"helpful": 1, "harmless": 2})
        >>> seen, v.prompt_id.tolist(), v.winner.tolist()
        (['helpful', 'harmless'], [0, 1, 2], ['A', 'B', 'B'])
    """
    prompts = list(prompts)
    parts = [judge_against(judges, prompts, a, b) for a, b in comparisons]
    if kind_judges:
        kinds = dict(kinds or {})
        if sum(kinds.values()) != len(prompts):
            raise ValueError(f"kinds {kinds} cover {sum(kinds.values())} of {len(prompts)} prompts")
        offset = 0
        for kind, n in kinds.items():
            idx = slice(offset, offset + n)
            for name, make in kind_judges.items():
                judge = make(kind)
                with judge if hasattr(judge, "__enter__") else nullcontext(judge) as j:
                    for a, b in comparisons:
                        v = judge_against({name: j}, prompts[idx],
                                          {k: list(x)[idx] for k, x in a.items()}, list(b)[idx],
                                          max_workers=max_workers)
                        parts.append(v.assign(prompt_id=v.prompt_id + offset))
            offset += n
    return pd.concat(parts, ignore_index=True)


def win_table(verdicts: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per ``(judge, policy)``: n, win / tie / lose rates (over non-error outcomes) with 95 %
    Wilson score intervals (honest for a category seen 0 or n times, where a percentile
    bootstrap collapses to a point), and ``win_half_tie`` = (wins + ties/2)/n with a 95 %
    percentile-bootstrap interval over prompts.

    Example:
        >>> v = pd.DataFrame({"judge": "j", "policy": "p", "prompt_id": range(4),
        ...                   "winner": ["A", "A", "tie", "B"]})
        >>> r = win_table(v, n_boot=200).iloc[0]
        >>> int(r.n), float(r.win), float(r.win_half_tie)
        (4, 0.5, 0.625)
    """
    from morelib.alignment.win_rates import bootstrap_win_rate, win_rates

    rows = []
    for (judge, policy), g in verdicts.groupby(["judge", "policy"], sort=False):
        rates, boot = win_rates(g.winner), bootstrap_win_rate(g.winner, n_boot=n_boot, seed=seed)
        valid = rates["n"] - rates["errors"]
        row = {"judge": judge, "policy": policy, "n": rates["n"], "errors": rates["errors"]}
        for m, count in (("win", "wins"), ("tie", "ties"), ("lose", "losses")):
            row[m] = boot[m].estimate
            row[f"{m}_low"], row[f"{m}_high"] = wilson_interval(rates[count], valid)
        m = "win_half_tie"
        row[m], row[f"{m}_low"], row[f"{m}_high"] = boot[m].estimate, boot[m].low, boot[m].high
        rows.append(row)
    return pd.DataFrame(rows)

"""Table 1 of the paper (RJS alignment with different RMs), ours beside the paper's rows.

Rows: the base policy, the SFT baseline and the RJS policies of the MultiTask and MORE RMs
(:data:`TABLE1_ROWS`); columns: RM accuracy (%) and ECE (the mean of the helpful and harmless
tests, as the paper), the mean per-example perplexity per PPL set, and per judge the win / tie /
lose (%) of MORE-RJS against MultiTask-RJS, on the MORE row (empty where that judge gave only
errors: :func:`unavailable_judges`). :func:`paper_table1` gives the paper's rows in the same
columns; :func:`table1_note` the caption of ours.

Example:
    >>> from morelib.alignment.rjs import PolicyOutputs
    >>> ppl = lambda v: pd.DataFrame({"set": "helpful", "prompt_id": [0], "ppl": [v]})
    >>> outs = {k: PolicyOutputs(k, [], ppl(v), {}, 0)
    ...         for k, v in {"base": 9.0, "sft": 8.0, "multitask": 7.0, "more": 6.0}.items()}
    >>> hh = pd.DataFrame({"accuracy": [.6, .7], "ece": [.03, .02]}, index=["multitask", "more"])
    >>> wins = pd.DataFrame([{"judge": "u", "policy": "more_vs_multitask", "n": 4, "errors": 0,
    ...                       "win": .5, "tie": .25, "lose": .25}])
    >>> table1(outs, hh, wins).round(3).to_dict("index")["MORE"]
    {'ppl_helpful': 6.0, 'rm_acc': 70.0, 'rm_ece': 0.02, 'win (u)': 50.0, 'tie (u)': 25.0, 'lose (u)': 25.0}
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from morelib.alignment.perplexity import AUTHORS_OUTLIER_GATE

#: ``(row name, policy key in the outputs, RM under test or None)`` of Table 1, in order.
TABLE1_ROWS = (("base policy", "base", None), ("SFT baseline", "sft", None),
               ("MultiTask", "multitask", "multitask"), ("MORE", "more", "more"))

__all__ = ["TABLE1_ROWS", "paper_table1", "table1", "table1_note", "unavailable_judges",
           "with_paper_rows"]


def table1(outputs: Mapping[str, Any], hh: pd.DataFrame, wins: pd.DataFrame,
           rows: Sequence[tuple[str, str, str | None]] = TABLE1_ROWS,
           versus: str = "more_vs_multitask", versus_row: str = "MORE") -> pd.DataFrame:
    """Our Table 1, indexed by row name (see the module docstring). ``outputs``: the policies'
    :class:`~morelib.alignment.rjs.PolicyOutputs` by key; ``hh``: H&H ``accuracy`` and ``ece``
    per RM (index); ``wins``: :func:`~morelib.alignment.judging.win_table` rows, of which those of
    policy ``versus`` fill ``versus_row``'s win/tie/lose columns."""
    def row(name: str, key: str, rm: str | None) -> dict[str, Any]:
        r: dict[str, Any] = {"row": name}
        if rm is not None:
            r.update(rm_acc=100 * hh.loc[rm, "accuracy"], rm_ece=hh.loc[rm, "ece"])
        r.update({f"ppl_{k}": v for k, v in outputs[key].ppl_means().items()})
        return r

    table = pd.DataFrame([row(*r) for r in rows]).set_index("row")
    for r in wins[wins.policy == versus].itertuples():
        for m in ("win", "tie", "lose"):  # NaN (shown as –) where the judge gave only errors
            table.loc[versus_row, f"{m} ({r.judge})"] = (round(100 * getattr(r, m))
                                                        if r.errors < r.n else float("nan"))
    return table


def unavailable_judges(wins: pd.DataFrame) -> dict[str, int]:
    """``{judge: comparisons}`` of the judges that returned only errors (e.g. an LLM judge with
    a bad key): their Table 1 cells are empty, and the report should say why.

    Example:
        >>> w = pd.DataFrame({"judge": ["LLM", "LLM", "u"], "n": [4, 6, 4], "errors": [4, 6, 0]})
        >>> unavailable_judges(w)
        {'LLM': 10}
    """
    bad = wins[wins.errors == wins.n]
    return {judge: int(bad[bad.judge == judge].n.sum()) for judge in bad.judge.unique()}


def table1_note(exp: Any, outputs: Mapping[str, Any], rm_model: str, paper_base: str,
                rows: Sequence[tuple[str, str, str | None]] = TABLE1_ROWS) -> str:
    """The caption of our Table 1: the run's scale (from the experiment ``exp``: policy, RJS
    queries x candidates, evaluation prompts, PPL examples per set), the perplexity convention
    and how many PPL values the authors' outlier gate would drop, and where the paper's rows come
    from.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> from morelib.alignment.rjs import PolicyOutputs, RJSConfig
        >>> exp = NS(config=RJSConfig(policy="p", n_candidates=4), rjs_prompts=["q"] * 6,
        ...          eval_prompts=["q"] * 8, ppl_sets={"helpful": (["q"] * 2, ["a"] * 2)})
        >>> ppl = pd.DataFrame({"set": "helpful", "prompt_id": [0, 1], "ppl": [3.0, 2e4]})
        >>> outs = {k: PolicyOutputs(k, [], ppl, {}, 0) for k in ("base", "sft", "multitask", "more")}
        >>> table1_note(exp, outs, "rm", "Pythia-1.4B")[:77]
        'Ours: policy p, RMs rm, 6 RJS queries x 4 candidates, 8 evaluation prompts, 2'
        >>> "would drop 4 of the 8 values" in table1_note(exp, outs, "rm", "Pythia-1.4B")
        True
    """
    c = exp.config
    ppl = pd.concat([outputs[key].ppl for _, key, _ in rows]).ppl
    n_gated = int((ppl >= AUTHORS_OUTLIER_GATE).sum())
    sizes = sorted({len(p) for p, _ in exp.ppl_sets.values()})
    per_set = "/".join(str(n) for n in sizes) or "0"
    return (f"Ours: policy {c.policy}, RMs {rm_model}, {len(exp.rjs_prompts)} RJS queries x "
            f"{c.n_candidates} candidates, {len(exp.eval_prompts)} evaluation prompts, "
            f"{per_set} PPL examples per set (mean per-example PPL of the chosen answer; the "
            f"authors' gate, dropping PPL >= {AUTHORS_OUTLIER_GATE:g}, is not applied: it "
            f"would drop {n_gated} of the {len(ppl)} values behind the PPL columns). "
            f"Win/tie/lose (%): MORE-RJS vs MultiTask-RJS. Rows with origin `paper` are the "
            f"paper's Table 1 ({paper_base} RMs, Alpaca-7B, GPT-4), not ours.")


def with_paper_rows(table: pd.DataFrame, paper_base: str) -> pd.DataFrame:
    """Our Table 1 (``origin = "ours"``) above the paper's rows for ``paper_base``
    (:func:`paper_table1`): the Markdown form the report shows.

    Example:
        >>> t = pd.DataFrame({"rm_ece": [0.02]}, index=pd.Index(["MORE"], name="row"))
        >>> with_paper_rows(t, "LLaMa2-7B").row.tolist()
        ['MORE', 'Alpaca (paper)', 'MultiTask (paper, LLaMa2-7B)', 'MORE (paper, LLaMa2-7B)']
    """
    return pd.concat([table.reset_index().assign(origin="ours"), paper_table1(paper_base)],
                     ignore_index=True)


def paper_table1(base: str) -> pd.DataFrame:
    """The paper's Table 1 rows (the Alpaca base line and ``base``'s RMs) in this notebook's
    columns, ``origin = "paper"``; Win/Tie/Lose are GPT-4's, on the MORE row.

    Example:
        >>> paper_table1("LLaMa2-7B")[["row", "rm_ece", "win (GPT-4)", "origin"]].values.tolist()
        [['Alpaca (paper)', nan, nan, 'paper'], ['MultiTask (paper, LLaMa2-7B)', 0.0284, nan, 'paper'], ['MORE (paper, LLaMa2-7B)', 0.0143, 45.0, 'paper']]
    """
    from morelib.paper_numbers import table1

    t = table1()
    t = t[(t.base == "-") | (t.base == base)]
    return pd.DataFrame({
        "row": [f"{s} (paper)" if b == "-" else f"{s} (paper, {b})" for b, s in zip(t.base, t.scheme)],
        "rm_acc": t.acc.to_numpy(), "rm_ece": t.ece.to_numpy(),
        "ppl_helpful": t.ppl_helpful.to_numpy(), "ppl_harmless": t.ppl_harmless.to_numpy(),
        "win (GPT-4)": t.win.to_numpy(), "tie (GPT-4)": t.tie.to_numpy(),
        "lose (GPT-4)": t.lose.to_numpy(), "origin": t.origin.to_numpy()})

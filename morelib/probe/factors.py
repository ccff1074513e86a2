"""Which factor, if any, carries MORE's effect: a sentence decided by intervals alone.

Input: the long ablation table of :func:`morelib.probe.ablations.run_ablations` (one track).
MORE's effect is C6's contrast at the paper's setting (MORE − MultiTask H&H ECE). A *factor*
is a contrast that isolates one change:

* batching: ``stratified-uniform − MultiTask`` (same fixed weights, stratified vs mixed);
* weighting: ``MORE − stratified-uniform`` (same stratified batches, min-norm vs fixed 1/K);
* each config setting (α, normalisation, ...): ``MORE − MORE (paper ...)``;
* per-rank λ: ``MORE − MORE (ranks:R-synchronised)``.

An interval *excludes 0* when both ends lie on one side (its sign is then the interval's, not a
point estimate's). With an effect (C6's interval excludes 0), a factor carries it when its
interval excludes 0 on the same side; without one, the sentence says so and lists the factors
that still move MORE's H&H ECE, and any setting under which MORE − MultiTask excludes 0.

Example:
    >>> rows = [("paper (α=0.99, l2, 1 rank)", "MORE − MultiTask", -0.004, -0.007, -0.001),
    ...         ("batching:stratified-uniform", "MORE − stratified-uniform", 0.000, -0.003, 0.003),
    ...         ("batching:stratified-uniform", "stratified-uniform − MultiTask",
    ...          -0.004, -0.006, -0.002)]
    >>> table = pd.DataFrame(rows, columns=["setting", "contrast", "estimate", "ci_low",
    ...                                     "ci_high"])
    >>> print(factor_sentence(table, "simulator probe"))  # doctest: +NORMALIZE_WHITESPACE
    simulator probe: at the paper's setting MORE − MultiTask H&H ECE is −0.0040 [−0.0070,
    −0.0010], below 0. It is carried by batching (stratified-uniform − MultiTask: −0.0040
    [−0.0060, −0.0020]).
"""

from __future__ import annotations

import pandas as pd

from morelib.probe.ablations import PAPER_LABEL

C6 = "MORE − MultiTask"


def side(low: float, high: float) -> int:
    """−1 / +1 when the interval lies wholly below / above 0, else 0.

    Example:
        >>> side(-0.2, -0.1), side(-0.1, 0.1), side(0.1, 0.3)
        (-1, 0, 1)
    """
    return -1 if high < 0 else 1 if low > 0 else 0


def fmt(est: float, low: float, high: float) -> str:
    """``+0.0012 [−0.0030, +0.0050]`` (signed, 4 decimals, typographic minus).

    Example:
        >>> fmt(0.0012, -0.003, 0.005)
        '+0.0012 [−0.0030, +0.0050]'
    """
    return (f"{est:+.4f} [{low:+.4f}, {high:+.4f}]").replace("-", "−")


def factor_name(setting: str, contrast: str) -> str | None:
    """The factor a (setting, contrast) row isolates, or ``None`` for C6 rows.

    Example:
        >>> factor_name("alpha:0.1", "MORE − MORE (paper (α=0.99, l2, 1 rank))")
        'alpha:0.1 instead of the paper'
        >>> factor_name("ranks:2-per-rank", "MORE − MORE (ranks:2-synchronised)")
        'per-rank instead of synchronised λ (2 ranks)'
        >>> factor_name("ranks:4-synchronised", "MORE − MORE (paper (α=0.99, l2, 1 rank))")
        '4 synchronised ranks (4× the global batch) instead of 1'
        >>> factor_name("batching:stratified-uniform", "MORE − stratified-uniform")
        'weighting'
    """
    if contrast == "MORE − stratified-uniform":
        return "weighting"
    if contrast == "stratified-uniform − MultiTask":
        return "batching"
    if contrast.startswith("MORE − MORE ("):
        if setting.startswith("ranks:"):
            r = setting[6:].split("-")[0]
            if setting.endswith("-per-rank"):
                return f"per-rank instead of synchronised λ ({r} ranks)"
            return f"{r} synchronised ranks ({r}× the global batch) instead of 1"
        return f"{setting} instead of the paper"
    return None


def factor_sentence(table: pd.DataFrame, track: str, label: str = "H&H") -> str:
    """The generated sentence for one track's ablation table (module docstring); ``label``
    names the test sets its ECE is measured on."""
    def where(mask):
        return table[mask].to_dict("records")

    paper = where((table.setting == PAPER_LABEL) & (table.contrast == C6))
    if not paper:
        return f"{track}: the paper's setting was not run, so no factor can be named."
    p = paper[0]
    effect = side(p["ci_low"], p["ci_high"])
    where_word = {-1: "below 0", 1: "above 0", 0: "not distinguishable from 0"}[effect]
    out = [f"{track}: at the paper's setting MORE − MultiTask {label} ECE is "
           f"{fmt(p['estimate'], p['ci_low'], p['ci_high'])}, {where_word}."]
    factors = [(factor_name(r["setting"], r["contrast"]), r) for r in table.to_dict("records")]
    factors = [(n, r) for n, r in factors if n is not None]
    moving = [(n, r) for n, r in factors if side(r["ci_low"], r["ci_high"]) != 0]

    def listing(items):
        return "; ".join(f"{n} ({r['contrast']}: {fmt(r['estimate'], r['ci_low'], r['ci_high'])})"
                         for n, r in items)

    if effect:
        carriers = [(n, r) for n, r in moving if side(r["ci_low"], r["ci_high"]) == effect]
        if carriers:
            out.append(f"It is carried by {listing(carriers)}.")
        else:
            out.append("No ablated factor's interval lies on the same side of 0, so none is "
                       "identified as carrying it.")
    else:
        out.append("There is no effect of MORE here for a factor to carry.")
        if moving:
            out.append(f"Factors that do move {label} ECE beyond their intervals: {listing(moving)}.")
        else:
            out.append(f"No ablated factor moves {label} ECE beyond its interval either.")
    others = [r for r in where((table.setting != PAPER_LABEL) & (table.contrast == C6))
              if side(r["ci_low"], r["ci_high"]) != 0]
    if others:
        out.append("MORE − MultiTask excludes 0 under " + "; ".join(
            f"{r['setting']} ({fmt(r['estimate'], r['ci_low'], r['ci_high'])})" for r in others)
            + ".")
    return " ".join(out)

"""The paper's published numbers (Tables 1, 2, 4–6 of arXiv 2312.07401 v5), as data.

These are **the paper's** values, for showing *beside* what a run measures, never as results.
Every frame carries ``origin = "paper"`` so a merged table cannot pass them off as ours.
Accuracies are in percent as printed; ECEs as printed (10 bins). Source names follow
``morelib.vocabulary.SOURCES``. ``Avg.`` is kept as printed (``avg_printed``) and
as the mean of the five columns (``avg``): a few printed values differ from the mean
(``paper.md`` §10.2).

Example:
    >>> t = table2()
    >>> row = t[(t.base == "Pythia-1.4B") & (t.method == "MORE")].iloc[0]
    >>> float(row.helpful), float(row.ece), row.origin
    (64.07, 0.0364, 'paper')
    >>> sorted(table456().table.unique().tolist())
    [4, 5, 6]
    >>> float(table1().query("scheme == 'MORE' and base == 'LLaMa2-7B'").ece.iloc[0])
    0.0143
"""

from __future__ import annotations

import io

import pandas as pd

from morelib.vocabulary import SOURCES

ORIGIN = "paper"
#: Paper base model per ``model`` family used in our profiles (for choosing the nearest rows).
BASES = ("Pythia-1.4B", "Pythia-2.8B", "LLaMa2-7B", "LLaMa2-13B")

_TABLE2 = """\
base,method,helpful,harmless,oasst1,webgpt,summarize,avg_printed,ece
Pythia-1.4B,Raw,52.38,50.69,51.25,48.47,51.06,50.77,0.1281
Pythia-1.4B,Top,67.81,69.07,62.43,65.70,62.56,65.51,0.0362
Pythia-1.4B,Averaging,55.73,51.81,57.68,53.60,55.50,54.86,0.0543
Pythia-1.4B,MultiTask,65.00,64.57,60.13,66.00,57.49,62.38,0.0541
Pythia-1.4B,MORE,64.07,64.57,62.43,63.41,62.22,63.34,0.0364
Pythia-2.8B,Raw,54.59,46.84,52.92,48.93,51.36,50.92,0.1184
Pythia-2.8B,Top,68.06,70.84,60.86,64.93,62.33,66.13,0.0342
Pythia-2.8B,Averaging,58.80,52.55,59.03,51.83,51.70,54.78,0.0685
Pythia-2.8B,MultiTask,66.49,66.73,63.37,64.48,58.95,64.00,0.0456
Pythia-2.8B,MORE,65.39,66.34,63.58,65.39,59.39,64.01,0.0366
LLaMa2-7B,Raw,49.78,47.18,51.15,49.84,49.88,49.56,0.1503
LLaMa2-7B,Top,73.08,74.84,63.58,67.07,68.65,69.27,0.0334
LLaMa2-7B,Averaging,61.90,54.15,56.21,55.16,63.60,58.20,0.0391
LLaMa2-7B,MultiTask,72.10,72.70,64.62,71.95,69.30,70.13,0.0570
LLaMa2-7B,MORE,71.93,72.70,65.88,70.27,70.85,70.32,0.0458
LLaMa2-13B,Raw,50.71,48.47,50.35,49.87,49.18,49.71,0.1478
LLaMa2-13B,Top,75.29,74.82,65.98,67.07,71.18,71.46,0.0275
LLaMa2-13B,Averaging,56.04,49.38,56.41,59.32,45.96,53.42,0.0471
LLaMa2-13B,MultiTask,73.85,73.91,65.36,71.98,69.59,70.90,0.0561
LLaMa2-13B,MORE,73.80,73.22,64.95,69.51,70.14,70.32,0.0502
"""

_TABLE456 = """\
table,base,preference,scheme,ece,pos_outliers,pos_mean,neg_outliers,neg_mean
4,Pythia-1.4B,helpful,Single,0.0160,224,0.866,70,-0.623
4,Pythia-1.4B,helpful,MultiTask,0.0171,201,0.628,81,-0.437
4,Pythia-1.4B,helpful,MORE,0.0053,201,0.596,76,-0.423
4,Pythia-1.4B,harmless,Single,0.0213,152,0.852,76,-0.610
4,Pythia-1.4B,harmless,MultiTask,0.0183,146,0.526,82,-0.411
4,Pythia-1.4B,harmless,MORE,0.0166,152,0.523,72,-0.425
5,Pythia-2.8B,helpful,Single,0.0191,193,0.852,67,-0.606
5,Pythia-2.8B,helpful,MultiTask,0.0147,198,0.624,78,-0.417
5,Pythia-2.8B,helpful,MORE,0.0109,195,0.640,81,-0.451
5,Pythia-2.8B,harmless,Single,0.0057,132,0.833,71,-0.608
5,Pythia-2.8B,harmless,MultiTask,0.0143,147,0.602,94,-0.465
5,Pythia-2.8B,harmless,MORE,0.0047,152,0.595,85,-0.445
6,LLaMa2-7B,helpful,Top,0.0081,223,1.145,73,-0.784
6,LLaMa2-7B,helpful,MultiTask,0.0182,195,1.054,81,-0.734
6,LLaMa2-7B,helpful,MORE,0.0080,181,0.806,76,-0.552
6,LLaMa2-7B,harmless,Top,0.0225,152,1.070,89,-0.891
6,LLaMa2-7B,harmless,MultiTask,0.0386,168,1.206,77,-0.901
6,LLaMa2-7B,harmless,MORE,0.0206,156,1.075,57,-0.821
"""

_TABLE1 = """\
base,scheme,acc,ece,ppl_helpful,ppl_harmless,win,tie,lose
-,Alpaca,,,15.48,12.71,,,
Pythia-1.4B,MultiTask,64.79,0.0177,15.30,8.22,,,
Pythia-1.4B,MORE,64.32,0.0109,12.68,8.42,44,22,34
Pythia-2.8B,MultiTask,66.61,0.0145,16.76,8.42,,,
Pythia-2.8B,MORE,65.87,0.0078,13.14,10.29,45,21,34
LLaMa2-7B,MultiTask,72.40,0.0284,16.93,8.69,,,
LLaMa2-7B,MORE,72.32,0.0143,11.97,9.96,45,23,32
"""


def _frame(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text))
    frame["origin"] = ORIGIN
    return frame


def table2() -> pd.DataFrame:
    """Table 2 (RM accuracy % per test set, Avg., ECE), one row per (base, method).

    ``avg`` is the mean of the five columns (the paper's printed value is ``avg_printed``).
    """
    frame = _frame(_TABLE2)
    frame.insert(frame.columns.get_loc("avg_printed"), "avg",
                 frame[list(SOURCES)].mean(axis=1).round(2))
    return frame


def table2_long() -> pd.DataFrame:
    """Table 2 as tidy rows ``base, method, source, metric, value, origin`` (accuracy as a
    fraction, like ours; ``source`` is a test set, ``mean`` for Avg., ``pooled`` for the ECE).

    Example:
        >>> t = table2_long()
        >>> t[(t.base == "LLaMa2-7B") & (t.method == "Top") & (t.source == "mean")].value.item()
        0.6944
    """
    wide = table2()
    rows = []
    for _, r in wide.iterrows():
        for src in SOURCES:
            rows.append((r.base, r.method, src, "accuracy", round(r[src] / 100, 6)))
        rows.append((r.base, r.method, "mean", "accuracy", round(r.avg / 100, 6)))
        rows.append((r.base, r.method, "pooled", "ece", r.ece))
    out = pd.DataFrame(rows, columns=["base", "method", "source", "metric", "value"])
    out["origin"] = ORIGIN
    return out


def table456() -> pd.DataFrame:
    """Tables 4–6: ECE and Δr outlier counts/means on the Helpful and Harmless tests."""
    return _frame(_TABLE456)


def table1() -> pd.DataFrame:
    """Table 1: RJS alignment (RM Acc/ECE as the mean over Helpful and Harmless, PPL, GPT-4
    Win/Tie/Lose from MORE's side, given on the MORE rows)."""
    return _frame(_TABLE1)

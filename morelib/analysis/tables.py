"""Report tables: Table 2's wide layout with CIs, and the paper's rows beside ours."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from morelib.analysis.scores import accuracy_ece  # noqa: F401 (doctests)
from morelib.vocabulary import SOURCES, scheme_name


def _test_label(test: str) -> str:
    return test.replace(" (real)", "")


def wide_accuracy_ece(table: pd.DataFrame, tests: Sequence[str],
                      rms: Sequence[str] = ("raw", "top", "averaging", "multitask", "more"),
                      ) -> pd.DataFrame:
    """Table 2's layout from :func:`accuracy_ece`: one row per scheme, accuracy % [95 % CI] per
    test, ``Avg.`` (mean over the tests) and pooled ``ECE`` [95 % CI], as text.

    Example:
        >>> s = pd.DataFrame({"rm": "more", "test": ["a"] * 4, "pair": range(4),
        ...                   "margin": [1., 2., -1., .5]})
        >>> wide_accuracy_ece(accuracy_ece(s, ["a"], n_boot=20), ["a"], ["more"]).columns.tolist()
        ['scheme', 'a', 'Avg.', 'ECE']
    """
    rows = []
    for rm in rms:
        part = table[table.rm == rm]
        if part.empty:
            continue
        row = {"scheme": scheme_name(rm)}
        for test in list(tests) + ["mean"]:
            r = part[(part.test == test) & (part.metric == "accuracy")]
            label = "Avg." if test == "mean" else test
            row[label] = (_ci_text(r.iloc[0], 1, 100) if len(r) else "–")
        r = part[(part.test == "pooled") & (part.metric == "ece")]
        row["ECE"] = _ci_text(r.iloc[0], 4) if len(r) else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def _ci_text(r: pd.Series, digits: int, scale: float = 1.0) -> str:
    return (f"{r.value * scale:.{digits}f} [{r.low * scale:.{digits}f}, "
            f"{r.high * scale:.{digits}f}]")


def paper_table2_rows(base: str, tests: Sequence[str]) -> pd.DataFrame:
    """The paper's Table 2 rows for ``base`` in :func:`wide_accuracy_ece`'s layout (columns of
    the tests the paper has; others blank), the scheme labelled ``paper <base>: <method>``."""
    from morelib.paper_numbers import table2

    paper = table2()
    paper = paper[paper.base == base]
    rows = []
    for _, p in paper.iterrows():
        row = {"scheme": f"paper {base}: {p.method}"}
        for test in tests:
            col = _test_label(test)
            row[test] = f"{p[col]:.2f}" if col in paper.columns else "–"
        # the paper's printed Avg. is over its five tests: shown only when ours are those five
        five = sorted(_test_label(t) for t in tests) == sorted(SOURCES)
        row["Avg."] = f"{p.avg_printed:.2f}" if five else "–"
        row["ECE"] = f"{p.ece:.4f}"
        rows.append(row)
    return pd.DataFrame(rows)


def paper_outlier_rows(base: str | None = None) -> pd.DataFrame:
    """The paper's Tables 4–6 (all, or the table of ``base``) with ``origin = paper``."""
    from morelib.paper_numbers import table456

    t = table456()
    return t if base is None else t[t.base == base]

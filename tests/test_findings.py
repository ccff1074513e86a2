"""Findings are Finding records: their claim and numbers come from the tables they describe."""

import numpy as np
import pandas as pd

from morelib import analysis as A
from morelib.stats import Finding


def _scores():
    rng = np.random.default_rng(0)
    rows = [(rm, t, i, k * rng.normal(0.5, 2.0)) for k, rm in ((1, "more"), (3, "multitask"), (2, "top"))
            for t in ("helpful", "harmless") for i in range(150)]
    return pd.DataFrame(rows, columns=["rm", "test", "pair", "margin"])


def test_accuracy_ece_findings_carry_claims_and_the_gap_interval():
    s = _scores()
    table = A.accuracy_ece(s, ["helpful", "harmless"], n_boot=100)
    gaps = A.ece_gaps(s, ["helpful", "harmless"], "more", "multitask", n_boot=100)
    found = A.findings_accuracy_ece(table, gaps, "sim")
    assert all(isinstance(f, Finding) for f in found)
    assert [f.claim for f in found] == ["mean_accuracy", "top_accuracy", "ece_gap", "ece_gap_per_test"]
    [gap] = [f for f in found if f.claim == "ece_gap"]
    pooled = gaps.set_index("test").loc["pooled"]
    assert (gap.estimate, gap.ci_low, gap.ci_high) == (pooled.difference, pooled.low, pooled.high)
    assert gap.verdict in gap.text


def test_the_claim_field_selects_what_notebook_04_used_to_find_by_substring():
    s = _scores()
    table = A.accuracy_ece(s, ["helpful", "harmless"], n_boot=100)
    top_gap = A.ece_gaps(s, ["helpful", "harmless"], "more", "top", n_boot=100)
    found = A.findings_accuracy_ece(table, top_gap, "sim")
    assert [f for f in found if f.claim == "ece_gap"] == [f for f in found if "Top's" in f]

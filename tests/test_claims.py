"""The claims scorecard: verdicts decided by intervals, rows validated, every (claim, track) present."""

import math

import pandas as pd
import pytest

from morelib.claims import CLAIMS, COLUMNS, TRACKS, ClaimResult, read_claims, scorecard, verdict, write_claims


@pytest.mark.parametrize("low, high, direction, null, margin, expected", [
    (-0.02, -0.001, -1, 0.0, None, "reproduced"),
    (-0.02, 0.0, -1, 0.0, None, "inconclusive"),  # touching the null is not excluding it
    (0.001, 0.02, -1, 0.0, None, "not reproduced"),
    (-0.003, 0.002, -1, 0.0, 0.005, "not reproduced"),  # rules out the smallest effect of interest
    (-0.006, 0.002, -1, 0.0, 0.005, "inconclusive"),
    (0.51, 0.70, +1, 0.5, None, "reproduced"),
    (0.30, 0.49, +1, 0.5, None, "not reproduced"),
    (-0.5, 0.5, 0, 0.0, 1.0, "reproduced"),
    (1.5, 2.0, 0, 0.0, 1.0, "not reproduced"),
    (0.5, 1.5, 0, 0.0, 1.0, "inconclusive"),
    (math.nan, 1.0, +1, 0.0, None, "not run"),
])
def test_verdict_table(low, high, direction, null, margin, expected):
    assert verdict(low, high, direction, null, margin) == expected


def test_point_estimate_never_decides():
    kw = dict(claim="C6", track="real probe", metric="m", ci_low=-0.01, ci_high=0.01, n_seeds=10, n_pairs=100)
    assert {ClaimResult.from_interval(estimate=e, **kw).verdict for e in (-0.009, 0.0, 0.009)} == {"inconclusive"}


def test_bad_values_refused():
    with pytest.raises(ValueError, match="claim 'C9'"):
        ClaimResult.not_run("C9", "fine-tuned")
    with pytest.raises(ValueError, match="track"):
        ClaimResult.not_run("C1", "probe")
    with pytest.raises(ValueError, match="low end"):
        verdict(0.2, 0.1, +1)


def test_round_trip_and_scorecard(tmp_path):
    rows = [ClaimResult.from_interval(claim="C3", track="simulator probe", metric="ECE", estimate=-0.01,
                                      ci_low=-0.02, ci_high=-0.005, n_seeds=12, n_pairs=10000),
            ClaimResult.from_interval(claim="C3", track="simulator probe", metric="accuracy", estimate=0.2,
                                      ci_low=-0.3, ci_high=0.6, n_seeds=12, n_pairs=10000, direction=0, margin=1.0)]
    path = write_claims(rows, tmp_path / "06_powered_study")
    assert list(pd.read_csv(path).columns) == list(COLUMNS)
    assert read_claims(path) == rows
    card = scorecard(tmp_path)
    assert len(card) == len(CLAIMS) * len(TRACKS) - 1 + 2  # two rows for (C3, simulator probe)
    assert set(card.query("claim != 'C3'").verdict) == {"not run"}
    assert card.claim.tolist() == sorted(card.claim.tolist())
    assert card.query("claim == 'C3' and track == 'simulator probe'").verdict.tolist() == ["reproduced", "reproduced"]


def test_scorecard_keeps_every_c6_row_per_g_and_ignores_the_ablation_table(tmp_path) -> None:
    """The probe writes one C6 row per G and track; its ablation table (ablations.csv) is not
    a claims file, so it never reaches the scorecard."""
    from morelib.probe.ablations import run_ablations
    from morelib.probe.study import _ToyStore
    from tests.test_probe_study import toy_sources

    table, studies = run_ablations(_ToyStore(), toy_sources(60), ["batching:stratified-uniform"],
                                   pairs_per_source=2, n_seeds=3, track="real probe", n_boot=100)
    rows = [r for s in studies.values() for r in s.rows][:1]
    folder = tmp_path / "06_powered_study"
    write_claims(rows + [ClaimResult.from_interval(
        claim="C6", track="real probe", metric="H&H ECE, MORE − MultiTask (4 pair(s) …)",
        estimate=-0.003, ci_low=-0.006, ci_high=-0.001, n_seeds=3, n_pairs=40)], folder)
    table.to_csv(folder / "ablations.csv", index=False)
    card = scorecard(tmp_path)
    c6 = card.query("claim == 'C6' and track == 'real probe'")
    assert len(c6) == 2 and list(c6.verdict)[1] == "reproduced"
    first = rows[0]
    expected = verdict(first.ci_low, first.ci_high, direction=-1)
    assert list(c6.verdict)[0] == expected
    assert card.query("claim == 'C6' and track == 'simulator probe'").verdict.item() == "not run"

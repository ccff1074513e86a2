"""The claims scorecard: verdicts decided by intervals, rows validated, every (claim, track) present."""

import math

import pandas as pd
import pytest

from morelib.claims import (
    CLAIMS,
    COLUMNS,
    TRACKS,
    ClaimResult,
    claims_frame,
    read_claims,
    scorecard,
    verdict,
    write_claims,
)


@pytest.mark.parametrize("low, high, direction, null, margin, expected", [
    (-0.02, -0.001, -1, 0.0, None, "reproduced"),
    (-0.02, 0.0, -1, 0.0, None, "inconclusive"),  # touching the null is not excluding it
    (0.001, 0.02, -1, 0.0, None, "not reproduced"),
    (-0.003, 0.002, -1, 0.0, 0.005, "not reproduced"),  # rules out the smallest effect of interest
    (-0.006, 0.002, -1, 0.0, 0.005, "inconclusive"),
    (0.51, 0.70, +1, 0.5, None, "reproduced"),
    (0.30, 0.49, +1, 0.5, None, "not reproduced"),
    (math.nan, 1.0, +1, 0.0, None, "not run"),
])
def test_verdict_table(low, high, direction, null, margin, expected):
    assert verdict(low, high, direction, null, margin) == expected


COMPETENT = (0.7, 0.65, 0.75)


def test_point_estimate_never_decides():
    kw = dict(claim="C6", track="real HH probe", metric="m", ci_low=-0.01, ci_high=0.01, n_seeds=10, n_pairs=100,
              rm_accuracy=COMPETENT)
    assert {ClaimResult.from_interval(estimate=e, **kw).verdict for e in (-0.009, 0.0, 0.009)} == {"inconclusive"}


def test_bad_values_refused():
    with pytest.raises(ValueError, match="claim 'C9'"):
        ClaimResult.not_run("C9", "fine-tuned")
    with pytest.raises(ValueError, match="track"):
        ClaimResult.not_run("C1", "probe")
    with pytest.raises(ValueError, match="low end"):
        verdict(0.2, 0.1, +1)


def test_paper_effects_match_the_papers_own_numbers():
    """The smallest effects of interest, against the numbers §11 of the paper quotes."""
    quoted = {"C2": [0.0541 - 0.0362, 0.0456 - 0.0342, 0.0570 - 0.0334],
              "C3": [0.0364 - 0.0541, 0.0366 - 0.0456, 0.0458 - 0.0570],
              "C6": [0.0109 - 0.0177, 0.0078 - 0.0145, 0.0143 - 0.0284],
              "C7": [(44 + 11) / 100 - 0.5, (45 + 10.5) / 100 - 0.5, (45 + 11.5) / 100 - 0.5]}
    for claim, values in quoted.items():
        assert CLAIMS[claim].paper_effect == pytest.approx(min(values, key=abs), abs=6e-5), claim
    # C4: Tables 4-6, mean over Helpful and Harmless of MORE - Top/Single; LLaMa2-7B is the smallest
    assert CLAIMS["C4"].paper_effect == pytest.approx(((0.0080 - 0.0081) + (0.0206 - 0.0225)) / 2, abs=1e-9)
    assert {c for c, claim in CLAIMS.items() if claim.paper_effect is None} == {"C1", "C5", "C8"}


@pytest.mark.parametrize("kw, expected, why", [
    (dict(n_seeds=1), "not testable", "one training seed"),
    (dict(rm_accuracy=(0.52, 0.499, 0.54)), "not testable", "not above chance"),
    (dict(rm_accuracy=(math.nan,) * 3), "not testable", "not measured"),
    (dict(ci_low=-0.004, ci_high=0.003), "not reproduced", "smallest effect (-0.0067)"),
    (dict(ci_low=0.001, ci_high=0.003), "not reproduced", "opposite"),
    (dict(ci_low=-0.008, ci_high=0.003), "inconclusive", "contains 0"),
    (dict(ci_low=-0.02, ci_high=-0.001), "reproduced", "wholly below"),
])
def test_decide_rules(kw, expected, why):
    args = dict(claim="C6", track="real DSP probe", metric="m", estimate=0.0, ci_low=-0.02, ci_high=-0.01,
                n_seeds=20, n_pairs=900, rm_accuracy=COMPETENT) | kw
    row = ClaimResult.from_interval(**args)
    assert row.verdict == expected and why in row.reason


def test_reading_recomputes_verdicts_and_fills_new_columns(tmp_path):
    """A file of an older layout (no competence columns) and a verdict its numbers do not
    support: read back, the verdict follows today's rules."""
    old = tmp_path / "04_more_training" / "claims.csv"
    old.parent.mkdir()
    old.write_text("claim,track,metric,estimate,ci_low,ci_high,n_seeds,n_pairs,verdict\n"
                   "C3,fine-tuned,ECE,-0.02,-0.03,-0.01,1,400,reproduced\n")
    (row,) = read_claims(old)
    assert row.verdict == "not testable" and math.isnan(row.rm_accuracy) and row.paper_effect == -0.009
    bad = tmp_path / "bad.csv"
    bad.write_text("claim,track,metric,estimate,ci_low,ci_high,n_seeds,n_pairs\nC3,probe,ECE,0,0,0,1,1\n")
    with pytest.raises(ValueError, match="bad.csv: record 1: track 'probe'"):
        read_claims(bad)


def test_round_trip_and_scorecard(tmp_path):
    rows = [ClaimResult.from_interval(claim="C3", track="simulator probe", metric="ECE", estimate=-0.01,
                                      ci_low=-0.02, ci_high=-0.005, n_seeds=12, n_pairs=10000,
                                      rm_accuracy=COMPETENT, lambda_spread=(0.1, 0.4)),
            ClaimResult.from_interval(claim="C3", track="simulator probe", metric="ECE at G=4", estimate=-0.01,
                                      ci_low=-0.03, ci_high=-0.001, n_seeds=12, n_pairs=10000,
                                      rm_accuracy=COMPETENT)]
    path = write_claims(rows, tmp_path / "06_powered_study")
    assert list(pd.read_csv(path).columns) == list(COLUMNS)
    assert claims_frame(read_claims(path)).equals(claims_frame(rows))  # NaN == NaN here
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
                                   pairs_per_source=2, n_seeds=3, track="real HH probe", n_boot=100)
    rows = [r for s in studies.values() for r in s.rows][:1]
    folder = tmp_path / "06_powered_study"
    write_claims(rows + [ClaimResult.from_interval(
        claim="C6", track="real HH probe", metric="H&H ECE, MORE − MultiTask (4 pair(s) …)",
        estimate=-0.003, ci_low=-0.006, ci_high=-0.001, n_seeds=3, n_pairs=40, rm_accuracy=COMPETENT)], folder)
    table.to_csv(folder / "ablations.csv", index=False)
    card = scorecard(tmp_path)
    c6 = card.query("claim == 'C6' and track == 'real HH probe'")
    assert len(c6) == 2 and list(c6.verdict)[1] == "reproduced"
    first = rows[0]
    assert list(c6.verdict)[0] == first.verdict
    assert card.query("claim == 'C6' and track == 'simulator probe'").verdict.item() == "not run"


def test_no_estimate_means_no_interval():
    row = ClaimResult.from_interval(claim="C5", track="real HH probe", metric="outliers", estimate=math.nan,
                                    ci_low=-0.01, ci_high=0.07, n_seeds=20, n_pairs=900, rm_accuracy=COMPETENT)
    assert row.verdict == "not run" and math.isnan(row.ci_low) and row.reason.startswith("not computable")

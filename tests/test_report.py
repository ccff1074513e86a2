"""morelib.report, morelib.paper_numbers and morelib.analysis on small hand-made tables."""

import json

import numpy as np
import pandas as pd

from morelib import analysis as A
from morelib import paper_numbers as P
from morelib.report import Section, assemble_report, markdown_table, write_numbers, write_table


def test_paper_numbers_are_labelled_and_complete():
    t2 = P.table2()
    assert len(t2) == 20 and set(t2.origin) == {"paper"}
    # the printed Avg. differs from the mean where paper.md says so
    r = t2[(t2.base == "Pythia-1.4B") & (t2.method == "MultiTask")].iloc[0]
    assert r.avg_printed == 62.38 and r.avg == 62.64
    t456 = P.table456()
    assert len(t456) == 18 and set(t456.origin) == {"paper"}
    assert P.table1().query("scheme == 'MORE'").win.tolist() == [44, 45, 45]


def test_write_table_and_numbers_are_atomic_files(tmp_path):
    frame = pd.DataFrame({"a": [1.0, np.nan]})
    text = write_table(frame, tmp_path / "t")
    assert (tmp_path / "t.csv").exists() and (tmp_path / "t.md").read_text().strip() == text
    write_numbers(tmp_path / "n.json", {"x": np.float64(np.nan), "y": np.int64(3)})
    assert json.loads((tmp_path / "n.json").read_text()) == {"x": None, "y": 3}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_section_and_report(tmp_path):
    sec = Section("02 test", tmp_path / "02_x", profile_dir=tmp_path)
    sec.folder.mkdir()
    sec.table(pd.DataFrame({"x": [1]}), "T", "t")
    sec.figure(tmp_path / "02_x" / "fig", "F")
    sec.write()
    text = assemble_report("default", tmp_path, ["02_x"], {"02_x": {"n": 1}}, "abc",
                           {"02_x": 12.0}, failures={})
    assert "](02_x/fig.png)" in text and "commit: `abc`" in text and "(12 s)" in text
    failed = assemble_report("default", tmp_path, ["02_x"], {}, "abc", failures={"02_x": "boom"})
    assert "failed" in failed and "boom" in failed
    assert markdown_table(pd.DataFrame({"a|b": ["x|y"]})).splitlines()[2] == "| x\\|y |"


def _scores(rng, n=300):
    rows = []
    truth = rng.normal(0.5, 1.0, n)
    for rm, scale in (("single/a", 3.0), ("single/b", 0.5), ("multitask", 2.5), ("more", 1.0)):
        for test in ("a", "b"):
            rows.append(pd.DataFrame({"rm": rm, "test": test, "pair": np.arange(n),
                                      "margin": scale * truth + rng.normal(0, .3, n)}))
    return pd.concat(rows, ignore_index=True)


def test_accuracy_ece_gaps_and_findings():
    s = A.with_ensembles(_scores(np.random.default_rng(0)))
    t = A.accuracy_ece(s, ["a", "b"], n_boot=100)
    assert set(t.rm) == {"single/a", "single/b", "multitask", "more", "averaging", "top"}
    assert ((t.low <= t.value + 1e-12) & (t.value <= t.high + 1e-12)).all()
    gaps = A.ece_gaps(s, ["a", "b"], n_boot=100)
    assert list(gaps.test) == ["a", "b", "pooled"]
    text = " ".join(A.findings_accuracy_ece(t, gaps, "sim"))
    # the wording follows the numbers, whichever way they go
    pooled = gaps.set_index("test").loc["pooled"]
    expected = ("lower than" if pooled.high < 0 else "higher than" if pooled.low > 0
                else "not distinguishable from")
    assert expected in text
    wide = A.wide_accuracy_ece(t, ["a", "b"])
    assert list(wide.scheme) == ["Top", "Averaging", "MultiTask", "MORE"]


def test_outliers_follow_the_box_rule():
    m = np.r_[np.linspace(0.1, 1.0, 40), 10.0, np.linspace(-1.0, -0.1, 20)]
    s = pd.DataFrame({"rm": "more", "test": "a", "pair": np.arange(len(m)), "margin": m})
    r = A.margin_outliers(s, ["a"], ["more"]).iloc[0]
    assert (r.pos_n, r.pos_outliers, r.pos_outlier_mean) == (41, 1, 10.0)
    assert (r.neg_n, r.neg_outliers) == (20, 0)
    assert A.findings_outliers(pd.DataFrame([r, r.copy().rename(None)]).assign(
        rm=["more", "multitask"])) != []


def test_temperature_and_lambda(tmp_path):
    s = _scores(np.random.default_rng(1))
    t = A.temperature_comparison(s, ["a", "b"], ["multitask", "more"], n_boot=50)
    assert t.set_index("rm").temperature["multitask"] > t.set_index("rm").temperature["more"]
    assert any("post-hoc" in f for f in A.findings_temperature(t))
    entry = tmp_path / "entry"
    (entry / "model").mkdir(parents=True)
    rows = [{"step": s, "lambda/a": .3 + .01 * s, "lambda/b": .7 - .01 * s, "cosine/a~b": -.2}
            for s in range(8)]
    (entry / "lambda_history.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    h = A.lambda_history(entry / "model")
    summary = A.lambda_summary(h).set_index("source")
    assert summary.lambda_last["a"] > summary.lambda_first["a"]
    assert summary.mean_cosine["a"] == -0.2
    assert A.lambda_history(None).empty
    assert "a" in " ".join(A.findings_lambda(summary.reset_index()))


def test_report_opens_with_the_verdicts_in_plain_words_backed_by_scorecard_rows(tmp_path) -> None:
    """The first section names each measured claim's verdict per track; the scorecard below has
    that row with its competence, λ spread and paper-effect columns."""
    from morelib.claims import ClaimResult, write_claims
    from morelib.report import assemble_report

    write_claims([ClaimResult.from_interval(claim="C6", track="real DSP probe", metric="DSP ECE, MORE − MultiTask",
                                            estimate=0.001, ci_low=-0.004, ci_high=0.006, n_seeds=20, n_pairs=2000,
                                            rm_accuracy=(0.595, 0.576, 0.615), lambda_spread=(0.039, 0.147)),
                  ClaimResult.from_interval(claim="C3", track="fine-tuned", metric="ECE", estimate=-0.01,
                                            ci_low=-0.02, ci_high=-0.001, n_seeds=1, n_pairs=400)],
                 tmp_path / "06_powered_study")
    text = assemble_report("default", tmp_path, ["06_powered_study"], {}, "abc")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Verdicts in plain words", "## Contents", "## Claims scorecard"]
    plain = text[text.index("## Verdicts"):text.index("## Contents")]
    assert ("**C6** (MORE's mean H&H ECE is about half of MultiTask's): **not reproduced** on the real DSP probe "
            "(ruled out down to the paper's smallest effect, -0.0067)") in plain
    assert "**C3**" in plain and "**not testable** on the fine-tuned track (one training seed)" in plain
    row = next(line for line in text.splitlines() if line.startswith("| C6 | real DSP probe |"))
    assert "**not reproduced**" in row and "0.595 [0.576, 0.615]" in row and "0.039 / 0.147" in row
    assert "-0.0067" in row and "0.0050" in row  # the paper's smallest effect beside the half-width


def test_findings_show_once_as_markdown_in_a_kernel_and_as_text_in_a_terminal(
        tmp_path, monkeypatch, capsys):
    import IPython.display

    from morelib import report

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    s = Section("01 · Toy", tmp_path)
    assert s.findings(["MORE is **better**."], "Findings: ECE", paper="Paper: same.") is None
    assert capsys.readouterr().out == "MORE is better.\n" and shown == []  # a terminal
    monkeypatch.setattr(report, "in_kernel", lambda: True)
    assert s.findings(["MORE is **better**."], "Findings: ECE", paper="Paper: same.") is None
    [md] = shown
    assert isinstance(md, IPython.display.Markdown) and capsys.readouterr().out == ""
    assert md.data == "**Findings: ECE**\n\n- MORE is **better**.\n\nPaper: same."
    assert s.parts[-3:] == ["### Findings: ECE", "- MORE is **better**.", "Paper: same."]

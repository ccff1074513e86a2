"""Scoring, tidy metric tables, ensembles and the eval-rm command."""

from __future__ import annotations

import numpy as np
import pytest

from morelib import cli
from morelib.calibration import accuracy, ece
from morelib.data.schema import PreferencePair
from morelib.data.simulator import SimulatorConfig, simulate_sources
from morelib.evaluation import evaluate_scorer, metrics_table, rm_scorer, score_pairs
from morelib.models import RewardModel, load_tokenizer, save_reward_model


@pytest.fixture(scope="module")
def tiny_rm():
    return RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")


def _pairs(n: int) -> list[PreferencePair]:
    sim = simulate_sources(SimulatorConfig(n_pairs_per_source=n, sources=("helpful",)))[0]
    return sim.pairs


def test_bucketed_scores_equal_one_at_a_time_scores(tiny_rm):
    model, tok = tiny_rm
    pairs = _pairs(9)
    batched = score_pairs(model, tok, pairs, batch_size=4)
    single = np.concatenate([score_pairs(model, tok, [p], batch_size=1) for p in pairs])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_metrics_table_pooled_and_mean_rows():
    rng = np.random.default_rng(0)
    margins = {"a": rng.normal(0.5, 1, 300), "b": rng.normal(-0.2, 2, 200)}
    table = metrics_table(margins, columns={"model": "x"})
    value = table.set_index(["source", "metric"]).value
    merged = np.concatenate(list(margins.values()))
    assert value["pooled", "ece"] == pytest.approx(ece(merged))
    assert value["pooled", "accuracy"] == pytest.approx(accuracy(merged))
    assert value["mean", "accuracy"] == pytest.approx(
        (accuracy(margins["a"]) + accuracy(margins["b"])) / 2)
    assert value["a", "n_pairs"] == 300 and ("mean", "n_pairs") not in value.index
    assert set(table.model) == {"x"}


def test_simulator_ground_truth_enters_the_table():
    pairs = _pairs(50)
    p = np.array([q.metadata["p_source"] for q in pairs])
    perfect = lambda ps: np.log(p / (1 - p))  # noqa: E731  margins whose σ is the truth
    table = evaluate_scorer(perfect, {"helpful": pairs}).set_index("metric").value
    assert table["ece_truth"] == pytest.approx(0.0, abs=1e-9)


def test_eval_rm_command_prints_per_source_and_pooled_rows(tmp_path, tiny_rm, capsys):
    model, tok = tiny_rm
    save_reward_model(model, tok, tmp_path / "rm")
    data = tmp_path / "mine.jsonl"
    data.write_text('{"prompt": "Q?", "chosen": " yes", "rejected": " no"}\n'
                    '{"prompt": "Hi", "chosen": " hello", "rejected": " go"}\n')
    csv = tmp_path / "table.csv"
    assert cli.main(["eval-rm", str(tmp_path / "rm"), str(data), "simulator:6",
                     "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    for name in ("mine", "helpful", "summarize", "pooled", "mean"):
        assert name in out
    expected = rm_scorer(model, tok)([PreferencePair("Q?", " yes", " no", "mine", "0"),
                                      PreferencePair("Hi", " hello", " go", "mine", "1")])
    import pandas as pd

    table = pd.read_csv(csv).set_index(["source", "metric"]).value
    assert table["mine", "accuracy"] == pytest.approx(accuracy(expected))


def test_eval_rm_reports_bad_data_in_one_line(tmp_path, tiny_rm, capsys):
    model, tok = tiny_rm
    save_reward_model(model, tok, tmp_path / "rm")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "Q", "chosen": 3, "rejected": "x"}\n')
    assert cli.main(["eval-rm", str(tmp_path / "rm"), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "line 1" in err and "'chosen'" in err

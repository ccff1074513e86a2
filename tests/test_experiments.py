"""The RM suite: trained once, cached, scored into one long table, Averaging and Top derived."""

from __future__ import annotations

import numpy as np
import pytest

from morelib.experiments import (add_real_tests, real_data, score_suite, simulator_data,
                                 suite_metrics, train_suite)
from morelib.runs import RunCache
from morelib.training import RMTrainingConfig

BASE = RMTrainingConfig(model="tiny-llama", groups_per_device_batch=2,
                        gradient_accumulation_steps=1, learning_rate=1e-3, max_length=64)


def test_suite_trains_once_scores_all_tests_and_derives_ensembles(tmp_path, capsys):
    data = simulator_data(8, 6, sources=("helpful", "harmless"))
    cache = RunCache(tmp_path)
    models = train_suite(cache, BASE, data)
    trained = ["single/helpful", "single/harmless", "multitask", "more"]
    assert set(models) == {"raw", *trained}
    out, err = capsys.readouterr()
    assert out == "" and all(f"\r{rm}: 100%" in err for rm in trained)  # a bar per RM
    again = train_suite(cache, BASE, data)
    out, err = capsys.readouterr()
    assert again == models and out == f"[suite] cached: {', '.join(trained)}\n" and err == ""

    scores = score_suite(cache, models, BASE, data)
    err = capsys.readouterr().err
    assert all(f"\rscoring {rm}: 100%" in err for rm in models)
    score_suite(cache, models, BASE, data)
    assert capsys.readouterr().err == ""  # cached scores: no bar
    assert len(scores) == 5 * 2 * 6 and scores.p_source.notna().all()
    table = suite_metrics(scores)
    assert {"averaging", "top"} <= set(table.rm)
    acc = table[table.metric == "accuracy"].set_index(["rm", "source"]).value
    for test in ("helpful", "harmless"):  # Top = the better single RM on each test set
        assert acc["top", test] == max(acc["single/helpful", test], acc["single/harmless", test])
    single = scores[scores.rm.str.startswith("single/")]
    avg = single.groupby(["test", "pair"]).margin.mean()
    from morelib.calibration import ece
    assert table.set_index(["rm", "source", "metric"]).value["averaging", "helpful", "ece"] == \
        pytest.approx(ece(avg["helpful"].to_numpy()))


def test_real_data_split_is_disjoint_and_balanced(real_data_dir):
    data = real_data(real_data_dir, n_train=100, n_test=50, sources=("helpful", "webgpt"))
    for src in data.train:
        assert len(src) == 100
        held = {(p.prompt, p.chosen) for p in data.tests[src.name]}
        assert len(data.tests[src.name]) == 50
        assert not held & {(p.prompt, p.chosen) for p in src.pairs}
    with_real = add_real_tests(simulator_data(4, 2, sources=("helpful",)), real_data_dir, limit=7)
    assert len(with_real.tests["harmless (real)"]) == 7


def test_unknown_scheme_is_refused():
    from morelib.experiments import rm_configs
    with pytest.raises(ValueError, match="unknown schemes"):
        rm_configs(BASE, simulator_data(4, 2, sources=("helpful",)), ["best"])


def test_changing_test_sets_never_retrains_rms(tmp_path, capsys):
    cache = RunCache(tmp_path)
    train_suite(cache, BASE, simulator_data(8, 6, sources=("helpful",)), schemes=["single"])
    capsys.readouterr()
    bigger_tests = simulator_data(8, 12, sources=("helpful",))
    train_suite(cache, BASE, bigger_tests, schemes=["single"])
    assert "cached" in capsys.readouterr().out


def test_prefix_cached_suite_scores_equal_plain_scoring(tmp_path):
    """With ``prefix_cache`` the suite scores through the shared prefix cache (one prefix pass
    per text for all RMs); margins must equal scoring each saved RM without any cache."""
    import dataclasses

    from morelib.evaluation import rm_scorer
    from morelib.experiments import load_suite_model
    from morelib.models import load_reward_model, load_tokenizer
    from morelib.models.prefix_store import shared_prefix_cache

    base = dataclasses.replace(BASE, trainable_top_layers=1, prefix_cache=True,
                               prefix_cache_dir=str(tmp_path / "prefix"))
    data = simulator_data(8, 6, sources=("helpful", "harmless"))
    cache = RunCache(tmp_path / "runs")
    models = train_suite(cache, base, data, schemes=("raw", "more"), progress=False)
    prefix = shared_prefix_cache(base.prefix_cache_dir)
    hits = prefix.hits
    scores = score_suite(cache, models, base, data)
    assert prefix.hits > hits  # the scorer really went through the cache
    assert load_suite_model(models["more"], base)[0].prefix_runner is not None
    plain = load_reward_model(models["more"]).eval()
    tok = load_tokenizer(models["more"])
    for test, pairs in data.tests.items():
        expected = rm_scorer(plain, tok, 4, base.max_length)(pairs)
        got = scores[(scores.rm == "more") & (scores.test == test)].margin.to_numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)

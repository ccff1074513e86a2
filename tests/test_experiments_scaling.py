"""experiments.scaling: metrics and findings of a sweep (synthetic scores, no training)."""

import numpy as np
import pandas as pd

from morelib.experiments import scaling as S


def _sweep(seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for model in ("small", "big"):
        for k, n, rm in [(5, 8, "single/helpful"), (5, 8, "single/harmless"), (2, 8, "more"),
                         (2, 8, "multitask"), (5, 8, "more"), (5, 8, "multitask"),
                         (5, 4, "more"), (5, 4, "multitask")]:
            for test in ("helpful", "harmless"):
                frames.append(pd.DataFrame({"model": model, "k": k, "n_train": n, "rm": rm,
                                            "test": test, "pair": np.arange(40),
                                            "margin": rng.normal(0.5, 1.0, 40)}))
    return pd.concat(frames, ignore_index=True)


def test_metrics_have_hh_rows_with_intervals_and_top_at_the_singles_k():
    m = S.sweep_metrics(_sweep(), n_boot=50)
    hh = m[m.test == "H&H"]
    assert set(hh.scheme) == {"MORE", "MultiTask", "Top"}
    assert set(hh[hh.scheme == "Top"].k) == {5}
    assert (hh.low <= hh.high).all()
    per = m[(m.test != "H&H")].groupby(["model", "k", "n_train", "scheme", "metric"]).value.mean()
    both = hh.set_index(["model", "k", "n_train", "scheme", "metric"]).value
    assert np.allclose(both.sort_index(), per.loc[both.index].sort_index())


def test_top_picks_the_more_accurate_single_per_test():
    s = _sweep()
    s.loc[(s.rm == "single/harmless") & (s.test == "harmless"), "margin"] = 1.0
    m = S.sweep_metrics(s, n_boot=20)
    top = m[(m.scheme == "Top") & (m.test == "harmless") & (m.metric == "accuracy")]
    assert (top.value == 1.0).all()


def test_findings_mention_every_model_and_the_train_size_trend():
    m = S.sweep_metrics(_sweep(), n_boot=20)
    sizes = pd.DataFrame({"model": ["small", "big"], "parameters": [1, 2]})
    text = S.findings(m, sizes, n_train=8)
    assert any(t.startswith("small: MORE's H&H ECE") for t in text)
    assert any(t.startswith("big, K=5: MORE's ECE") for t in text)
    assert any("with 4 pairs per source" in t for t in text)


def test_findings_quote_the_lambda_spread_and_call_k2_batching():
    m = S.sweep_metrics(_sweep(), n_boot=20)
    sizes = pd.DataFrame({"model": ["small", "big"], "parameters": [1, 2]})
    spread = pd.DataFrame({"model": ["small", "small"], "k": [2, 5], "n_train": 8,
                           "scheme": "MORE", "lambda_spread_max": [0.0, 0.2]})
    text = [str(t) for t in S.findings(m.merge(spread, how="left"), sizes, n_train=8)]
    small = next(t for t in text if t.startswith("small: MORE's H&H ECE"))
    assert "(K=2, max |λ − 1/K| 0.0e+00 over training: stratified-uniform batching" in small
    big = next(t for t in text if t.startswith("big: MORE's H&H ECE"))
    assert "(K=2)" in big and "batching" not in big  # no λ history: nothing claimed


def test_every_interval_follows_ci():
    """``ci`` sets the level of every interval, ECE per test set included (it used to keep
    bootstrap_ece's default 95 %): narrower at 50 %, and exactly bootstrap_ece's at that level."""
    from morelib.calibration import bootstrap_ece

    s = _sweep()
    wide, narrow = (S.sweep_metrics(s, n_boot=200, ci=ci) for ci in (0.95, 0.5))
    width = lambda m: (m.high - m.low).to_numpy()
    assert (width(narrow) < width(wide)).all()
    row = narrow[(narrow.model == "small") & (narrow.scheme == "MORE") & (narrow.k == 2)
                 & (narrow.test == "helpful") & (narrow.metric == "ece")].iloc[0]
    m = s[(s.model == "small") & (s.rm == "more") & (s.k == 2) & (s.test == "helpful")]
    want = bootstrap_ece(m.sort_values("pair").margin.to_numpy(float), n_boot=200, ci=0.5)
    assert (row.low, row.high) == (want.low, want.high)

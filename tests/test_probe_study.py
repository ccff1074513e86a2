"""The probe study: prompt-disjoint splits (synthetic and real), and C6 rows whose numbers
follow from the per-seed ECEs recomputed here."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from morelib.calibration import ece
from morelib.data import LoadedSource, PreferencePair
from morelib.probe import prompt_disjoint_split, prompt_key, real_probe_sources, run_probe_study
from morelib.probe.study import HH, _ToyStore
from morelib.settings import data_dir


def toy_sources(n: int = 60) -> list[LoadedSource]:
    return [LoadedSource(name, [PreferencePair(f"Human: {name} {i % 20}\n\nAssistant: x\n\n"
                                               f"Human: turn {i}\n\nAssistant:",
                                               f" good {i}", f" bad {i}", name, f"{name}{i}")
                                for i in range(n)])
            for name in ("helpful", "harmless", "webgpt")]


def test_split_keeps_every_prompt_key_on_one_side_across_sources() -> None:
    shared = [LoadedSource(n, [PreferencePair(f"Human: q{i}\n\nAssistant:", " a", " b", n, str(i))
                               for i in range(200)]) for n in ("a", "b")]
    train, tests = prompt_disjoint_split(shared, 0.3, seed=1)
    train_keys = {prompt_key(p.prompt) for s in train for p in s.pairs}
    test_keys = {prompt_key(p.prompt) for t in tests.values() for p in t}
    assert train_keys.isdisjoint(test_keys)
    assert {p.id for p in tests["a"]} == {p.id for p in tests["b"]}  # same prompt, same side
    assert 0.2 < len(tests["a"]) / 200 < 0.4
    with pytest.raises(ValueError, match="test_fraction"):
        prompt_disjoint_split(shared, 1.0)


@pytest.mark.skipif(data_dir() is None, reason="MORELIB_DATA_DIR not set")
def test_real_sources_split_by_prompt() -> None:
    sources = real_probe_sources(data_dir())
    train, tests = prompt_disjoint_split(sources, 0.2)
    for s in train:
        keys = {prompt_key(p.prompt) for p in s.pairs}
        for t in tests.values():
            assert keys.isdisjoint(prompt_key(p.prompt) for p in t)
        assert 0.1 < len(tests[s.name]) / (len(s) + len(tests[s.name])) < 0.3


def test_c6_rows_follow_from_the_per_seed_eces() -> None:
    study = run_probe_study(_ToyStore(), toy_sources(), n_seeds=4, pairs_per_source=(1, 4),
                            n_boot=300)
    frame = study.per_seed
    for row, (_, summary) in zip(study.rows, study.summary.iterrows()):
        here = frame[frame.pairs_per_source == summary.pairs_per_source]
        wide = here.pivot_table(index=["seed", "test"], columns="strategy", values="ece")
        per_seed = (wide["more"] - wide["mean"]).groupby("seed").mean()
        assert row.estimate == pytest.approx(per_seed.mean(), abs=1e-12)
        assert row.ci_low <= row.estimate <= row.ci_high
        assert row.n_pairs == study.sizes["helpful"][1] + study.sizes["harmless"][1]
        assert row.verdict in ("reproduced", "not reproduced", "inconclusive")
        assert row.metric.endswith(f"({summary.pairs_per_source} pair(s) per source per batch)")
    assert set(study.noise_floor) == {"helpful", "harmless"}
    assert frame.accuracy.mean() > 0.6   # the toy heads learned "good" > "bad"


def test_per_seed_ece_is_the_ece_of_each_heads_margins() -> None:
    sources = toy_sources()
    store = _ToyStore()
    study = run_probe_study(store, sources, n_seeds=2, pairs_per_source=(2,), n_boot=100)
    train, tests = prompt_disjoint_split(sources, 0.2, 0)
    from morelib.probe import train_probe_heads
    from morelib.probe.study import default_config
    import dataclasses
    cfg = dataclasses.replace(default_config("toy", 3, 16), strategy="more",
                              groups_per_device_batch=2)
    pairs = [p for s in train for p in s.pairs]
    src = torch.tensor([k for k, s in enumerate(train) for _ in s.pairs])
    zc, zr = store.pair_features(pairs)
    n_sub = int(0.8 * min(len(s) for s in train))
    run = train_probe_heads(cfg, zc, zr, src, [0, 1], subset_per_source=n_sub)
    m = run.margins(*store.pair_features(tests["harmless"])).numpy()
    got = study.per_seed.query("strategy == 'more' and test == 'harmless'").sort_values("seed")
    assert np.allclose(got.ece, [ece(row) for row in m])


def test_unknown_test_source_is_refused() -> None:
    with pytest.raises(ValueError, match="not among"):
        run_probe_study(_ToyStore(), toy_sources()[2:], n_seeds=2)


@pytest.mark.skipif(data_dir() is None, reason="MORELIB_DATA_DIR not set")
def test_study_runs_on_real_pairs_with_a_tiny_backbone(tmp_path) -> None:
    from morelib.probe import FeatureStore

    sources = [LoadedSource(s.name, s.pairs[:100]) for s in real_probe_sources(data_dir())]
    store = FeatureStore("tiny-llama", max_length=48, directory=tmp_path)
    study = run_probe_study(store, sources, n_seeds=3, pairs_per_source=(1, 2), n_boot=100)
    assert [r.n_seeds for r in study.rows] == [3, 3]
    assert all(r.track == "real HH probe" and r.claim == "C6" for r in study.rows)
    assert set(study.sizes) == {s.name for s in sources}
    assert np.isfinite(study.summary[["estimate", "ci_low", "ci_high"]].to_numpy()).all()


def test_claim_rows_follow_from_the_per_seed_eces() -> None:
    """C1–C5 and C8 at one G: each estimate is the mean over seeds of the mean over its test
    sets of a per-seed statistic (ECE(A) − ECE(B); own-minus-other accuracy; outlier means),
    computed here from the returned margins."""
    study = run_probe_study(_ToyStore(), toy_sources(), n_seeds=4, pairs_per_source=(1, 4),
                            n_boot=300, claims_pairs_per_source=4, other_tests_cap=5)
    m = study.claim_margins
    rows = {r.claim: r for r in study.rows if r.claim != "C6"}
    assert sorted(rows) == ["C1", "C2", "C3", "C4", "C5", "C8"] and len(study.rows) == 2 + 6

    def by_hand(a, b, tests):
        return np.mean([np.mean([ece(m[a][t][s]) - ece(m[b][t][s]) for t in tests])
                        for s in range(4)])

    every = sorted(m["top"])
    assert len(every) == len(toy_sources()) and m["top"]["webgpt"].shape[1] == 5  # capped
    assert rows["C2"].estimate == pytest.approx(by_hand("mean", "top", every), abs=1e-9)
    assert rows["C3"].estimate == pytest.approx(by_hand("more", "mean", every), abs=1e-9)
    assert rows["C4"].estimate == pytest.approx(by_hand("more", "top", HH), abs=1e-9)
    assert rows["C8"].estimate == pytest.approx(by_hand("more", "more_k2", HH), abs=1e-9)
    # C1: per seed, the heads x test sets accuracy matrix's diagonal minus its off-diagonal mean
    single = m["single"]
    heads = sorted(single)
    acc = np.array([[[np.mean((single[h][t][s] > 0) + 0.5 * (single[h][t][s] == 0))
                      for t in heads] for h in heads] for s in range(4)])  # [S, head, test]
    k = len(heads)
    diag = np.einsum("shh->s", acc) / k
    off = (acc.sum(axis=(1, 2)) - np.einsum("shh->s", acc)) / (k * (k - 1))
    assert rows["C1"].estimate == pytest.approx(np.mean(diag - off), abs=1e-12)
    np.testing.assert_allclose(m["top"]["helpful"], single["helpful"]["helpful"])
    # C5: mean outlier |Δr| of MORE minus MultiTask, per seed and H&H test set
    from morelib.analysis.claim_rows import outlier_mean
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a seed without outliers: NaN
        c5 = np.nanmean([[outlier_mean(m["more"][t][s]) - outlier_mean(m["mean"][t][s])
                          for t in HH] for s in range(4)], axis=1)
    np.testing.assert_allclose(rows["C5"].estimate, np.mean(c5), atol=1e-12)  # NaN: no outliers
    # the study's own MORE heads at G = 4 are the ones C3 and C8 use
    np.testing.assert_allclose(m["more"]["helpful"], study.margins[(4, "more")]["helpful"])
    assert all(r.n_seeds == 4 and (r.ci_low <= r.ci_high or r.verdict == "not run") for r in rows.values())
    # competence: the weaker compared scheme's mean accuracy over seeds and test sets
    def accuracy(arm, tests):
        return np.mean([np.mean([np.mean((m[arm][t][s] > 0) + 0.5 * (m[arm][t][s] == 0)) for t in tests])
                        for s in range(4)])
    assert rows["C3"].rm_accuracy == pytest.approx(min(accuracy("more", every), accuracy("mean", every)), abs=1e-12)
    assert rows["C4"].rm_accuracy == pytest.approx(min(accuracy("more", HH), accuracy("top", HH)), abs=1e-12)
    assert rows["C1"].rm_accuracy == pytest.approx(accuracy("top", every), abs=1e-12)
    assert all(r.rm_accuracy_low <= r.rm_accuracy <= r.rm_accuracy_high for r in rows.values())
    # mechanism: MORE's λ spread on the rows that compare MORE, none on C1/C2
    spread = study.spreads[(4, "more")]
    assert rows["C3"].lambda_spread == pytest.approx(spread.mean()) and rows["C3"].lambda_spread_max >= spread.max()
    assert np.isnan(rows["C1"].lambda_spread) and np.isnan(rows["C2"].lambda_spread)
    with pytest.raises(ValueError, match="not one of pairs_per_source"):
        run_probe_study(_ToyStore(), toy_sources(), n_seeds=2, pairs_per_source=(1,),
                        claims_pairs_per_source=4)


def test_outlier_contrast_by_hand_and_nan_test_sets_left_out() -> None:
    """C5's statistic through statistic_contrast: per seed, the mean over test sets of MORE's
    minus MultiTask's mean outlier |Δr|; a test set where a head has no outliers drops out."""
    from morelib.analysis.claim_rows import outlier_mean
    from morelib.probe.claim_rows import outlier_mean_gap
    from morelib.probe.contrasts import statistic_contrast

    rng = np.random.default_rng(3)
    def heads(scale_more, n=400):
        base = rng.normal(0.5, 0.3, (5, 2, n))
        base[:, 0, :8] = 4.0 * scale_more   # planted outliers, smaller for MORE
        base[:, 1, :8] = 4.0
        return base
    margins = {"helpful": heads(0.5), "harmless": heads(0.75)}
    res = statistic_contrast(margins, outlier_mean_gap, n_boot=200, seed=1)
    by_hand = np.mean([np.mean([outlier_mean(margins[t][s, 0]) - outlier_mean(margins[t][s, 1])
                                for t in margins]) for s in range(5)])
    assert res.estimate == pytest.approx(by_hand, abs=1e-12) and by_hand < -1.0
    assert res.low <= res.estimate <= res.high < 0 and res.n_seeds == 5 and res.n_pairs == 800
    flat = {"helpful": margins["helpful"], "flat": np.ones((5, 2, 50))}  # no outliers at all
    assert statistic_contrast(flat, outlier_mean_gap, n_boot=50).estimate == pytest.approx(
        statistic_contrast({"helpful": margins["helpful"]}, outlier_mean_gap,
                          n_boot=50).estimate, abs=1e-12)


def test_seed_moves_the_training_seeds() -> None:
    """The study's ``seed`` picks the training seeds (seed .. seed + n_seeds - 1): each seed's
    subset, order and head init, so the heads themselves change with it."""
    a = run_probe_study(_ToyStore(), toy_sources(), n_seeds=2, pairs_per_source=(2,), n_boot=50, seed=0)
    b = run_probe_study(_ToyStore(), toy_sources(), n_seeds=2, pairs_per_source=(2,), n_boot=50, seed=5)
    assert sorted(a.per_seed.seed.unique()) == [0, 1] and sorted(b.per_seed.seed.unique()) == [5, 6]
    assert not np.allclose(a.margins[(2, "more")]["helpful"], b.margins[(2, "more")]["helpful"])

"""ECE family, accuracy, Brier/NLL, summary and reliability tables vs independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from morelib.calibration import (
    accuracy,
    ace,
    brier,
    calibration_error,
    calibration_summary,
    ece,
    ece_against_truth,
    mae_against_truth,
    mce,
    mse_against_truth,
    n_ties,
    nll,
    reliability_diagram,
    reliability_table,
    strict_accuracy,
    top_label_ece,
)


def reference_metrics(r_first, r_second, labels, n_bins):
    """The authors' compute_metrics + calibration_error, one entry at a time.

    For each pair, responses j, k in {0, 1} with rewards l and scores s (the preferred one scores
    1); both off-diagonal orderings (j, k) give delta = l[k] - l[j], p = sigmoid(delta) and label
    1[s[k] > s[j]]. A p's bin is the number of inner linspace edges strictly below it. Soft
    labels: the ordering (j=1, k=0) (first over second) has label y, the other 1 - y.
    """
    inner = [float(e) for e in np.linspace(0.0, 1.0, n_bins + 1)[1:-1]]
    sum_p, sum_y, cnt = [0.0] * n_bins, [0.0] * n_bins, [0] * n_bins
    for l0, l1, y in zip(r_first, r_second, labels):
        rewards = (float(l0), float(l1))
        for j in range(2):
            for k in range(2):
                if j == k:
                    continue
                delta = rewards[k] - rewards[j]
                p = 1.0 / (1.0 + math.exp(-delta))
                label = float(y) if (j, k) == (1, 0) else 1.0 - float(y)
                b = sum(1 for e in inner if e < p)
                sum_p[b] += p
                sum_y[b] += label
                cnt[b] += 1
    n = sum(cnt)
    e = sum(abs(a - b) for a, b in zip(sum_p, sum_y)) / n
    gaps = [abs(a - b) / c for a, b, c in zip(sum_p, sum_y, cnt) if c > 0]
    return e, sum(gaps) / len(gaps), max(gaps)


@pytest.mark.parametrize("n_bins", [5, 10, 20])
def test_ece_ace_mce_match_reference_loop(n_bins):
    rng = np.random.default_rng(n_bins)
    r_c, r_r = rng.normal(0.5, 1.5, 400), rng.normal(0.0, 1.5, 400)
    y = (rng.random(400) < 0.7).astype(float)
    ref_ece, ref_ace, ref_mce = reference_metrics(r_c, r_r, y, n_bins)
    m = r_c - r_r
    assert ece(m, n_bins, labels=y) == pytest.approx(ref_ece, abs=1e-12)
    assert ace(m, n_bins, labels=y) == pytest.approx(ref_ace, abs=1e-12)
    assert mce(m, n_bins, labels=y) == pytest.approx(ref_mce, abs=1e-12)
    ones = np.ones(400)
    assert ece(m, n_bins) == pytest.approx(reference_metrics(r_c, r_r, ones, n_bins)[0], abs=1e-12)


def test_soft_labels_and_truth_match_reference_loop():
    rng = np.random.default_rng(1)
    r_c, r_r = rng.normal(0.3, 1.0, 300), rng.normal(0.0, 1.0, 300)
    p_true = rng.random(300)
    ref = reference_metrics(r_c, r_r, p_true, 10)[0]
    assert ece_against_truth(r_c - r_r, p_true) == pytest.approx(ref, abs=1e-12)


def test_edge_values_go_to_lower_bin():
    e = np.linspace(0, 1, 11)
    # bin (0.2, 0.3] holds 0.25 and the edge value 0.3; 0.35 is alone in (0.3, 0.4]
    lower = (abs(0.25 + e[3] - 1.0) + 0.35) / 3
    upper = (abs(0.25 - 1.0) + abs(e[3] + 0.35)) / 3
    got = calibration_error([0.25, e[3], 0.35], [1, 0, 0])
    assert got == pytest.approx(lower, abs=1e-15) and abs(got - upper) > 0.1
    # 0 goes to the first bin, 1 to the last; 0.95 and 1.0 share (0.9, 1]
    assert calibration_error([0.0, 0.95, 1.0], [0, 0, 1]) == pytest.approx(0.95 / 3)
    # margin 0 -> 0.5, an edge: both entries in (0.4, 0.5]; sigmoid(log 3) == 0.75 exactly
    t = reliability_table([0.0], n_bins=10)
    assert t["count"].tolist() == [0, 0, 0, 0, 2, 0, 0, 0, 0, 0]
    assert expit(np.log(3.0)) == 0.75
    t4 = reliability_table([np.log(3.0)], n_bins=4)
    assert t4["count"].tolist() == [1, 0, 1, 0]  # 0.25 -> (0, .25], 0.75 -> (.5, .75]


def test_hand_examples():
    # each of the 6 entries alone in its bin: ECE = mean over pairs of 1 - sigmoid(m)
    m = np.array([2.0, -1.0, 0.5])
    assert ece(m) == pytest.approx(np.mean(1 - expit(m)), abs=1e-15)
    assert ece([0.0, 0.0]) == 0.0  # ties: (0.5, 1) and (0.5, 0) cancel
    # ACE / MCE: margins log 3 (entries 0.75|1 and 0.25|0) and 0 (two 0.5 entries):
    # 4 bins: (0,.25] gap .25, (.25,.5] gap 0, (.5,.75] gap .25 -> ACE 1/6, MCE .25, ECE .125
    assert ace([np.log(3.0), 0.0], 4) == pytest.approx(1 / 6)
    assert mce([np.log(3.0), 0.0], 4) == pytest.approx(0.25)
    assert ece([np.log(3.0), 0.0], 4) == pytest.approx(0.125)


def test_norms_against_direct_formulas():
    conf = np.array([0.05, 0.15, 0.18, 0.55, 0.62, 0.97])
    lab = np.array([0, 1, 0, 1, 1, 1.0])
    # bins: {0.05}, {0.15, 0.18}, {0.55}, {0.62}, {0.97}
    groups = [([0.05], [0]), ([0.15, 0.18], [1, 0]), ([0.55], [1]), ([0.62], [1]), ([0.97], [1])]
    gaps = [abs(np.mean(c) - np.mean(y)) for c, y in groups]
    weights = [len(c) / 6 for c, _ in groups]
    assert calibration_error(conf, lab, 10) == pytest.approx(np.dot(weights, gaps))
    l2 = math.sqrt(np.dot(weights, np.square(gaps)))
    assert calibration_error(conf, lab, 10, norm="l2") == pytest.approx(l2)
    assert calibration_error(conf, lab, 10, norm="max") == pytest.approx(max(gaps))


def test_quantile_bins_have_equal_mass():
    rng = np.random.default_rng(2)
    conf, y = rng.random(1000), (rng.random(1000) < 0.5).astype(float)
    t = calibration_error(conf, y, 10, binning="quantile")
    order = np.argsort(conf)
    chunks = np.split(order, 10)  # 100 entries per bin
    direct = sum(abs(conf[c].sum() - y[c].sum()) for c in chunks) / 1000
    assert t == pytest.approx(direct, abs=1e-12)
    m = rng.normal(0, 2, 501)
    table = reliability_table(m, n_bins=10, binning="quantile")
    assert table["count"].sum() == 1002 and table["count"].max() - table["count"].min() <= 2


def test_symmetric_equals_top_label_on_random_margins():
    rng = np.random.default_rng(3)
    m = rng.normal(0.4, 2.0, 5000)
    y = (rng.random(5000) < 0.6).astype(float)
    for n_bins in (2, 10, 20):
        for norm in ("l1", "l2", "max"):
            a = ece(m, n_bins, labels=y, norm=norm)
            b = top_label_ece(m, n_bins, labels=y, norm=norm)
            assert abs(a - b) < 1e-12
    # flipping a pair's orientation and its label changes nothing
    assert ece(m, labels=y) == pytest.approx(ece(np.where(y == 1, m, -m)), abs=1e-12)
    # ties with half credit keep the ECE identity
    mt = np.concatenate([m, np.zeros(50)])
    assert abs(ece(mt) - top_label_ece(mt)) < 1e-12


def _margin_with_sigmoid_on_edge(edge):
    m0 = math.log(edge / (1 - edge))
    for d in range(-50, 51):
        m = m0 + d * np.spacing(m0)
        if expit(m) == edge:
            return m
    raise AssertionError("no margin maps exactly onto the edge")


def test_identity_exceptions():
    # (0) odd bin counts: the middle bin (0.4, 0.6] is its own mirror and has zero symmetric gap
    rng = np.random.default_rng(8)
    mo = rng.normal(0.3, 1.0, 3000)
    yo = (rng.random(3000) < 0.6).astype(float)
    mid = reliability_table(mo, yo, n_bins=5, form="top_label").iloc[2]
    middle_share = mid["count"] * abs(mid["gap"]) / 3000
    assert middle_share > 1e-3
    assert ece(mo, 5, labels=yo) == pytest.approx(top_label_ece(mo, 5, labels=yo) - middle_share)
    assert reliability_table(mo, yo, n_bins=5).loc[2, "gap"] == pytest.approx(0.0, abs=1e-12)
    # (1) a confidence exactly on the edge 0.6: its mirror 0.4 is also an edge and lands in
    # (0.3, 0.4], not in the reflected bin (0.4, 0.5]
    m_edge = _margin_with_sigmoid_on_edge(np.linspace(0, 1, 11)[6])
    m = [m_edge, math.log(0.55 / 0.45)]
    y = [1.0, 0.0]
    # symmetric: (0.6|1, 0.55|0) -> .15; (0.45|1) -> .55; (0.4|0) -> .4; over 4 entries
    assert ece(m, labels=y) == pytest.approx((0.15 + 0.55 + 0.4) / 4)
    # top-label: both pairs in (0.5, 0.6], conf 1.15, correct 1 -> .15 over 2
    assert top_label_ece(m, labels=y) == pytest.approx(0.15 / 2)
    # (2) a tie counted as wrong (or right) in the top-label form
    mt = [0.0, 1.0]
    assert ece(mt) == pytest.approx(top_label_ece(mt))
    assert top_label_ece(mt, tie_credit=0.0) > ece(mt) + 0.2
    # (3) ACE with ties: in the symmetric form the ties share (0.4, 0.5] with mirrored entries
    mx = [0.0, math.log(0.55 / 0.45)]
    yx = [1.0, 0.0]
    top = reliability_table(mx, yx, form="top_label")
    top_ace = top.loc[top["count"] > 0, "gap"].abs().mean()
    assert top_ace == pytest.approx(0.275)
    assert ace(mx, labels=yx) == pytest.approx((0.55 / 3 + 0.55) / 2)
    assert ece(mx, labels=yx) == pytest.approx(top_label_ece(mx, labels=yx))


def test_calibrated_data_small_and_shrinking_miscalibrated_large():
    def mean_ece(n, scale, seeds=5):
        vals = []
        for s in range(seeds):
            rng = np.random.default_rng(100 + s)
            logit = rng.normal(0.0, 2.0, n)
            y = (rng.random(n) < expit(logit)).astype(float)
            vals.append(ece(scale * logit, labels=y))
        return float(np.mean(vals))

    small, large = mean_ece(1000, 1.0), mean_ece(100_000, 1.0)
    assert small < 0.03 and large < 0.005 and large < small / 3
    assert mean_ece(100_000, 3.0) > 0.08


def test_ece_against_truth():
    rng = np.random.default_rng(4)
    logit = rng.normal(0, 1.5, 2000)
    p = expit(logit)
    assert ece_against_truth(logit, p) < 1e-12
    assert mae_against_truth(logit, p) < 1e-12 and mse_against_truth(logit, p) < 1e-20
    assert ece_against_truth(3 * logit, p) > 0.05
    assert mae_against_truth(3 * logit, p) == pytest.approx(np.mean(np.abs(expit(3 * logit) - p)))


def test_brier_and_nll_against_direct_formulas():
    rng = np.random.default_rng(5)
    m = rng.normal(0, 3, 200)
    y = (rng.random(200) < 0.5).astype(float)
    sig = [1 / (1 + math.exp(-v)) for v in m]
    direct_brier = sum((s - t) ** 2 for s, t in zip(sig, y)) / 200
    direct_nll = -sum(math.log(s) if t else math.log(1 - s) for s, t in zip(sig, y)) / 200
    assert brier(m, y) == pytest.approx(direct_brier, rel=1e-12)
    assert nll(m, y) == pytest.approx(direct_nll, rel=1e-10)
    # symmetrised two-entry Brier equals the per-pair one
    sym = (np.sum((expit(m) - y) ** 2) + np.sum((expit(-m) - (1 - y)) ** 2)) / 400
    assert brier(m, y) == pytest.approx(sym, rel=1e-12)
    assert nll([-800.0]) == pytest.approx(800.0)  # stable for huge margins


def test_accuracy_with_ties_and_labels():
    m = [1.0, -2.0, 0.0, 3.0, 0.0]
    assert accuracy(m) == pytest.approx(3 / 5)  # 2 correct + 2 ties * 1/2
    assert strict_accuracy(m) == pytest.approx(2 / 5)
    assert n_ties(m) == 2
    assert accuracy(m, labels=[1, 0, 1, 0, 0]) == pytest.approx(3 / 5)  # rows 1, 2 ok; ties
    assert strict_accuracy(m, labels=[1, 0, 1, 0, 0]) == pytest.approx(2 / 5)


def test_summary_consistent_with_functions():
    rng = np.random.default_rng(6)
    m = np.concatenate([rng.normal(0.5, 2, 997), np.zeros(3)])
    y = (rng.random(1000) < 0.8).astype(float)
    p = rng.random(1000)
    s = calibration_summary(m, y, p)
    expected = {
        "accuracy": accuracy(m, y), "strict_accuracy": strict_accuracy(m, y), "ties": 3,
        "ece": ece(m, labels=y), "ece_5": ece(m, 5, labels=y), "ece_20": ece(m, 20, labels=y),
        "ace": ace(m, labels=y), "mce": mce(m, labels=y),
        "top_label_ece": top_label_ece(m, labels=y),
        "ece_quantile": ece(m, labels=y, binning="quantile"),
        "brier": brier(m, y), "nll": nll(m, y), "n_pairs": 1000,
        "ece_truth": ece_against_truth(m, p), "mae_truth": mae_against_truth(m, p),
        "mse_truth": mse_against_truth(m, p),
    }
    assert s.keys() == expected.keys()
    for k, v in expected.items():
        assert s[k] == pytest.approx(v, abs=1e-15), k
        assert type(s[k]) in (int, float), k
    assert "ece_truth" not in calibration_summary(m)


def test_reliability_table_reproduces_ece_and_diagram_has_no_side_effects():
    import matplotlib as mpl
    from matplotlib.figure import Figure

    rng = np.random.default_rng(7)
    m, y = rng.normal(0.5, 2, 800), (rng.random(800) < 0.7).astype(float)
    for form, fn in (("symmetric", ece), ("top_label", top_label_ece)):
        t = reliability_table(m, y, form=form)
        filled = t[t["count"] > 0]
        assert (filled["count"] * filled["gap"].abs()).sum() / t["count"].sum() == pytest.approx(
            fn(m, labels=y), abs=1e-12
        )
    assert list(t.columns) == ["bin", "lower", "upper", "count", "confidence", "accuracy", "gap"]
    before = dict(mpl.rcParams)
    ax = Figure().subplots()
    assert reliability_diagram(m, y, ax=ax, label="RM") is ax
    assert reliability_diagram(m, y, ax=ax, form="top_label", binning="quantile") is ax
    assert dict(mpl.rcParams) == before


def test_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    t = torch.linspace(-3, 3, 101, dtype=torch.bfloat16, requires_grad=True)
    assert ece(t) == ece(t.detach().float().numpy())
    assert accuracy(t, labels=torch.ones(101)) == accuracy(t.detach().float().numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda: ece([]),
        lambda: ece([1.0, np.nan]),
        lambda: ece(np.ones((2, 2))),
        lambda: ece([1.0], labels=[2.0]),
        lambda: ece([1.0, 2.0], labels=[1.0]),
        lambda: ece([1.0], norm="l3"),
        lambda: ece([1.0], binning="kmeans"),
        lambda: ece([1.0], n_bins=0),
        lambda: calibration_error([1.5], [1]),
    ],
)
def test_invalid_input_raises(call):
    with pytest.raises(ValueError):
        call()

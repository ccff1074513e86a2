"""The weighting's diagnostics record and the one schema of the training-history keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from morelib.weighting import (
    SourceStats,
    StepDiagnostics,
    head_gradients,
    make_weighting,
    parse_key,
)
from morelib.weighting.diagnostics import (
    COSINE,
    LAMBDA,
    PAIR_KINDS,
    SOURCE_KINDS,
    HistoryKey,
    columns_of,
    pair_key,
    scalar_key,
    source_key,
)

NAMES = ["helpful", "harmless", "oasst1", "webgpt"]


def _stats(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    zc, zr = torch.randn(8, 6, generator=gen), torch.randn(8, 6, generator=gen)
    source = torch.tensor([0, 0, 1, 1, 1, 3, 3, 0])  # source 2 absent
    return head_gradients(zc, zr, torch.randn(6, generator=gen), source, 4)


def test_keys_round_trip_through_the_parser() -> None:
    for kind in SOURCE_KINDS:
        assert parse_key(source_key(kind, "hh (real)")) == HistoryKey(kind, ("hh (real)",))
    for kind in PAIR_KINDS:
        assert parse_key(pair_key(kind, "a", "b")) == HistoryKey(kind, ("a", "b"))
    assert parse_key(scalar_key("min_norm")) == HistoryKey("weighting", (), "min_norm")
    for other in ("step", "loss", "eval/helpful/ece", "cosine/ab", "lambda/"):
        assert parse_key(other) is None, other
    cols = ["step", "lambda/a", "cosine/a~b", "cosine_normalized/a~b", "lambda/b"]
    assert columns_of(cols, LAMBDA) == {"a": "lambda/a", "b": "lambda/b"}
    assert columns_of(cols, COSINE) == {("a", "b"): "cosine/a~b"}


def test_every_strategy_reports_the_same_gradient_numbers_under_one_schema() -> None:
    stats = _stats()
    rows = {}
    for name in ("more", "mean", "uniform", "proportional"):
        w = make_weighting(name, 4, sizes=[1, 2, 3, 4])
        assert w.last_diagnostics is None  # nothing measured yet
        lam = w.weights(stats)
        record = w.last_diagnostics
        assert isinstance(record, StepDiagnostics) and record.lambdas.dtype == np.float32
        rows[name] = row = record.row(NAMES)
        assert [row[source_key(LAMBDA, s)] for s in NAMES] == lam.tolist()
        assert all(parse_key(k) is not None for k in row), row
        assert "loss/oasst1" not in row and "grad_norm/oasst1" not in row  # absent: left out
        assert row["count/oasst1"] == 0 and row["count/helpful"] == 3
    # the batch's norms and cosines: the same whichever strategy measured them
    shared = {k for k in rows["mean"] if parse_key(k).kind in ("count", "loss", "grad_norm",
                                                               "cosine")}
    for name in ("more", "uniform", "proportional"):
        for key in shared:
            assert rows[name][key] == pytest.approx(rows["mean"][key], rel=1e-12), (name, key)
    g = stats.grads.double()
    cos = float(g[0] @ g[1] / (g[0].norm() * g[1].norm()))
    assert rows["mean"]["cosine/helpful~harmless"] == pytest.approx(cos, rel=1e-12)
    assert rows["mean"]["grad_norm/webgpt"] == pytest.approx(float(g[3].norm()), rel=1e-12)
    # MORE adds its EMA, normalised cosines and solver scalars; the baselines have none
    more_only = set(rows["more"]) - set(rows["mean"])
    assert {parse_key(k).kind for k in more_only} == {"ema_norm", "cosine_normalized",
                                                      "weighting"}
    assert "cosine_normalized/harmless~webgpt" in more_only
    assert "cosine_normalized/helpful~oasst1" not in more_only


def test_record_is_of_the_last_step_and_counts_only_without_gradients() -> None:
    w = make_weighting("mean", 2)
    w.weights(SourceStats(counts=torch.tensor([1.0, 3.0])))
    assert w.last_diagnostics.row(["a", "b"]) == {"lambda/a": 0.25, "count/a": 1,
                                                 "lambda/b": 0.75, "count/b": 3}
    w.weights(SourceStats(counts=torch.tensor([2.0, 0.0])))
    assert w.last_diagnostics.row(["a", "b"])["count/b"] == 0
    with pytest.raises(ValueError, match="names"):
        w.last_diagnostics.row(["a"])


def test_weightings_never_communicate() -> None:
    """The caller all-reduces (RewardTrainer, the one place); no strategy takes a sync option."""
    with pytest.raises(TypeError, match="unknown weighting option"):
        make_weighting("more", 3, sync=False)

"""End to end: MultiTask, MORE and single-source RMs train on simulator data with tiny models."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch
from transformers import TrainerCallback

from morelib.data.mixing import balance
from morelib.data.simulator import SimulatorConfig, simulate_sources
from morelib.training import NonFiniteLossError, RMTrainingConfig, train_reward_model
from morelib.training.run import build_examples

SOURCES = ("helpful", "harmless", "oasst1")


@pytest.fixture(scope="module")
def sim_data():
    cfg = SimulatorConfig(n_pairs_per_source=24, sources=SOURCES, seed=3)
    train = balance(simulate_sources(cfg, split="train"), n=24)
    test = {s.name: s.pairs[:12] for s in simulate_sources(cfg, split="test")}
    return train, test


def _config(strategy: str, n_sources: int = 3, **kw) -> RMTrainingConfig:
    base = dict(model="tiny-llama", strategy=strategy, n_sources=n_sources,
                groups_per_device_batch=2, gradient_accumulation_steps=1, learning_rate=1e-3,
                max_steps=4, max_length=96, logging_steps=2, seed=7)
    base.update(kw)
    return RMTrainingConfig(**base)


@pytest.mark.parametrize("strategy", ["more", "mean"])
def test_mixture_training_logs_lambda_and_evaluates_per_source(tmp_path, sim_data, strategy):
    train, test = sim_data
    result = train_reward_model(_config(strategy), train, str(tmp_path), eval_sources=test)
    history = result.lambda_history
    assert len(history) == 4  # one row per micro-step
    lam = history[[f"lambda/{s}" for s in SOURCES]].to_numpy()
    np.testing.assert_allclose(lam.sum(axis=1), 1.0, atol=1e-5)
    assert (lam >= -1e-7).all()
    for s in SOURCES:
        assert history[f"loss/{s}"].notna().all() and history[f"grad_norm/{s}"].notna().all()
    assert {"cosine/helpful~harmless", "cosine/helpful~oasst1"} <= set(history.columns)
    counts = history[[f"count/{s}" for s in SOURCES]].to_numpy()
    assert (counts.sum(axis=1) == 6).all()  # 2 groups × 3 sources per device batch
    if strategy == "mean":  # the paper's MultiTask: plain mean over a mixed batch, λ_i = n_i / n
        np.testing.assert_allclose(lam, counts / 6, atol=1e-6)
    else:  # stratified: every source exactly twice in every batch
        assert (counts == 2).all()
    metrics = set(result.eval_history.source + "/" + result.eval_history.metric)
    for s in (*SOURCES, "pooled", "mean"):
        assert f"{s}/accuracy" in metrics and f"{s}/ece" in metrics
    assert os.path.exists(tmp_path / "model" / "config.json")
    assert os.path.exists(tmp_path / "lambda_history.jsonl")


def test_more_groups_hold_one_pair_per_source(sim_data):
    train, _ = sim_data
    examples = build_examples(_config("more"), train)
    assert len(examples) == 24
    assert all(sorted(p["source_index"] for p in ex["pairs"]) == [0, 1, 2] for ex in examples)


def test_single_source_training_learns_on_its_source(tmp_path):
    cfg = SimulatorConfig(n_pairs_per_source=64, sources=("harmless",), seed=1)
    train = simulate_sources(cfg, split="train")
    test = {"harmless": simulate_sources(cfg, split="test")[0].pairs[:48]}
    config = _config("mean", n_sources=1, groups_per_device_batch=8, max_steps=16,
                     learning_rate=3e-3)
    result = train_reward_model(config, train, str(tmp_path), eval_sources=test)
    loss = result.lambda_history["loss/harmless"].to_numpy()
    assert loss[-4:].mean() < loss[:4].mean()  # it learns something on its own source


class _StopAt(TrainerCallback):
    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt("simulated kill")


def test_resume_after_kill_matches_uninterrupted_run(tmp_path, sim_data, monkeypatch):
    train, test = sim_data
    config = _config("more", max_steps=6, save_steps=3, alpha=0.5)
    full = train_reward_model(config, train, str(tmp_path / "full"), eval_sources=test)

    from morelib.training import trainer as trainer_module
    original_init = trainer_module.RewardTrainer.__init__

    def init_with_kill(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.add_callback(_StopAt(4))

    monkeypatch.setattr(trainer_module.RewardTrainer, "__init__", init_with_kill)
    with pytest.raises(KeyboardInterrupt):
        train_reward_model(config, train, str(tmp_path / "killed"), eval_sources=test)
    monkeypatch.setattr(trainer_module.RewardTrainer, "__init__", original_init)
    assert os.path.isdir(tmp_path / "killed" / "checkpoint-3")
    resumed = train_reward_model(config, train, str(tmp_path / "killed"), eval_sources=test)

    lam_cols = [c for c in full.lambda_history.columns if c.startswith("lambda/")]
    np.testing.assert_allclose(resumed.lambda_history[lam_cols].to_numpy(),
                               full.lambda_history[lam_cols].to_numpy(), atol=1e-6)
    a = full.eval_history.set_index(["source", "metric"]).value
    b = resumed.eval_history.set_index(["source", "metric"]).value
    np.testing.assert_allclose(b.loc[a.index].to_numpy(), a.to_numpy(), atol=1e-6)


def test_non_finite_loss_stops_with_clear_error(tmp_path, sim_data, monkeypatch):
    train, _ = sim_data
    from morelib.models import RewardModel

    original_forward = RewardModel.forward

    def poisoned(self, *args, **kwargs):
        out = original_forward(self, *args, **kwargs)
        out.rewards = out.rewards * math.inf
        return out

    monkeypatch.setattr(RewardModel, "forward", poisoned)
    with pytest.raises(NonFiniteLossError, match="non-finite training loss .* at step 0"):
        train_reward_model(_config("more"), train, str(tmp_path))


def _poison_forward(monkeypatch, poison):
    from morelib.models import RewardModel

    original_forward = RewardModel.forward

    def poisoned(self, *args, **kwargs):
        return poison(self, original_forward(self, *args, **kwargs))

    monkeypatch.setattr(RewardModel, "forward", poisoned)


def _nan_features(model, out):
    out.features = out.features * math.nan
    out.rewards = out.rewards * math.nan
    return out


def _diverge(model, out):
    if model.training:
        with torch.no_grad():
            model.head.weight.fill_(math.inf)
    return out


@pytest.mark.parametrize("poison, cause", [
    (_nan_features, r"the forward pass overflowed"),
    (_diverge, r"the model's weights are no longer finite \('head.weight'\): training diverged; "
               r"lower the learning rate"),
], ids=["nan-features", "diverged-weights"])
def test_non_finite_state_under_more_raises_non_finite_loss_error(tmp_path, sim_data,
                                                                   monkeypatch, poison, cause):
    """NaN/inf head gradients: MORE's solver used to raise its own ValueError first."""
    _poison_forward(monkeypatch, poison)
    with pytest.raises(NonFiniteLossError, match=r"non-finite head gradients at step 0 "
                       r"\(MoreWeighting\).*likely cause: " + cause):
        train_reward_model(_config("more"), sim_data[0], str(tmp_path))


def test_dead_rm_whose_loss_stays_at_ln2_warns(tmp_path, sim_data, monkeypatch):
    from morelib.training import DeadRewardModelWarning

    def dead(model, out):  # a head that outputs the same reward for every text
        out.rewards = out.rewards * 0.0
        out.features = out.features * 0.0
        return out

    _poison_forward(monkeypatch, dead)
    with pytest.warns(DeadRewardModelWarning, match=r"stayed at ln 2 = 0.6931 for all 4 steps"):
        train_reward_model(_config("mean"), sim_data[0], str(tmp_path))


def test_progress_shows_a_labelled_bar_and_loading_shows_none(tmp_path, sim_data, capfd):
    from morelib.models import load_reward_model, load_tokenizer

    train, _ = sim_data
    train_reward_model(_config("more", progress=True), train, str(tmp_path / "a"),
                       label="single/toy")
    err = capfd.readouterr().err
    assert "single/toy" in err and "4/4" in err and "loss=" in err  # steps, ETA line, loss
    assert "Writing model shards" not in err
    train_reward_model(_config("more"), train, str(tmp_path / "b"))  # progress off: no bar
    assert "it/s" not in capfd.readouterr().err
    load_reward_model(tmp_path / "a" / "model"), load_tokenizer(str(tmp_path / "a" / "model"))
    out = capfd.readouterr()
    assert "Loading weights" not in out.err + out.out and "LOAD REPORT" not in out.err + out.out

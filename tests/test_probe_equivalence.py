"""The probe regime equals the Trainer path, step for step: train_probe_heads on cached features
vs train_reward_model(freeze_backbone=True) on the same batches (tiny Llama: no dropout)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import morelib.training.run as run_module
from morelib.data import SimulatorConfig, simulate_sources
from morelib.probe import FeatureStore, train_probe_heads
from morelib.training import RMTrainingConfig, train_reward_model
from morelib.training.collator import PairCollator, flatten_examples

K = 3


class RecordingCollator(PairCollator):
    """PairCollator that remembers which pairs each batch held, in row order."""

    seen: list[list[tuple[str, str, str, int]]] = []

    def __call__(self, examples):
        RecordingCollator.seen.append([(p["prompt"], p["chosen"], p["rejected"],
                                        int(p["source_index"]))
                                       for p in flatten_examples(examples)])
        return super().__call__(examples)


def trainer_and_probe(strategy: str, tmp_path, monkeypatch):
    sources = simulate_sources(SimulatorConfig(n_pairs_per_source=8, seed=3))[:K]
    cfg = RMTrainingConfig(model="tiny-llama", strategy=strategy, n_sources=K,
                           groups_per_device_batch=2, gradient_accumulation_steps=2,
                           learning_rate=0.05, max_steps=3, warmup_ratio=0.3, max_length=48,
                           freeze_backbone=True, seed=7, alpha=0.7, logging_steps=1,
                           max_grad_norm=0.05, weight_decay=0.1)
    RecordingCollator.seen = []
    monkeypatch.setattr(run_module, "PairCollator", RecordingCollator)
    result = train_reward_model(cfg, sources, str(tmp_path / strategy))

    pairs = [p for s in sources for p in s.pairs]
    index = {(p.prompt, p.chosen, p.rejected, i): n
             for n, (p, i) in enumerate((p, k) for k, s in enumerate(sources) for p in s.pairs)}
    micro = cfg.max_steps * cfg.gradient_accumulation_steps
    batches = torch.tensor([[index[row] for row in batch]
                            for batch in RecordingCollator.seen[:micro]]).unsqueeze(0)
    store = FeatureStore("tiny-llama", max_length=cfg.max_length)
    zc, zr = store.pair_features(pairs)
    src = torch.tensor([k for k, s in enumerate(sources) for _ in s.pairs])
    probe = train_probe_heads(cfg, zc, zr, src, seeds=[cfg.seed], batches=batches)
    return cfg, sources, result, probe, zc, zr


@pytest.mark.parametrize("strategy", ["more", "mean"])
def test_probe_matches_the_trainer_step_for_step(strategy, tmp_path, monkeypatch) -> None:
    cfg, sources, result, probe, zc, zr = trainer_and_probe(strategy, tmp_path, monkeypatch)
    history = result.lambda_history
    names = [s.name for s in sources]
    assert len(history) == cfg.max_steps * cfg.gradient_accumulation_steps
    lam = torch.tensor(history[[f"lambda/{n}" for n in names]].to_numpy(), dtype=torch.float32)
    losses = torch.tensor(history[[f"loss/{n}" for n in names]].to_numpy(), dtype=torch.float32)
    assert torch.allclose(probe.lambdas[0], lam, atol=2e-5), (probe.lambdas[0], lam)
    assert torch.allclose(probe.source_losses[0], losses, atol=2e-5)
    if strategy == "more":  # λ really moved away from uniform, so the check has teeth
        assert float((lam - 1 / K).abs().max()) > 0.02
    assert float(losses[-1].mean()) < float(losses[0].mean())  # the head trained
    trained = result.model.head.weight.detach()[0]
    assert torch.allclose(probe.weights[0], trained, atol=1e-5), (probe.weights[0], trained)
    # the Trainer's logged per-step loss is the mean over the accumulated micro-steps
    logged = [row["loss"] for row in result.log_history if "loss" in row][:cfg.max_steps]
    mean_loss = probe.loss[0].reshape(cfg.max_steps, -1).mean(1)
    assert np.allclose(logged, mean_loss.numpy(), atol=1e-4)


def test_a_wrong_setting_breaks_the_match(tmp_path, monkeypatch) -> None:
    cfg, sources, result, probe, zc, zr = trainer_and_probe("more", tmp_path, monkeypatch)
    batches = torch.tensor(np.array(probe.train_index)).reshape(1, -1, cfg.pairs_per_device_batch)
    src = torch.tensor([k for k, s in enumerate(sources) for _ in s.pairs])
    other = train_probe_heads(dataclasses.replace(cfg, alpha=1.0), zc, zr, src, seeds=[cfg.seed],
                              batches=batches)
    assert not torch.allclose(other.weights[0], result.model.head.weight.detach()[0], atol=1e-5)

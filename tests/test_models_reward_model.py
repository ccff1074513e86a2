"""The reward model: mask pooling, padding/batch invariance, the head, real backbones."""

from __future__ import annotations

import pytest
import torch

from morelib.models import (RewardModel, encode_texts, last_token_index, load_tokenizer,
                            pool_last, position_ids_from_mask)

ARCHS = ["tiny-bert", "tiny-gpt-neox", "tiny-llama"]


def _random_mask(lengths, width, side):
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for i, n in enumerate(lengths):
        if side == "right":
            mask[i, :n] = 1
        else:
            mask[i, width - n:] = 1
    return mask


@pytest.mark.parametrize("side", ["left", "right"])
def test_pool_index_matches_a_per_row_computation(side):
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 17, (50,), generator=generator).tolist()
    mask = _random_mask(lengths, 16, side)
    hidden = torch.randn(50, 16, 8, generator=generator)
    index = last_token_index(mask)
    for i, n in enumerate(lengths):
        last = max(j for j in range(16) if mask[i, j] == 1)  # direct: scan the row
        assert index[i] == last == (n - 1 if side == "right" else 15)
        assert torch.equal(pool_last(hidden, mask)[i], hidden[i, last])
        positions = position_ids_from_mask(mask)[i][mask[i].bool()]
        assert positions.tolist() == list(range(n))


def test_empty_row_is_an_error():
    with pytest.raises(ValueError, match="no real token"):
        last_token_index(torch.tensor([[1, 1], [0, 0]]))


@pytest.fixture(scope="module", params=ARCHS)
def rm_and_tokenizer(request):
    return RewardModel.from_name(request.param, seed=0), load_tokenizer(request.param)


def test_head_has_no_bias_and_starts_small(rm_and_tokenizer):
    rm, _ = rm_and_tokenizer
    assert rm.head.bias is None
    assert rm.head.weight.shape == (1, rm.config.hidden_size)
    assert 0.005 < float(rm.head.weight.detach().std()) < 0.04  # N(0, 0.02) on 64 values


def test_head_init_is_seeded_and_large_sample_std_is_002():
    from morelib.models.reward_model import RewardModel as RM

    class Fake(torch.nn.Module):  # a backbone stand-in with a wide hidden size
        def __init__(self):
            super().__init__()
            from transformers import PretrainedConfig

            self.config = PretrainedConfig(hidden_size=20_000)
            self.w = torch.nn.Parameter(torch.zeros(1))

    a, b = RM(Fake(), seed=3), RM(Fake(), seed=3)
    assert torch.equal(a.head.weight, b.head.weight)
    assert abs(float(a.head.weight.detach().std()) - 0.02) < 0.001
    assert abs(float(a.head.weight.detach().mean())) < 0.001


def test_rewards_ignore_padding_side_and_batch_companions(rm_and_tokenizer):
    rm, tok = rm_and_tokenizer
    text = "Human: what is 2+2?\n\nAssistant: It is 4."
    companions = ["short", "a much longer companion sequence " * 6, "mid length one"]
    alone = rm(**encode_texts(tok, [text])).rewards[0]
    with torch.no_grad():
        for side in ("left", "right"):
            for i in range(len(companions) + 1):
                texts = companions[:i] + [text] + companions[i:]
                rewards = rm(**encode_texts(tok, texts, padding_side=side)).rewards
                assert abs(float(rewards[i] - alone)) < 1e-5, (side, i)


def test_features_are_what_the_head_sees(rm_and_tokenizer):
    rm, tok = rm_and_tokenizer
    batch = encode_texts(tok, ["one", "two three four"], padding_side="left")
    out = rm(**batch)
    assert torch.allclose(out.rewards, out.features @ rm.head.weight[0])
    hidden = rm.backbone(**batch, position_ids=position_ids_from_mask(batch["attention_mask"]))
    last = batch["attention_mask"].shape[1] - 1  # left padding: every row ends at the end
    assert torch.allclose(out.features, hidden.last_hidden_state[:, last])


def test_pad_id_is_recorded_and_is_the_embedding_padding_idx(rm_and_tokenizer):
    rm, tok = rm_and_tokenizer
    assert rm.pad_token_id == tok.pad_token_id
    embeddings = rm.backbone.get_input_embeddings()
    if embeddings.padding_idx is not None:
        assert embeddings.padding_idx == tok.pad_token_id


def test_bare_backbone_without_lm_head_or_pooler(rm_and_tokenizer):
    rm, _ = rm_and_tokenizer
    names = [n for n, _ in rm.named_modules()]
    assert not any(n.endswith(("lm_head", "embed_out", "pooler", "cls")) for n in names)


def test_gradient_checkpointing_trains(rm_and_tokenizer):
    rm, tok = rm_and_tokenizer
    rm.activation_checkpointing_enable()
    try:
        assert rm.backbone.is_activation_checkpointing
        rm.train()
        rm.zero_grad()
        rm(**encode_texts(tok, ["a b", "c"])).rewards.sum().backward()
        assert rm.head.weight.grad is not None
        no_grad = [n for n, p in rm.backbone.named_parameters() if p.grad is None]
        assert not no_grad
    finally:
        rm.activation_checkpointing_disable()
        rm.eval()
        rm.zero_grad(set_to_none=True)


def test_real_minilm_backbone_scores():
    rm = RewardModel.from_name("sentence-transformers/all-MiniLM-L6-v2", seed=0)
    tok = load_tokenizer("sentence-transformers/all-MiniLM-L6-v2")
    out = rm(**encode_texts(tok, ["Q: hi A: hello", "Q: hi A: go away"]))
    assert out.features.shape == (2, 384) and torch.isfinite(out.rewards).all()
    assert rm.config.num_hidden_layers == 6

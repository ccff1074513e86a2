"""Sized tiny models (``tiny-<arch>-d<hidden>-l<layers>``) and the ``@layers=N`` truncation suffix."""

import pytest
import torch

from morelib.models import RewardModel, load_tokenizer, resolve_model
from morelib.models.loading import load_backbone, truncate_layers
from morelib.models.resolve import split_layers
from morelib.models.tiny import TINY_MODELS, tiny_size


@pytest.mark.parametrize("name", sorted(TINY_MODELS))
def test_base_names_keep_their_size(name):
    config = load_backbone(name).config
    assert (config.hidden_size, config.num_hidden_layers) == (64, 2)


@pytest.mark.parametrize("name,hidden,layers", [("tiny-llama-d32", 32, 2),
                                                ("tiny-bert-d128-l3", 128, 3),
                                                ("tiny-gpt-neox-l1", 64, 1)])
def test_sized_tiny_models(name, hidden, layers):
    resolved = resolve_model(name, mode="offline")
    assert resolved.origin == "tiny"
    assert resolved.tokenizer_name == TINY_MODELS[tiny_size(name).base].tokenizer
    config = load_backbone(name).config
    assert (config.hidden_size, config.num_hidden_layers) == (hidden, layers)


@pytest.mark.parametrize("name", ["tiny-llama-d30", "tiny-llama-l0", "tiny-foo-d32"])
def test_bad_sizes_are_not_tiny(name):
    assert tiny_size(name) is None


def test_truncated_backbone_matches_the_full_models_lower_layers():
    full = load_backbone("tiny-llama-l3")
    cut = load_backbone("tiny-llama-l3@layers=1")
    assert len(cut.layers) == 1 and cut.config.num_hidden_layers == 1
    assert torch.equal(cut.layers[0].self_attn.q_proj.weight, full.layers[0].self_attn.q_proj.weight)
    ids = torch.tensor([[5, 6, 7]])
    hidden = full(input_ids=ids, output_hidden_states=True).hidden_states[1]
    # Llama applies its final norm after the last kept layer
    torch.testing.assert_close(cut(input_ids=ids).last_hidden_state, full.norm(hidden))


def test_truncated_pretrained_minilm_saves_and_reloads(tmp_path):
    from morelib.models import load_reward_model, save_reward_model

    name = "sentence-transformers/all-MiniLM-L6-v2@layers=2"
    rm = RewardModel.from_name(name, seed=0)
    assert rm.config.num_hidden_layers == 2 and len(rm.backbone.encoder.layer) == 2
    full = load_backbone("sentence-transformers/all-MiniLM-L6-v2")
    assert torch.equal(rm.backbone.encoder.layer[1].output.dense.weight,
                       full.encoder.layer[1].output.dense.weight)
    save_reward_model(rm, load_tokenizer(name), tmp_path / "rm")
    again = load_reward_model(tmp_path / "rm")
    assert again.config.num_hidden_layers == 2


def test_suffix_errors():
    with pytest.raises(ValueError, match="positive integer"):
        split_layers("m@layers=x")
    with pytest.raises(ValueError, match="cannot keep 5 layers"):
        truncate_layers(load_backbone("tiny-bert"), 5)

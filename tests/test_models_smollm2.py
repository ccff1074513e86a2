"""SmolLM2-135M-Instruct (offline: the GGUF copy, dequantised into a plain Llama) as an RM backbone."""

from __future__ import annotations

import pytest
import torch

from morelib.models import RewardModel, encode_pairs, load_tokenizer

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.mark.slow
def test_smollm2_loads_as_a_plain_llama_backbone_and_scores_a_pair():
    rm = RewardModel.from_name(SMOLLM2, seed=0)
    tok = load_tokenizer(SMOLLM2)
    backbone = rm.backbone
    assert type(backbone).__name__ == "LlamaModel" and getattr(backbone, "hf_quantizer", None) is None
    assert not hasattr(backbone.config, "quantization_config")  # so it can be saved
    assert backbone.config.hidden_size == 576
    assert rm.pad_token_id == tok.pad_token_id != tok.eos_token_id
    assert backbone.get_input_embeddings().padding_idx == tok.pad_token_id  # EOS row trains
    args = (["\n\nHuman: How do I bake bread?\n\nAssistant:"],
            [" Mix flour, water, yeast and salt; knead; let it rise; bake."], [" No."])
    with torch.no_grad():
        right = rm(**encode_pairs(tok, *args, padding_side="right"))
        left = rm(**encode_pairs(tok, *args, padding_side="left"))
    assert right.features.shape == (2, 576) and torch.isfinite(right.rewards).all()
    assert torch.allclose(right.rewards, left.rewards, atol=1e-4)

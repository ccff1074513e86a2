"""End to end on the real offline policy (SmolLM2-135M-Instruct): sample, score, select, SFT, PPL."""

from __future__ import annotations

import numpy as np
import pytest

from morelib.alignment import (SFTConfig, TransformersGenerator, best_of_n, best_responses,
                               load_policy, perplexity, rm_score_fn, train_sft)
from morelib.models import RewardModel, load_tokenizer

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
PROMPTS = ["\n\nHuman: What is the capital of France?\n\nAssistant:",
           "\n\nHuman: Hi!\n\nAssistant: Hello, how can I help?\n\nHuman: Name a fruit.\n\nAssistant:"]


@pytest.mark.slow
def test_smollm2_best_of_n_then_sft():
    try:
        model, tok = load_policy(SMOLLM2)
    except Exception as err:  # no offline copy on this machine
        pytest.skip(f"SmolLM2 unavailable: {err}")
    assert not hasattr(model.config, "quantization_config")
    generator = TransformersGenerator(model, tok, batch_size=2)
    rm = RewardModel.from_name("tiny-llama", seed=0)  # same tokenizer; random head is enough
    cands = best_of_n(PROMPTS, 2, generator, rm_score_fn(rm, load_tokenizer("tiny-llama")),
                      max_new_tokens=8, seed=0)
    assert len(cands.frame) == 4 and cands.frame.text.str.len().min() > 1
    greedy = generator.generate(PROMPTS[:1], 1, 8, seed=0, do_sample=False)
    assert "Paris" in greedy[0][0]  # the chat rendering reaches the instruct model as intended
    prompts, responses = best_responses(cands)
    before = perplexity(model, tok, prompts, responses, batch_size=2)
    assert np.all(before < 1000)  # the model's own samples are likely under it
    result = train_sft(model, tok, prompts, responses,
                       SFTConfig(max_steps=1, per_device_batch_size=2, max_length=128))
    assert result.global_step == 1 and hasattr(result.model, "peft_config")

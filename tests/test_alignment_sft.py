"""SFT on answer tokens and perplexity: label masks, truncation, training lowers the loss,
LoRA save/merge, perplexity against a direct computation, the outlier gate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from morelib.alignment import (AUTHORS_OUTLIER_GATE, SFTConfig, chosen_sft_data, load_policy,
                               mean_perplexity, perplexity, save_policy, train_sft)
from morelib.alignment.chat_format import prompt_token_ids
from morelib.alignment.sft_data import SFTCollator, encode_sft_examples
from morelib.alignment.chat_format import answer_token_ids
from morelib.data.schema import PreferencePair

MULTI = ("\n\nHuman: Hi there, can I ask you something?\n\nAssistant: Of course, go ahead."
         "\n\nHuman: What's the best way to learn the guitar?\n\nAssistant:")
PROMPTS = ["\n\nHuman: Hi\n\nAssistant:", MULTI, "\n\nHuman: Why is the sky blue?\n\nAssistant:",
           "\n\nHuman: Name a fruit.\n\nAssistant:"]
RESPONSES = [" Hello! How can I help?", " Practise a little every day.",
             " Blue light scatters more in the air.", " An apple."]


@pytest.fixture(scope="module")
def tok():
    return load_policy("tiny-llama")[1]


def test_label_mask_covers_exactly_the_answer_and_eos(tok):
    for ex, prompt, response in zip(encode_sft_examples(tok, PROMPTS, RESPONSES), PROMPTS,
                                    RESPONSES):
        p_ids = prompt_token_ids(tok, prompt)
        a_ids = tok(response.strip(), add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        assert ex["input_ids"] == p_ids + a_ids
        assert ex["labels"] == [-100] * len(p_ids) + a_ids
        assert tok.decode([t for t, l in zip(ex["input_ids"], ex["labels"]) if l != -100]) == \
            response.strip() + tok.eos_token


def test_left_truncation_keeps_the_answer(tok):
    long_prompt = "\n\nHuman: " + "blah " * 200 + "\n\nAssistant:"
    (ex,) = encode_sft_examples(tok, [long_prompt], [RESPONSES[0]], max_length=32)
    answer = answer_token_ids(tok, RESPONSES[0])
    assert len(ex["input_ids"]) == 32
    assert ex["input_ids"][-len(answer):] == answer and ex["labels"][-len(answer):] == answer
    assert set(ex["labels"][:-len(answer)]) == {-100}


def test_collator_pads_right_with_ignored_labels(tok):
    examples = encode_sft_examples(tok, PROMPTS[:2], RESPONSES[:2])
    batch = SFTCollator(tok.pad_token_id)(examples)
    short = min(range(2), key=lambda i: len(examples[i]["input_ids"]))
    k = len(examples[short]["input_ids"])
    assert batch["attention_mask"][short, :k].all() and not batch["attention_mask"][short, k:].any()
    assert (batch["labels"][short, k:] == -100).all()
    assert (batch["input_ids"][short, k:] == tok.pad_token_id).all()
    assert tok.pad_token_id != tok.eos_token_id  # padding never hides a real EOS (D19)


def test_perplexity_matches_a_direct_computation():
    model, tok = load_policy("tiny-llama", seed=3)
    ppl = perplexity(model, tok, PROMPTS, RESPONSES, batch_size=3)
    # direct: one example alone, logits of the unpadded sequence, answer tokens + EOS
    p_ids, a_ids = prompt_token_ids(tok, MULTI), answer_token_ids(tok, RESPONSES[1])
    ids = torch.tensor([p_ids + a_ids])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), dim=-1)
    nll = [-logp[len(p_ids) + j - 1, t].item() for j, t in enumerate(a_ids)]
    assert ppl[1] == pytest.approx(math.exp(np.mean(nll)), rel=1e-4)
    np.testing.assert_allclose(perplexity(model, tok, PROMPTS, RESPONSES, batch_size=1), ppl,
                               rtol=1e-4)
    # a random model is near-uniform over the 49,152-token vocabulary
    assert np.all((ppl > 1e4) & (ppl < 2e5))


def test_mean_perplexity_gate_is_opt_in_and_counted():
    values = [4.0, 6.0, 10000.0, float("nan"), 9999.0]
    plain = mean_perplexity(values)
    assert math.isnan(plain.mean) and plain.n_dropped == 0 and plain.n_nonfinite == 1
    gated = mean_perplexity(values, outlier_gate=AUTHORS_OUTLIER_GATE)
    assert gated.mean == pytest.approx((4 + 6 + 9999) / 3)
    assert (gated.n_total, gated.n_used, gated.n_dropped) == (5, 3, 2)
    assert gated.as_dict()["outlier_gate"] == 10000.0


@pytest.mark.parametrize("profile", ["paper", "paper-pythia-2.8b", "paper-llama2-7b"])
def test_paper_profiles_sft_is_the_papers(profile):
    """The paper's SFT (lr 1e-6, one epoch, batch 64, cosine with 5 % warm-up, 512 tokens) as
    the paper profiles' ``rjs: sft:`` give it, with LoRA r 16 so the 7B policy fits a GPU."""
    from morelib.profiles import load_spec

    cfg = load_spec(profile).rjs.sft_config(seed=42)
    assert (cfg.learning_rate, cfg.num_train_epochs, cfg.effective_batch_size,
            cfg.lr_scheduler_type, cfg.warmup_ratio, cfg.lora_r, cfg.max_length) == (
        1e-6, 1.0, 64, "cosine", 0.05, 16, 512)


def test_full_sft_lowers_the_answer_loss():
    model, tok = load_policy("tiny-llama", seed=1)
    before = perplexity(model, tok, PROMPTS, RESPONSES)
    cfg = SFTConfig(lora_r=0, learning_rate=1e-2, max_steps=6, per_device_batch_size=4,
                    warmup_ratio=0.0, logging_steps=1, max_length=64)
    result = train_sft(model, tok, PROMPTS, RESPONSES, cfg)
    after = perplexity(result.model, tok, PROMPTS, RESPONSES)
    assert result.global_step == 6 and not result.model.training
    assert np.all(after < before / 5), (before, after)
    losses = [e["loss"] for e in result.log_history if "loss" in e]
    assert losses[-1] < losses[0]


def test_lora_sft_trains_adapters_only_and_saves_merged(tmp_path):
    model, tok = load_policy("tiny-llama", seed=2)
    base = {n: p.detach().clone() for n, p in model.named_parameters()}
    pairs = [PreferencePair(p, r, " No.", s, str(i)) for i, (p, r, s) in
             enumerate(zip(PROMPTS, RESPONSES, ["helpful", "harmless", "helpful", "webgpt"]))]
    cfg = SFTConfig(lora_r=4, learning_rate=1e-2, max_steps=4, per_device_batch_size=2,
                    max_length=64)
    result = train_sft(model, tok, *chosen_sft_data(pairs), cfg)
    assert result.n_examples == 3  # helpful + harmless only
    peft_model = result.model
    for name, param in peft_model.named_parameters():
        if "lora_" not in name:
            key = name.replace("base_model.model.", "").replace(".base_layer", "")
            assert torch.equal(param, base[key]), name
    ppl = perplexity(peft_model, tok, PROMPTS, RESPONSES)
    folder = save_policy(peft_model, tok, tmp_path / "policy")
    assert hasattr(peft_model, "peft_config")  # the model passed in is left as it was
    again, tok2 = load_policy(str(folder))
    assert not hasattr(again, "peft_config") and tok2.pad_token == tok.pad_token
    np.testing.assert_allclose(perplexity(again, tok2, PROMPTS, RESPONSES), ppl, rtol=1e-4)


def test_bf16_sft_runs_on_a_cpu_with_autocast(tmp_path):
    """A bf16 profile's SFT without a GPU (the toy paper profile in CI): CPU autocast."""
    from morelib.alignment.policy import load_policy
    from morelib.alignment.sft import SFTConfig, train_sft, training_arguments

    config = SFTConfig(max_steps=1, per_device_batch_size=2, lora_r=4, bf16=True,
                       gradient_checkpointing=True, logging_steps=1, max_length=32)
    assert training_arguments(config, str(tmp_path)).use_cpu
    model, tok = load_policy("tiny-llama", seed=0)
    result = train_sft(model, tok, ["Q: hi", "Q: yo"], [" A: hello", " A: hey"], config,
                       output_dir=str(tmp_path / "sft"))
    assert result.global_step == 1

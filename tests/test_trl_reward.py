"""``morelib.trl_reward.reward_function`` inside TRL: the rewards TRL receives are morelib's."""

from __future__ import annotations

import pytest

from morelib.evaluation import score_texts
from morelib.models import RewardModel, load_tokenizer, save_reward_model
from morelib.trl_reward import reward_function

MAX_LENGTH = 64
PROMPTS = ["\n\nHuman: Hi\n\nAssistant:", "\n\nHuman: Bye\n\nAssistant:"]


@pytest.fixture(scope="module")
def saved_rm(tmp_path_factory):
    rm, tok = RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")
    folder = save_reward_model(rm, tok, tmp_path_factory.mktemp("rm"), max_length=MAX_LENGTH)
    return folder, rm, tok


def test_grpo_trainer_gets_morelib_scores(saved_rm, tmp_path):
    """A real GRPO step on a tiny policy: what the reward function returned for each sampled
    completion equals morelib's own scoring of prompt + completion."""
    trl = pytest.importorskip("trl")
    from datasets import Dataset
    from transformers import LlamaForCausalLM

    from morelib.models.loading import raw_tokenizer
    from morelib.models.tiny import tiny_config

    folder, rm, tok = saved_rm
    policy_tok = raw_tokenizer("tiny-llama")
    policy = LlamaForCausalLM(tiny_config("tiny-llama", vocab_size=len(policy_tok)))
    policy.save_pretrained(tmp_path / "policy")
    policy_tok.save_pretrained(tmp_path / "policy")
    score, calls = reward_function(folder), []

    def morelib_reward(prompts, completions, **kwargs):
        rewards = score(prompts=prompts, completions=completions, **kwargs)
        calls.append((prompts, completions, rewards, sorted(kwargs)))
        return rewards

    args = trl.GRPOConfig(output_dir=str(tmp_path / "out"), per_device_train_batch_size=2,
                          num_generations=2, max_completion_length=4, max_steps=1,
                          report_to=[], use_cpu=True, save_strategy="no", disable_tqdm=True)
    trainer = trl.GRPOTrainer(model=str(tmp_path / "policy"), reward_funcs=[morelib_reward],
                              args=args, train_dataset=Dataset.from_dict({"prompt": PROMPTS}),
                              processing_class=policy_tok)
    trainer.train()
    prompts, completions, rewards, keywords = calls[0]
    assert "completion_ids" in keywords and "trainer_state" in keywords
    expected = score_texts(rm, tok, prompts, completions, max_length=MAX_LENGTH)
    assert rewards == pytest.approx(list(expected), abs=1e-6)


def test_conversational_examples_score_their_rendered_dialogue(saved_rm):
    folder, rm, tok = saved_rm
    score = reward_function(folder)
    chat = score(prompts=[[{"role": "user", "content": "Hi"}]],
                 completions=[[{"role": "assistant", "content": "Hello there."}]])
    plain = score_texts(rm, tok, ["\n\nHuman: Hi\n\nAssistant:"], [" Hello there."],
                        max_length=MAX_LENGTH)
    assert chat == pytest.approx(list(plain), abs=1e-6)


def test_the_folder_path_in_trl_would_drop_the_eos(saved_rm):
    """Why TRL gets a function: its built-in model path tokenises without special tokens."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder, rm, tok = saved_rm
    hf, hf_tok = AutoModelForSequenceClassification.from_pretrained(folder), \
        AutoTokenizer.from_pretrained(folder)
    texts = [p + " Sure." for p in PROMPTS]
    batch = hf_tok(text=texts, return_tensors="pt", padding=True, padding_side="right",
                   add_special_tokens=False)  # TRL's call for a model reward
    with torch.no_grad():
        trl_builtin = hf(**batch).logits[:, 0]
    ours = score_texts(rm, tok, PROMPTS, [" Sure."] * 2, max_length=MAX_LENGTH)
    assert not torch.allclose(trl_builtin.double(), torch.tensor(ours), atol=1e-4)
    assert reward_function(folder)(prompts=PROMPTS, completions=[" Sure."] * 2) == \
        pytest.approx(list(ours), abs=1e-6)


def test_a_model_needs_its_tokenizer(saved_rm):
    _, rm, _ = saved_rm
    with pytest.raises(ValueError, match="tokenizer"):
        reward_function(rm)

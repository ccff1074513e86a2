"""Prompt format and sampling: HH → chat messages, shapes, seeding, token slicing, left padding."""

from __future__ import annotations

import copy
import importlib.util

import pytest
import torch

from morelib.alignment import TransformersGenerator, load_policy
from morelib.alignment.chat_format import hh_to_messages, prompt_token_ids
from morelib.alignment.chat_format import render_prompt
from morelib.alignment.generation import Generations, Generator

MULTI = ("\n\nHuman: Hi there, can I ask you something?\n\nAssistant: Of course, go ahead."
         "\n\nHuman: What's the best way to learn the guitar?\n\nAssistant:")
PROMPTS = ["\n\nHuman: Hi\n\nAssistant:", MULTI, "\n\nHuman: Why is the sky blue?\n\nAssistant:"]


@pytest.fixture(scope="module")
def policy():
    return load_policy("tiny-llama")


@pytest.fixture(scope="module")
def generator(policy):
    return TransformersGenerator(*policy, batch_size=2)


def test_hh_to_messages_multi_turn():
    assert hh_to_messages(MULTI) == [
        {"role": "user", "content": "Hi there, can I ask you something?"},
        {"role": "assistant", "content": "Of course, go ahead."},
        {"role": "user", "content": "What's the best way to learn the guitar?"},
    ]
    # text before the first marker, merged turns, a prompt without the trailing "Assistant:"
    assert hh_to_messages("Context.\n\nHuman: Q1\n\nHuman: Q2") == [
        {"role": "user", "content": "Context.\n\nQ1\n\nQ2"}]
    with pytest.raises(ValueError, match="must end with a Human turn"):
        hh_to_messages("\n\nHuman: Hi\n\nAssistant: Hello")


def test_multi_turn_rendering_keeps_turn_order(policy):
    _, tok = policy
    text = render_prompt(tok, MULTI)
    positions = [text.index(s) for s in ("<|im_start|>user\nHi there", "<|im_start|>assistant\nOf "
                                         "course", "<|im_start|>user\nWhat's", )]
    assert positions == sorted(positions)
    assert text.endswith("the guitar?<|im_end|>\n<|im_start|>assistant\n")
    assert "Human:" not in text and "Assistant:" not in text


def test_shapes_record_and_protocol(generator):
    out = generator.generate(PROMPTS, n=3, max_new_tokens=6, seed=0)
    assert isinstance(out, Generations) and isinstance(generator, Generator)
    assert [len(r) for r in out] == [3, 3, 3]
    assert all(isinstance(t, str) and (t == "" or t.startswith(" ")) for r in out for t in r)
    rec = out.record
    assert rec["backend"] == "transformers"
    assert {k: rec["settings"][k] for k in ("n", "max_new_tokens", "seed", "temperature",
                                            "top_k", "top_p", "batch_size")} == {
        "n": 3, "max_new_tokens": 6, "seed": 0, "temperature": 1.0, "top_k": 50, "top_p": 1.0,
        "batch_size": 2}
    assert rec["settings"]["chat_template"] is True and "torch" in rec["versions"]


def test_same_seed_same_samples_and_global_rng_untouched(generator):
    state = torch.random.get_rng_state()
    a = generator.generate(PROMPTS, n=2, max_new_tokens=6, seed=7)
    assert torch.equal(state, torch.random.get_rng_state())
    b = generator.generate(PROMPTS, n=2, max_new_tokens=6, seed=7)
    c = generator.generate(PROMPTS, n=2, max_new_tokens=6, seed=8)
    assert a == b
    assert a != c
    assert a[0][0] != a[0][1]  # the n samples of one prompt differ (sampling, not copies)


def test_left_padding_invariance_greedy(policy):
    """A short prompt's greedy answer is the same alone and batched with a longer prompt (left
    padding + position ids from the mask). With sampling, the random draws depend on the batch
    layout, so invariance is checked on greedy decoding."""
    gen = TransformersGenerator(*policy, batch_size=4)
    alone = gen.generate([PROMPTS[0]], n=1, max_new_tokens=8, seed=0, do_sample=False)
    batched = gen.generate([PROMPTS[0], MULTI], n=1, max_new_tokens=8, seed=0, do_sample=False)
    assert alone[0] == batched[0]
    assert len(prompt_token_ids(policy[1], MULTI)) > len(prompt_token_ids(policy[1], PROMPTS[0]))


class _StubModel(torch.nn.Module):
    """Records the inputs of ``generate`` and appends fixed answer tokens, then pads."""

    def __init__(self, answer_ids, pad_id):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.answer_ids, self.pad_id, self.calls = answer_ids, pad_id, []
        self.config = type("C", (), {"_name_or_path": "stub"})()

    @property
    def device(self):
        return torch.device("cpu")

    @property
    def dtype(self):
        return torch.float32

    def generate(self, input_ids, attention_mask, num_return_sequences, **kwargs):
        self.calls.append((input_ids.clone(), attention_mask.clone(), kwargs))
        rows = input_ids.repeat_interleave(num_return_sequences, dim=0)
        tail = torch.tensor(self.answer_ids + [self.pad_id] * 3).expand(rows.shape[0], -1)
        return torch.cat([rows, tail], dim=1)


def test_answers_are_sliced_by_tokens_after_left_padded_prompts(policy):
    _, tok = policy
    answer = tok(" world, ok", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    stub = _StubModel(answer, tok.pad_token_id)
    gen = TransformersGenerator(stub, tok, batch_size=2)
    out = gen.generate(PROMPTS[:2], n=2, max_new_tokens=5, seed=0, top_k=10)
    assert out == [[" world, ok"] * 2] * 2
    input_ids, mask, kwargs = stub.calls[0]
    lengths = [len(prompt_token_ids(tok, p)) for p in PROMPTS[:2]]
    assert mask.sum(dim=1).tolist() == sorted(lengths, reverse=True)  # longest first
    assert mask[1, 0] == 0 and mask[:, -1].tolist() == [1, 1]  # padding on the left
    assert input_ids[1, 0] == tok.pad_token_id != tok.eos_token_id
    assert kwargs["max_new_tokens"] == 5 and kwargs["eos_token_id"] == tok.eos_token_id
    assert kwargs["top_k"] == 10 and kwargs["do_sample"] is True and kwargs["temperature"] == 1.0


def test_pad_equal_to_eos_is_refused(policy):
    model, tok = policy
    tok2 = copy.deepcopy(tok)
    tok2.pad_token = tok2.eos_token
    with pytest.raises(ValueError, match="pad token other than its EOS"):
        TransformersGenerator(model, tok2)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_generator_explains_missing_package():
    from morelib.alignment import VLLMGenerator

    with pytest.raises(ImportError, match=r"pip install 'morelib\[vllm\]'"):
        VLLMGenerator("tiny-llama")

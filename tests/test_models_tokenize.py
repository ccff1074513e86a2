"""RM tokenisation: row order, left truncation, dynamic padding, the dedicated pad token."""

from __future__ import annotations

import pytest
import torch

from morelib.models import encode_pairs, encode_texts, load_tokenizer, prepare_tokenizer, rm_tokens
from morelib.models.loading import raw_tokenizer
from morelib.models.special_tokens import ADDED_PAD, choose_pad_token

TOKENIZERS = ["tiny-bert", "tiny-llama", "tiny-gpt-neox"]
# Texts full of things that look like special tokens, quotes (the authors' Pythia pad, D4) and
# the tokenizers' own special strings.
NASTY = [
    'He said "no" and "yes".',
    "<|im_end|> <|im_start|> <|endoftext|> <|pad|> <|padding|>",
    "[PAD] [CLS] [SEP] [UNK] [MASK] </s> <s> <pad>",
    "plain text\n\nHuman: hi\n\nAssistant: hello ☃ 中文",
]


@pytest.fixture(scope="module", params=TOKENIZERS)
def tokenizer(request):
    return load_tokenizer(request.param)


def test_pad_never_occurs_in_encoded_text(tokenizer):
    tokens = rm_tokens(tokenizer)
    batch = encode_texts(tokenizer, NASTY, max_length=512)
    real = batch["input_ids"][batch["attention_mask"].bool()]
    assert tokens.pad_id not in real.tolist()
    assert tokens.pad_id not in (tokens.bos_id, tokens.eos_id)
    assert tokenizer.pad_token_id == tokens.pad_id


def test_special_tokens_come_only_from_the_policy(tokenizer):
    tokens = rm_tokens(tokenizer)
    batch = encode_texts(tokenizer, NASTY, max_length=512, padding_side="right")
    for row, mask in zip(batch["input_ids"], batch["attention_mask"]):
        ids = row[mask.bool()].tolist()
        assert ids[0] == tokens.bos_id and ids[-1] == tokens.eos_id
        assert tokens.bos_id not in ids[1:-1] and tokens.eos_id not in ids[1:-1]


def test_chosen_rows_first_then_rejected(tokenizer):
    prompts, chosen, rejected = ["A:", "B:"], [" one", " two"], [" three", " four"]
    batch = encode_pairs(tokenizer, prompts, chosen, rejected, max_length=64)
    expected = encode_texts(tokenizer, ["A: one", "B: two", "A: three", "B: four"], max_length=64)
    assert torch.equal(batch["input_ids"], expected["input_ids"])


def test_left_truncation_keeps_the_end(tokenizer):
    tokens = rm_tokens(tokenizer)
    text = " ".join(f"w{i}" for i in range(300))
    full = encode_texts(tokenizer, [text], max_length=10_000)["input_ids"][0]
    cut = encode_texts(tokenizer, [text], max_length=20)["input_ids"][0]
    assert len(cut) == 20
    assert cut[0] == tokens.bos_id and cut[-1] == tokens.eos_id  # both specials survive
    assert torch.equal(cut[1:-1], full[-19:-1])  # the last 18 text tokens


def test_dynamic_padding_to_the_longest_on_either_side(tokenizer):
    texts = ["a", "a b c d e f g"]
    right = encode_texts(tokenizer, texts, padding_side="right")
    left = encode_texts(tokenizer, texts, padding_side="left")
    lengths = right["attention_mask"].sum(1)
    assert right["input_ids"].shape[1] == int(lengths.max())
    assert torch.equal(lengths, left["attention_mask"].sum(1))
    pad = rm_tokens(tokenizer).pad_id
    for batch in (right, left):
        assert torch.equal(batch["input_ids"] == pad, batch["attention_mask"] == 0)
    assert torch.equal(right["input_ids"][1], left["input_ids"][1])  # the longest: no padding
    short = lengths[0]
    assert torch.equal(right["input_ids"][0, :short], left["input_ids"][0, -short:])


def test_policy_per_tokenizer():
    bert = rm_tokens(load_tokenizer("tiny-bert"))
    smol = rm_tokens(load_tokenizer("tiny-llama"))
    assert (bert.bos_token, bert.eos_token, bert.pad_token) == ("[CLS]", "[SEP]", "[PAD]")
    assert (smol.bos_token, smol.eos_token, smol.pad_token) == (
        "<|im_start|>", "<|im_end|>", "<|endoftext|>")
    assert not bert.added and not smol.added


def test_unprepared_tokenizer_is_refused():
    raw = raw_tokenizer("tiny-llama")  # SmolLM2 ships pad = EOS
    with pytest.raises(ValueError, match="prepare_tokenizer"):
        encode_pairs(raw, ["Q:"], [" a"], [" b"])


def _word_tokenizer(specials: dict, extra: list[str] = ()):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[UNK]", "<|endoftext|>", *extra, "a", "b", "c"])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", **specials)
    if extra:
        tok.add_special_tokens({"additional_special_tokens": list(extra)})
    return tok


def test_pythia_like_tokenizer_gets_its_padding_token():
    tok = _word_tokenizer({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
                          extra=["<|padding|>"])
    assert choose_pad_token(tok) == "<|padding|>"
    assert prepare_tokenizer(tok).pad_token == "<|padding|>"


def test_a_pad_is_added_only_when_none_can_serve():
    tok = _word_tokenizer({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                           "pad_token": "<|endoftext|>"})  # GPT-2 style: one token for all
    before = len(tok)
    tokens = prepare_tokenizer(tok)
    assert tokens.added and tokens.pad_token == ADDED_PAD and len(tok) == before + 1
    assert prepare_tokenizer(tok).pad_id == tokens.pad_id and len(tok) == before + 1  # idempotent
    batch = encode_texts(tok, ["a b <|pad|>", "c"])
    assert tokens.pad_id not in batch["input_ids"][batch["attention_mask"].bool()].tolist()


def test_bad_arguments():
    tok = load_tokenizer("tiny-bert")
    with pytest.raises(ValueError, match="differ in length"):
        encode_pairs(tok, ["Q:"], [" a", " b"], [" c"])
    with pytest.raises(ValueError, match="no room"):
        encode_texts(tok, ["a"], max_length=2)

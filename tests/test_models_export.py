"""Exported RMs score the same in plain transformers, ``pipeline`` and TRL's reward path.

The folders are read back in a separate Python process that never imports morelib, the way a
user of transformers calls them: ``AutoTokenizer`` + ``AutoModelForSequenceClassification`` with
``tok(texts, padding=True, truncation=True)``, and ``pipeline("text-classification",
function_to_apply="none")``. Backbones: Llama (SmolLM2's tokenizer, and Llama-2's tokenizer
class), GPT-NeoX (SmolLM2's, and Pythia's class) and BERT (MiniLM's tokenizer).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from export_standins import standin_rm
from morelib.models import (RewardModel, encode_texts, load_reward_model, load_tokenizer,
                            save_reward_model)

MAX_LENGTH = 48
TEXTS = ["\n\nHuman: Is the sky blue?\n\nAssistant: Yes, on a clear day it is.",
         "Q: ok", 'He said "hi" and left.', "literal <|im_end|> and </s> and [SEP] here",
         "a long reply that goes on " * 20]  # longer than MAX_LENGTH: the end is kept
KINDS = ["tiny-llama", "tiny-gpt-neox", "tiny-bert", "llama2", "pythia"]


def _rm(kind):
    if kind.startswith("tiny-"):
        rm, tok = RewardModel.from_name(kind, seed=0), load_tokenizer(kind)
    else:
        rm, tok = standin_rm(kind)
    with torch.no_grad():  # move every weight off its init: a re-initialised one shows up
        generator = torch.Generator().manual_seed(1)
        for p in rm.parameters():
            p.add_(torch.randn(p.shape, generator=generator) * 0.02)
    return rm, tok


def _morelib_scores(rm, tok):
    with torch.no_grad():
        return rm(**encode_texts(tok, TEXTS, MAX_LENGTH)).rewards.tolist()


PLAIN = textwrap.dedent("""
    import json, sys
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    folders, texts = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    out = {}
    for folder in folders:
        tok = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, trust_remote_code=True).eval()
        with torch.no_grad():
            batch = tok(texts, padding=True, truncation=True, return_tensors="pt")
            plain = model(**batch).logits[:, 0].tolist()
        pipe = pipeline("text-classification", model=folder, trust_remote_code=True,
                        function_to_apply="none")
        piped = [row["score"] for row in pipe(texts, truncation=True)]
        try:
            AutoModelForSequenceClassification.from_pretrained(folder)
            refused = None
        except Exception as err:
            refused = str(err)
        out[folder] = {"plain": plain, "pipeline": piped, "refused": refused}
    assert "morelib" not in sys.modules
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each kind saved once, with morelib's scores and the plain-transformers process's."""
    folders, expected = {}, {}
    for kind in KINDS:
        rm, tok = _rm(kind)
        folder = tmp_path_factory.mktemp(kind)
        save_reward_model(rm, tok, folder, max_length=MAX_LENGTH)
        folders[kind], expected[kind] = str(folder), _morelib_scores(rm, tok)
    result = subprocess.run(
        [sys.executable, "-c", PLAIN, json.dumps(list(folders.values())), json.dumps(TEXTS)],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    # transformers asks "Do you wish to run the custom code? [y/N]" on stdout (stdin is empty)
    plain = json.loads(result.stdout.rpartition("RESULT ")[2])
    return {kind: (folders[kind], expected[kind], plain[folders[kind]]) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_plain_transformers_scores_equal_morelib(kind, exported):
    _, ours, theirs = exported[kind]
    assert theirs["plain"] == pytest.approx(ours, abs=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_pipeline_scores_equal_morelib(kind, exported):
    _, ours, theirs = exported[kind]
    assert theirs["pipeline"] == pytest.approx(ours, abs=1e-4)


def test_encoder_rm_needs_trust_remote_code_outside_morelib(exported):
    folder, _, theirs = exported["tiny-bert"]
    assert theirs["refused"] is not None and "trust_remote_code" in theirs["refused"]
    config = json.loads(open(f"{folder}/config.json").read())
    assert config["model_type"] == "morelib_encoder_rm"
    assert config["architectures"] == ["MorelibEncoderRewardModel"]
    for kind in ("tiny-llama", "llama2", "pythia"):  # decoders: HF's own class, no custom code
        assert exported[kind][2]["refused"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_morelib_reloads_its_own_export(kind, exported):
    folder, ours, _ = exported[kind]
    again, tok = load_reward_model(folder), load_tokenizer(folder)
    assert _morelib_scores(again, tok) == pytest.approx(ours, abs=1e-6)
    info = json.loads(open(f"{folder}/morelib_reward_model.json").read())
    assert info["max_length"] == MAX_LENGTH


def test_as_shipped_tokenizers_would_have_scored_other_sequences():
    """The reason for the export's tokenizer: each shipped class misses the RM's EOS."""
    from morelib.models import encode_rows

    for kind in ("tiny-llama", "llama2", "pythia"):
        _, tok = _rm(kind)
        assert tok(TEXTS[:1])["input_ids"] != encode_rows(tok, TEXTS[:1], MAX_LENGTH)

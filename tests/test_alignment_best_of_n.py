"""Best-of-n: every candidate kept with its score, selection afterwards, save/load, RM parity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from morelib.alignment import (Candidates, TransformersGenerator, best_of_n, best_responses,
                               load_candidates, load_policy, rm_score_fn, save_candidates,
                               select_best, selection_summary, utility_score_fn)
from morelib.data.schema import PreferencePair
from morelib.data.simulator import Simulator
from morelib.evaluation import score_pairs
from morelib.models import RewardModel, load_tokenizer

PROMPTS = ["\n\nHuman: Hi\n\nAssistant:", "\n\nHuman: How do I cook rice?\n\nAssistant:"]


def fake_generate(prompts, n, max_new_tokens, seed):
    return [[f" {p[-12:-11]} sample {k}" for k in range(n)] for p in prompts]


def score_by_last_digit(prompts, responses):
    return np.array([{"0": 1.0, "1": 3.0, "2": 3.0, "3": 2.0}[r[-1]] for r in responses])


@pytest.fixture(scope="module")
def rm():
    return RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama")


def test_keeps_every_candidate_and_selects_max_ties_first():
    cands = best_of_n(PROMPTS, 4, fake_generate, score_by_last_digit, max_new_tokens=8, seed=3)
    frame = cands.frame
    assert list(frame.columns) == ["prompt_id", "prompt", "candidate", "text", "score", "backend"]
    assert len(frame) == 8
    assert frame.groupby("prompt_id").candidate.apply(list).tolist() == [[0, 1, 2, 3]] * 2
    assert frame.score.tolist() == [1.0, 3.0, 3.0, 2.0] * 2
    best = select_best(cands)
    assert best.candidate.tolist() == [1, 1]  # 1 and 2 tie at 3.0: the first wins
    assert best.n_candidates.tolist() == [4, 4]
    assert select_best(cands, "min").candidate.tolist() == [0, 0]
    assert select_best(cands, "first").candidate.tolist() == [0, 0]
    assert select_best(cands, lambda s: int(np.argsort(s)[1])).candidate.tolist() == [3, 3]
    r1, r2 = select_best(cands, "random", seed=1), select_best(cands, "random", seed=1)
    assert r1.equals(r2)
    prompts, responses = best_responses(cands)
    assert prompts == PROMPTS and responses == best.text.tolist()
    summary = selection_summary(cands)
    assert summary["mean_selected"] == 3.0 and summary["mean_all"] == 2.25
    assert cands.record["backend"] == "callable"
    assert cands.record["scorer"] == "score_by_last_digit"
    assert cands.record["settings"] == {"n": 4, "max_new_tokens": 8, "seed": 3}


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="expected 3 each"):
        best_of_n(PROMPTS, 3, lambda p, n, max_new_tokens, seed: [[" a"]] * len(p),
                  score_by_last_digit)
    with pytest.raises(ValueError, match="score returned 1 values"):
        best_of_n(PROMPTS, 2, fake_generate, lambda p, r: np.zeros(1))
    nan = best_of_n(PROMPTS, 2, fake_generate, lambda p, r: np.full(len(r), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        select_best(nan)
    with pytest.raises(ValueError, match="rule must be one of"):
        select_best(nan, "best")


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_save_load_round_trip(tmp_path, suffix):
    cands = best_of_n(PROMPTS, 2, fake_generate, score_by_last_digit,
                      prompt_ids=["007", "008"])
    path = save_candidates(cands, tmp_path / f"cands{suffix}")
    back = load_candidates(path)
    pd.testing.assert_frame_equal(back.frame, cands.frame)
    assert back.record == cands.record and back.frame.prompt_id.tolist()[0] == "007"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left
    dataset = cands.to_dataset()
    assert len(dataset) == 4 and dataset[0]["text"] == cands.frame.text[0]
    assert Candidates.from_frame(dataset.to_pandas()).record == cands.record
    with pytest.raises(ValueError, match="jsonl or .parquet"):
        save_candidates(cands, tmp_path / "cands.csv")


def test_rm_score_fn_matches_score_pairs(rm):
    model, tok = rm
    prompts = PROMPTS + ["\n\nHuman: Tell me a long story about a dragon.\n\nAssistant:"]
    chosen = [" Hello there!", " Rinse it, then simmer it covered.", " Once upon a time."]
    rejected = [" Go away.", " No.", " I'd rather not, that story would be far too long."]
    pairs = [PreferencePair(p, c, r, "helpful", str(i))
             for i, (p, c, r) in enumerate(zip(prompts, chosen, rejected))]
    reference = score_pairs(model, tok, pairs, batch_size=2)
    score = rm_score_fn(model, tok, batch_size=4)
    np.testing.assert_allclose(score(prompts, chosen), reference[:, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(score(prompts, rejected), reference[:, 1], rtol=1e-5, atol=1e-5)
    mixed = score(prompts + prompts, chosen + rejected)  # batch composition does not matter
    np.testing.assert_allclose(mixed, reference.T.reshape(-1), rtol=1e-5, atol=1e-5)


def test_end_to_end_with_a_tiny_policy_and_rm(rm):
    model, tok = rm
    generator = TransformersGenerator(*load_policy("tiny-llama"), batch_size=2)
    score = rm_score_fn(model, tok)
    cands = best_of_n(PROMPTS, 3, generator, score, max_new_tokens=5, seed=0)
    assert len(cands.frame) == 6 and set(cands.frame.backend) == {"transformers"}
    assert cands.record["settings"]["n"] == 3 and cands.record["scorer"].startswith("reward_model")
    np.testing.assert_allclose(cands.frame.score, score(cands.frame.prompt.tolist(),
                                                        cands.frame.text.tolist()), atol=1e-6)
    best = select_best(cands)
    for pid, group in cands.frame.groupby("prompt_id"):
        assert best.set_index("prompt_id").loc[pid, "score"] == group.score.max()


def test_utility_score_fn_is_the_simulator_utility():
    sim = Simulator()
    responses = [" I can't help with that.", " Rinse it, then simmer it covered."]
    score = utility_score_fn(sim, source="helpful")
    assert score([PROMPTS[1]] * 2, responses).tolist() == [
        sim.utility(PROMPTS[1], r, "helpful") for r in responses]
    cands = best_of_n([PROMPTS[1]], 2, lambda p, n, max_new_tokens, seed: [responses], score)
    assert select_best(cands).text.tolist() == [responses[1]]

"""The RJS experiment module (morelib.alignment.rjs): caching, judging, summaries."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from morelib.alignment import rjs
from morelib.alignment.generation import resolve_backend
from morelib.alignment.vllm_generation import vllm_available
from morelib.alignment.best_of_n import Candidates, best_responses
from morelib.alignment.findings import findings
from morelib.alignment.judging import judge_against, win_table
from morelib.alignment.rjs_statistics import ece_win_correlation
from morelib.alignment.table1 import paper_table1
from morelib.alignment.score_judges import UtilityJudge
from morelib.runs import RunCache

Q = ["\n\nHuman: Hi\n\nAssistant:", "\n\nHuman: Why?\n\nAssistant:"]


def _length(prompts, responses):
    return np.array([float(len(r)) for r in responses])


@pytest.fixture()
def experiment(tmp_path):
    cfg = rjs.RJSConfig(policy="tiny-llama", n_candidates=3, max_new_tokens=4, batch_size=4,
                        sft=rjs.sft_config(max_steps=1, per_device_batch_size=2, lora_r=4))
    return rjs.RJSExperiment(RunCache(tmp_path), cfg, Q, Q, {"helpful": (Q, [" a", " b"])})


def test_candidates_sampled_once_and_shared(experiment, monkeypatch):
    first = experiment.candidates()
    assert len(first) == 2 * 3 and list(first.columns) == ["prompt_id", "prompt", "candidate", "text"]
    monkeypatch.setattr(experiment, "base_policy", lambda: pytest.fail("sampled again"))
    pd.testing.assert_frame_equal(experiment.candidates(), first)
    a = experiment.scores("len", "len", _length)
    b = experiment.scores("neg", "neg", lambda p, r: -_length(p, r))
    assert a.text.tolist() == b.text.tolist() and (a.score == -b.score).all()


def test_policy_outputs_cached_and_resumable(experiment, monkeypatch):
    sc = experiment.scores("len", "len", _length)
    prompts, responses = best_responses(Candidates(sc))
    out = experiment.policy_outputs("rjs/len", prompts, responses)
    assert out.n_sft_examples == 2 and out.log["global_step"] == 1 and len(out.responses) == 2
    assert set(out.ppl_means()) == {"helpful"}
    def rebuilt():
        raise RuntimeError("rebuilt")

    monkeypatch.setattr(experiment, "base_policy", rebuilt)
    again = experiment.policy_outputs("rjs/len", prompts, responses)
    assert again.responses == out.responses
    with pytest.raises(RuntimeError, match="rebuilt"):  # other SFT data: a new entry
        experiment.policy_outputs("rjs/x", prompts, [r + "!" for r in responses])


def test_base_policy_has_no_sft(experiment):
    out = experiment.policy_outputs("base")
    assert out.n_sft_examples == 0 and "global_step" not in out.log


def test_judge_against_and_win_table():
    judge = UtilityJudge(lambda p, r: len(r))
    v = judge_against({"len": judge}, ["q"] * 4, {"x": ["aa", "aa", "a", "aa"]}, ["a"] * 4)
    assert v.winner.tolist() == ["A", "A", "tie", "A"]
    w = win_table(v, n_boot=300).iloc[0]
    assert w.win == 0.75 and w.tie == 0.25 and w.win_half_tie == 0.875
    assert w.win_half_tie_low <= w.win_half_tie <= w.win_half_tie_high


def _verdicts(rates, n=40, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for name, p in rates.items():
        rows += [(name, i, "A" if rng.random() < p else "B") for i in range(n)]
    return pd.DataFrame(rows, columns=["policy", "prompt_id", "winner"])


def test_correlation_negative_when_lower_ece_wins_more():
    ece = {"a": 0.01, "b": 0.02, "c": 0.04, "d": 0.08}
    v = _verdicts({"a": 0.9, "b": 0.7, "c": 0.4, "d": 0.1})
    r = ece_win_correlation(ece, v, n_boot=300, seed=1)
    assert r["n_rms"] == 4 and r["pearson"] < -0.8 and r["spearman_high"] <= 0
    assert r["pearson_low"] <= r["pearson"] <= r["pearson_high"]
    assert "only 4 RMs" in r["note"]


def test_correlation_too_few_rms():
    r = ece_win_correlation({"a": 0.1, "b": 0.2}, _verdicts({"a": 0.5, "b": 0.5}), n_boot=50)
    assert np.isnan(r["spearman"]) and "no correlation" in r["note"]


def test_findings_and_paper_rows():
    t1 = pd.DataFrame({"ece": [np.nan, 0.03, 0.01], "ppl_helpful": [9.0, 8.0, 7.0]},
                      index=["base policy", "MultiTask", "MORE"])
    w = pd.DataFrame([{"judge": "u", "policy": "more_vs_multitask", "n": 50, "win": .7, "tie": .1,
                       "lose": .2, "win_half_tie": .75, "win_half_tie_low": .6,
                       "win_half_tie_high": .88}])
    text = "\n".join(findings(t1, w, {}))
    assert "MORE-RJS is better" in text and "(lower)" in text
    paper = paper_table1("Pythia-1.4B")
    assert (paper.origin == "paper").all() and paper["win (GPT-4)"].dropna().tolist() == [44.0]


def test_sft_config_rejects_typos():
    with pytest.raises(TypeError, match="lora_rr"):
        rjs.sft_config(lora_rr=4)


def test_candidates_checked_like_best_of_n(experiment, monkeypatch):
    """The experiment samples through best_of_n's sample_candidates: a generator that returns
    too few responses stops the run instead of caching a short table."""
    class Short:
        backend = "fake"

        def generate(self, prompts, n, max_new_tokens, seed):
            return [[" a"] * (n - 1) for _ in prompts]

    monkeypatch.setattr(experiment, "_generator", lambda model, tok: Short())
    monkeypatch.setattr(experiment, "base_policy", lambda: (None, None))
    with pytest.raises(ValueError, match="expected 3 each"):
        experiment.candidates()


def test_scores_checked_like_best_of_n(experiment):
    with pytest.raises(ValueError, match="score returned 1 values for 6 responses"):
        experiment.scores("bad", "bad", lambda p, r: np.zeros(1))


def test_generation_backend_auto_without_gpu_shares_the_transformers_cache(experiment):
    first = experiment.candidates()
    auto = rjs.RJSExperiment(experiment.cache, dataclasses.replace(experiment.config,
                                                                   backend="auto"),
                             Q, Q, experiment.ppl_sets)
    if resolve_backend("auto") != "transformers":
        pytest.skip("vLLM and a GPU here: auto is vLLM")
    auto.base_policy = lambda: pytest.fail("sampled again")
    pd.testing.assert_frame_equal(auto.candidates(), first)
    assert set(auto.scores("len", "len", _length).backend) == {"transformers"}


def test_generation_backend_vllm_missing_names_the_fix(experiment):
    if vllm_available():
        pytest.skip("vllm is installed here")
    vllm = rjs.RJSExperiment(experiment.cache, dataclasses.replace(experiment.config,
                                                                   backend="vllm"),
                             Q, Q, experiment.ppl_sets)
    with pytest.raises(ImportError, match=r"pip install 'morelib\[vllm\]'"):
        vllm.candidates()
    with pytest.raises(ValueError, match="backend must be one of"):
        resolve_backend("gpu")

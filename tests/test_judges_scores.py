"""Verdicts, the swap rule, and the score-based judges (ground-truth utility, gold RM)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from morelib.alignment import (RewardModelJudge, UtilityJudge, Verdict, compare_all,
                               compare_both_orders)
from morelib.alignment.verdicts import Outcome, combine, delta_verdict


def test_verdict_rejects_unknown_winner():
    with pytest.raises(ValueError, match="winner must be one of"):
        Verdict("C")


@pytest.mark.parametrize("forward, backward, expected", [
    ("A", "B", "A"), ("B", "A", "B"),           # consistent -> that winner
    ("A", "A", "tie"), ("B", "B", "tie"),       # position bias -> tie
    ("tie", "tie", "tie"), ("A", "tie", "tie"), ("tie", "A", "tie"),
    ("error", "B", "error"), ("A", "error", "error"), ("tie", "error", "error"),
])
def test_swap_rule_table(forward, backward, expected):
    outcome = combine(Verdict(forward), Verdict(backward))
    assert isinstance(outcome, Outcome) and outcome.winner == expected


def test_compare_both_orders_calls_both_positions():
    calls = []

    def judge(prompt, first, second):
        calls.append((first, second))
        return Verdict("A" if first == "x" else "B")

    outcome = compare_both_orders(judge, "q", "x", "y")
    assert calls == [("x", "y"), ("y", "x")]
    assert outcome.winner == "A" and outcome.backward.winner == "B"
    assert outcome.backward_mapped == "A"


def test_judge_objects_get_the_order_label():
    seen = []

    class Recorder:
        def judge(self, prompt, a, b, *, order="AB"):
            seen.append(order)
            return Verdict("A")

    assert compare_both_orders(Recorder(), "q", "a", "b").winner == "tie"
    assert seen == ["AB", "BA"]


def test_compare_all_threads_keep_order_and_check_lengths():
    judge = UtilityJudge(lambda p, r: float(r))
    a, b = [str(i) for i in range(20)], [str(19 - i) for i in range(20)]
    serial = [o.winner for o in compare_all(lambda p, x, y: judge.judge(p, x, y), a, a, b)]
    threaded = [o.winner for o in compare_all(lambda p, x, y: judge.judge(p, x, y), a, a, b,
                                              max_workers=4)]
    assert serial == threaded == ["B"] * 10 + ["A"] * 10
    with pytest.raises(ValueError, match="differ in length"):
        compare_all(judge, ["q"], ["a", "b"], ["c"])


def test_delta_verdict_tolerance_is_inclusive():
    assert delta_verdict(0.5, 0.5).winner == "tie"
    assert delta_verdict(-0.5000001, 0.5).winner == "B"
    nan = delta_verdict(math.nan, 0.0, score_a=1.0)
    assert nan.winner == "error" and nan.details["score_a"] == 1.0


def test_utility_judge_margin_and_details():
    utility = {"good": 2.0, "ok": 1.5, "bad": 0.0}
    judge = UtilityJudge(lambda prompt, response: utility[response], margin=0.6)
    assert judge.judge("q", "good", "bad").winner == "A"
    assert judge.judge("q", "bad", "good").winner == "B"
    verdict = judge.judge("q", "good", "ok")
    assert verdict.winner == "tie" and verdict.details["delta"] == pytest.approx(0.5)
    outcomes = compare_all(judge, ["q"] * 3, ["good", "ok", "bad"], ["bad", "good", "bad"])
    assert [o.winner for o in outcomes] == ["A", "tie", "tie"]
    with pytest.raises(ValueError):
        UtilityJudge(len, margin=-1)


def test_utility_judge_receives_the_prompt():
    judge = UtilityJudge(lambda prompt, response: float(response in prompt))
    assert compare_both_orders(judge, "the cat sat", "cat", "dog").winner == "A"


def test_utility_judge_with_the_simulator_ground_truth():
    from morelib.data.simulator import Simulator

    sim = Simulator()
    prompt = "\n\nHuman: How do I cook rice on the stove?\n\nAssistant:"
    helpful = " Rinse the rice, then simmer it covered on the stove."
    refusal = " I'm sorry, but I can't help with that."
    outcomes = compare_all(UtilityJudge(sim.utility), [prompt] * 2, [helpful, refusal],
                           [refusal, helpful])
    assert [o.winner for o in outcomes] == ["A", "B"]


class CountingRM:
    """score_fn stub: reward = number of 'x' characters; counts calls."""

    def __init__(self, kind="list"):
        self.calls, self.kind = [], kind

    def __call__(self, prompts, responses):
        self.calls.append((list(prompts), list(responses)))
        scores = [float(r.count("x")) for r in responses]
        if self.kind == "tensor":
            return torch.tensor(scores, requires_grad=True)
        if self.kind == "column":
            return np.asarray(scores)[:, None]
        return scores


@pytest.mark.parametrize("kind", ["list", "tensor", "column"])
def test_reward_model_judge_batches_all_texts(kind):
    rm = CountingRM(kind)
    judge = RewardModelJudge(rm, tolerance=0.5)
    outcomes = compare_all(judge, ["p1", "p2", "p3"], ["xx", "x", "a"], ["x", "xx", "b"])
    assert [o.winner for o in outcomes] == ["A", "B", "tie"]
    assert len(rm.calls) == 2  # one score_fn call per order, 2N texts each
    assert rm.calls[0] == (["p1", "p2", "p3"] * 2, ["xx", "x", "a", "x", "xx", "b"])
    assert outcomes[0].forward.details["score_a"] == 2.0


def test_reward_model_judge_single_and_errors():
    judge = RewardModelJudge(CountingRM())
    assert judge.judge("q", "x", "xxx").winner == "B"
    assert judge.judge_batch([], [], []) == []
    bad = RewardModelJudge(lambda ps, rs: [1.0])
    with pytest.raises(ValueError, match="returned 1 scores for 2 texts"):
        bad.judge("q", "a", "b")
    nan = RewardModelJudge(lambda ps, rs: [float("nan"), 1.0])
    assert compare_both_orders(nan, "q", "a", "b").winner == "error"

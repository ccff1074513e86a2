"""Score-based judges: the simulator's ground-truth utility and a held-out "gold" reward model.

Both compare score(prompt, A) with score(prompt, B) and call a tie when the difference is
within a tolerance. They are deterministic and position-free, so the swap rule never turns
their verdicts into ties; it is still applied (``compare_all``) for a uniform protocol.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .verdicts import Verdict, delta_verdict


class UtilityJudge:
    """Judge by a known utility ``utility_fn(prompt, response) -> float`` (for example the
    simulator's shared utility ``sim.utility``, whose ``source`` defaults to None); A wins when
    u(A) - u(B) > ``margin``, B when < -margin, otherwise a tie.

        >>> judge = UtilityJudge(lambda p, r: len(r), margin=1)
        >>> judge.judge("q", "abcd", "ab").winner, judge.judge("q", "abc", "ab").winner
        ('A', 'tie')
        >>> judge.judge("q", "abcd", "ab").details
        {'delta': 2.0, 'score_a': 4.0, 'score_b': 2.0}
    """

    def __init__(self, utility_fn: Callable[[str, str], float], margin: float = 0.0):
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        self.utility_fn = utility_fn
        self.margin = float(margin)

    def __repr__(self) -> str:
        return f"UtilityJudge(margin={self.margin})"

    def judge(self, prompt: str, response_a: str, response_b: str, *, order: str = "AB") -> Verdict:
        """One verdict (see the class docstring); ``order`` is accepted and ignored."""
        ua = float(self.utility_fn(prompt, response_a))
        ub = float(self.utility_fn(prompt, response_b))
        return delta_verdict(ua - ub, self.margin, score_a=ua, score_b=ub)

    def judge_batch(self, prompts, responses_a, responses_b) -> list[Verdict]:
        """:meth:`judge` over aligned lists.

        >>> UtilityJudge(lambda p, r: len(r)).judge_batch(["q"], ["a"], ["bb"])[0].winner
        'B'
        """
        return [self.judge(*args) for args in zip(prompts, responses_a, responses_b)]


class RewardModelJudge:
    """Judge by a reward model's scores; ``score_fn(prompts, responses) -> rewards`` scores a
    batch (a list, array or tensor of floats). A tie when |r(A) - r(B)| <= ``tolerance``.

    Use a held-out "gold" RM, trained on more data than the RMs under test, so that the
    judge is not the RM that picked the best-of-n samples.

        >>> def score_fn(prompts, responses):                 # a toy RM: reward = length
        ...     return [float(len(r)) for r in responses]
        >>> judge = RewardModelJudge(score_fn, tolerance=0.5)
        >>> [v.winner for v in judge.judge_batch(["q", "q"], ["long", "ab"], ["x", "ba"])]
        ['A', 'tie']
    """

    def __init__(self, score_fn: Callable[[Sequence[str], Sequence[str]], Sequence[float]],
                 tolerance: float = 0.0):
        if tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance}")
        self.score_fn = score_fn
        self.tolerance = float(tolerance)

    def __repr__(self) -> str:
        return f"RewardModelJudge(tolerance={self.tolerance})"

    def judge(self, prompt: str, response_a: str, response_b: str, *, order: str = "AB") -> Verdict:
        """One verdict; scores both responses in one ``score_fn`` call (``order`` is ignored).

        >>> RewardModelJudge(lambda ps, rs: [len(r) for r in rs]).judge("q", "a", "bb").winner
        'B'
        """
        return self.judge_batch([prompt], [response_a], [response_b])[0]

    def judge_batch(self, prompts, responses_a, responses_b) -> list[Verdict]:
        """Verdicts for aligned lists with a single ``score_fn`` call on all 2N texts."""
        prompts, responses_a, responses_b = list(prompts), list(responses_a), list(responses_b)
        n = len(prompts)
        if not n == len(responses_a) == len(responses_b):
            raise ValueError("prompts, responses_a and responses_b differ in length")
        if n == 0:
            return []
        scores = self.score_fn(prompts + prompts, responses_a + responses_b)
        if hasattr(scores, "detach"):  # a torch tensor, without importing torch
            scores = scores.detach().float().cpu().numpy()
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.size != 2 * n:
            raise ValueError(f"score_fn returned {scores.size} scores for {2 * n} texts")
        return [
            delta_verdict(sa - sb, self.tolerance, score_a=float(sa), score_b=float(sb))
            for sa, sb in zip(scores[:n], scores[n:])
        ]

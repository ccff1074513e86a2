"""Pairwise verdicts and the paper's swap rule (judge both orders; disagreement = tie).

A *judge* is an object with ``judge(prompt, response_a, response_b, *, order="AB") -> Verdict``
(the ``order`` keyword only labels records: "AB" = as given, "BA" = swapped), or a plain callable
``fn(prompt, response_a, response_b) -> Verdict | str``. ``Verdict.winner`` names a *position*:
"A" (the first response shown), "B", "tie" or "error".

``compare_both_orders`` runs (a, b) and (b, a), maps the second verdict back and applies the
authors' rule (``gpt_winer``): any error -> "error"; the same winner twice -> that winner;
otherwise (A then A, a tie in either order, ...) -> "tie". The outcome's winner is from the
side of the first policy: "A" = policy a wins.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

WINNERS = ("A", "B", "tie", "error")
_SWAP = {"A": "B", "B": "A", "tie": "tie", "error": "error"}


@dataclass(frozen=True)
class Verdict:
    """One judgement of (response_a, response_b) in the positions shown to the judge.

    ``winner``: "A" | "B" | "tie" | "error"; ``raw``: the judge's text (LLM reply), or "";
    ``details``: anything else (scores, attempts, the error reason).

        >>> Verdict("A").winner, Verdict("tie", details={"delta": 0.0}).details
        ('A', {'delta': 0.0})
    """

    winner: str
    raw: str = ""
    details: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.winner not in WINNERS:
            raise ValueError(f"winner must be one of {WINNERS}, got {self.winner!r}")


@dataclass(frozen=True)
class Outcome:
    """Result of judging policy a vs policy b in both positions.

    ``winner`` is from policy a's side ("A" = a wins, "B" = b wins, "tie", "error");
    ``forward`` = the verdict on (a, b); ``backward`` = the verdict on (b, a) as the judge gave
    it (its "A" means b); ``backward_mapped`` translates it to a's side.

        >>> o = Outcome("tie", Verdict("A"), Verdict("A"))
        >>> o.backward_mapped, o.winner
        ('B', 'tie')
    """

    winner: str
    forward: Verdict
    backward: Verdict

    @property
    def backward_mapped(self) -> str:
        return _SWAP[self.backward.winner]


def delta_verdict(delta: float, tolerance: float = 0.0, **details) -> Verdict:
    """Verdict from a score difference score(A) - score(B): "tie" when |delta| <= tolerance,
    "error" when delta is NaN; ``details`` gets ``delta`` and the given extras.

        >>> delta_verdict(0.3).winner, delta_verdict(-0.3).winner, delta_verdict(0.3, 0.5).winner
        ('A', 'B', 'tie')
        >>> delta_verdict(float("nan")).winner
        'error'
    """
    delta = float(delta)
    info = {"delta": delta, **details}
    if math.isnan(delta):
        return Verdict("error", details={**info, "error": "score is NaN"})
    if abs(delta) <= tolerance:
        return Verdict("tie", details=info)
    return Verdict("A" if delta > 0 else "B", details=info)


def _call(judge, prompt, first, second, order):
    method = getattr(judge, "judge", None)
    out = method(prompt, first, second, order=order) if method else judge(prompt, first, second)
    return out if isinstance(out, Verdict) else Verdict(str(out))


def combine(forward: Verdict, backward: Verdict) -> Outcome:
    """The swap rule on a forward verdict (a, b) and a backward verdict (b, a).

        >>> combine(Verdict("A"), Verdict("B")).winner     # a first both times
        'A'
        >>> combine(Verdict("A"), Verdict("A")).winner     # position bias -> tie
        'tie'
        >>> combine(Verdict("B"), Verdict("error")).winner
        'error'
    """
    back = _SWAP[backward.winner]
    if "error" in (forward.winner, back):
        winner = "error"
    elif forward.winner == back and forward.winner in ("A", "B"):
        winner = forward.winner
    else:
        winner = "tie"
    return Outcome(winner, forward, backward)


def compare_both_orders(judge, prompt: str, response_a: str, response_b: str) -> Outcome:
    """Judge (a, b) and (b, a) and combine with the paper's rule (see :func:`combine`).

        >>> first_is_better = lambda p, x, y: "A"          # a judge that always picks slot A
        >>> compare_both_orders(first_is_better, "q", "a", "b").winner
        'tie'
        >>> longer = lambda p, x, y: "A" if len(x) > len(y) else "B"
        >>> compare_both_orders(longer, "q", "a long answer", "short").winner
        'A'
    """
    forward = _call(judge, prompt, response_a, response_b, "AB")
    backward = _call(judge, prompt, response_b, response_a, "BA")
    return combine(forward, backward)


def compare_all(judge, prompts, responses_a, responses_b, max_workers: int = 1) -> list[Outcome]:
    """:func:`compare_both_orders` over aligned lists; in input order.

    A judge with ``judge_batch(prompts, firsts, seconds)`` (the utility and reward-model judges)
    is called twice in all; otherwise each pair is judged separately, on ``max_workers``
    threads (useful for an HTTP judge).

        >>> longer = lambda p, x, y: "A" if len(x) > len(y) else "B"
        >>> [o.winner for o in compare_all(longer, ["q", "q"], ["aaa", "a"], ["b", "bbb"])]
        ['A', 'B']
    """
    prompts, responses_a, responses_b = list(prompts), list(responses_a), list(responses_b)
    if not len(prompts) == len(responses_a) == len(responses_b):
        raise ValueError(
            f"prompts, responses_a and responses_b differ in length: "
            f"{len(prompts)}, {len(responses_a)}, {len(responses_b)}"
        )
    batch = getattr(judge, "judge_batch", None)
    if batch is not None:
        forward = batch(prompts, responses_a, responses_b)
        backward = batch(prompts, responses_b, responses_a)
        return [combine(f, b) for f, b in zip(forward, backward)]
    args = list(zip(prompts, responses_a, responses_b))
    if max_workers <= 1:
        return [compare_both_orders(judge, *a) for a in args]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(lambda a: compare_both_orders(judge, *a), args))

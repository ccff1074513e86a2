"""Score functions for best-of-n: ``score(prompts, responses) -> np.ndarray`` of floats.

:func:`rm_score_fn` scores with a reward model through **exactly** the path of training and
:func:`morelib.evaluation.score_pairs`: the text is ``prompt + response`` encoded by
:func:`morelib.models.encode_texts` (``[BOS] + text + [EOS]``, left truncation, dynamic padding
with the dedicated pad) and ``RewardModel.forward`` (last real token from the attention mask).
The authors scored RJS samples with a different function (average pooling, no EOS, no mask:
D5); here a candidate's reward equals its reward as the chosen side of a pair in evaluation.

:func:`utility_score_fn` uses the simulator's ground-truth utility instead (oracle selection,
for ablations).

Example:
    >>> from morelib.data.simulator import Simulator
    >>> score = utility_score_fn(Simulator())
    >>> x = "\\n\\nHuman: How do I cook rice?\\n\\nAssistant:"
    >>> r = score([x, x], [" I can't help with that.", " Rinse it, then simmer it covered."])
    >>> bool(r[1] > r[0])
    True
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from morelib.evaluation import score_texts

#: ``score(prompts, responses)`` → one float per (prompt, response).
ScoreFn = Callable[[Sequence[str], Sequence[str]], np.ndarray]


def rm_score_fn(model: torch.nn.Module, tokenizer: Any, max_length: int = 512,
                batch_size: int = 16) -> ScoreFn:
    """A :data:`ScoreFn` of a reward model (see :func:`score_texts`).

    Args:
        model: a :class:`morelib.models.RewardModel` (e.g. from
            :func:`morelib.models.load_reward_model`).
        tokenizer: the RM's tokenizer (not the policy's, unless they are the same).
        max_length: tokens per text as in training (paper 512).

    Example:
        >>> from morelib.models import RewardModel, load_tokenizer
        >>> score = rm_score_fn(RewardModel.from_name("tiny-llama", seed=0), load_tokenizer("tiny-llama"))
        >>> score(["Q:"] * 3, [" a", " b", " c"]).shape
        (3,)
    """
    def score(prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        return score_texts(model, tokenizer, prompts, responses, batch_size, max_length)

    score.scorer = f"reward_model:{getattr(model, 'name', None) or type(model).__name__}"
    return score


def utility_score_fn(simulator: Any, source: str | None = None) -> ScoreFn:
    """A :data:`ScoreFn` of the simulator's utility (``source=None``: the shared utility u*).

    Example:
        >>> from morelib.data.simulator import Simulator
        >>> utility_score_fn(Simulator(), source="harmless").scorer
        'utility:harmless'
    """
    def score(prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
        return np.array([simulator.utility(p, r, source) for p, r in zip(prompts, responses)],
                        dtype=np.float64)

    score.scorer = f"utility:{source or 'shared'}"
    return score


def mean_score_fn(score_fns: Sequence[ScoreFn]) -> ScoreFn:
    """The mean of several :data:`ScoreFn` (an ensemble judge: no one of them decides alone).

    Example:
        >>> a = lambda ps, rs: np.array([1.0, 0.0])
        >>> b = lambda ps, rs: np.array([0.0, 3.0])
        >>> mean_score_fn([a, b])(["q", "q"], ["x", "y"]).tolist()
        [0.5, 1.5]
    """
    if not score_fns:
        raise ValueError("mean_score_fn needs at least one score function")

    def score(prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        return np.mean([np.asarray(f(prompts, responses), dtype=np.float64)
                        for f in score_fns], axis=0)

    score.scorer = "mean:" + "+".join(getattr(f, "scorer", "fn") for f in score_fns)
    return score

"""Notebook 05's gold RM judge, and why its default is neutral between the schemes it judges.

Table 1 compares the MORE-RJS policy with the MultiTask-RJS one. A gold RM trained with MORE
(the former default) is a MORE RM judging MORE against MultiTask, and a MultiTask gold RM the
reverse. The default, ``gold_scheme="both"``, trains one RM of each scheme on ``gold_factor``
times the pairs per source and judges by the **mean of their rewards**. Neither scheme's RM
decides alone, and swapping the two schemes' roles leaves the judge unchanged. ``"more"`` and
``"multitask"`` keep a one-scheme judge (say so when reporting it). The gold RMs' data still
contains the RMs under test's pairs (the first ``n_train`` of each source); the simulator's
utility judge and the optional LLM judge are the judges without that overlap.

Example:
    >>> gold_schemes("both"), gold_schemes("more")
    (('multitask', 'more'), ('more',))
    >>> gold_schemes("top")
    Traceback (most recent call last):
    ...
    ValueError: gold_scheme must be one of ['both', 'more', 'multitask'], got 'top'
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from morelib.alignment.scoring import ScoreFn, mean_score_fn, rm_score_fn
from morelib.experiments.suite import load_suite_model
from morelib.training import RMTrainingConfig
from morelib.vocabulary import GOLD_SCHEMES


def gold_schemes(gold_scheme: str) -> tuple[str, ...]:
    """The suite schemes the gold judge trains (see the module notes)."""
    if gold_scheme not in GOLD_SCHEMES:
        raise ValueError(f"gold_scheme must be one of {sorted(GOLD_SCHEMES)}, "
                         f"got {gold_scheme!r}")
    return GOLD_SCHEMES[gold_scheme]


def gold_score_fn(models: Mapping[str, Path], base: RMTrainingConfig,
                  max_length: int = 512, batch_size: int = 16) -> ScoreFn:
    """The judge's :data:`ScoreFn`: the mean reward of the gold RMs ``models`` (from
    ``train_suite(..., schemes=gold_schemes(...))``), each on its best device.

    Example:
        >>> import tempfile
        >>> from morelib.experiments import simulator_data, train_suite
        >>> from morelib.runs import RunCache
        >>> base = RMTrainingConfig(model="tiny-bert", max_steps=1, max_length=32)
        >>> data = simulator_data(4, 2, sources=("helpful", "harmless"))
        >>> gold = train_suite(RunCache(tempfile.mkdtemp()), base, data, gold_schemes("both"),
        ...                    progress=False)
        >>> score = gold_score_fn(gold, base, 32)
        >>> score(["Q:"] * 2, [" a", " b"]).shape, score.scorer.count("reward_model")
        ((2,), 2)
    """
    fns = []
    for folder in models.values():
        model, tok = load_suite_model(folder, base)
        fns.append(rm_score_fn(model, tok, max_length, batch_size))
    return mean_score_fn(fns)

"""The RJS loop (paper Eq. 3): each RM under test picks its best candidates, a copy of the base
policy is fine-tuned on them; plus the SFT baseline and the untrained base policy.

:func:`run_rjs` takes everything it needs as arguments (the experiment, the RM folders, the
suite's base config for loading them, the SFT baseline's data), so the launcher, which trains
every policy into the run cache, and notebook 05, which then only loads them, run the same code
and hit the same :class:`~morelib.runs.RunCache` entries: the candidates, each RM's scores
(keyed by the RM's suite entry, ``folder.parent.name``) and each policy's outputs. An RM is
loaded only when its scores are not cached yet, and freed before its policy trains.

Example (toy "RMs" instead of trained ones, smoke-sized):
    >>> import tempfile
    >>> from pathlib import Path
    >>> from morelib.runs import RunCache
    >>> from morelib.alignment.rjs import RJSConfig, RJSExperiment, sft_config
    >>> cfg = RJSConfig(policy="tiny-llama", n_candidates=2, max_new_tokens=4, batch_size=4,
    ...                 sft=sft_config(max_steps=1, per_device_batch_size=2, lora_r=4))
    >>> q = ["\\n\\nHuman: Hi\\n\\nAssistant:", "\\n\\nHuman: Why?\\n\\nAssistant:"]
    >>> exp = RJSExperiment(RunCache(tempfile.mkdtemp()), cfg, q, q, {})
    >>> toy = {"long": lambda p, r: np.array([len(x) for x in r], dtype=float),
    ...        "short": lambda p, r: -np.array([len(x) for x in r], dtype=float)}
    >>> rms = {name: Path("/suite", name, "model") for name in toy}   # entry = folder.parent
    >>> run = run_rjs(exp, rms, baseline=(q, [" Hello.", " Because."]),
    ...               score_fn_for=lambda folder: toy[folder.parent.name], log=None)
    >>> sorted(run.outputs), list(run.picks.columns), run.pick_agreement().shape
    (['base', 'long', 'sft', 'short'], ['long', 'short'], (2, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.alignment.best_of_n import Candidates, select_best
from morelib.alignment.rjs import PolicyOutputs, RJSExperiment
from morelib.alignment.scoring import ScoreFn, rm_score_fn

__all__ = ["RJSRun", "run_rjs", "suite_rm_score_fn"]


def _print(line: str) -> None:
    print(line, flush=True)


@dataclass
class RJSRun:
    """What :func:`run_rjs` made: ``outputs`` (the RMs' RJS policies by RM name, then ``"sft"``
    and ``"base"``), ``picks`` (the candidate index each RM picked, one column per RM, one row
    per RJS query) and ``selection`` (per RM: mean score of all candidates and of its picks)."""

    outputs: dict[str, PolicyOutputs]
    picks: pd.DataFrame
    selection: dict[str, dict[str, float]]

    def answers(self, names: Sequence[str] | None = None) -> dict[str, list[str]]:
        """Each policy's evaluation answers (default: every policy), in prompt order."""
        return {k: self.outputs[k].responses for k in (self.outputs if names is None else names)}

    def selection_table(self) -> pd.DataFrame:
        """:attr:`selection` as a table, one row per RM."""
        return pd.DataFrame(self.selection).T

    def pick_agreement(self) -> pd.DataFrame:
        """Share of RJS queries on which two RMs pick the same candidate (RM x RM)."""
        picks = self.picks
        return picks.apply(lambda a: picks.apply(lambda b: float((a == b).mean())))


def suite_rm_score_fn(rm_base: Any, max_length: int | None = None,
                      batch_size: int = 16) -> Callable[[Path], ScoreFn]:
    """``score_fn_for(folder)`` of suite RMs: a :data:`~morelib.alignment.scoring.ScoreFn` that
    loads the RM at ``folder`` (:func:`~morelib.experiments.load_suite_model`, with the suite's
    base config ``rm_base``, on the best device) at its first call only, and scores with
    ``max_length`` tokens (default: ``rm_base.max_length``)."""
    length = rm_base.max_length if max_length is None else max_length

    def score_fn_for(folder: Path) -> ScoreFn:
        loaded: list[ScoreFn] = []

        def score(prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
            if not loaded:
                from morelib.experiments import load_suite_model

                loaded.append(rm_score_fn(*load_suite_model(folder, rm_base), length, batch_size))
            return loaded[0](prompts, responses)

        return score

    return score_fn_for


def run_rjs(exp: RJSExperiment, rms: Mapping[str, Path], rm_base: Any = None, *,
            baseline: tuple[Sequence[str], Sequence[str]], max_length: int | None = None,
            score_fn_for: Callable[[Path], ScoreFn] | None = None,
            log: Callable[[str], Any] | None = _print) -> RJSRun:
    """Run (or load from the cache) every step of the RJS experiment ``exp``.

    For each RM ``name: folder`` of ``rms`` (suite folders ``<cache>/<entry>/model``): score the
    shared candidates (cache key: the RM's entry, ``folder.parent.name``), pick the best per
    query (``"max"``, ties to the first candidate) and fine-tune a policy on them
    (``"rjs/<name>"``); then the SFT baseline on ``baseline = (prompts, responses)`` (e.g.
    :func:`~morelib.alignment.sft_data.chosen_sft_data` of the RJS pairs) and the base policy.

    Args:
        rm_base: the suite's base :class:`~morelib.training.RMTrainingConfig` (model loading,
            prefix cache), with ``max_length`` the scoring length (default its own); unused with
            ``score_fn_for``.
        score_fn_for: ``folder -> ScoreFn`` instead of loading suite RMs (tests, other RMs).
        log: called with one line per RJS policy (``None``: silent).

    Launcher and notebook call it alike::

        run = run_rjs(exp, {rm: models[rm] for rm in rms_under_test}, suite.base,
                      baseline=chosen_sft_data(rjs_pairs, None), max_length=max_length)
    """
    if score_fn_for is None:
        if rm_base is None:
            raise ValueError("run_rjs needs rm_base (the suite's base config) or score_fn_for")
        score_fn_for = suite_rm_score_fn(rm_base, max_length)
    outputs: dict[str, PolicyOutputs] = {}
    picks: dict[str, np.ndarray] = {}
    selection: dict[str, dict[str, float]] = {}
    for name, folder in rms.items():
        folder = Path(folder)
        scores = exp.scores(name, folder.parent.name, score_fn_for(folder))
        best = select_best(Candidates(scores))
        picks[name] = best.candidate.to_numpy()
        selection[name] = {"mean_score_all": float(scores.score.mean()),
                           "mean_score_best": float(best.score.mean())}
        outputs[name] = exp.policy_outputs(f"rjs/{name}", best.prompt.tolist(),
                                           best.text.tolist())
        if log is not None:
            log(f"[rjs] {name}: {outputs[name].log.get('global_step', 0)} SFT steps")
    outputs["sft"] = exp.policy_outputs("sft", *baseline)
    outputs["base"] = exp.policy_outputs("base")
    return RJSRun(outputs, pd.DataFrame(picks), selection)

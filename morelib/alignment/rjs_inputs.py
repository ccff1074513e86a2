"""A profile's RJS experiment, built once for notebook 05 and the launcher.

:func:`rjs_inputs` takes the profile's ``rjs`` section (:class:`morelib.profile_sections.RJSSpec`)
and the RM suite's data: the RJS queries are the first ``prompts_per_source`` training pairs of
each RJS source (their chosen answers are the SFT baseline's data), the evaluation prompts the
first ``eval_prompts_per_source`` test pairs and the perplexity sets the chosen answers of the last
``ppl_per_source`` test pairs (at the SFT's ``max_length``). Both callers therefore build the same
:class:`~morelib.alignment.rjs.RJSExperiment` and hit the same run-cache entries.

Example:
    >>> import tempfile
    >>> from morelib.profiles import load_spec
    >>> spec = load_spec("smoke")
    >>> run = rjs_inputs(spec.rjs, spec.suite.inputs(tempfile.mkdtemp()), seed=spec.suite.seed)
    >>> len(run.queries), len(run.experiment.eval_prompts), sorted(run.experiment.ppl_sets)
    (6, 8, ['harmless', 'helpful'])
    >>> run.experiment.config.sft.lora_r, run.rms
    (8, ['multitask', 'more', 'single/helpful', 'single/harmless'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from morelib.alignment.rjs import RJSConfig, RJSExperiment
from morelib.data.schema import PreferencePair

if TYPE_CHECKING:
    from morelib.profile_sections import RJSSpec


@dataclass(frozen=True)
class RJSInputs:
    """The experiment, its query pairs, its evaluation pairs per source and the RMs whose RJS
    policies are trained (MultiTask, MORE, the Figure 7 singles)."""

    experiment: RJSExperiment
    queries: list[PreferencePair]
    eval_pairs: dict[str, list[PreferencePair]]
    rms: list[str]


def rjs_inputs(spec: "RJSSpec", suite: Any, seed: int) -> RJSInputs:
    """The RJS experiment of ``spec`` over ``suite`` (:class:`morelib.suite_setup.SuiteInputs`,
    whose cache it uses); ``seed``: the suite's (sampling, SFT)."""
    train = {s.name: s.pairs for s in suite.data.train}
    missing = [s for s in spec.sources if s not in train or s not in suite.data.tests]
    if missing:
        raise ValueError(f"rjs: sources: {missing[0]!r} is not a training source with a test "
                         f"set of the suite (sources: {sorted(train)})")
    queries = [p for s in spec.sources for p in train[s][:spec.prompts_per_source]]
    eval_pairs = {s: list(suite.data.tests[s][:spec.eval_prompts_per_source])
                  for s in spec.sources}
    ppl = {s: suite.data.tests[s][-spec.ppl_per_source:] for s in spec.sources}
    sft = spec.sft_config(seed)
    config = RJSConfig(policy=spec.policy_model, n_candidates=spec.n_candidates,
                       max_new_tokens=spec.max_new_tokens, batch_size=spec.gen_batch_size,
                       max_prompt_tokens=spec.max_prompt_tokens,
                       ppl_max_length=sft.max_length, seed=seed, sft=sft,
                       backend=spec.generation_backend)
    experiment = RJSExperiment(
        suite.cache, config, [p.prompt for p in queries],
        [p.prompt for pairs in eval_pairs.values() for p in pairs],
        {s: ([p.prompt for p in pairs], [p.chosen for p in pairs]) for s, pairs in ppl.items()})
    return RJSInputs(experiment, queries, eval_pairs, spec.rms)

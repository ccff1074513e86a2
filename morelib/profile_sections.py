"""The training sections of a profile file, each declared once: what every RM and policy of a
profile is trained with, read by the notebooks and by the launcher (``morelib setup``) alike.

* ``suite`` (:class:`SuiteSpec`): the RM suite of notebooks 01, 02, 04 and 05: the data
  (``model``, ``n_train``, ``n_test``, ``sources``, ...) plus any
  :class:`~morelib.training.RMTrainingConfig` field (``learning_rate``, ``bf16``, ...). A new
  training knob is a new ``RMTrainingConfig`` field and nothing else: every profile may set it.
* ``scaling`` (:class:`ScalingSpec`): notebook 03's sweep: ``models``, ``ks``, ``train_sizes``,
  plus any ``suite`` key it changes for the sweep (e.g. ``n_train``, ``gradient_checkpointing``).
* ``gold`` (:class:`GoldSpec`): notebook 05's gold judge.
* ``rjs`` (:class:`RJSSpec`): notebook 05's policy and rejection sampling, plus ``sft``: any
  :class:`~morelib.alignment.SFTConfig` field (``learning_rate``, ``lora_r``, ...) for the
  policies' fine-tuning.

A field without a default is a size or a model every profile chooses; a default is the paper's
choice or a neutral one. Values are checked on load (type and range, one line naming the key).

Example:
    >>> s = SuiteSpec.from_mapping({"model": "tiny-llama", "n_train": 8, "n_test": 4,
    ...                             "sources": ["helpful", "harmless"], "learning_rate": 1e-3})
    >>> s.n_train, s.training, s.config().learning_rate
    (8, {'learning_rate': 0.001}, 0.001)
    >>> s.updated(n_train=2, bf16=True).training, s.updated(n_train=2).n_train
    ({'learning_rate': 0.001, 'bf16': True}, 2)
    >>> SuiteSpec.from_mapping({"model": "m", "n_train": 8, "n_test": 4, "sources": ["a"],
    ...                         "alpha": 1.5})
    Traceback (most recent call last):
    ...
    morelib.typed_fields.SettingError: alpha: expected <= 1, got 1.5
    >>> rjs = {"policy_model": "tiny-llama", "prompts_per_source": 2, "max_new_tokens": 4,
    ...        "eval_prompts_per_source": 2, "ppl_per_source": 2, "sft": {"lora_r": 4}}
    >>> RJSSpec.from_mapping(rjs).sft_config(seed=7).lora_r
    4
    >>> RJSSpec.from_mapping({**rjs, "sft": {"lora_r": -1}})
    Traceback (most recent call last):
    ...
    morelib.typed_fields.SettingError: sft: lora_r: expected >= 0, got -1
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from morelib.typed_fields import SettingError, check_settings, setting
from morelib.vocabulary import GENERATION_BACKENDS, GOLD_SCHEMES

#: The paper's data kinds: the simulator (offline) or the five hub datasets.
DATA_KINDS = ("simulator", "hub")


def _split(cls: type, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (``cls``'s own fields, the rest)."""
    own = {f.name for f in dataclasses.fields(cls) if f.name != "training"}
    return ({k: v for k, v in values.items() if k in own},
            {k: v for k, v in values.items() if k not in own})


def _training_fields() -> set[str]:
    from morelib.training import RMTrainingConfig

    return {f.name for f in dataclasses.fields(RMTrainingConfig)}


def _required(cls: type, values: Mapping[str, Any]) -> None:
    for f in dataclasses.fields(cls):
        if (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                and f.name not in values):
            raise SettingError(f.name, "missing (no default: every profile sets it)")


@dataclass(frozen=True, kw_only=True)
class SuiteSpec:
    """The RM suite: its data and its training recipe (``training``: the
    :class:`~morelib.training.RMTrainingConfig` fields the profile sets; the rest keep the
    config's defaults)."""

    model: str = setting("the RMs' pretrained base (a hub name or a morelib tiny model)")
    n_train: int = setting("training pairs per source", at_least=1)
    n_test: int = setting("simulator test pairs per source", at_least=1)
    sources: tuple[str, ...] = setting("the training sources, in the paper's order")
    seed: int = setting("seed of the data and of every RM", 42, at_least=0)
    conflict: float = setting("how strongly the simulator's sources disagree (0: not at all)",
                              1.0, at_least=0)
    use_real_data: bool = setting("also test on the real sets under MORELIB_DATA_DIR", True)
    real_test_limit: int = setting("pairs per real test set (0: all)", 0, at_least=0)
    data_kind: str = setting("training data: the simulator or the five hub datasets",
                             "simulator", choices=DATA_KINDS)
    training: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_settings(self)
        self.config()  # checks every training value against RMTrainingConfig's ranges

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "SuiteSpec":
        """The spec of a ``suite`` section; an unknown key is a :class:`SettingError`."""
        own, rest = _split(cls, values)
        unknown = sorted(set(rest) - _training_fields())
        if unknown:
            raise SettingError(unknown[0], "not a suite key (data keys: "
                               f"{', '.join(f.name for f in dataclasses.fields(cls)[:-1])}; "
                               "or a field of morelib.training.RMTrainingConfig)")
        _required(cls, own)
        return cls(**own, training=dict(rest))

    def updated(self, **changes: Any) -> "SuiteSpec":
        """This spec with ``changes`` (data keys or training fields) applied."""
        own, rest = _split(type(self), changes)
        return type(self).from_mapping({**self.as_mapping(), **own, **rest})

    def as_mapping(self) -> dict[str, Any]:
        """The section as a profile file writes it (inverse of :meth:`from_mapping`)."""
        own = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name != "training"}
        return {**own, **self.training}

    @property
    def training_settings(self) -> dict[str, Any]:
        """The ``RMTrainingConfig`` fields the suite sets (every step logged unless set)."""
        return {"logging_steps": 1, **self.training}

    def config(self) -> Any:
        """The base :class:`~morelib.training.RMTrainingConfig` of every RM of the suite."""
        from morelib.training import RMTrainingConfig

        return RMTrainingConfig(model=self.model, seed=self.seed, **self.training_settings)

    def inputs(self, cache_dir: str | Path) -> Any:
        """The suite's cache, base config and data
        (:class:`morelib.suite_setup.SuiteInputs`)."""
        from morelib.suite_setup import suite_inputs

        return suite_inputs(cache_dir=cache_dir, model=self.model, n_train=self.n_train,
                            n_test=self.n_test, sources=self.sources, seed=self.seed,
                            conflict=self.conflict, use_real_data=self.use_real_data,
                            real_test_limit=self.real_test_limit, data_kind=self.data_kind,
                            **self.training_settings)


@dataclass(frozen=True, kw_only=True)
class ScalingSpec:
    """Notebook 03's sweep (:func:`morelib.experiments.scaling.sweep_plan`); ``suite``: the
    ``suite`` keys the sweep changes (e.g. ``{"n_train": 60}``)."""

    models: tuple[str, ...] = setting("the RM bases on the size axis, smallest first")
    ks: tuple[int, ...] = setting("numbers of mixed sources K (the first K in the paper's "
                                  "order)", (2, 3, 4, 5))
    train_sizes: tuple[int, ...] = setting("pairs per source for MultiTask and MORE at the "
                                           "largest K (the train-set-size axis)", ())
    suite: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_settings(self)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], suite: SuiteSpec) -> "ScalingSpec":
        """The spec of a ``scaling`` section; its other keys must be ``suite`` keys."""
        own, rest = _split(cls, values)
        _required(cls, own)
        suite.updated(**rest)  # checks the suite keys
        return cls(**own, suite=dict(rest))

    def suite_spec(self, suite: SuiteSpec) -> SuiteSpec:
        """The suite the sweep trains: ``suite`` with this section's changes."""
        return suite.updated(**self.suite)


@dataclass(frozen=True, kw_only=True)
class GoldSpec:
    """Notebook 05's gold judge: the mean reward of ``scheme``'s RMs trained on ``factor`` x
    the suite's ``n_train`` pairs per source (:mod:`morelib.experiments.gold`)."""

    factor: int = setting("training pairs per source, as a multiple of the suite's", 2,
                          at_least=1)
    scheme: str = setting("the gold RMs: both (MultiTask + MORE, neutral between the two), "
                          "more or multitask", "both", choices=tuple(GOLD_SCHEMES))

    def __post_init__(self) -> None:
        check_settings(self)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "GoldSpec":
        return _checked(cls, values)

    def suite_spec(self, suite: SuiteSpec) -> SuiteSpec:
        """The suite the gold RMs are trained from."""
        return suite.updated(n_train=suite.n_train * self.factor)


@dataclass(frozen=True, kw_only=True)
class RJSSpec:
    """Notebook 05's rejection-sampling alignment: the policy, its queries and candidates, and
    the SFT of each RM's best-of-n picks (:mod:`morelib.alignment.rjs`)."""

    policy_model: str = setting("the policy (a hub name or a morelib tiny model)")
    prompts_per_source: int = setting("RJS queries per source (training prompts)", at_least=1)
    n_candidates: int = setting("candidates per query (best-of-n)", 4, at_least=1)
    max_new_tokens: int = setting("new tokens per candidate and answer", at_least=1)
    eval_prompts_per_source: int = setting("evaluation prompts per source", at_least=1)
    ppl_per_source: int = setting("perplexity examples per source", at_least=1)
    gen_batch_size: int = setting("prompts per generation batch", 8, at_least=1)
    generation_backend: str = setting("how the candidates are sampled: transformers, vllm or "
                                      "auto (vLLM when installed and a GPU is visible)",
                                      "transformers", choices=GENERATION_BACKENDS)
    max_prompt_tokens: int = setting("prompt tokens kept (the end)", 256, at_least=1)
    sources: tuple[str, ...] = setting("the sources of queries, evaluation prompts and "
                                       "perplexity sets", ("helpful", "harmless"))
    fig7_singles: tuple[str, ...] = setting("single-source RMs that also get RJS policies "
                                            "(Figure 7), besides MultiTask and MORE",
                                            ("helpful", "harmless"))
    sft: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_settings(self)
        unknown = sorted(set(self.sft) - _sft_fields())
        if unknown:
            raise SettingError(f"sft: {unknown[0]}", "not a field of "
                               "morelib.alignment.SFTConfig (see `python -c 'import "
                               "morelib.alignment as a; help(a.SFTConfig)'`)")
        try:
            self.sft_config(seed=0)  # checks every SFT value against SFTConfig's ranges
        except SettingError as err:
            raise SettingError(f"sft: {err.name}", err.problem) from None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "RJSSpec":
        return _checked(cls, values)

    def sft_config(self, seed: int) -> Any:
        """The :class:`~morelib.alignment.SFTConfig` of every RJS policy and of the SFT
        baseline: the ``sft`` mapping's fields over SFTConfig's defaults, every step logged and
        ``seed`` (the suite's) unless the mapping sets them."""
        from morelib.alignment.sft import SFTConfig

        return SFTConfig(**{"seed": seed, "logging_steps": 1, **self.sft})

    @property
    def rms(self) -> list[str]:
        """The RMs whose RJS policies are trained: MultiTask, MORE and the Figure 7 singles."""
        return ["multitask", "more"] + [f"single/{s}" for s in self.fig7_singles]


def _sft_fields() -> set[str]:
    from morelib.alignment.sft import SFTConfig

    return {f.name for f in dataclasses.fields(SFTConfig)}


def _checked(cls: type, values: Mapping[str, Any]) -> Any:
    own, rest = _split(cls, values)
    if rest:
        raise SettingError(sorted(rest)[0], "not a key of this section (keys: "
                           f"{', '.join(f.name for f in dataclasses.fields(cls))})")
    _required(cls, own)
    return cls(**own)

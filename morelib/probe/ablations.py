"""MORE's mechanism ablations in the probe: one factor changed at a time, every contrast with
an interval from the same seed-and-pair bootstrap (:mod:`morelib.probe.contrasts`).

Vocabulary (notebook 06's ``ablations`` list; ``field:value`` because papermill cannot parse
``=`` inside a parameter's strings):

* ``<field>:<value>``: one :class:`~morelib.training.RMTrainingConfig` field changed for every
  arm, e.g. ``alpha:0.5`` (EMA weight of the new gradient; the paper's 0.99 keeps 1 % history),
  ``normalize:none`` / ``normalize:loss`` (instead of l2). Only MORE reads these, so MultiTask
  is unchanged and the setting's MORE is compared with the paper's (``MORE − MORE (paper)``);
* ``batching:stratified-uniform``: adds the arm MORE's stratified batches with λ fixed at 1/K
  (the authors' ``--reweight False``), which splits C6 into a *weighting* part
  (MORE − stratified-uniform: same batches) and a *batching* part (stratified-uniform −
  MultiTask: same fixed weights up to the layout);
* ``ranks:<R>-per-rank`` / ``ranks:<R>-synchronised``: R simulated data-parallel ranks of G·K
  pairs each (:mod:`morelib.probe.ranks`), λ per rank from its own micro-batch (the authors'
  code) or one λ from the all-reduced statistics (morelib's trainer). Per-rank is compared with
  synchronised at the same R (``MORE − MORE (ranks:R-synchronised)``), which is run too when
  not listed.

:func:`run_ablations` returns a long table: per setting its contrasts (MORE − MultiTask, and the
batching/weighting split or the comparison with its reference), each with estimate, 95 %
interval and p-value, beside MORE's λ dispersion (mean over steps of max_i |λ_i − 1/K|) with
its seed interval.

Example:
    >>> from morelib.probe.study import default_config
    >>> base = default_config("m", 3, 16)
    >>> parse_ablation("alpha:0.5", base).overrides
    {'alpha': 0.5}
    >>> a = parse_ablation("ranks:4-per-rank", base)
    >>> a.ranks, a.rank_lambda, a.reference
    (4, 'per-rank', 'ranks:4-synchronised')
    >>> parse_ablation("batching:stratified-uniform", base).arms
    ('more', 'stratified-uniform', 'mean')
    >>> parse_ablation("alpha=0.5", base)
    Traceback (most recent call last):
    ...
    ValueError: ablation 'alpha=0.5': write field:value (e.g. alpha:0.5)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from morelib.probe.contrasts import hh_contrast
from morelib.probe.study import HH, ProbeStudy, default_config, run_probe_study

PAPER = "paper"
#: How the paper's setting is shown in tables.
PAPER_LABEL = "paper (α=0.99, l2, 1 rank)"
_RANKS = re.compile(r"^(\d+)-(per-rank|synchronised)$")


@dataclass(frozen=True)
class Ablation:
    """One ablation setting: config ``overrides``, the ``arms`` trained, simulated ``ranks``
    and ``rank_lambda``; ``reference`` names the setting its MORE is compared with (``None``
    for the paper's setting)."""

    setting: str
    overrides: dict[str, Any] = field(default_factory=dict)
    arms: tuple[str, ...] = ("more", "mean")
    ranks: int = 1
    rank_lambda: str = "synchronised"

    @property
    def reference(self) -> str | None:
        if self.setting == PAPER:
            return None
        if self.rank_lambda == "per-rank":
            return f"ranks:{self.ranks}-synchronised"
        return None if self.arms != ("more", "mean") else PAPER


def _cast(kind: type, value: str) -> Any:
    if kind is bool:
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{value!r} is not a boolean")
        return value.lower() in ("true", "1")
    return kind(value)


def parse_ablation(text: str, base: Any) -> Ablation:
    """The :class:`Ablation` a vocabulary entry (module docstring) names, checked against the
    config ``base`` (an :class:`~morelib.training.RMTrainingConfig`)."""
    if text == PAPER:
        return Ablation(PAPER)
    if ":" not in text:
        raise ValueError(f"ablation {text!r}: write field:value (e.g. alpha:0.5)")
    key, value = text.split(":", 1)
    if key == "batching":
        if value != "stratified-uniform":
            raise ValueError(f"ablation {text!r}: batching knows only 'stratified-uniform'")
        return Ablation(text, arms=("more", "stratified-uniform", "mean"))
    if key == "ranks":
        match = _RANKS.match(value)
        if not match or int(match.group(1)) < 2:
            raise ValueError(f"ablation {text!r}: write ranks:<R>-per-rank or "
                             "ranks:<R>-synchronised with R >= 2")
        return Ablation(text, ranks=int(match.group(1)), rank_lambda=match.group(2))
    if not hasattr(base, key) or key in ("strategy", "groups_per_device_batch", "n_sources"):
        raise ValueError(f"ablation {text!r}: {key!r} is not a config field an ablation may set")
    overrides = {key: _cast(type(getattr(base, key)), value)}
    dataclasses.replace(base, **overrides)  # the config's own validation
    return Ablation(text, overrides)


def _row(track: str, setting: str, contrast: str, res: Any, study: ProbeStudy) -> dict:
    summary = study.summary.iloc[0]
    return {"track": track, "setting": PAPER_LABEL if setting == PAPER else setting,
            "contrast": contrast, "estimate": res["estimate"], "ci_low": res["ci_low"],
            "ci_high": res["ci_high"], "p_value": res["p_value"],
            "lambda_spread": summary.lambda_spread, "lambda_spread_low": summary.lambda_spread_low,
            "lambda_spread_high": summary.lambda_spread_high, "ece_more": summary.ece_more,
            "ece_multitask": summary.ece_multitask}


def run_ablations(store: Any, sources: Sequence[Any], settings: Sequence[str], *,
                  pairs_per_source: int, n_seeds: int, track: str, test_fraction: float = 0.2,
                  n_boot: int = 2000, seed: int = 0, config: Any = None,
                  max_train_per_source: int | None = None, focus_tests: Sequence[str] = HH
                  ) -> tuple[pd.DataFrame, dict[str, ProbeStudy]]:
    """(long table, {setting: study}) for the paper's setting, ``settings`` and the references
    they need, all at ``pairs_per_source`` G, on one track (see the module docstring).

    The other arguments go to :func:`~morelib.probe.run_probe_study` unchanged for every
    setting, so all settings share seeds, training subsets, inits and test pairs.
    """
    base = config or default_config(store.name, len(sources), store.max_length)
    wanted = [parse_ablation(PAPER, base)] + [parse_ablation(s, base) for s in settings]
    todo = {a.setting: a for a in wanted}
    for a in wanted:
        if a.reference and a.reference not in todo:
            todo[a.reference] = parse_ablation(a.reference, base)
    g = int(pairs_per_source)
    studies = {name: run_probe_study(
        store, sources, n_seeds=n_seeds, pairs_per_source=[g], test_fraction=test_fraction,
        n_boot=n_boot, track=track, seed=seed, arms=a.arms, ranks=a.ranks,
        rank_lambda=a.rank_lambda, max_train_per_source=max_train_per_source,
        focus_tests=focus_tests, config=dataclasses.replace(base, **a.overrides))
        for name, a in todo.items()}
    rows = []
    for name, a in todo.items():
        study = studies[name]
        for c in study.contrasts.to_dict("records"):
            rows.append(_row(track, name, c["contrast"], c, study))
        if a.reference:
            ref = studies[a.reference]
            res = hh_contrast(study.margins[(g, "more")], ref.margins[(g, "more")],
                              n_boot=n_boot, seed=seed)
            label = PAPER_LABEL if a.reference == PAPER else a.reference
            rows.append(_row(track, name, f"MORE − MORE ({label})",
                             {"estimate": res.estimate, "ci_low": res.low, "ci_high": res.high,
                              "p_value": res.p_value}, study))
    return pd.DataFrame(rows), studies

"""The RJS experiment of the paper (§10.5 Table 1, §10.6 Fig. 7), cached step by step.

One base policy samples ``n_candidates`` responses per RJS query **once**
(:meth:`RJSExperiment.candidates`); every RM under test scores those same candidates
(:meth:`RJSExperiment.scores`), its best ones become the SFT data of its RJS policy
(:meth:`RJSExperiment.policy_outputs`: LoRA/full SFT, one sampled answer per evaluation prompt,
per-example perplexity on the PPL sets). The base policy (no training) and the SFT baseline
(chosen responses of the training pairs) go through the same :meth:`policy_outputs`. Each step
is a :class:`~morelib.runs.RunCache` entry keyed by everything it depends on (texts included),
so a killed run resumes at the first unfinished step. Judging and summaries
(:func:`judge_against`, :func:`win_table`, :func:`ece_win_correlation`) are cheap and
recomputed.

Example (tiny random-init policy, toy length "RM"; smoke-sized):
    >>> import tempfile
    >>> from morelib.runs import RunCache
    >>> from morelib.alignment.sft import SFTConfig
    >>> cfg = RJSConfig(policy="tiny-llama", n_candidates=2, max_new_tokens=4, batch_size=4,
    ...                 sft=SFTConfig(max_steps=1, per_device_batch_size=2, lora_r=4))
    >>> q = ["\\n\\nHuman: Hi\\n\\nAssistant:", "\\n\\nHuman: Why?\\n\\nAssistant:"]
    >>> exp = RJSExperiment(RunCache(tempfile.mkdtemp()), cfg, rjs_prompts=q, eval_prompts=q,
    ...                     ppl_sets={"helpful": (q, [" Hello.", " Because."])})
    >>> length = lambda prompts, responses: np.array([float(len(r)) for r in responses])
    >>> sc = exp.scores("length", {"toy": "length"}, length)
    >>> out = exp.policy_outputs("rjs/length", *best_responses(Candidates(sc)))
    >>> len(out.responses), sorted(out.ppl.set.unique()), out.n_sft_examples
    (2, ['helpful'], 2)
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.alignment.best_of_n import Candidates, best_responses, select_best
from morelib.alignment.score_judges import RewardModelJudge, UtilityJudge
from morelib.alignment.scoring import rm_score_fn
from morelib.alignment.sft import SFTConfig
from morelib.alignment.sft_data import chosen_sft_data
from morelib.io import atomic_write_text
from morelib.runs import RunCache
from morelib.stats import (
    Finding,
    bootstrap_columns,
    paired_summary,
    percentile_interval,
    wilson_interval,
)

__all__ = ["RJSConfig", "RJSExperiment", "PolicyOutputs", "judge_against", "win_table",
           "ece_win_correlation", "mean_ece_gap", "findings", "finding_identical_answers",
           "finding_scale", "figure7", "paper_table1",
           "sft_config",
           # re-exported for the notebook
           "Candidates", "best_responses", "select_best", "RewardModelJudge", "UtilityJudge",
           "rm_score_fn", "chosen_sft_data"]


@dataclass
class RJSConfig:
    """Policy, sampling and SFT settings of one RJS experiment (paper: Alpaca-7B, S = 4,
    temperature 1, top-k 50; SFT 1 epoch, batch 64, lr 1e-6)."""

    policy: str = "tiny-llama"
    n_candidates: int = 4
    max_new_tokens: int = 48
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    batch_size: int = 8
    max_prompt_tokens: int | None = 256
    ppl_max_length: int = 256
    seed: int = 42
    sft: SFTConfig = field(default_factory=SFTConfig)

    def sampling(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p}


@dataclass
class PolicyOutputs:
    """What one policy produced: ``responses`` (one per evaluation prompt, in order), ``ppl``
    (``set, prompt_id, ppl``), the SFT log and example count (0 for the base policy)."""

    name: str
    responses: list[str]
    ppl: pd.DataFrame
    log: dict[str, Any]
    n_sft_examples: int

    def ppl_means(self, gate: float | None = None) -> dict[str, float]:
        """Mean perplexity per set (``gate``: drop values ≥ gate and NaNs, the authors' rule)."""
        from morelib.alignment.perplexity import mean_perplexity

        return {s: mean_perplexity(g.ppl.to_numpy(), gate).mean
                for s, g in self.ppl.groupby("set", sort=False)}


class RJSExperiment:
    """Candidates, RM scores and RJS / baseline policies of one experiment; see the module
    docstring. ``ppl_sets``: ``{name: (prompts, responses)}`` (e.g. helpful / harmless chosen
    answers of test pairs)."""

    def __init__(self, cache: RunCache, config: RJSConfig, rjs_prompts: Sequence[str],
                 eval_prompts: Sequence[str],
                 ppl_sets: Mapping[str, tuple[Sequence[str], Sequence[str]]]):
        self.cache, self.config = cache, config
        self.rjs_prompts, self.eval_prompts = list(rjs_prompts), list(eval_prompts)
        self.ppl_sets = {k: (list(p), list(r)) for k, (p, r) in ppl_sets.items()}
        self._base: tuple[Any, Any] | None = None

    # -- the base policy, loaded once per process ------------------------------------------
    def base_policy(self) -> tuple[Any, Any]:
        if self._base is None:
            from morelib.alignment.policy import load_policy
            from morelib.devices import place

            model, tok = load_policy(self.config.policy, seed=self.config.seed)
            self._base = (place(model), tok)  # the GPU when there is one
        return self._base

    def _generator(self, model: Any, tok: Any) -> Any:
        from morelib.alignment.generation import TransformersGenerator

        c = self.config
        return TransformersGenerator(model, tok, batch_size=c.batch_size,
                                     max_prompt_tokens=c.max_prompt_tokens,
                                     model_name=c.policy, **c.sampling())

    def _sample_key(self) -> dict[str, Any]:
        c = self.config
        return {"policy": c.policy, "seed": c.seed, "max_new_tokens": c.max_new_tokens,
                "sampling": c.sampling(), "batch_size": c.batch_size,
                "max_prompt_tokens": c.max_prompt_tokens}

    # -- step 1: candidates of the base policy ---------------------------------------------
    def candidates(self) -> pd.DataFrame:
        """``prompt_id, prompt, candidate, text`` for every RJS query (sampled once)."""
        key = {**self._sample_key(), "n": self.config.n_candidates, "prompts": self.rjs_prompts}

        def compute() -> pd.DataFrame:
            gen = self._generator(*self.base_policy())
            out = gen.generate(self.rjs_prompts, self.config.n_candidates,
                               self.config.max_new_tokens, seed=self.config.seed)
            return pd.DataFrame([(i, p, k, t) for i, (p, texts) in
                                 enumerate(zip(self.rjs_prompts, out)) for k, t in enumerate(texts)],
                                columns=["prompt_id", "prompt", "candidate", "text"])

        return self.cache.cached_frame("rjs_candidates", key, compute)

    # -- step 2: one RM's scores of the candidates -----------------------------------------
    def scores(self, name: str, rm_key: Any, score_fn: Callable[..., np.ndarray]) -> pd.DataFrame:
        """The candidates with a ``score`` column from ``score_fn`` (an RM identified in the
        cache by ``rm_key``, e.g. its suite cache entry) and ``backend``."""
        cands = self.candidates()
        key = {"rm": rm_key, "candidates": cands[["prompt", "text"]].values.tolist()}

        def compute() -> pd.DataFrame:
            frame = cands.copy()
            frame["score"] = np.asarray(score_fn(frame.prompt.tolist(), frame.text.tolist()),
                                        dtype=np.float64)
            frame["backend"] = self.config.policy
            return frame

        return self.cache.cached_frame("rjs_scores", key, compute).assign(rm=name)

    # -- step 3: a policy (SFT on given data, or none) and its outputs ---------------------
    def policy_outputs(self, name: str, prompts: Sequence[str] = (),
                       responses: Sequence[str] = ()) -> PolicyOutputs:
        """Train a copy of the base policy on ``(prompts, responses)`` (none: the base policy
        itself), then sample one answer per evaluation prompt and measure perplexity."""
        prompts, responses = list(prompts), list(responses)
        key = {**self._sample_key(), "sft": self.config.sft if prompts else None,
               "ppl_max_length": self.config.ppl_max_length, "train": [prompts, responses],
               "eval": self.eval_prompts, "ppl_sets": self.ppl_sets}

        def build(path: Path) -> PolicyOutputs:
            from morelib.alignment.perplexity import perplexity
            from morelib.alignment.policy import save_policy
            from morelib.alignment.sft import train_sft

            model, tok = self.base_policy()
            log: dict[str, Any] = {"name": name}
            if prompts:
                result = train_sft(copy.deepcopy(model), tok, prompts, responses, self.config.sft)
                model = result.model
                log.update(global_step=result.global_step, seconds=round(result.train_seconds, 2),
                           log_history=result.log_history)
                if hasattr(model, "peft_config"):  # the adapter only: small
                    save_policy(model, tok, path / "adapter", merge=False)
            gen = self._generator(model, tok)
            out = gen.generate(self.eval_prompts, 1, self.config.max_new_tokens,
                               seed=self.config.seed + 1)
            texts = [row[0] for row in out]
            parts = []
            for set_name, (ps, rs) in self.ppl_sets.items():
                ppl = perplexity(model, tok, ps, rs, batch_size=self.config.batch_size,
                                 max_length=self.config.ppl_max_length)
                parts.append(pd.DataFrame({"set": set_name, "prompt_id": range(len(ps)),
                                           "ppl": ppl}))
            ppl_frame = pd.concat(parts, ignore_index=True) if parts else \
                pd.DataFrame(columns=["set", "prompt_id", "ppl"])
            ppl_frame.to_csv(path / "ppl.csv", index=False)
            atomic_write_text(path / "responses.json", json.dumps(texts))
            log["n_sft_examples"] = len(prompts)
            atomic_write_text(path / "log.json", json.dumps(log, default=str))
            return load(path)

        def load(path: Path) -> PolicyOutputs:
            log = json.loads((path / "log.json").read_text())
            return PolicyOutputs(name, json.loads((path / "responses.json").read_text()),
                                 pd.read_csv(path / "ppl.csv"), log, log["n_sft_examples"])

        return self.cache.cached("rjs_policy", key, build, load)


# -- judging and summaries -------------------------------------------------------------------
def judge_against(judges: Mapping[str, Any], prompts: Sequence[str],
                  a: Mapping[str, Sequence[str]], b: Sequence[str],
                  max_workers: int = 1) -> pd.DataFrame:
    """Winners (``A`` = the row's policy, ``B`` = the reference, ``tie``, ``error``) of every
    policy in ``a`` against the reference answers ``b``, per judge; both orders are judged
    (:func:`~morelib.alignment.verdicts.compare_all`). Long table ``judge, policy, prompt_id,
    winner``.

    Example:
        >>> from morelib.alignment.score_judges import UtilityJudge
        >>> longer = UtilityJudge(lambda p, r: len(r))
        >>> t = judge_against({"len": longer}, ["q", "q"], {"x": ["aaa", "a"]}, ["bb", "bb"])
        >>> t.winner.tolist()
        ['A', 'B']
    """
    from morelib.alignment.verdicts import compare_all

    rows = []
    for jname, judge in judges.items():
        for pname, answers in a.items():
            outcomes = compare_all(judge, prompts, answers, b, max_workers=max_workers)
            rows += [(jname, pname, i, o.winner) for i, o in enumerate(outcomes)]
    return pd.DataFrame(rows, columns=["judge", "policy", "prompt_id", "winner"])


def win_table(verdicts: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per ``(judge, policy)``: n, win / tie / lose rates (over non-error outcomes) with 95 %
    Wilson score intervals (honest for a category seen 0 or n times, where a percentile
    bootstrap collapses to a point), and ``win_half_tie`` = (wins + ties/2)/n with a 95 %
    percentile-bootstrap interval over prompts.

    Example:
        >>> v = pd.DataFrame({"judge": "j", "policy": "p", "prompt_id": range(4),
        ...                   "winner": ["A", "A", "tie", "B"]})
        >>> r = win_table(v, n_boot=200).iloc[0]
        >>> int(r.n), float(r.win), float(r.win_half_tie)
        (4, 0.5, 0.625)
    """
    from morelib.alignment.win_rates import bootstrap_win_rate, win_rates

    rows = []
    for (judge, policy), g in verdicts.groupby(["judge", "policy"], sort=False):
        rates, boot = win_rates(g.winner), bootstrap_win_rate(g.winner, n_boot=n_boot, seed=seed)
        valid = rates["n"] - rates["errors"]
        row = {"judge": judge, "policy": policy, "n": rates["n"], "errors": rates["errors"]}
        for m, count in (("win", "wins"), ("tie", "ties"), ("lose", "losses")):
            row[m] = boot[m].estimate
            row[f"{m}_low"], row[f"{m}_high"] = wilson_interval(rates[count], valid)
        m = "win_half_tie"
        row[m], row[f"{m}_low"], row[f"{m}_high"] = boot[m].estimate, boot[m].low, boot[m].high
        rows.append(row)
    return pd.DataFrame(rows)


def _win_half_tie(codes: np.ndarray) -> np.ndarray:
    """(wins + ties/2)/valid along the last axis; codes 1 = A, 0.5 = tie, 0 = B, NaN = error."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(codes, axis=-1)


def ece_win_correlation(ece: Mapping[str, float], verdicts: pd.DataFrame, n_boot: int = 1000,
                        seed: int = 0, ci: float = 0.95) -> dict[str, Any]:
    """Pearson and Spearman correlation of RM ECE and its RJS policy's win rate
    (``win_half_tie`` against the common reference) across RMs, with percentile-bootstrap
    intervals from resampling the evaluation prompts (the same prompts for every RM; the ECEs
    are held fixed). ``verdicts``: one judge's rows of :func:`judge_against`, policies named
    as the keys of ``ece``. With fewer than 3 RMs the correlations are NaN; a ``note`` says how
    little a handful of RMs can show.

    Example:
        >>> v = pd.DataFrame({"policy": ["a"] * 4 + ["b"] * 4 + ["c"] * 4, "prompt_id": list(range(4)) * 3,
        ...                   "winner": ["A", "A", "A", "B", "A", "B", "tie", "B", "B"] + ["B"] * 3})
        >>> r = ece_win_correlation({"a": 0.01, "b": 0.02, "c": 0.05}, v, n_boot=200)
        >>> r["n_rms"], round(r["spearman"], 2), r["spearman_low"] <= r["spearman"] <= r["spearman_high"]
        (3, -1.0, True)
    """
    from scipy import stats

    names = [n for n in ece if n in set(verdicts.policy)]
    codes_map = {"A": 1.0, "tie": 0.5, "B": 0.0, "error": np.nan}
    wide = (verdicts[verdicts.policy.isin(names)]
            .assign(code=lambda d: d.winner.map(codes_map))
            .pivot(index="policy", columns="prompt_id", values="code").loc[names])
    codes = wide.to_numpy(dtype=np.float64)
    x = np.array([ece[n] for n in names], dtype=np.float64)
    win = _win_half_tie(codes)
    out: dict[str, Any] = {"n_rms": len(names), "n_prompts": codes.shape[1], "rms": names,
                           "ece": x.tolist(), "win_rate": win.tolist()}

    def corr(y: np.ndarray) -> tuple[float, float]:
        if len(names) < 3 or np.nanstd(y) == 0 or np.std(x) == 0 or np.isnan(y).any():
            return float("nan"), float("nan")
        return float(stats.pearsonr(x, y)[0]), float(stats.spearmanr(x, y)[0])

    out["pearson"], out["spearman"] = corr(win)
    reps = (bootstrap_columns(codes, lambda c: corr(_win_half_tie(c)), n_boot, seed)
            if len(names) >= 3 else np.full((1, 2), np.nan))
    for j, m in enumerate(("pearson", "spearman")):
        out[f"{m}_low"], out[f"{m}_high"] = percentile_interval(reps[:, j], ci)
    if len(names) < 3:
        out["note"] = f"{len(names)} RMs: no correlation can be computed"
    elif np.isnan(out["pearson"]):
        out["note"] = "the win rates (or ECEs) are equal across RMs: no correlation can be computed"
    elif len(names) < 8:
        out["note"] = (f"only {len(names)} RMs: a correlation across so few points is anecdotal "
                       "whatever its prompt-bootstrap interval (which ignores the RMs' own "
                       "sampling variation)")
    else:
        out["note"] = ""
    return out


def mean_ece_gap(scores: pd.DataFrame, tests: Sequence[str], a: str = "more",
                 b: str = "multitask", n_boot: int = 1000, seed: int = 0,
                 ci: float = 0.95) -> dict[str, float]:
    """Paired bootstrap of Table 1's ECE gap: the mean over ``tests`` of ECE(``a``) minus the
    mean of ECE(``b``), both RMs scored on the same pairs (``scores``: ``rm, test, pair,
    margin``, as from :func:`morelib.experiments.score_suite`). Each test's pairs are resampled
    on their own (a stratified bootstrap; both RMs with the same indices, one seed per test);
    percentile interval and the two-sided p-value of
    :func:`~morelib.calibration.paired_bootstrap_ece`. Returns ``difference, low, high,
    p_value, ece_a, ece_b``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> m = rng.normal(1.0, 2.0, (2, 300))
        >>> rows = [(rm, t, i, k * m[j, i]) for k, rm in ((1.0, "more"), (3.0, "multitask"))
        ...         for j, t in enumerate(["helpful", "harmless"]) for i in range(300)]
        >>> s = pd.DataFrame(rows, columns=["rm", "test", "pair", "margin"])
        >>> g = mean_ece_gap(s, ["helpful", "harmless"], n_boot=200)   # 3x over-confident b
        >>> bool(g["difference"] < 0 and g["high"] < 0)
        True
        >>> bool(np.isclose(g["ece_a"] - g["ece_b"], g["difference"]))
        True
    """
    from morelib.analysis import margins
    from morelib.calibration import paired_bootstrap_ece

    runs = [paired_bootstrap_ece(margins(scores, a, [t]), margins(scores, b, [t]),
                                 n_boot=n_boot, seed=seed + i, ci=ci) for i, t in enumerate(tests)]
    if not runs:
        raise ValueError("mean_ece_gap needs at least one test")
    low, high, p_value = paired_summary(np.mean([r.replicates for r in runs], axis=0), ci)
    return {"difference": float(np.mean([r.difference for r in runs])), "low": low,
            "high": high, "p_value": p_value,
            "ece_a": float(np.mean([r.estimate_a for r in runs])),
            "ece_b": float(np.mean([r.estimate_b for r in runs]))}


def findings(table1: pd.DataFrame, wins: pd.DataFrame, corr: Mapping[str, Mapping[str, Any]],
             base_row: str = "base policy", ece_gap: Mapping[str, float] | None = None,
             paper_base: str = "LLaMa2-7B") -> list[Finding]:
    """Generated sentences (:class:`~morelib.stats.Finding`; claims ``ece_gap``, ``perplexity``,
    ``win_rate``, ``ece_win_correlation``) on Table 1 (``table1`` indexed by row name with ``ece``,
    ``ppl_*`` columns), the MORE-vs-MultiTask win rates (``wins``: :func:`win_table` rows with
    policy ``more_vs_multitask``) and the Fig. 7 correlations per judge. Intervals decide the
    wording: a difference is only called one when its 95 % interval excludes chance.
    ``ece_gap``: :func:`mean_ece_gap` of MORE and MultiTask on the H&H tests (``difference,
    low, high``); without it the ECE sentence only compares the two values. ``paper_base``:
    whose GPT-4 win/tie/lose (the paper's Table 1) the win-rate sentences quote.

    Example:
        >>> t1 = pd.DataFrame({"ece": [np.nan, 0.03, 0.02], "ppl_helpful": [9.0, 8.0, 7.0]},
        ...                   index=["base policy", "MultiTask", "MORE"])
        >>> w = pd.DataFrame([{"judge": "utility", "policy": "more_vs_multitask", "n": 20,
        ...     "win": .4, "tie": .2, "lose": .4, "win_half_tie": .5, "win_half_tie_low": .3,
        ...     "win_half_tie_high": .7}])
        >>> print("\\n".join(findings(t1, w, {})))
        RM calibration: MORE's mean H&H ECE is 0.0200 vs MultiTask's 0.0300 (lower), a difference of -0.0100 without an interval.
        Perplexity (helpful): base policy 9.00, MultiTask-RJS 8.00, MORE-RJS 7.00 (MORE lower than MultiTask).
        Judge `utility`: MORE-RJS vs MultiTask-RJS win/tie/lose 40/20/40 % over 20 prompts; win rate (ties as half) 0.50 [0.30, 0.70]: the interval includes 0.5, no difference can be claimed (paper, GPT-4, LLaMa2-7B RMs: 45/23/32).
        >>> gap = {"difference": -0.01, "low": -0.03, "high": 0.012}
        >>> findings(t1, w.iloc[:0], {}, ece_gap=gap)[0].split("; ")[1]
        'paired bootstrap of the difference: -0.0100 [-0.0300, +0.0120], not distinguishable.'
    """
    from morelib.paper_numbers import table1 as paper_table

    out = []
    if {"MORE", "MultiTask"} <= set(table1.index) and "ece" in table1:
        m, t = table1.loc["MORE", "ece"], table1.loc["MultiTask", "ece"]
        if ece_gap is None:
            out.append(Finding(f"RM calibration: MORE's mean H&H ECE is {m:.4f} vs MultiTask's "
                               f"{t:.4f} ({'lower' if m < t else 'not lower'}), a difference of "
                               f"{m - t:+.4f} without an interval.", "ece_gap", estimate=m - t,
                               verdict="lower" if m < t else "not lower"))
        else:
            d, lo, hi = (float(ece_gap[k]) for k in ("difference", "low", "high"))
            verdict = ("MORE lower (the interval excludes 0)" if hi < 0 else
                       "MORE higher (the interval excludes 0)" if lo > 0 else "not distinguishable")
            out.append(Finding(f"RM calibration: MORE's mean H&H ECE is {m:.4f} vs MultiTask's "
                               f"{t:.4f}; paired bootstrap of the difference: {d:+.4f} "
                               f"[{lo:+.4f}, {hi:+.4f}], {verdict}.", "ece_gap", estimate=d,
                               ci_low=lo, ci_high=hi, verdict=verdict))
    for col in [c for c in table1 if c.startswith("ppl_")]:
        if {"MORE", "MultiTask"} <= set(table1.index):
            vals = table1[col]
            parts = ", ".join(f"{k if k == base_row or k == 'SFT baseline' else k + '-RJS'} {v:.2f}"
                              for k, v in vals.items() if k in (base_row, "SFT baseline", "MultiTask", "MORE"))
            rel = "lower" if vals["MORE"] < vals["MultiTask"] else "not lower"
            out.append(Finding(f"Perplexity ({col[4:]}): {parts} (MORE {rel} than MultiTask).",
                               "perplexity", verdict=rel))
    paper = paper_table()
    paper = paper[(paper.base == paper_base) & (paper.scheme == "MORE")]
    quote = (f" (paper, GPT-4, {paper_base} RMs: {paper.win.iloc[0]:.0f}/{paper.tie.iloc[0]:.0f}/"
             f"{paper.lose.iloc[0]:.0f})" if len(paper) else "")
    for r in wins[wins.policy == "more_vs_multitask"].itertuples():
        inside = r.win_half_tie_low <= 0.5 <= r.win_half_tie_high
        verdict = ("the interval includes 0.5, no difference can be claimed" if inside else
                   f"MORE-RJS is {'better' if r.win_half_tie > 0.5 else 'worse'} (interval excludes 0.5)")
        out.append(Finding(f"Judge `{r.judge}`: MORE-RJS vs MultiTask-RJS win/tie/lose "
                           f"{100 * r.win:.0f}/{100 * r.tie:.0f}/{100 * r.lose:.0f} % over {r.n} "
                           f"prompts; win rate (ties as half) {r.win_half_tie:.2f} "
                           f"[{r.win_half_tie_low:.2f}, {r.win_half_tie_high:.2f}]: "
                           f"{verdict}{quote}.", "win_rate", estimate=r.win_half_tie,
                           ci_low=r.win_half_tie_low, ci_high=r.win_half_tie_high,
                           verdict=verdict))
    for judge, c in corr.items():
        if np.isnan(c.get("spearman", np.nan)):
            out.append(Finding(f"Fig. 7 (`{judge}`): {c.get('note')}.", "ece_win_correlation"))
            continue
        sign = ("negative (lower ECE, higher win rate: the paper's claim)"
                if c["spearman_high"] < 0 else "positive (against the paper's claim)"
                if c["spearman_low"] > 0 else "not distinguishable from zero")
        out.append(Finding(f"Fig. 7 (`{judge}`): across {c['n_rms']} RMs, Spearman ρ(ECE, win "
                           f"rate vs SFT) = {c['spearman']:.2f} [{c['spearman_low']:.2f}, "
                           f"{c['spearman_high']:.2f}], Pearson r = {c['pearson']:.2f} "
                           f"[{c['pearson_low']:.2f}, {c['pearson_high']:.2f}]: {sign}; "
                           f"{c['note']}.", "ece_win_correlation", estimate=c["spearman"],
                           ci_low=c["spearman_low"], ci_high=c["spearman_high"], verdict=sign))
    return out


def finding_identical_answers(identical: Mapping[str, int], n_prompts: int,
                              rms: Sequence[str]) -> Finding:
    """How many evaluation answers two policies share (every policy samples with one seed, so a
    policy that SFT barely moved answers as before, and any judge calls that a tie).
    ``identical``: counts for ``more_vs_multitask``, each of ``rms`` (vs the SFT baseline) and
    ``base_vs_sft``; ``estimate`` is the MORE / MultiTask count.

    Example:
        >>> print(finding_identical_answers({"more_vs_multitask": 3, "more": 1, "base_vs_sft": 0},
        ...                                 8, ["more"]))
        Identical answers (all policies sample with one seed): MORE-RJS and MultiTask-RJS answer 3 of 8 evaluation prompts identically (a tie for every judge); each RJS policy and the SFT baseline: more 1; base policy and SFT baseline: 0.
    """
    return Finding(f"Identical answers (all policies sample with one seed): MORE-RJS and "
                   f"MultiTask-RJS answer {identical['more_vs_multitask']} of {n_prompts} "
                   f"evaluation prompts identically (a tie for every judge); each RJS policy and "
                   f"the SFT baseline: " + ", ".join(f"{rm} {identical[rm]}" for rm in rms)
                   + f"; base policy and SFT baseline: {identical['base_vs_sft']}.",
                   "identical_answers", estimate=identical["more_vs_multitask"])


def finding_scale(n_queries: int, n_prompts: int, policy_model: str) -> Finding:
    """The run's scale, as a reminder that its intervals say what it can show.

    Example:
        >>> print(finding_scale(16, 8, "tiny-llama"))
        Scale: 16 RJS queries, 8 evaluation prompts and a tiny-llama policy: the intervals above, not the point estimates, say what this run can show.
    """
    return Finding(f"Scale: {n_queries} RJS queries, {n_prompts} evaluation prompts and a "
                   f"{policy_model} policy: the intervals above, not the point estimates, say "
                   "what this run can show.", "scale")

def sft_config(**overrides: Any) -> SFTConfig:
    """An :class:`SFTConfig` from notebook parameters (unknown names raise ``TypeError``).

    Example:
        >>> sft_config(lora_r=4, max_steps=2).lora_r
        4
    """
    known = {f.name for f in dataclasses.fields(SFTConfig)}
    bad = sorted(set(overrides) - known)
    if bad:
        raise TypeError(f"not SFTConfig fields: {bad}")
    return SFTConfig(**overrides)


def figure7(points: pd.DataFrame, corr: Mapping[str, Mapping[str, Any]], title: str = "") -> Any:
    """Fig. 7: RM ECE (x) against its RJS policy's win rate over the SFT baseline (y, ties as
    half, 95 % interval), one panel per judge. ``points``: ``judge, policy, ece, win_half_tie,
    win_half_tie_low, win_half_tie_high``; ``corr``: :func:`ece_win_correlation` per judge.

    Example:
        >>> p = pd.DataFrame({"judge": "j", "policy": ["a", "b"], "ece": [0.01, 0.02],
        ...                   "win_half_tie": [0.6, 0.4], "win_half_tie_low": [0.5, 0.3],
        ...                   "win_half_tie_high": [0.7, 0.5]})
        >>> len(figure7(p, {"j": {"spearman": float("nan"), "note": "2 RMs"}}).axes)
        1
    """
    import matplotlib.pyplot as plt

    from morelib.plots import interval_plot, use_style

    judges = list(dict.fromkeys(points.judge))
    with use_style():
        fig, axes = plt.subplots(1, len(judges), figsize=(4.2 * len(judges), 3.6), squeeze=False)
        for ax, judge in zip(axes[0], judges):
            d = points[points.judge == judge]
            interval_plot(ax, d.ece, d.win_half_tie, d.win_half_tie_low, d.win_half_tie_high,
                          marker="o", linestyle="none", capsize=3)
            for r in d.itertuples():
                ax.annotate(r.policy, (r.ece, r.win_half_tie), textcoords="offset points",
                            xytext=(4, 4), fontsize=8)
            ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
            c = corr.get(judge, {})
            label = (f"Spearman ρ = {c['spearman']:.2f} [{c['spearman_low']:.2f}, "
                     f"{c['spearman_high']:.2f}]" if not np.isnan(c.get("spearman", np.nan))
                     else c.get("note", ""))
            ax.set_title(f"judge: {judge}\n{label}", fontsize=9)
            ax.set_xlabel("RM ECE (mean of helpful, harmless)")
            ax.set_ylabel("win rate vs SFT baseline (ties ½)")
        if title:
            fig.suptitle(title, fontsize=10)
        fig.tight_layout()
    return fig


def paper_table1(base: str) -> pd.DataFrame:
    """The paper's Table 1 rows (the Alpaca base line and ``base``'s RMs) in this notebook's
    columns, ``origin = "paper"``; Win/Tie/Lose are GPT-4's, on the MORE row.

    Example:
        >>> paper_table1("LLaMa2-7B")[["row", "rm_ece", "win (GPT-4)", "origin"]].values.tolist()
        [['Alpaca (paper)', nan, nan, 'paper'], ['MultiTask (paper, LLaMa2-7B)', 0.0284, nan, 'paper'], ['MORE (paper, LLaMa2-7B)', 0.0143, 45.0, 'paper']]
    """
    from morelib.paper_numbers import table1

    t = table1()
    t = t[(t.base == "-") | (t.base == base)]
    return pd.DataFrame({
        "row": [f"{s} (paper)" if b == "-" else f"{s} (paper, {b})" for b, s in zip(t.base, t.scheme)],
        "rm_acc": t.acc.to_numpy(), "rm_ece": t.ece.to_numpy(),
        "ppl_helpful": t.ppl_helpful.to_numpy(), "ppl_harmless": t.ppl_harmless.to_numpy(),
        "win (GPT-4)": t.win.to_numpy(), "tie (GPT-4)": t.tie.to_numpy(),
        "lose (GPT-4)": t.lose.to_numpy(), "origin": t.origin.to_numpy()})

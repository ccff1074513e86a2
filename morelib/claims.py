"""The claims scorecard: the paper's headline claims C1–C8, each scored on every track by its interval.

A :class:`ClaimResult` is one measured metric for one claim on one track, with its 95 % interval,
the held-out accuracy of the RMs it compares (competence), MORE's λ spread where MORE is
involved (mechanism) and the paper's smallest effect (power). Its verdict comes from those
alone (:func:`decide`), never from the point estimate:

1. ``not run``: no interval;
2. ``not testable``: one training seed (a demonstration: its interval has no seed variance), or
   the compared RMs not above chance (their accuracy interval reaches 0.5) or not measured;
3. ``reproduced``: the interval lies wholly on the side the claim predicts;
4. ``not reproduced``: it lies wholly on the other side, or it rules out the paper's smallest
   effect (:attr:`Claim.paper_effect`) in the predicted direction;
5. ``inconclusive``: otherwise.

**The smallest effect of interest** of a signed claim is the smallest magnitude of the effect
the paper itself reports for it across the three scales §11 quotes (Pythia-1.4B, Pythia-2.8B,
LLaMa2-7B), computed from :mod:`morelib.paper_numbers`: C2 MultiTask − Top ECE (Table 2),
C3 MORE − MultiTask ECE (Table 2), C4 MORE − Top/Single mean H&H ECE (Tables 4–6),
C6 MORE − MultiTask mean H&H ECE (Tables 4–6), C7 the win rate with ties ½ minus ½ (Table 1).
C1, C5 and C8 have none (Fig. 1 and 6 give no numbers; C5's outlier means are in each RM's own
reward units), so only an interval wholly on the wrong side rules them out.

Notebooks write their rows with :func:`write_claims` into their output folder; :func:`scorecard`
collects every notebook's rows of a profile and fills ``not run`` where a (claim, track) has none.

Tracks (:data:`TRACKS`):
- ``simulator probe``: frozen-backbone, head-only RMs on simulator data, many seeds;
- ``real HH probe``: the same on the paper's real sources that exist offline (HH helpful,
  harmless, WebGPT), split by prompt;
- ``real DSP probe``: the four domains of the domain-specific preference set (K = 4 real
  sources that prefer different responses to the same query), split by query;
- ``fine-tuned``: the notebooks' fine-tuned RMs (top layers + head), one seed: demonstrations.

Example:
    >>> r = ClaimResult.from_interval(
    ...     claim="C6", track="simulator probe", metric="H&H ECE, MORE − MultiTask",
    ...     estimate=-0.004, ci_low=-0.007, ci_high=-0.001, n_seeds=20, n_pairs=4000,
    ...     rm_accuracy=(0.62, 0.60, 0.64), lambda_spread=(0.08, 0.3))
    >>> r.verdict, r.paper_effect
    ('reproduced', -0.0067)
    >>> ClaimResult.from_interval(
    ...     claim="C6", track="simulator probe", metric="H&H ECE, MORE − MultiTask",
    ...     estimate=0.0, ci_low=-0.003, ci_high=0.003, n_seeds=20, n_pairs=4000,
    ...     rm_accuracy=(0.62, 0.60, 0.64)).verdict     # rules out the paper's −0.0067
    'not reproduced'
    >>> ClaimResult.from_interval(
    ...     claim="C6", track="real HH probe", metric="H&H ECE, MORE − MultiTask",
    ...     estimate=-0.01, ci_low=-0.02, ci_high=-0.005, n_seeds=20, n_pairs=900,
    ...     rm_accuracy=(0.51, 0.49, 0.53)).reason
    'the compared RMs are not above chance: held-out accuracy 0.510 [0.490, 0.530]'
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from morelib.io import atomic_write_text

TRACKS = ("simulator probe", "real HH probe", "real DSP probe", "fine-tuned")
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not testable", "not run")
COLUMNS = ("claim", "track", "metric", "estimate", "ci_low", "ci_high", "n_seeds", "n_pairs",
           "rm_accuracy", "rm_accuracy_low", "rm_accuracy_high", "lambda_spread",
           "lambda_spread_max", "paper_effect", "verdict", "reason")
CLAIMS_FILE = "claims.csv"
#: The paper's scales §11 quotes, the bases of :func:`paper_effects`.
PAPER_SCALES = ("Pythia-1.4B", "Pythia-2.8B", "LLaMa2-7B")


def paper_effects() -> dict[str, tuple[float, ...]]:
    """The effect the paper reports for each signed claim, per scale of :data:`PAPER_SCALES`,
    in the claim's metric (ECE differences, win rate − ½), from :mod:`morelib.paper_numbers`.

    Example:
        >>> [round(x, 5) for x in paper_effects()["C6"]]   # 0.01095 − 0.0177, …
        [-0.00675, -0.0067, -0.0141]
    """
    from morelib.paper_numbers import table1, table2, table456

    t2 = table2().set_index(["base", "method"]).ece
    t456 = table456()
    t456 = t456.assign(scheme=t456.scheme.replace({"Single": "Top"}))
    hh = t456.groupby(["base", "scheme"]).ece.mean()
    t1 = table1().query("scheme == 'MORE'").set_index("base")
    win = (t1.win + t1.tie / 2) / (t1.win + t1.tie + t1.lose) - 0.5
    return {
        "C2": tuple(float(t2[b, "MultiTask"] - t2[b, "Top"]) for b in PAPER_SCALES),
        "C3": tuple(float(t2[b, "MORE"] - t2[b, "MultiTask"]) for b in PAPER_SCALES),
        "C4": tuple(float(hh[b, "MORE"] - hh[b, "Top"]) for b in PAPER_SCALES),
        "C6": tuple(float(hh[b, "MORE"] - hh[b, "MultiTask"]) for b in PAPER_SCALES),
        "C7": tuple(float(win[b]) for b in PAPER_SCALES),
    }


@dataclass(frozen=True)
class Claim:
    """One headline claim of the paper (§11 of the paper's specification).

    ``direction`` is the sign the claim predicts for its metric relative to ``null``: −1 (below)
    or +1 (above). ``paper_effect`` is the smallest effect of interest (module docstring),
    ``None`` where the paper gives no number; ``paper`` quotes the paper's numbers, for display
    beside ours."""

    id: str
    statement: str
    metric: str
    direction: int
    paper: str
    null: float = 0.0
    paper_effect: float | None = None

    @property
    def margin(self) -> float | None:
        """The size of :attr:`paper_effect` (the verdict's margin)."""
        return None if self.paper_effect is None else abs(self.paper_effect)


def _smallest(effects: Sequence[float]) -> float:
    return round(float(min(effects, key=abs)), 4)


_EFFECTS = paper_effects()
CLAIMS = {c.id: c for c in (
    Claim("C1", "Single-source RMs transfer poorly (Fig. 1)",
          "accuracy on own test set − on the other sets", +1, "Fig. 1 (no numbers)"),
    Claim("C2", "MultiTask keeps accuracy near Top but worsens ECE",
          "ECE, MultiTask − Top", +1,
          "Top / MultiTask ECE 0.0362 / 0.0541 (1.4B), 0.0342 / 0.0456 (2.8B), 0.0334 / 0.0570 (7B)",
          paper_effect=_smallest(_EFFECTS["C2"])),
    Claim("C3", "MORE ≈ MultiTask mean accuracy with lower ECE",
          "ECE, MORE − MultiTask", -1,
          "ECE 0.0364 vs 0.0541 (1.4B), 0.0366 vs 0.0456 (2.8B), 0.0458 vs 0.0570 (7B); "
          "accuracy 63.34 vs 62.38, 64.01 vs 64.00, 70.32 vs 70.13",
          paper_effect=_smallest(_EFFECTS["C3"])),
    Claim("C4", "On Helpful and Harmless, MORE's ECE is below Top/Single",
          "H&H ECE, MORE − Top", -1, "below in all six cases of Tables 4–6",
          paper_effect=_smallest(_EFFECTS["C4"])),
    Claim("C5", "MORE shrinks outlier Δr means",
          "mean |Δr| of outliers, MORE − MultiTask", -1,
          "LLaMa2-7B Helpful positive-outlier mean 0.806 (MORE) vs 1.054 (MultiTask)"),
    Claim("C6", "MORE's mean H&H ECE is about half of MultiTask's",
          "H&H ECE, MORE − MultiTask", -1,
          "0.0109 vs 0.0177 (1.4B), 0.0078 vs 0.0145 (2.8B), 0.0143 vs 0.0284 (7B)",
          paper_effect=_smallest(_EFFECTS["C6"])),
    Claim("C7", "RJS with the MORE RM beats RJS with the MultiTask RM",
          "win rate of MORE-RJS vs MultiTask-RJS (ties ½)", +1,
          "GPT-4 Win/Tie/Lose 44/22/34 (1.4B), 45/21/34 (2.8B), 45/23/32 (7B)", null=0.5,
          paper_effect=_smallest(_EFFECTS["C7"])),
    Claim("C8", "MORE's ECE falls as K goes 2 → 5 and ends below Top (Fig. 6)",
          "ECE, MORE at K=5 − MORE at K=2", -1, "Fig. 6 (no numbers)"),
)}


def verdict(ci_low: float, ci_high: float, direction: int, null: float = 0.0,
            margin: float | None = None) -> str:
    """The verdict an interval alone gives a claim predicting ``direction`` (−1 or +1).

    ``reproduced`` when the whole interval lies on the predicted side of ``null``;
    ``not reproduced`` when it lies wholly on the other side, or (with a ``margin``) when it
    rules out an effect of ``margin`` in the predicted direction; otherwise ``inconclusive``.
    A missing bound gives ``not run``. :func:`decide` adds competence and seeds.

    Example:
        >>> verdict(-0.02, -0.01, direction=-1)
        'reproduced'
        >>> verdict(-0.002, 0.001, direction=-1, margin=0.005)  # rules out a 0.005 reduction
        'not reproduced'
        >>> verdict(0.48, 0.61, direction=+1, null=0.5)
        'inconclusive'
        >>> verdict(float("nan"), 0.1, direction=+1)
        'not run'
    """
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "not run"
    if ci_low > ci_high:
        raise ValueError(f"interval [{ci_low}, {ci_high}] has its low end above its high end")
    if direction not in (-1, 1):
        raise ValueError(f"direction must be -1 or +1, got {direction}")
    lo, hi = (ci_low - null, ci_high - null) if direction > 0 else (null - ci_high, null - ci_low)
    # now the claim predicts an effect above 0 on [lo, hi]
    if lo > 0:
        return "reproduced"
    if hi < 0 or (margin is not None and hi < margin):
        return "not reproduced"
    return "inconclusive"


def decide(claim: str, ci_low: float, ci_high: float, n_seeds: int,
           rm_accuracy: tuple[float, float, float]) -> tuple[str, str]:
    """(verdict, reason) of a row by the rules of the module docstring, in their order.

    Example:
        >>> decide("C3", -0.02, -0.01, 1, (0.7, 0.65, 0.75))
        ('not testable', 'one training seed: a demonstration (its interval has no seed variance)')
        >>> decide("C3", -0.004, 0.002, 20, (0.7, 0.65, 0.75))[1]
        "the interval rules out the paper's smallest effect (-0.0090)"
    """
    c = CLAIMS[claim]
    acc, acc_low, acc_high = (float(x) for x in rm_accuracy)
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "not run", "no interval"
    if n_seeds < 2:
        return "not testable", ("one training seed: a demonstration (its interval has no seed "
                                "variance)")
    if not math.isfinite(acc_low):
        return "not testable", "the compared RMs' held-out accuracy was not measured"
    if acc_low <= 0.5:
        return "not testable", (f"the compared RMs are not above chance: held-out accuracy "
                                f"{acc:.3f} [{acc_low:.3f}, {acc_high:.3f}]")
    v = verdict(ci_low, ci_high, c.direction, c.null, c.margin)
    side = "below" if c.direction < 0 else "above"
    if v == "reproduced":
        return v, f"the interval lies wholly {side} {c.null:g}"
    wrong = ci_high < c.null if c.direction > 0 else ci_low > c.null
    if v == "not reproduced" and not wrong:
        return v, f"the interval rules out the paper's smallest effect ({c.paper_effect:+.4f})"
    if v == "not reproduced":
        return v, f"the interval lies wholly on the side opposite to the claim's"
    if c.paper_effect is None:
        return v, f"the interval contains {c.null:g}; the paper gives no effect size to rule out"
    return v, (f"the interval contains {c.null:g} and the paper's smallest effect "
               f"({c.paper_effect:+.4f})")


_NAN3 = (math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class ClaimResult:
    """One row of the scorecard: a metric of ``claim`` measured on ``track`` with its 95 %
    interval, the seeds and test pairs behind it, the compared RMs' held-out accuracy (the lower
    of two; mean, low, high), MORE's λ spread (mean and max over seeds and steps of
    max_i |λ_i − 1/K|; NaN where MORE is not involved), the paper's smallest effect, and the
    verdict with its reason (:func:`decide`)."""

    claim: str
    track: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    n_seeds: int
    n_pairs: int
    rm_accuracy: float = math.nan
    rm_accuracy_low: float = math.nan
    rm_accuracy_high: float = math.nan
    lambda_spread: float = math.nan
    lambda_spread_max: float = math.nan
    paper_effect: float = math.nan
    verdict: str = "not run"
    reason: str = ""

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ValueError(f"claim {self.claim!r}: not one of {sorted(CLAIMS)}")
        if self.track not in TRACKS:
            raise ValueError(f"track {self.track!r}: not one of {TRACKS}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r}: not one of {VERDICTS}")

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN without one)."""
        return (self.ci_high - self.ci_low) / 2

    @classmethod
    def from_interval(cls, *, claim: str, track: str, metric: str, estimate: float,
                      ci_low: float, ci_high: float, n_seeds: int, n_pairs: int,
                      rm_accuracy: tuple[float, float, float] = _NAN3,
                      lambda_spread: tuple[float, float] | None = None) -> "ClaimResult":
        """A row whose verdict :func:`decide` gives; ``rm_accuracy`` (mean, low, high) of the
        compared RMs (the lower of two), ``lambda_spread`` (mean, max) where MORE is compared."""
        if claim not in CLAIMS:
            raise ValueError(f"claim {claim!r}: not one of {sorted(CLAIMS)}")
        if not math.isfinite(float(estimate)):  # no estimate: no interval beside it either
            ci_low = ci_high = math.nan
        v, why = decide(claim, float(ci_low), float(ci_high), int(n_seeds), rm_accuracy)
        if not math.isfinite(float(estimate)):
            why = "not computable: the statistic has no value on these pairs (e.g. no outliers)"
        spread = lambda_spread or (math.nan, math.nan)
        effect = CLAIMS[claim].paper_effect
        return cls(claim, track, metric, float(estimate), float(ci_low), float(ci_high),
                   int(n_seeds), int(n_pairs), *(float(x) for x in rm_accuracy),
                   *(float(x) for x in spread), math.nan if effect is None else effect, v, why)

    @classmethod
    def not_run(cls, claim: str, track: str, reason: str = "not run") -> "ClaimResult":
        """A placeholder row for a claim a track did not measure; ``reason`` is the metric text."""
        nan = float("nan")
        return cls(claim, track, reason, nan, nan, nan, 0, 0, verdict="not run", reason=reason)


def claims_frame(rows: Iterable[ClaimResult]) -> pd.DataFrame:
    """Rows as a frame with exactly :data:`COLUMNS`."""
    return pd.DataFrame([dataclasses.asdict(r) for r in rows], columns=list(COLUMNS))


def write_claims(rows: Iterable[ClaimResult], folder: str | os.PathLike[str]) -> Path:
    """Write ``rows`` to ``folder/claims.csv`` atomically and return its path."""
    path = Path(folder) / CLAIMS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, claims_frame(rows).to_csv(index=False))
    return path


def read_claims(path: str | os.PathLike[str]) -> list[ClaimResult]:
    """Rows of a ``claims.csv`` written by :func:`write_claims`, validated, each verdict decided
    again from the row's numbers by today's rules (:func:`decide`): a file cannot carry a
    verdict its numbers do not support. Columns added since a file was written read as NaN."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    base = COLUMNS[:COLUMNS.index("n_pairs") + 1]
    missing = [c for c in base if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    rows = []
    for i, r in enumerate(frame.to_dict("records")):
        get = lambda k: float(r.get(k, math.nan))  # noqa: E731
        try:
            if str(r.get("verdict")) == "not run" and not math.isfinite(get("ci_low")):
                rows.append(ClaimResult.not_run(r["claim"], r["track"], str(r["metric"])))
                continue
            spread = (get("lambda_spread"), get("lambda_spread_max"))
            rows.append(ClaimResult.from_interval(
                claim=r["claim"], track=r["track"], metric=str(r["metric"]),
                estimate=get("estimate"), ci_low=get("ci_low"), ci_high=get("ci_high"),
                n_seeds=int(r["n_seeds"]), n_pairs=int(r["n_pairs"]),
                rm_accuracy=(get("rm_accuracy"), get("rm_accuracy_low"), get("rm_accuracy_high")),
                lambda_spread=spread))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}: record {i + 1}: {error}") from error
    return rows


def scorecard(profile_dir: str | os.PathLike[str], tracks: Sequence[str] = TRACKS) -> pd.DataFrame:
    """Every ``claims.csv`` under ``profile_dir``'s notebook folders, one or more rows per
    (claim, track) for all claims × ``tracks``, ``not run`` where a pair has no row; sorted by
    claim, then track in :data:`TRACKS` order.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> _ = write_claims([ClaimResult.from_interval(claim="C7", track="fine-tuned",
        ...     metric="win rate", estimate=0.6, ci_low=0.52, ci_high=0.7, n_seeds=1,
        ...     n_pairs=24)], d / "05_rjs_alignment")
        >>> card = scorecard(d)
        >>> len(card), card.query("claim == 'C7' and track == 'fine-tuned'").verdict.item()
        (32, 'not testable')
    """
    rows: list[ClaimResult] = []
    for path in sorted(Path(profile_dir).glob(f"*/{CLAIMS_FILE}")):
        rows += read_claims(path)
    seen = {(r.claim, r.track) for r in rows}
    rows += [ClaimResult.not_run(c, t) for c in CLAIMS for t in tracks if (c, t) not in seen]
    frame = claims_frame(rows)
    frame["_c"] = frame.claim.map(list(CLAIMS).index)
    frame["_t"] = frame.track.map(list(TRACKS).index)
    return frame.sort_values(["_c", "_t"], kind="stable").drop(columns=["_c", "_t"]).reset_index(drop=True)

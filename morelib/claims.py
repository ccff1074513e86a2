"""The claims scorecard: the paper's headline claims C1–C8, each scored on every track by its interval.

A :class:`ClaimResult` is one measured metric for one claim on one track, with its 95 % interval;
its verdict comes from the interval alone (:func:`verdict`), never from the point estimate.
Notebooks write their rows with :func:`write_claims` into their output folder; :func:`scorecard`
collects every notebook's rows of a profile and fills ``not run`` where a (claim, track) has none.

Tracks:
- ``simulator probe``: frozen-backbone, head-only RMs on simulator data, many seeds;
- ``real probe``: the same on real human preferences, split by prompt;
- ``fine-tuned``: the notebooks' fine-tuned RMs (top layers + head).

Example:
    >>> r = ClaimResult.from_interval(
    ...     claim="C6", track="simulator probe", metric="H&H ECE, MORE − MultiTask",
    ...     estimate=-0.004, ci_low=-0.007, ci_high=-0.001, n_seeds=20, n_pairs=4000)
    >>> r.verdict
    'reproduced'
    >>> verdict(-0.002, 0.003, direction=-1)
    'inconclusive'
    >>> verdict(0.001, 0.004, direction=-1)
    'not reproduced'
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

TRACKS = ("simulator probe", "real probe", "fine-tuned")
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not run")
COLUMNS = ("claim", "track", "metric", "estimate", "ci_low", "ci_high", "n_seeds", "n_pairs", "verdict")
CLAIMS_FILE = "claims.csv"


@dataclass(frozen=True)
class Claim:
    """One headline claim of the paper (§11 of the paper's specification).

    ``direction`` is the sign the claim predicts for its metric relative to ``null``: −1 (below),
    +1 (above) or 0 (equal within ``margin``). ``margin`` is the smallest effect the claim is
    about: for a signed claim an interval that rules out an effect that large counts as
    ``not reproduced``; for an equivalence claim it is the tolerance. ``paper`` quotes the
    paper's numbers, for display beside ours."""

    id: str
    statement: str
    metric: str
    direction: int
    paper: str
    null: float = 0.0
    margin: float | None = None


CLAIMS = {c.id: c for c in (
    Claim("C1", "Single-source RMs transfer poorly (Fig. 1)",
          "accuracy on own test set − on the other sets", +1, "Fig. 1 (no numbers)"),
    Claim("C2", "MultiTask keeps accuracy near Top but worsens ECE",
          "ECE, MultiTask − Top", +1,
          "Top / MultiTask ECE 0.0362 / 0.0541 (1.4B), 0.0342 / 0.0456 (2.8B), 0.0334 / 0.0570 (7B)"),
    Claim("C3", "MORE ≈ MultiTask mean accuracy with lower ECE",
          "ECE, MORE − MultiTask", -1,
          "ECE 0.0364 vs 0.0541 (1.4B), 0.0366 vs 0.0456 (2.8B), 0.0458 vs 0.0570 (7B); "
          "accuracy 63.34 vs 62.38, 64.01 vs 64.00, 70.32 vs 70.13"),
    Claim("C4", "On Helpful and Harmless, MORE's ECE is below Top/Single",
          "H&H ECE, MORE − Top", -1, "below in all six cases of Tables 4–6"),
    Claim("C5", "MORE shrinks outlier Δr means",
          "mean |Δr| of outliers, MORE − MultiTask", -1,
          "LLaMa2-7B Helpful positive-outlier mean 0.806 (MORE) vs 1.054 (MultiTask)"),
    Claim("C6", "MORE's mean H&H ECE is about half of MultiTask's",
          "H&H ECE, MORE − MultiTask", -1,
          "0.0109 vs 0.0177 (1.4B), 0.0078 vs 0.0145 (2.8B), 0.0143 vs 0.0284 (7B)"),
    Claim("C7", "RJS with the MORE RM beats RJS with the MultiTask RM",
          "win rate of MORE-RJS vs MultiTask-RJS (ties ½)", +1,
          "GPT-4 Win/Tie/Lose 44/22/34 (1.4B), 45/21/34 (2.8B), 45/23/32 (7B)", null=0.5),
    Claim("C8", "MORE's ECE falls as K goes 2 → 5 and ends below Top (Fig. 6)",
          "ECE, MORE at K=5 − MORE at K=2", -1, "Fig. 6 (no numbers)"),
)}


def verdict(ci_low: float, ci_high: float, direction: int, null: float = 0.0,
            margin: float | None = None) -> str:
    """The verdict an interval gives a claim predicting ``direction`` (−1, +1; 0 = equivalence).

    Signed claims: ``reproduced`` when the whole interval lies on the predicted side of ``null``;
    ``not reproduced`` when it lies wholly on the other side, or (with a ``margin``) when it rules
    out an effect of ``margin`` in the predicted direction; otherwise ``inconclusive``.
    Equivalence claims (direction 0): ``reproduced`` when the interval lies inside
    ``null ± margin``, ``not reproduced`` when it lies wholly outside it. A missing bound gives
    ``not run``.

    Example:
        >>> verdict(-0.02, -0.01, direction=-1)
        'reproduced'
        >>> verdict(-0.002, 0.001, direction=-1, margin=0.005)  # rules out a 0.005 reduction
        'not reproduced'
        >>> verdict(0.48, 0.61, direction=+1, null=0.5)
        'inconclusive'
        >>> verdict(-0.4, 0.6, direction=0, margin=1.0)
        'reproduced'
        >>> verdict(float("nan"), 0.1, direction=+1)
        'not run'
    """
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "not run"
    if ci_low > ci_high:
        raise ValueError(f"interval [{ci_low}, {ci_high}] has its low end above its high end")
    if direction == 0:
        if margin is None:
            raise ValueError("an equivalence claim (direction 0) needs a margin")
        if null - margin <= ci_low and ci_high <= null + margin:
            return "reproduced"
        if ci_high < null - margin or ci_low > null + margin:
            return "not reproduced"
        return "inconclusive"
    if direction not in (-1, 1):
        raise ValueError(f"direction must be -1, 0 or +1, got {direction}")
    lo, hi = (ci_low - null, ci_high - null) if direction > 0 else (null - ci_high, null - ci_low)
    # now the claim predicts an effect above 0 on [lo, hi]
    if lo > 0:
        return "reproduced"
    if hi < 0 or (margin is not None and hi < margin):
        return "not reproduced"
    return "inconclusive"


@dataclass(frozen=True)
class ClaimResult:
    """One row of the scorecard: a metric of ``claim`` measured on ``track``, with its 95 %
    interval, the number of seeds and test pairs behind it, and the verdict."""

    claim: str
    track: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    n_seeds: int
    n_pairs: int
    verdict: str

    def __post_init__(self) -> None:
        if self.claim not in CLAIMS:
            raise ValueError(f"claim {self.claim!r}: not one of {sorted(CLAIMS)}")
        if self.track not in TRACKS:
            raise ValueError(f"track {self.track!r}: not one of {TRACKS}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r}: not one of {VERDICTS}")

    @classmethod
    def from_interval(cls, *, claim: str, track: str, metric: str, estimate: float,
                      ci_low: float, ci_high: float, n_seeds: int, n_pairs: int,
                      direction: int | None = None, null: float | None = None,
                      margin: float | None = None) -> "ClaimResult":
        """A row whose verdict :func:`verdict` decides from the interval, with the claim's
        direction, null and margin unless given (e.g. 0 and a margin for an accuracy-equivalence
        row of C3)."""
        c = CLAIMS[claim] if claim in CLAIMS else None
        if c is None:
            raise ValueError(f"claim {claim!r}: not one of {sorted(CLAIMS)}")
        d = c.direction if direction is None else direction
        v = verdict(float(ci_low), float(ci_high), d, c.null if null is None else null,
                    c.margin if margin is None else margin)
        return cls(claim, track, metric, float(estimate), float(ci_low), float(ci_high),
                   int(n_seeds), int(n_pairs), v)

    @classmethod
    def not_run(cls, claim: str, track: str, reason: str = "not run") -> "ClaimResult":
        """A placeholder row for a claim a track did not measure; ``reason`` is the metric text."""
        nan = float("nan")
        return cls(claim, track, reason, nan, nan, nan, 0, 0, "not run")


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
    """Rows of a ``claims.csv`` written by :func:`write_claims` (validated on the way in)."""
    frame = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return [ClaimResult(**{k: getattr(r, k) for k in COLUMNS}) for r in frame.itertuples(index=False)]


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
        (24, 'reproduced')
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

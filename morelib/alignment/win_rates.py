"""Win / tie / lose rates of policy a against policy b, and bootstrap intervals.

Outcomes are :class:`~morelib.alignment.verdicts.Outcome` objects or their winners as strings
("A" = a wins, "B" = b wins, "tie", "error"). Reported as the authors do: counts and rates
over all N comparisons (errors included in N), and "error-free" rates over N - errors; plus
the score win + 1/2 tie over N - errors (the authors report no such score and no interval).

**Bootstrap.** Resampling N outcomes with replacement only changes the four category counts,
which are then Multinomial(N, observed proportions); ``bootstrap_win_rate`` draws those counts
directly (``n_boot`` x 4 numbers, exactly the same distribution as resampling indices) and
takes percentile intervals (:func:`morelib.stats.percentile_interval`), the
(alpha/2, 1 - alpha/2) quantiles of the replicates.

**Wilson.** A category never (or always) observed gets a degenerate percentile interval
([0, 0] for 0 of 24); :func:`morelib.stats.wilson_interval` gives the score interval of a
proportion, which stays honest there (0 of 24: [0, 0.138]).
"""

from __future__ import annotations

import numpy as np

from ..stats import BootstrapResult, percentile_interval

CATEGORIES = ("A", "tie", "B", "error")
_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
BOOTSTRAP_METRICS = ("win", "tie", "lose", "win_half_tie")


def outcome_counts(outcomes) -> np.ndarray:
    """Counts of [a wins, ties, b wins, errors].

        >>> outcome_counts(["A", "A", "tie", "B", "error"]).tolist()
        [2, 1, 1, 1]
    """
    codes = []
    for o in outcomes:
        winner = getattr(o, "winner", o)
        if winner not in _INDEX:
            raise ValueError(f"an outcome must be one of {CATEGORIES}, got {winner!r}")
        codes.append(_INDEX[winner])
    return np.bincount(np.asarray(codes, dtype=np.int64), minlength=4)


def _rates(counts: np.ndarray, exclude_errors: bool) -> dict:
    """win/tie/lose/win_half_tie over the last axis of [..., 4] counts (NaN on 0 / 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    wins, ties, losses, errors = np.moveaxis(counts, -1, 0)
    denom = wins + ties + losses + (0.0 if exclude_errors else errors)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(denom > 0, denom, np.nan)
        return {"win": wins / safe, "tie": ties / safe, "lose": losses / safe,
                "win_half_tie": (wins + 0.5 * ties) / safe}


def win_rates(outcomes) -> dict:
    """Counts and rates from policy a's side.

    Keys: ``n``, ``wins``, ``ties``, ``losses``, ``errors`` (counts); ``win``, ``tie``,
    ``lose``, ``error`` (over N, the authors' headline); ``win_valid``, ``tie_valid``,
    ``lose_valid`` (over N - errors, the authors' "normalized" rates); ``win_half_tie`` =
    (wins + ties / 2) / (N - errors). Rates are NaN when their denominator is 0.

        >>> r = win_rates(["A", "A", "tie", "B", "error"])
        >>> r["wins"], r["win"], r["win_valid"], r["win_half_tie"]
        (2, 0.4, 0.5, 0.625)
    """
    counts = outcome_counts(outcomes)
    out = {"n": int(counts.sum()), "wins": int(counts[0]), "ties": int(counts[1]),
           "losses": int(counts[2]), "errors": int(counts[3])}
    over_n = _rates(counts, exclude_errors=False)
    valid = _rates(counts, exclude_errors=True)
    out.update({k: float(over_n[k]) for k in ("win", "tie", "lose")})
    out["error"] = float(counts[3] / out["n"]) if out["n"] else float("nan")
    out.update({f"{k}_valid": float(valid[k]) for k in ("win", "tie", "lose")})
    out["win_half_tie"] = float(valid["win_half_tie"])
    return out


def bootstrap_win_rate(outcomes, n_boot: int = 2000, seed: int = 0, ci: float = 0.95,
                       exclude_errors: bool = True) -> dict[str, BootstrapResult]:
    """Percentile bootstrap intervals for ``win``, ``tie``, ``lose`` and ``win_half_tie``.

    Rates are over N - errors (``exclude_errors=True``, errors still resampled) or over N.
    Replicates with no valid comparison are NaN and ignored by the quantiles.

        >>> res = bootstrap_win_rate(["A"] * 45 + ["tie"] * 22 + ["B"] * 33, seed=0)
        >>> r = res["win"]
        >>> round(r.estimate, 2), r.low < 0.45 < r.high, sorted(res)
        (0.45, True, ['lose', 'tie', 'win', 'win_half_tie'])
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    counts = outcome_counts(outcomes)
    n = int(counts.sum())
    if n == 0:
        raise ValueError("no outcomes to bootstrap")
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=n_boot)
    point, reps = _rates(counts, exclude_errors), _rates(draws, exclude_errors)
    return {name: BootstrapResult(float(point[name]), *percentile_interval(reps[name], ci), ci,
                                  n_boot, reps[name])
            for name in BOOTSTRAP_METRICS}


"""Time the calibration metrics: calibration_summary on 1e6 pairs, bootstrap on 2,000 pairs.

Run: .venv/bin/python bench/bench_calibration.py   (prints best-of-3 wall times; exit status 1
if calibration_summary on 10⁶ pairs takes 1 s or more: the issue's bound)
"""

from __future__ import annotations

import time

import numpy as np

from morelib.calibration import bootstrap_ece, calibration_summary, ece, paired_bootstrap_ece


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    rng = np.random.default_rng(0)
    n = 1_000_000
    logit = rng.normal(0.5, 2.0, n)
    labels = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    p_true = 1.0 / (1.0 + np.exp(-logit))
    margins = 2.0 * logit

    print(f"ece, 1e6 pairs:                              {best_of(lambda: ece(margins)):.3f} s")
    t = best_of(lambda: calibration_summary(margins, labels))
    summary_time = t
    print(f"calibration_summary (13 metrics), 1e6 pairs: {t:.3f} s")
    t = best_of(lambda: calibration_summary(margins, labels, p_true))
    print(f"calibration_summary with p_true, 1e6 pairs:  {t:.3f} s")

    small, small_b = margins[:2000], logit[:2000]
    t = best_of(lambda: bootstrap_ece(small, labels[:2000], n_boot=1000))
    print(f"bootstrap_ece, 1,000 x 2,000 pairs:          {t:.3f} s")
    t = best_of(lambda: paired_bootstrap_ece(small, small_b, labels[:2000], n_boot=1000))
    print(f"paired_bootstrap_ece, 1,000 x 2,000 pairs:   {t:.3f} s")
    ok = summary_time < 1.0
    print(f"bound (all calibration metrics on 1e6 pairs under 1 s): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

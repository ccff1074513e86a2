"""Generic statistics, one home for each: intervals, bootstrap replicates, paired tests.

* :mod:`~morelib.stats.intervals`: :func:`wilson_interval` (score interval of a proportion)
  and :func:`percentile_interval` (the (alpha/2, 1 - alpha/2) quantiles of replicates);
* :mod:`~morelib.stats.bootstrap`: :class:`BootstrapResult` / :class:`PairedBootstrapResult`
  records, :func:`bootstrap_accuracy` (replicates of the tie-as-half accuracy of margins) and
  :func:`bootstrap_columns` (replicates of any statistic of resampled columns, e.g. a
  correlation across RMs over resampled prompts);
* :mod:`~morelib.stats.paired`: :func:`paired_p_value` (two-sided p-value of bootstrap
  differences by percentile-interval inversion) and :func:`paired_summary` (difference,
  interval and p-value of paired replicates);
* :mod:`~morelib.stats.weighted`: statistics of weighted samples (a bootstrap resample as the
  multiplicity of each value): :func:`~morelib.stats.weighted.resample_counts`, quantiles and
  Tables 4–6's outlier mean, for many resamples at once;
* :mod:`~morelib.stats.finding`: :class:`Finding`, a generated sentence that carries its claim,
  estimate, interval and verdict.

Domain-specific resampling stays with its domain and uses these: the vectorised ECE bootstrap
in :mod:`morelib.calibration.bootstrap`, the multinomial win-rate bootstrap in
:mod:`morelib.alignment.win_rates`.

    >>> from morelib.stats import wilson_interval, percentile_interval
    >>> [round(x, 4) for x in wilson_interval(5, 20)]
    [0.1119, 0.4687]
    >>> percentile_interval([1.0, 2.0, 3.0, 4.0, 5.0], ci=0.5)
    (2.0, 4.0)
"""

from .bootstrap import BootstrapResult, PairedBootstrapResult, bootstrap_accuracy, bootstrap_columns
from .finding import Finding
from .intervals import percentile_interval, wilson_interval
from .paired import paired_p_value, paired_summary

__all__ = [
    "BootstrapResult",
    "Finding",
    "PairedBootstrapResult",
    "bootstrap_accuracy",
    "bootstrap_columns",
    "paired_p_value",
    "paired_summary",
    "percentile_interval",
    "wilson_interval",
]

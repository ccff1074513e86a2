"""Analyses behind notebooks 02 and 04, computed from one long score table.

The score table is :func:`morelib.experiments.score_suite`'s (``rm, test, pair, margin, ...``).
:func:`with_ensembles` adds the paper's *Averaging* and *Top* as rows, so every later step treats
all schemes alike:

* :func:`accuracy_ece` — Table 2 / Figs. 3–4: accuracy and ECE per RM and test set with
  percentile bootstrap intervals, plus ``mean`` (Avg. accuracy over the chosen tests) and
  ``pooled`` (ECE over the merged tests: the paper does not say how it pools; this is our rule);
* :func:`ece_gaps` — paired bootstrap of ECE(A) − ECE(B) on the same pairs;
* :func:`margin_outliers` — Tables 4–6: Δr outliers by the box-plot rule (beyond 1.5 IQR of the
  quartiles, computed separately for correctly and wrongly ordered pairs, as the boxes of Fig. 5);
* :func:`temperature_comparison` — MORE against post-hoc temperature scaling on held-out halves;
* :func:`lambda_history`, :func:`lambda_summary`, :func:`lambda_spread` — MORE's λ (and its
  distance from uniform) and head-gradient cosines;
* ``findings_*`` — generated sentences as :class:`~morelib.stats.Finding` records (sentence, claim, estimate,
  interval, verdict).

Example:
    >>> s = pd.DataFrame({"rm": ["single/a"] * 4 + ["single/b"] * 4, "test": ["a", "a", "b", "b"] * 2,
    ...                   "pair": [0, 1] * 4, "margin": [1., 2., -1., -1., -3., 1., 2., 2.]})
    >>> ext = with_ensembles(s)
    >>> sorted(ext.rm.unique())
    ['averaging', 'single/a', 'single/b', 'top']
    >>> ext[ext.rm == "top"].groupby("test").margin.sum().to_dict()   # a: from single/a, b: single/b
    {'a': 3.0, 'b': 4.0}
"""

import pandas as pd  # noqa: F401  (the example above)

from morelib.analysis.findings import (  # noqa: F401
    finding_out_of_domain,
    findings_accuracy_ece,
    findings_conflict,
    findings_lambda,
    findings_lowest_ece,
    findings_outliers,
    findings_temperature,
)
from morelib.analysis.lambdas import (  # noqa: F401
    lambda_history,
    lambda_long,
    lambda_spread,
    lambda_summary,
)
from morelib.analysis.scores import (  # noqa: F401
    accuracy_ece,
    box_outliers,
    ece_gaps,
    margin_outliers,
    margins,
    temperature_comparison,
)
from morelib.analysis.tables import paper_outlier_rows, paper_table2_rows, wide_accuracy_ece  # noqa: F401
from morelib.experiments.suite import with_ensembles  # noqa: F401  (re-exported)
from morelib.vocabulary import scheme_name  # noqa: F401  (re-exported: the notebooks' A.scheme_name)

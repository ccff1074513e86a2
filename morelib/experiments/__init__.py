"""Experiment building blocks shared by the notebooks: data, RM suites, scores, metrics."""

from morelib.experiments.data import (  # noqa: F401
    ExperimentData,
    add_real_tests,
    hub_data,
    real_data,
    simulator_data,
)
from morelib.experiments.suite import (  # noqa: F401
    SCHEMES,
    load_suite_model,
    rm_configs,
    score_suite,
    suite_metrics,
    train_suite,
    with_ensembles,
)

"""One place that turns the notebooks' RM-suite parameters into a cache, a base config and data.

Notebooks 01, 02 and 04 (and the multi-GPU launcher) call :func:`suite_inputs` with the same
parameters, so they build identical configurations and share the trained RMs through the
:class:`~morelib.runs.RunCache` (a trained RM is keyed by the hash of its config and data).

Example:
    >>> import tempfile
    >>> s = suite_inputs(cache_dir=tempfile.mkdtemp(), model="tiny-llama", n_train=4, n_test=2,
    ...                  sources=["helpful", "harmless"], seed=1, max_steps=1, use_real_data=False)
    >>> s.base.model, s.base.max_steps, s.data.source_names, {k: len(v) for k, v in s.data.tests.items()}
    ('tiny-llama', 1, ['helpful', 'harmless'], {'helpful': 2, 'harmless': 2})
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from morelib.experiments import ExperimentData, add_real_tests, simulator_data
from morelib.runs import RunCache
from morelib.settings import data_dir
from morelib.training import RMTrainingConfig

REAL_SUFFIX = " (real)"


@dataclass
class SuiteInputs:
    cache: RunCache
    base: RMTrainingConfig
    data: ExperimentData

    @property
    def simulator_tests(self) -> list[str]:
        return [t for t in self.data.tests if not t.endswith(REAL_SUFFIX)]

    @property
    def real_tests(self) -> list[str]:
        return [t for t in self.data.tests if t.endswith(REAL_SUFFIX)]


def suite_inputs(*, cache_dir: str | Path, model: str, n_train: int, n_test: int,
                 sources: Sequence[str], seed: int = 42, conflict: float = 1.0,
                 use_real_data: bool = True, real_test_limit: int | None = None,
                 **config: Any) -> SuiteInputs:
    """Cache, base :class:`RMTrainingConfig` (``model``, ``seed`` and any of its fields given in
    ``config``, e.g. ``learning_rate``, ``max_steps``, ``lora_r``) and the simulator data, plus
    the real test sets when ``use_real_data`` and ``MORELIB_DATA_DIR`` is set. Unknown config
    names raise ``TypeError`` (a misspelt parameter is never silently dropped)."""
    known = {f.name for f in dataclasses.fields(RMTrainingConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise TypeError(f"not RMTrainingConfig fields: {unknown}")
    base = RMTrainingConfig(model=model, seed=seed, **config)
    data = simulator_data(n_train, n_test, sources=tuple(sources), seed=seed, conflict=conflict)
    folder = data_dir() if use_real_data else None
    if folder is not None:
        data = add_real_tests(data, folder, limit=real_test_limit or None, suffix=REAL_SUFFIX)
    return SuiteInputs(RunCache(cache_dir), base, data)

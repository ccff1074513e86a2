"""The data of an experiment: balanced training sources, named test sets, and a cache key.

Two builders, chosen by a notebook parameter:

* :func:`simulator_data`: the diversified-annotator simulator (five sources mirroring the
  paper's, with ground-truth probabilities), train and test from disjoint seeded streams;
* :func:`real_data`: the real test files of ``MORELIB_DATA_DIR`` (no train splits are available
  offline), each split by record into a training part and a held-out part.

:func:`add_real_tests` appends the real test sets as extra evaluation sets to any experiment.

Example:
    >>> data = simulator_data(n_train=8, n_test=4, sources=("helpful", "harmless"))
    >>> [s.name for s in data.train], {k: len(v) for k, v in data.tests.items()}
    (['helpful', 'harmless'], {'helpful': 4, 'harmless': 4})
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from morelib.data.mixing import PAPER_SOURCE_ORDER, balance, first_n
from morelib.data.schema import LoadedSource, PreferencePair
from morelib.data.sim_config import SimulatorConfig
from morelib.data.simulator import simulate_sources

#: Real test files (relative to MORELIB_DATA_DIR) by source name.
REAL_FILES = {
    "helpful": "authors-format/helpful.test.json.gz",
    "harmless": "authors-format/harmless.test.json.gz",
    "webgpt": "authors-format/webgpt.test.json.gz",
}


@dataclass
class ExperimentData:
    """Training sources (equal sizes, paper order), test sets by name, and a cache key."""

    train: list[LoadedSource]
    tests: dict[str, list[PreferencePair]]
    key: dict[str, Any] = field(default_factory=dict)

    @property
    def source_names(self) -> list[str]:
        return [s.name for s in self.train]


def simulator_data(n_train: int, n_test: int, sources: Sequence[str] = PAPER_SOURCE_ORDER,
                   seed: int = 0, conflict: float = 1.0) -> ExperimentData:
    """Simulator sources: ``n_train`` training and ``n_test`` test pairs per source."""
    cfg = SimulatorConfig(n_pairs_per_source=n_train, sources=tuple(sources), seed=seed,
                          conflict=conflict)
    train = balance(simulate_sources(cfg, split="train"), n=n_train)
    test_cfg = SimulatorConfig(n_pairs_per_source=n_test, sources=tuple(sources), seed=seed,
                               conflict=conflict)
    tests = {s.name: s.pairs for s in simulate_sources(test_cfg, split="test")}
    key = {"kind": "simulator", "n_train": n_train, "n_test": n_test, "sources": list(sources),
           "seed": seed, "conflict": conflict}
    return ExperimentData(train, tests, key)


def _load_real(data_dir: Path, name: str) -> LoadedSource:
    from morelib.data.sources import load_source

    path = Path(data_dir) / REAL_FILES[name]
    if not path.exists():
        raise FileNotFoundError(f"{path}: real test file for {name!r} not found")
    return load_source(str(path), source=name)[0]


def real_data(data_dir: str | Path, n_train: int, n_test: int,
              sources: Sequence[str] = tuple(REAL_FILES), seed: int = 0) -> ExperimentData:
    """Real preference files split by record: a seeded ``n_test`` held out per source, the rest
    balanced to ``n_train`` (the paper's rule: first N, duplicates to top up small sources)."""
    train, tests = [], {}
    for name in sources:
        src = _load_real(Path(data_dir), name)
        order = list(range(len(src.pairs)))
        random.Random(f"{seed}-{name}").shuffle(order)
        held = sorted(order[:n_test])
        rest = sorted(order[n_test:])
        tests[name] = [src.pairs[i] for i in held]
        train.append(LoadedSource(name, [src.pairs[i] for i in rest], src.dropped, src.origin))
    key = {"kind": "real", "n_train": n_train, "n_test": n_test, "sources": list(sources),
           "seed": seed, "files": [REAL_FILES[s] for s in sources]}
    return ExperimentData(balance(train, n=n_train), tests, key)


def add_real_tests(data: ExperimentData, data_dir: str | Path | None, limit: int | None = None,
                   suffix: str = " (real)") -> ExperimentData:
    """Add the real test files as extra evaluation sets named ``<source><suffix>`` (first
    ``limit`` pairs each); unchanged when ``data_dir`` is None."""
    if data_dir is None:
        return data
    tests = dict(data.tests)
    for name in REAL_FILES:
        src = _load_real(Path(data_dir), name)
        tests[name + suffix] = first_n(src, limit).pairs if limit else src.pairs
    key = dict(data.key, real_tests={"limit": limit, "files": sorted(REAL_FILES.values())})
    return ExperimentData(data.train, tests, key)

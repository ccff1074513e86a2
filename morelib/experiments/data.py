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

from morelib.data.mixing import balance, first_n
from morelib.data.schema import LoadedSource, PreferencePair
from morelib.data.sim_config import SimulatorConfig
from morelib.data.simulator import simulate_sources
from morelib.vocabulary import SOURCES

#: Real test files (relative to MORELIB_DATA_DIR) by source name.
REAL_FILES = {
    "helpful": "authors-format/helpful.test.json.gz",
    "harmless": "authors-format/harmless.test.json.gz",
    "webgpt": "authors-format/webgpt.test.json.gz",
}


@dataclass
class ExperimentData:
    """Training sources (equal sizes, paper order), test sets by name, and cache keys:
    ``key`` describes everything, ``train_key`` only what the training sources depend on (so
    changing a test set never retrains an RM); it defaults to ``key``."""

    train: list[LoadedSource]
    tests: dict[str, list[PreferencePair]]
    key: dict[str, Any] = field(default_factory=dict)
    train_key: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.train_key is None:
            self.train_key = dict(self.key)

    @property
    def source_names(self) -> list[str]:
        return [s.name for s in self.train]


def simulator_data(n_train: int, n_test: int, sources: Sequence[str] = SOURCES,
                   seed: int = 0, conflict: float = 1.0) -> ExperimentData:
    """Simulator sources: ``n_train`` training and ``n_test`` test pairs per source."""
    cfg = SimulatorConfig(n_pairs_per_source=n_train, sources=tuple(sources), seed=seed,
                          conflict=conflict)
    train = balance(simulate_sources(cfg, split="train"), n=n_train)
    test_cfg = SimulatorConfig(n_pairs_per_source=n_test, sources=tuple(sources), seed=seed,
                               conflict=conflict)
    tests = {s.name: s.pairs for s in simulate_sources(test_cfg, split="test")}
    train_key = {"kind": "simulator", "n_train": n_train, "sources": list(sources),
                 "seed": seed, "conflict": conflict}
    return ExperimentData(train, tests, {**train_key, "n_test": n_test}, train_key)


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
    return ExperimentData(data.train, tests, key, data.train_key)


#: The paper's five sources on the hub: (training spec, test spec). WebGPT has one split only:
#: its test set is a seeded hold-out of ``n_test`` comparisons (the paper used the authors' 901).
#: The summarize test keeps its first 2,000 validation comparisons, as the paper's code does.
HUB_SPECS = {
    "helpful": ("helpful@train", "helpful@test"),
    "harmless": ("harmless@train", "harmless@test"),
    "oasst1": ("oasst1@train", "oasst1@validation"),
    "webgpt": ("webgpt@train", None),
    "summarize": ("summarize@train", "summarize@validation[:2000]"),
}


def hub_data(n_train: int = 40_000, sources: Sequence[str] = SOURCES,
             webgpt_test: int = 901, large: str = "first", seed: int = 0,
             loader: Any = None) -> ExperimentData:
    """The paper's data from the Hugging Face hub (machines with network): every source
    balanced to ``n_train`` pairs (larger ones keep their first N, or a seeded random N with
    ``large="random"``; smaller ones are topped up with seeded duplicates), official test
    splits, and a seeded WebGPT hold-out disjoint from its training pairs (``webgpt_test``
    pairs; half of them when WebGPT has fewer than twice as many, as a shrunk local copy).

    ``loader`` (default :func:`morelib.data.sources.load_source`) maps a spec to sources; tests
    pass a fake one.

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair as P
        >>> fake = lambda spec: [LoadedSource(spec.split("@")[0],
        ...     [P("q", f"a{i}", "b", spec.split("@")[0], f"{spec}{i}") for i in range(5)])]
        >>> d = hub_data(n_train=4, sources=("helpful", "webgpt"), webgpt_test=2, loader=fake)
        >>> [len(s) for s in d.train], {k: len(v) for k, v in d.tests.items()}
        ([4, 4], {'helpful': 5, 'webgpt': 2})
    """
    if loader is None:
        from morelib.data.sources import load_source as loader
    train, tests = [], {}
    for name in sources:
        train_spec, test_spec = HUB_SPECS[name]
        src = loader(train_spec)[0]
        if test_spec is None:
            order = list(range(len(src.pairs)))
            random.Random(f"{seed}-{name}-holdout").shuffle(order)
            held = set(order[:min(webgpt_test, len(order) // 2)])  # half of a small copy
            tests[name] = [p for i, p in enumerate(src.pairs) if i in held]
            src = LoadedSource(name, [p for i, p in enumerate(src.pairs) if i not in held],
                               src.dropped, src.origin)
        else:
            tests[name] = loader(test_spec)[0].pairs
        train.append(LoadedSource(name, src.pairs, src.dropped, src.origin))
    key = {"kind": "hub", "n_train": n_train, "sources": list(sources), "seed": seed,
           "large": large, "webgpt_test": webgpt_test,
           "specs": {s: HUB_SPECS[s] for s in sources}}
    return ExperimentData(balance(train, n=n_train, large=large, seed=seed), tests, key)

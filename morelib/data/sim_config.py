"""The simulator's configuration: sources, label noise, conflict, seed (see ``simulator``).

Example:
    >>> cfg = SimulatorConfig(n_pairs_per_source={"webgpt": 10}, sources=("webgpt",), noise=0.5)
    >>> cfg.n_pairs("webgpt"), cfg.temperature("webgpt")
    (10, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from morelib.data.sim_features import FEATURES
from morelib.vocabulary import SOURCES

SPLITS = ("train", "validation", "test")

#: Default label noise: the Bradley–Terry temperature of each source.
DEFAULT_NOISE: dict[str, float] = {"helpful": 1.0, "harmless": 1.0, "oasst1": 1.2,
                                   "webgpt": 1.4, "summarize": 1.2}


@dataclass
class SimulatorConfig:
    """Parameters of the simulated sources (all seeded; see :mod:`morelib.data.simulator`).

    Example:
        >>> SimulatorConfig(noise=0.5).temperature("webgpt")
        0.5
        >>> SimulatorConfig().temperature("webgpt")
        1.4
    """

    n_pairs_per_source: int | Mapping[str, int] = field(default=1000, metadata={
        "help": "Pairs per source and split; an int, or a mapping source -> count."})
    sources: tuple[str, ...] = field(default=SOURCES, metadata={
        "help": f"Which sources to simulate, in this order; any of {SOURCES}."})
    conflict: float = field(default=1.0, metadata={
        "help": "Scale of the source-specific utility parts: 0 = every source shares the "
                "shared utility; 1 = the default quirks; larger = quirks dominate."})
    noise: float | Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_NOISE),
                                               metadata={
        "help": "Label noise as a Bradley-Terry temperature T_s >= 0 (P = sigmoid(du / T_s)): "
                "one float for all sources, or a mapping source -> T_s (missing sources keep "
                "the default). 0 = labels follow the source utility exactly."})
    shared_temperature: float = field(default=1.0, metadata={
        "help": "Temperature of the shared preference P* used for p_shared."})
    shared_weights: Mapping[str, float] | None = field(default=None, metadata={
        "help": "Overrides of SHARED_WEIGHTS entries (feature -> weight)."})
    source_weights: Mapping[str, Mapping[str, float]] | None = field(default=None, metadata={
        "help": "Overrides of SOURCE_WEIGHTS entries (source -> feature -> weight)."})
    seed: int = field(default=0, metadata={"help": "Seed of every text and label stream."})

    def __post_init__(self) -> None:
        self.sources = tuple(self.sources)
        unknown = [s for s in self.sources if s not in SOURCES]
        if unknown or len(set(self.sources)) != len(self.sources) or not self.sources:
            raise ValueError(f"sources must be distinct names from {SOURCES}, got {self.sources}")
        if self.conflict < 0 or self.shared_temperature < 0:
            raise ValueError("conflict and shared_temperature must be >= 0")
        for name, table in (("noise", self.noise), ("n_pairs_per_source",
                                                   self.n_pairs_per_source)):
            if isinstance(table, Mapping) and set(table) - set(SOURCES):
                raise ValueError(f"{name}: unknown sources {sorted(set(table) - set(SOURCES))}")
        if any(self.temperature(s) < 0 for s in self.sources):
            raise ValueError("noise temperatures must be >= 0")
        if any(self.n_pairs(s) < 0 for s in self.sources):
            raise ValueError("n_pairs_per_source must be >= 0")
        for table in (self.shared_weights or {}, *(self.source_weights or {}).values()):
            if set(table) - set(FEATURES):
                raise ValueError(f"unknown features {sorted(set(table) - set(FEATURES))}; "
                                 f"known: {FEATURES}")

    def temperature(self, source: str) -> float:
        """The Bradley–Terry temperature (label noise) of ``source``.

        Example:
            >>> SimulatorConfig(noise={"oasst1": 2.0}).temperature("oasst1")
            2.0
        """
        if isinstance(self.noise, Mapping):
            return float(self.noise.get(source, DEFAULT_NOISE[source]))
        return float(self.noise)

    def n_pairs(self, source: str) -> int:
        """How many pairs ``source`` gets per split (0 for a source missing from a mapping).

        Example:
            >>> SimulatorConfig(n_pairs_per_source={"helpful": 7}).n_pairs("webgpt")
            0
        """
        n = self.n_pairs_per_source
        return int(n.get(source, 0) if isinstance(n, Mapping) else n)

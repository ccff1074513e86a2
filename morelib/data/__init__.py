"""Preference data: one record type, loaders for the paper's sources, mixing, a simulator.

Example:
    >>> from morelib.data import load_source, simulate_sources, SimulatorConfig
    >>> [s.name for s in simulate_sources(SimulatorConfig(n_pairs_per_source=2))]
    ['helpful', 'harmless', 'oasst1', 'webgpt', 'summarize']
"""

from morelib.data.columns import parse_columns  # noqa: F401
from morelib.data.conversation import render_conversation, render_messages  # noqa: F401
from morelib.data.mixing import (  # noqa: F401
    balance,
    first_n,
    select_sources,
    stratified_groups,
    uniform_mix,
)
from morelib.data.schema import (  # noqa: F401
    COLUMNS,
    DataError,
    DropReport,
    LoadedSource,
    PreferencePair,
)
from morelib.data.sim_config import SimulatorConfig  # noqa: F401
from morelib.data.simulator import Simulator, simulate_sources  # noqa: F401
from morelib.data.sources import load_source  # noqa: F401

"""Preference data: one record type, loaders for the paper's sources, mixing, a simulator."""

from morelib.data.schema import (  # noqa: F401
    COLUMNS,
    DataError,
    DropReport,
    LoadedSource,
    PreferencePair,
)

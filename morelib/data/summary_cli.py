"""``morelib data summary SOURCE [SOURCE...]``: load sources, print pairs kept and drops.

The command's handler (``morelib.cli`` dispatches to :func:`main`); :func:`load_spec` and
:func:`spec_options` also read the SOURCE arguments of ``morelib train`` and ``morelib eval-rm``.
Not to be confused with :mod:`morelib.data.summarize`, the loader of OpenAI's
summarize-from-feedback source.

A SOURCE is a :func:`~morelib.data.sources.load_source` spec (hub name or local file) or
``simulator[:N]`` (the diversified-annotator simulator, N pairs per source). Malformed input
prints one line, ``error: <file>: <record>: field '<field>': <problem>``, and exits with 2.

Example:
    >>> from morelib.data.schema import DropReport, LoadedSource, PreferencePair
    >>> pairs = [PreferencePair("p", "a", "b", "webgpt", "webgpt-0")]
    >>> print(format_table([LoadedSource("webgpt", pairs, DropReport({"tie (equal scores)": 2}),
    ...                                  "webgpt.test.json.gz")]))
    source  origin               records  pairs  dropped
    webgpt  webgpt.test.json.gz        3      1  2 tie (equal scores)
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

from morelib.data.schema import DataError, LoadedSource

SIMULATOR = "simulator"


def load_spec(spec: str, **options: Any) -> list[LoadedSource]:
    """Load one command-line SOURCE: ``simulator[:N]`` or a :func:`load_source` spec
    (``options``: its ``columns=``/``separator=`` for generic tables).

    Example:
        >>> load_spec("simulator:x")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: simulator:x: source spec: expected 'simulator' or 'simulator:N' with N a positive integer
    """
    name, _, count = spec.partition(":")
    if name != SIMULATOR:
        from morelib.data.sources import load_source

        return load_source(spec, **options)
    if count and not (count.isdigit() and int(count) > 0):
        raise DataError(spec, "source spec", None,
                        "expected 'simulator' or 'simulator:N' with N a positive integer")
    from morelib.data.simulator import SimulatorConfig, simulate_sources

    config = SimulatorConfig(n_pairs_per_source=int(count)) if count else SimulatorConfig()
    return simulate_sources(config)


def spec_options(columns: Any = None, separator: str | None = None) -> dict[str, Any]:
    """The :func:`load_spec` options of the ``--columns``/``--separator`` command-line flags
    (``columns`` as ``"prompt=q,chosen=good,rejected=bad"`` or a mapping).

    Example:
        >>> spec_options("prompt=q,chosen=a,rejected=b", "")
        {'columns': {'prompt': 'q', 'chosen': 'a', 'rejected': 'b'}, 'separator': ''}
    """
    from morelib.data.columns import parse_columns

    options: dict[str, Any] = {}
    if columns is not None:
        options["columns"] = parse_columns(columns) if isinstance(columns, str) else dict(columns)
    if separator is not None:
        options["separator"] = separator
    return options


def format_table(sources: Sequence[LoadedSource]) -> str:
    """A plain-text table: source, origin, records, pairs kept, records dropped by reason.

    Example:
        >>> print(format_table([LoadedSource("s", [], origin="x.jsonl")]))
        source  origin   records  pairs  dropped
        s       x.jsonl        0      0  -
    """
    header = ("source", "origin", "records", "pairs", "dropped")
    rows: list[tuple[Any, ...]] = [header]
    for src in sources:
        rows.append((src.name, src.origin, len(src) + src.dropped.total, len(src),
                     str(src.dropped) if src.dropped.total else "-"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [str(row[0]).ljust(widths[0]), str(row[1]).ljust(widths[1]),
                 str(row[2]).rjust(widths[2]), str(row[3]).rjust(widths[3]), str(row[4])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main(args: Any) -> int:
    """Entry point of ``morelib data summary``; ``args.sources`` is the list of SOURCE specs.

    Example:
        >>> import argparse
        >>> main(argparse.Namespace(sources=["no-such-source"]))
        2
    """
    sources: list[LoadedSource] = []
    for spec in args.sources:
        try:
            options = spec_options(getattr(args, "columns", None), getattr(args, "separator", None))
            sources.extend(load_spec(spec, **options))
        except (DataError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    print(format_table(sources))
    return 0

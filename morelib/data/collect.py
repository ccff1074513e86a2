"""Turn located input records into one :class:`LoadedSource`, one pair (or drop) per record.

Example:
    >>> from morelib.data.schema import make_pair
    >>> def convert(record, where, index, dropped):
    ...     return make_pair("Q", record["a"], record["b"], "s", f"s-{index}", dropped)
    >>> src = collect_pairs([("line 1", {"a": "x", "b": "y"}), ("line 2", {"a": "x", "b": "x"})],
    ...                     convert, source="s", origin="f.jsonl")
    >>> len(src), src.dropped.counts
    (1, {'chosen identical to rejected': 1})
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from morelib.data.readers import Located
from morelib.data.schema import DropReport, LoadedSource, PreferencePair

#: ``convert(record, where, index, dropped) -> pair or None`` (``None`` after counting a drop).
Converter = Callable[[Any, str, int, DropReport], "PreferencePair | None"]

#: Drop reason for a reply that is blank in a source storing replies as separate fields.
DROP_EMPTY_REPLY = "empty reply"


def collect_pairs(records: Iterable[Located], convert: Converter, source: str,
                  origin: str) -> LoadedSource:
    """Apply ``convert`` to every ``(where, record)``; keep the pairs, count the drops.

    Example:
        >>> collect_pairs([], lambda *a: None, "s", "nowhere").summary()["records"]
        0
    """
    dropped = DropReport()
    pairs = []
    for index, (where, record) in enumerate(records):
        pair = convert(record, where, index, dropped)
        if pair is not None:
            pairs.append(pair)
    return LoadedSource(source, pairs, dropped, origin)

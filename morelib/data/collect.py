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

from typing import Any, Callable, Iterable, Sequence

from morelib.data.readers import Located
from morelib.data.schema import DROP_TIE, DropReport, LoadedSource, PreferencePair

#: ``convert(record, where, index, dropped) -> pair or None`` (``None`` after counting a drop).
Converter = Callable[[Any, str, int, DropReport], "PreferencePair | None"]

#: Drop reason for a reply that is blank in a source storing replies as separate fields.
DROP_EMPTY_REPLY = "empty reply"


def preferred(scores: Sequence[float], dropped: DropReport) -> int | None:
    """Index (0 or 1) of the higher of two scores, or ``None`` after counting a tie.

    Example:
        >>> d = DropReport()
        >>> preferred([0.5, 1.5], d), preferred([1.0, 1.0], d), d.counts
        (1, None, {'tie (equal scores)': 1})
    """
    if scores[0] == scores[1]:
        dropped.drop(DROP_TIE)
        return None
    return 0 if scores[0] > scores[1] else 1


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

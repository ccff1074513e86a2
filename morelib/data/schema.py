"""The one preference record type, its validation, and drop accounting.

Every loader turns its input into :class:`PreferencePair` records with TRL's column names
(``prompt``, ``chosen``, ``rejected``; ``chosen``/``rejected`` are the responses only, the
"explicit prompt" format) plus ``source``, an ``id`` and free ``metadata``.

Two kinds of bad input are told apart:

* *Malformed* input (unparsable JSON, wrong top-level type, a missing field, non-string or
  empty text) raises :class:`DataError`, whose message names the file, the record (line or
  index) and the field.
* *Documented drops* (a tie, chosen identical to rejected, ...) are not errors: the record is
  skipped and counted by reason in a :class:`DropReport`, which every loader returns and the
  CLI prints. Nothing is dropped silently.

Example:
    >>> pair = PreferencePair(prompt="\\n\\nHuman: hi\\n\\nAssistant:", chosen=" Hello!",
    ...                       rejected=" Go away.", source="helpful", id="helpful-0")
    >>> pair.as_dict()["chosen"]
    ' Hello!'
    >>> report = DropReport()
    >>> report.drop("tie")
    >>> report.counts
    {'tie': 1}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

#: Column names of a preference table (TRL's explicit-prompt format plus ``source`` and ``id``).
COLUMNS = ("prompt", "chosen", "rejected", "source", "id")

#: Reasons for which a record is dropped instead of raising (documented rules).
DROP_TIE = "tie (equal scores)"
DROP_IDENTICAL = "chosen identical to rejected"


class DataError(ValueError):
    """Malformed preference input; the message names file, record and field.

    Example:
        >>> str(DataError("data.jsonl", "line 3", "chosen", "missing field"))
        "data.jsonl: line 3: field 'chosen': missing field"
    """

    def __init__(self, path: Any, record: Any, field: str | None, problem: str):
        self.path = str(path)
        self.record = record
        self.field = field
        self.problem = problem
        where = f"{self.path}: {record}"
        if field is not None:
            where += f": field {field!r}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class PreferencePair:
    """One preference: ``chosen`` is preferred over ``rejected`` as a reply to ``prompt``.

    ``metadata`` holds anything source-specific (scores, simulator probabilities, ...).
    """

    prompt: str
    chosen: str
    rejected: str
    source: str
    id: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict with TRL column names (metadata nested)."""
        return asdict(self)


@dataclass
class DropReport:
    """Counts of records dropped by documented rules, by reason.

    Example:
        >>> r = DropReport(); r.drop("tie"); r.drop("tie"); r.drop("empty prompt")
        >>> r.total, r.counts["tie"]
        (3, 2)
    """

    counts: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str, n: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def merge(self, other: "DropReport") -> "DropReport":
        merged = Counter(self.counts)
        merged.update(other.counts)
        return DropReport(dict(merged))

    def __str__(self) -> str:
        if not self.counts:
            return "nothing dropped"
        return ", ".join(f"{n} {reason}" for reason, n in sorted(self.counts.items()))


@dataclass
class LoadedSource:
    """The result of loading one source: its pairs, what was dropped and where it came from.

    Example:
        >>> s = LoadedSource("helpful", [], DropReport({"tie": 2}), origin="helpful.json")
        >>> s.summary()
        {'source': 'helpful', 'origin': 'helpful.json', 'records': 2, 'pairs': 0, 'dropped': 2, 'tie': 2}
    """

    name: str
    pairs: list[PreferencePair]
    dropped: DropReport = field(default_factory=DropReport)
    origin: str = ""

    def __len__(self) -> int:
        return len(self.pairs)

    def summary(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "source": self.name,
            "origin": self.origin,
            "records": len(self.pairs) + self.dropped.total,
            "pairs": len(self.pairs),
            "dropped": self.dropped.total,
        }
        row.update(self.dropped.counts)
        return row


def require_text(record: Mapping[str, Any], key: str, path: Any, where: Any,
                 allow_empty: bool = False) -> str:
    """Return ``record[key]`` if it is a (non-empty) string, else raise :class:`DataError`.

    Example:
        >>> require_text({"chosen": "yes"}, "chosen", "f.jsonl", "line 1")
        'yes'
        >>> require_text({"chosen": 3}, "chosen", "f.jsonl", "line 1")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f.jsonl: line 1: field 'chosen': expected a string, got int
    """
    if not isinstance(record, Mapping):
        raise DataError(path, where, None, f"expected an object, got {type(record).__name__}")
    if key not in record:
        raise DataError(path, where, key, "missing field")
    value = record[key]
    if not isinstance(value, str):
        raise DataError(path, where, key, f"expected a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise DataError(path, where, key, "empty text")
    return value


def make_pair(prompt: str, chosen: str, rejected: str, source: str, id: str,
              dropped: DropReport, metadata: Mapping[str, Any] | None = None
              ) -> PreferencePair | None:
    """Build a pair, or count a documented drop and return ``None``.

    Drops (not errors): ``chosen == rejected`` (:data:`DROP_IDENTICAL`).

    Example:
        >>> d = DropReport()
        >>> make_pair("Q", "a", "a", "s", "s-0", d) is None, d.counts
        (True, {'chosen identical to rejected': 1})
    """
    if chosen == rejected:
        dropped.drop(DROP_IDENTICAL)
        return None
    return PreferencePair(prompt, chosen, rejected, source, id, dict(metadata or {}))


def pairs_to_columns(pairs: Iterable[PreferencePair]) -> dict[str, list[Any]]:
    """Column-oriented view (for ``datasets.Dataset.from_dict`` or ``pandas.DataFrame``).

    Example:
        >>> cols = pairs_to_columns([PreferencePair("p", "c", "r", "s", "s-0")])
        >>> sorted(cols)
        ['chosen', 'id', 'metadata', 'prompt', 'rejected', 'source']
    """
    cols: dict[str, list[Any]] = {name: [] for name in (*COLUMNS, "metadata")}
    for p in pairs:
        for name in COLUMNS:
            cols[name].append(getattr(p, name))
        cols["metadata"].append(dict(p.metadata))
    return cols

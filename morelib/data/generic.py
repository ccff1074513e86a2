"""A user's own preference table (JSONL, JSON list, CSV or Parquet) with a column mapping.

``columns`` maps the record fields (``prompt``, ``chosen``, ``rejected``, optional ``source``
and ``id``) to the table's column names; unmapped fields use their own name. The source of a
pair is, in order: the mapped ``source`` column; ``source=``; a column named ``source``; the
file name. A source column is all or nothing: when the first row has one, a row without it is an
error (``missing field``), and so is a row with one when the first row had none. ``chosen`` and ``rejected`` are the replies only (the prompt is not repeated).
Missing columns and non-string or empty cells raise :class:`DataError`.

Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
    >>> _ = f.write_text("question,good,bad\\nWhat is 2+2?,4,5\\n")
    >>> [src] = load_table(f, columns={"prompt": "question", "chosen": "good", "rejected": "bad"})
    >>> src.name, src.pairs[0].prompt, src.pairs[0].chosen
    ('mine', 'What is 2+2?', '4')
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from morelib.data.fields import get_text
from morelib.data.names import infer_source_name
from morelib.data.readers import Located, read_records
from morelib.data.schema import DataError, DropReport, LoadedSource, make_pair

FIELDS = ("prompt", "chosen", "rejected", "source", "id")


def table_pairs(records: Iterable[Located], origin: str,
                columns: Mapping[str, str] | None = None,
                source: str | None = None) -> list[LoadedSource]:
    """Pairs from table rows under a column mapping, one :class:`LoadedSource` per source.

    Example:
        >>> rows = [("line 1", {"p": "Q", "c": "a", "r": "b", "who": "x"}),
        ...         ("line 2", {"p": "Q", "c": "a", "r": "a", "who": "y"})]
        >>> srcs = table_pairs(rows, "f.jsonl", {"prompt": "p", "chosen": "c", "rejected": "r",
        ...                                      "source": "who"})
        >>> [(s.name, len(s), s.dropped.total) for s in srcs]
        [('x', 1, 0), ('y', 0, 1)]
    """
    mapping = {name: name for name in FIELDS} | dict(columns or {})
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise DataError(origin, "column mapping", unknown[0],
                        f"unknown field (expected some of {', '.join(FIELDS)})")
    by_column = columns is not None and "source" in columns
    results: dict[str, tuple[list, DropReport]] = {}
    first_where = None  # a source column seen in the first row must be in every row
    for index, (where, record) in enumerate(records):
        texts = [get_text(record, (mapping[f],), origin, where) for f in FIELDS[:3]]
        has_column = isinstance(record, Mapping) and mapping["source"] in record
        if index == 0:
            first_where, by_column = where, by_column or (source is None and has_column)
        elif source is None and has_column and not by_column:
            raise DataError(origin, where, mapping["source"], f"present here but not in "
                            f"{first_where}: give every row a source, or none")
        if by_column:
            name = get_text(record, (mapping["source"],), origin, where)
        else:
            name = source or infer_source_name(origin)
        pair_id = (get_text(record, (mapping["id"],), origin, where)
                   if mapping["id"] in record else f"{name}-{index}")
        pairs, dropped = results.setdefault(name, ([], DropReport()))
        pair = make_pair(*texts, name, pair_id, dropped)
        if pair is not None:
            pairs.append(pair)
    return [LoadedSource(name, pairs, dropped, origin)
            for name, (pairs, dropped) in results.items()]


def load_table(path: str | Path, columns: Mapping[str, str] | None = None,
               source: str | None = None, limit: int | None = None) -> list[LoadedSource]:
    """Load a preference table (``.jsonl``, ``.json``, ``.csv`` (optionally ``.gz``) or
    ``.parquet``) under a column mapping; ``limit`` keeps the first N rows.

    Example:
        >>> import tempfile, pathlib, json
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "prefs.jsonl"
        >>> _ = f.write_text(json.dumps({"prompt": "Q", "chosen": "a", "rejected": "b"}))
        >>> [(s.name, len(s)) for s in load_table(f, source="mine")]
        [('mine', 1)]
    """
    return table_pairs(read_records(path, limit), str(path), columns, source)

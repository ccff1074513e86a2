"""Column maps: which of a table's columns hold a pair's ``prompt``, ``chosen``, ``rejected``
(and optionally ``source`` and ``id``).

A map goes from morelib's field names to the table's column names; fields left out use their
own name. On the command line a map is written ``FIELD=COLUMN,...`` (:func:`parse_columns`);
a column name cannot contain ``,`` there.

Example:
    >>> parse_columns("prompt=question, chosen=good,rejected=bad")
    {'prompt': 'question', 'chosen': 'good', 'rejected': 'bad'}
    >>> column_map({"chosen": "good"})["chosen"], column_map({"chosen": "good"})["prompt"]
    ('good', 'prompt')
"""

from __future__ import annotations

from typing import Any, Mapping

from morelib.data.schema import DataError

#: The fields a column map may name.
FIELDS = ("prompt", "chosen", "rejected", "source", "id")


def check_columns(columns: Mapping[str, str] | None, origin: Any) -> None:
    """:class:`DataError` if ``columns`` names an unknown field or maps to a non-string.

    Example:
        >>> check_columns({"answer": "good"}, "f.csv")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f.csv: column mapping: field 'answer': unknown field (expected some of prompt, chosen, rejected, source, id)
    """
    for name, column in dict(columns or {}).items():
        if name not in FIELDS:
            raise DataError(origin, "column mapping", name,
                            f"unknown field (expected some of {', '.join(FIELDS)})")
        if not isinstance(column, str) or not column:
            raise DataError(origin, "column mapping", name,
                            f"expected a column name, got {column!r}")


def column_map(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Every field's column: the identity, overridden by ``columns`` (checked by the caller)."""
    return {name: name for name in FIELDS} | dict(columns or {})


def parse_columns(text: str) -> dict[str, str]:
    """Parse ``"FIELD=COLUMN,FIELD=COLUMN"`` (spaces around names ignored) into a column map.

    Example:
        >>> parse_columns("prompt=question,answer=good")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: column map: 'answer=good': unknown field 'answer' (expected some of prompt, chosen, rejected, source, id)
        >>> parse_columns("prompt:question")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: column map: 'prompt:question': expected FIELD=COLUMN, e.g. prompt=question
    """
    columns: dict[str, str] = {}
    items = [item for item in text.split(",")]
    if not text.strip():
        raise DataError("column map", repr(text), None, "empty; expected FIELD=COLUMN,...")
    for item in items:
        field, equals, column = (part.strip() for part in item.partition("="))
        if not equals or not field or not column:
            raise DataError("column map", repr(item), None,
                            "expected FIELD=COLUMN, e.g. prompt=question")
        if field not in FIELDS:
            raise DataError("column map", repr(item), None, f"unknown field {field!r} "
                            f"(expected some of {', '.join(FIELDS)})")
        if field in columns:
            raise DataError("column map", repr(item), None, f"field {field!r} given twice")
        columns[field] = column
    return columns

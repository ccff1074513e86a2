"""Checked access to (nested) fields of one input record.

Loaders of nested schemas (``question.full_text``, ``summaries[0].text``, ``score[1]``) read
fields through these helpers, so a bad record always raises :class:`DataError` naming the file,
the record and the full field path.

Example:
    >>> row = {"summaries": [{"text": " a summary"}, {"text": 3}]}
    >>> get_text(row, ("summaries", 0, "text"), "f.jsonl", "line 1")
    ' a summary'
    >>> get_text(row, ("summaries", 1, "text"), "f.jsonl", "line 1")
    Traceback (most recent call last):
    ...
    morelib.data.schema.DataError: f.jsonl: line 1: field 'summaries[1].text': expected a string, got int
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from morelib.data.schema import DataError

Key = str | int


def field_name(keys: Sequence[Key]) -> str:
    """Display name of a field path: ``("summaries", 0, "text")`` -> ``'summaries[0].text'``.

    Example:
        >>> field_name(("question", "full_text")), field_name(("score", 1))
        ('question.full_text', 'score[1]')
    """
    name = ""
    for key in keys:
        name += f"[{key}]" if isinstance(key, int) else (f".{key}" if name else key)
    return name


def get_field(record: Any, keys: Sequence[Key], path: Any, where: Any) -> Any:
    """The value at ``keys`` inside ``record``; :class:`DataError` if a step is missing.

    A ``None`` value counts as missing (Arrow-backed rows fill absent struct fields with null).

    Example:
        >>> get_field({"info": {"post": "hi"}}, ("info", "post"), "f", "row 0")
        'hi'
        >>> get_field({"info": {}}, ("info", "post"), "f", "row 0")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f: row 0: field 'info.post': missing field
    """
    value = record
    for depth, key in enumerate(keys):
        parent = field_name(keys[:depth]) if depth else None
        if isinstance(key, int):
            if not isinstance(value, Sequence) or isinstance(value, str):
                raise DataError(path, where, parent,
                                f"expected a list, got {type(value).__name__}")
            if key >= len(value):
                raise DataError(path, where, parent,
                                f"expected at least {key + 1} items, got {len(value)}")
        elif not isinstance(value, Mapping):
            raise DataError(path, where, parent, f"expected an object, got {type(value).__name__}")
        elif value.get(key) is None:
            raise DataError(path, where, field_name(keys[:depth + 1]), "missing field")
        value = value[key]
    return value


def get_text(record: Any, keys: Sequence[Key], path: Any, where: Any,
             allow_empty: bool = False) -> str:
    """A string field (non-blank unless ``allow_empty``), else :class:`DataError`.

    Example:
        >>> get_text({"q": "  "}, ("q",), "f", "record 2")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f: record 2: field 'q': empty text
    """
    value = get_field(record, keys, path, where)
    if not isinstance(value, str):
        raise DataError(path, where, field_name(keys),
                        f"expected a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise DataError(path, where, field_name(keys), "empty text")
    return value


def get_number(record: Any, keys: Sequence[Key], path: Any, where: Any) -> float:
    """A finite real number field (bools are refused), else :class:`DataError`.

    Example:
        >>> get_number({"score": [1.5, "x"]}, ("score", 0), "f", "record 0")
        1.5
        >>> get_number({"score": [1.5, "x"]}, ("score", 1), "f", "record 0")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f: record 0: field 'score[1]': expected a number, got str
    """
    value = get_field(record, keys, path, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(path, where, field_name(keys),
                        f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise DataError(path, where, field_name(keys), f"expected a finite number, got {value}")
    return float(value)

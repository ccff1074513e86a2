"""Read the records of a local data file, each with its location for error messages.

Formats (a trailing ``.gz`` is decompressed for the text formats):

* ``.jsonl``: one JSON value per line; location ``"line N"`` (1-based, blank lines skipped).
* ``.json``: a JSON list; location ``"record N"`` (0-based index). A ``.json`` file holding JSON
  lines (as OpenAI's summarize-from-feedback ``batch*.json`` files do) is read as JSON lines.
* ``.csv`` (header row, all values strings) and ``.parquet``: location ``"row N"`` (0-based).

Unparsable JSON and a wrong top-level type raise :class:`DataError` naming file and line.

Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pairs.jsonl"
    >>> _ = f.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
    >>> [(where, rec["a"]) for where, rec in read_records(f)]
    [('line 1', 1), ('line 3', 2)]
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from pathlib import Path
from typing import Any, Iterator

from morelib.data.schema import DataError

#: One input record and where it is ("line 3", "record 0", "row 12").
Located = tuple[str, Any]

TEXT_SUFFIXES = (".jsonl", ".json", ".csv")
SUFFIXES = (*TEXT_SUFFIXES, ".parquet")


def data_suffix(path: str | Path) -> str:
    """The format suffix of a file name, ignoring a trailing ``.gz`` (``""`` if unknown).

    Example:
        >>> data_suffix("harmless-base.test.jsonl.gz"), data_suffix("x.parquet"), data_suffix("x.txt")
        ('.jsonl', '.parquet', '')
    """
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return next((s for s in SUFFIXES if name.endswith(s)), "")


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a (possibly gzipped) text file as UTF-8."""
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_records(path: str | Path, limit: int | None = None) -> Iterator[Located]:
    """Yield ``(location, record)`` for the first ``limit`` records (all if ``None``).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "bad.json"
        >>> _ = f.write_text('{"text": 1}')
        >>> list(read_records(f))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: ...bad.json: top level: expected a JSON list of records, got object
    """
    path = Path(path)
    suffix = data_suffix(path)
    if not path.is_file():
        raise DataError(path, "file", None, "no such file")
    readers = {".jsonl": _jsonl, ".json": _json, ".csv": _csv, ".parquet": _parquet}
    if suffix not in readers:
        raise DataError(path, "file", None,
                        f"unknown file type (expected one of {', '.join(SUFFIXES)}, "
                        "optionally .gz)")
    return itertools.islice(readers[suffix](path), limit)


def first_record(path: str | Path) -> Located:
    """The first record of a file (to detect its format); :class:`DataError` if there is none.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "one.json"
        >>> _ = f.write_text('[{"query": "q"}]')
        >>> first_record(f)
        ('record 0', {'query': 'q'})
    """
    for located in read_records(path, limit=1):
        return located
    raise DataError(path, "file", None, "no records")


def _invalid(path: Path, err: json.JSONDecodeError, line: int | None = None) -> DataError:
    return DataError(path, f"line {line or err.lineno}", None, f"invalid JSON: {err.msg} "
                     f"(column {err.colno})")


def _jsonl(path: Path) -> Iterator[Located]:
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield f"line {number}", json.loads(line.rstrip())
                except json.JSONDecodeError as err:
                    raise _invalid(path, err, number) from None


def _json(path: Path) -> Iterator[Located]:
    with open_text(path) as handle:
        text = handle.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and text.lstrip().startswith("{"):
            yield from _jsonl(path)  # JSON lines in a .json file
            return
        raise _invalid(path, err) from None
    if not isinstance(data, list):
        kind = {dict: "object", str: "string"}.get(type(data), type(data).__name__)
        raise DataError(path, "top level", None, f"expected a JSON list of records, got {kind}")
    for index, record in enumerate(data):
        yield f"record {index}", record


def _csv(path: Path) -> Iterator[Located]:
    with open_text(path) as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            yield f"row {index}", row


def _parquet(path: Path) -> Iterator[Located]:
    import pyarrow.parquet as pq

    index = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            yield f"row {index}", row
            index += 1

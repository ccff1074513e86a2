"""Read the records of a local data file, each with its location for error messages.

Formats (a trailing ``.gz`` is decompressed for the text formats):

* ``.jsonl``: one JSON value per line; location ``"line N"`` (1-based, blank lines skipped).
* ``.json``: a JSON list; location ``"record N"`` (0-based index). A ``.json`` file holding JSON
  lines (as OpenAI's summarize-from-feedback ``batch*.json`` files do) is read as JSON lines.
* ``.csv`` (header row, all values strings) and ``.parquet``: location ``"row N"`` (0-based).

Text is UTF-8; a leading byte-order mark (Excel's "CSV UTF-8") is skipped. Every failure to
read a file raises :class:`DataError` naming the file and where: unparsable JSON and a wrong
top-level type, bytes that are not UTF-8 (``line N``), a damaged or non-gzip ``.gz``, an
unreadable Parquet file, a folder or a missing file (``file``).

Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pairs.jsonl"
    >>> _ = f.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
    >>> [(where, rec["a"]) for where, rec in read_records(f)]
    [('line 1', 1), ('line 3', 2)]
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import zlib
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


def _open_bytes(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each line, decoded as UTF-8 one line at a time so that a bad
    byte is reported with its line; a byte-order mark at the start is dropped."""
    with _open_bytes(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(path, f"line {number}", None,
                                f"not UTF-8 text: byte 0x{raw[err.start]:02x} at column "
                                f"{err.start + 1} (save the file as UTF-8)") from None


def _read_error(path: Path, where: str, err: BaseException) -> DataError:
    """A :class:`DataError` for a failure of the file layer (gzip, Parquet, the OS)."""
    if isinstance(err, gzip.BadGzipFile) and "Not a gzipped file" in str(err):
        problem = "not a gzip file (the name ends in .gz; rename it or compress it)"
    elif isinstance(err, (gzip.BadGzipFile, EOFError, zlib.error)):
        problem = f"damaged gzip data ({type(err).__name__}: {err}); the file is cut short or corrupt"
    elif isinstance(err, OSError):
        problem = f"cannot read ({err.strerror or err})"
    else:
        problem = f"unreadable Parquet file ({type(err).__name__}: {str(err).splitlines()[0]})"
    return DataError(path, where, None, problem)


def _guarded(path: Path, records: Iterator[Located]) -> Iterator[Located]:
    """``records``, with failures of the file layer raised as :class:`DataError` at the record
    after the last one read."""
    last = None
    try:
        for last, record in records:
            yield last, record
    except (OSError, EOFError, zlib.error) as err:
        raise _read_error(path, f"after {last}" if last else "file", err) from None
    except Exception as err:
        if not type(err).__module__.startswith("pyarrow"):  # ArrowInvalid, ArrowIOError, ...
            raise
        raise _read_error(path, f"after {last}" if last else "file", err) from None


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
    if path.is_dir():
        raise DataError(path, "file", None, "a folder, not a data file (give one of its files)")
    if not path.is_file():
        raise DataError(path, "file", None, "no such file")
    readers = {".jsonl": _jsonl, ".json": _json, ".csv": _csv, ".parquet": _parquet}
    if suffix not in readers:
        raise DataError(path, "file", None,
                        f"unknown file type (expected one of {', '.join(SUFFIXES)}, "
                        "optionally .gz)")
    return itertools.islice(_guarded(path, readers[suffix](path)), limit)


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
    for number, line in _decoded_lines(path):
        if line.strip():
            try:
                yield f"line {number}", json.loads(line.rstrip())
            except json.JSONDecodeError as err:
                raise _invalid(path, err, number) from None


def _json(path: Path) -> Iterator[Located]:
    text = "".join(line for _, line in _decoded_lines(path))
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
    read = [0]  # the physical line the reader has got to (a row may span several)

    def lines() -> Iterator[str]:
        for number, line in _decoded_lines(path):
            read[0] = number
            yield line

    reader = csv.DictReader(lines())
    index = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(path, f"line {read[0]}", None, f"invalid CSV: {err}") from None
        yield f"row {index}", row
        index += 1


def _parquet(path: Path) -> Iterator[Located]:
    import pyarrow.parquet as pq

    index = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            yield f"row {index}", row
            index += 1

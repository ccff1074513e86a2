"""In-memory ``datasets`` objects as preference input: a ``Dataset`` (or ``IterableDataset``),
or a ``DatasetDict`` and one of its splits.

Rows are located as ``"row N"`` (0-based), like hub rows, and the dataset is named in errors
as ``Dataset`` or ``DatasetDict@SPLIT``. A ``DatasetDict`` needs ``split`` unless it holds
exactly one split. ``datasets`` is never imported here: objects are recognised by their type's
module.

Example:
    >>> from datasets import Dataset, DatasetDict
    >>> ds = Dataset.from_dict({"chosen": ["a"], "rejected": ["b"]})
    >>> origin, rows = dataset_split(DatasetDict(train=ds), None)
    >>> origin, list(dataset_rows(rows))
    ('DatasetDict@train', [('row 0', {'chosen': 'a', 'rejected': 'b'})])
    >>> dataset_split(DatasetDict(train=ds, test=ds), None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    morelib.data.schema.DataError: DatasetDict: split: give a split (one of train, test)
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator, Mapping

from morelib.data.readers import Located
from morelib.data.schema import DataError

#: Builder names that say nothing about the data (``load_dataset("json", ...)`` and the like).
_GENERIC_BUILDERS = {"json", "csv", "parquet", "text", "arrow", "pandas", "generator", "sql"}


def is_dataset(obj: Any) -> bool:
    """Whether ``obj`` is a ``datasets`` dataset or dataset dict.

    Example:
        >>> from datasets import Dataset
        >>> is_dataset(Dataset.from_dict({"a": [1]})), is_dataset("data.jsonl"), is_dataset([])
        (True, False, False)
    """
    module = type(obj).__module__ or ""
    return module == "datasets" or module.startswith("datasets.")


def dataset_split(dataset: Any, split: str | None = None) -> tuple[str, Any]:
    """The origin (for errors) and the dataset: ``dataset`` itself, or its split ``split``."""
    if isinstance(dataset, Mapping):  # DatasetDict / IterableDatasetDict
        kind, names = type(dataset).__name__, list(dataset)
        if split is None and len(names) == 1:
            split = names[0]
        if split is None:
            raise DataError(kind, "split", None, f"give a split (one of {', '.join(names)})")
        if split not in dataset:
            raise DataError(kind, "split", None,
                            f"no split {split!r} (splits: {', '.join(names)})")
        origin, dataset = f"{kind}@{split}", dataset[split]
    else:
        origin = type(dataset).__name__
        if split is not None:
            raise DataError(origin, "split", None,
                            f"a {origin} has no splits (split={split!r} is for a DatasetDict)")
    return origin, dataset


def dataset_rows(dataset: Any, limit: int | None = None) -> Iterator[Located]:
    """``(where, row)`` of the first ``limit`` rows (all if ``None``) of a dataset (or any
    iterable of rows); every call starts again from the first row."""
    return itertools.islice(((f"row {index}", row) for index, row in enumerate(dataset)), limit)


def dataset_name(dataset: Any) -> str:
    """A source name for a dataset: its ``info.dataset_name`` unless that only names a builder
    (``json``, ``parquet``, ...), else ``"dataset"``.

    Example:
        >>> from datasets import Dataset
        >>> dataset_name(Dataset.from_dict({"a": [1]}))
        'dataset'
    """
    info = getattr(dataset, "info", None)
    name = getattr(info, "dataset_name", None)
    return name if isinstance(name, str) and name and name not in _GENERIC_BUILDERS else "dataset"

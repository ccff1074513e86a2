"""The one place that calls ``datasets.load_dataset``, for the hub loaders and any other hub id.

Each hub loader is a thin call to :func:`hub_records` followed by a pure converter of rows in
the hub's exact schema, which tests exercise offline on fixture files. Any other hub id (or a
local folder laid out like a hub repository, e.g. ``data/train-00000-of-00001.parquet``) is
loaded whole with :func:`hub_dataset`, whose failures (unknown repository, no network, no such
split) are one-line :class:`DataError` s. ``datasets`` is imported only when a hub (or
``json``/``parquet`` builder) load actually happens.

Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "rows.jsonl"
    >>> _ = f.write_text('{"chosen": "a", "rejected": "b"}\\n')
    >>> origin, rows = hub_records("json", split="train", data_files=str(f),
    ...                            cache_dir=str(f.parent / "cache"))
    >>> origin, list(rows)
    ('json@train', [('row 0', {'chosen': 'a', 'rejected': 'b'})])
"""

from __future__ import annotations

from typing import Any, Iterator

from morelib.data.readers import Located
from morelib.data.schema import DataError

#: Script datasets are read from the hub's automatic Parquet conversion on this branch.
PARQUET_REVISION = "refs/convert/parquet"


def hub_origin(name: str, config: str | None, split: str) -> str:
    """How a hub source is named in reports: ``NAME[:CONFIG]@SPLIT``.

    Example:
        >>> hub_origin("Anthropic/hh-rlhf", "harmless-base", "test")
        'Anthropic/hh-rlhf:harmless-base@test'
    """
    return f"{name}{':' + config if config else ''}@{split}"


def hub_records(name: str, config: str | None = None, *, split: str, limit: int | None = None,
                label: str | None = None, **kwargs: Any) -> tuple[str, Iterator[Located]]:
    """Load ``split`` (its first ``limit`` rows) with ``datasets``; return origin and rows.

    ``label`` names the configuration in the origin (e.g. the ``data_dir`` of HH-RLHF); extra
    keyword arguments go to ``datasets.load_dataset``.
    """
    import datasets

    dataset = datasets.load_dataset(name, config, split=split if limit is None
                                    else f"{split}[:{limit}]", **kwargs)
    rows = ((f"row {index}", row) for index, row in enumerate(dataset))
    return hub_origin(name, label or config, split), rows


def hub_dataset(name: str, config: str | None = None, *, split: str, **kwargs: Any) -> Any:
    """``datasets.load_dataset(name, config, split=split)``; a failure is a :class:`DataError`
    naming ``NAME[:CONFIG]@SPLIT`` and the error's first line.

    Example:
        >>> import tempfile
        >>> hub_dataset(tempfile.mkdtemp(), split="train")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: ...@train: load: cannot load the dataset (...)
    """
    import datasets

    try:
        return datasets.load_dataset(name, config, split=split, **kwargs)
    except Exception as err:  # datasets raises many types (hub, builder, split, network)
        first = (str(err).strip().splitlines() or [""])[0]
        raise DataError(hub_origin(name, config, split), "load", None,
                        f"cannot load the dataset ({type(err).__name__}: {first})") from None

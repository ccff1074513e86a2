"""The one place that calls ``datasets.load_dataset``, for the hub loaders and any other hub id.

Each hub loader is a thin call to :func:`hub_records` followed by a pure converter of rows in
the hub's exact schema, which tests exercise offline on fixture files. Any other hub id (or a
local folder laid out like a hub repository, e.g. ``data/train-00000-of-00001.parquet``) is
loaded whole with :func:`hub_dataset`, whose failures (unknown repository, no network, no such
split) are one-line :class:`DataError` s. ``datasets`` is imported only when a hub (or
``json``/``parquet`` builder) load actually happens.

Configurations of a repository are chosen by ``data_dir`` (its folder), never by a config name:
a branch such as the hub's Parquet conversion (``refs/convert/parquet``, one folder per config,
``<config>/<split>/0000.parquet``) need not declare its configs in a README, and then only
``default`` exists as a config name, while ``data_dir="comparisons"`` works either way.

**Local mirror.** With ``MORELIB_HUB_DATASETS_DIR`` set (an air-gapped cluster, or the tests'
stand-ins), a hub name is read from ``$MORELIB_HUB_DATASETS_DIR/<owner>/<name>/<revision>/``
(``main`` when no revision is asked for), a copy of the repository at that revision in its
exact layout, through the same ``datasets.load_dataset`` call with the folder as its path.

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

import os
from pathlib import Path
from typing import Any, Iterator

from morelib.data.readers import Located
from morelib.data.schema import DataError

#: Script datasets are read from the hub's automatic Parquet conversion on this branch.
PARQUET_REVISION = "refs/convert/parquet"

#: ``datasets``' packaged builders: names that are never hub repositories.
PACKAGED = {"json", "csv", "parquet", "text", "arrow", "pandas"}


def hub_origin(name: str, config: str | None, split: str) -> str:
    """How a hub source is named in reports: ``NAME[:CONFIG]@SPLIT``.

    Example:
        >>> hub_origin("Anthropic/hh-rlhf", "harmless-base", "test")
        'Anthropic/hh-rlhf:harmless-base@test'
    """
    return f"{name}{':' + config if config else ''}@{split}"


def hub_path(name: str, revision: str | None = None) -> str:
    """What ``datasets.load_dataset`` is given for hub repository ``name``: the name itself, or
    its copy under ``MORELIB_HUB_DATASETS_DIR`` (see the module notes) when that is set.

    Example:
        >>> import os, tempfile, pathlib
        >>> mirror = tempfile.mkdtemp()
        >>> copy = pathlib.Path(mirror, "openai/summarize_from_feedback/refs/convert/parquet")
        >>> copy.mkdir(parents=True)
        >>> os.environ["MORELIB_HUB_DATASETS_DIR"] = mirror
        >>> hub_path("openai/summarize_from_feedback", "refs/convert/parquet") == str(copy)
        True
        >>> hub_path("Anthropic/hh-rlhf")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: Anthropic/hh-rlhf: no local copy at .../Anthropic/hh-rlhf/main (MORELIB_HUB_DATASETS_DIR is set)
        >>> del os.environ["MORELIB_HUB_DATASETS_DIR"]
        >>> hub_path("Anthropic/hh-rlhf")
        'Anthropic/hh-rlhf'
    """
    root = os.environ.get("MORELIB_HUB_DATASETS_DIR")
    if not root or name in PACKAGED:
        return name
    folder = Path(root, *name.split("/"), *(revision or "main").split("/"))
    if not folder.is_dir():
        raise FileNotFoundError(f"{name}: no local copy at {folder} "
                                "(MORELIB_HUB_DATASETS_DIR is set)")
    return str(folder)


def hub_records(name: str, config: str | None = None, *, split: str, limit: int | None = None,
                label: str | None = None, revision: str | None = None,
                **kwargs: Any) -> tuple[str, Iterator[Located]]:
    """Load ``split`` (its first ``limit`` rows) with ``datasets``; return origin and rows.

    ``label`` names the configuration in the origin (e.g. the ``data_dir`` of HH-RLHF); extra
    keyword arguments go to ``datasets.load_dataset``; ``revision`` is the branch (a local mirror
    folder, see :func:`hub_path`, stands for one revision, so it is not passed on there).
    """
    import datasets

    path = hub_path(name, revision)
    if path == name and revision is not None:
        kwargs["revision"] = revision
    dataset = datasets.load_dataset(path, config, split=split if limit is None
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

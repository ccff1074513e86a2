"""SHA-256 of every file of a cache entry, recorded in its marker and verified on each load.

A bit flipped in a cached reward head or a file cut short by a full disk would otherwise be
loaded silently (or fail on every later run): :func:`entry_problems` names what differs from
the recorded sums, and :class:`morelib.runs.RunCache` then rebuilds the entry with a warning.
Sizes are compared first, so a truncated file costs no hashing.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "head.bin").write_bytes(b"weights")
    >>> sums = file_checksums(folder)
    >>> sums["head.bin"]["bytes"], entry_problems(folder, sums)
    (7, [])
    >>> _ = (folder / "head.bin").write_bytes(b"weighty")
    >>> entry_problems(folder, sums)
    ['head.bin: checksum differs from the one recorded when it was built']
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from morelib.io import is_temporary

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path, skip: Iterable[str]) -> list[str]:
    skip = set(skip)
    names = []
    for base, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            rel = Path(base, name).relative_to(folder).as_posix()
            if rel not in skip and not is_temporary(name):
                names.append(rel)
    return names


def file_checksums(folder: str | os.PathLike[str],
                   skip: Iterable[str] = ()) -> dict[str, dict[str, int | str]]:
    """``{relative path: {"bytes": size, "sha256": hex}}`` of every file under ``folder``
    except the paths in ``skip`` and temporary files (:func:`morelib.io.is_temporary`)."""
    folder = Path(folder)
    return {rel: {"bytes": (folder / rel).stat().st_size, "sha256": sha256_file(folder / rel)}
            for rel in _files(folder, skip)}


def entry_problems(folder: str | os.PathLike[str],
                   recorded: dict[str, dict[str, int | str]]) -> list[str]:
    """What differs between the files under ``folder`` and ``recorded`` (missing, other size,
    other checksum); ``[]`` when every recorded file is intact. Files added since are ignored."""
    folder = Path(folder)
    problems = []
    for rel, want in sorted(recorded.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != want["bytes"]:
            problems.append(f"{rel}: {path.stat().st_size} bytes, {want['bytes']} recorded "
                            "(truncated or overwritten)")
        elif sha256_file(path) != want["sha256"]:
            problems.append(f"{rel}: checksum differs from the one recorded when it was built")
    return problems


def readable_problems(folder: str | os.PathLike[str]) -> list[str]:
    """Files under ``folder`` that cannot be what their suffix says: safetensors whose header
    does not cover the file (truncated), JSON that does not parse. The check for entries
    written before checksums were recorded, where nothing else can tell a damaged file.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "config.json").write_text('{"a": ')
        >>> readable_problems(folder)
        ['config.json: unreadable (JSONDecodeError)']
    """
    import json

    folder = Path(folder)
    problems = []
    for rel in _files(folder, ()):
        path = folder / rel
        try:
            if rel.endswith(".safetensors"):
                from safetensors import safe_open

                with safe_open(str(path), "np"):
                    pass
            elif rel.endswith(".json"):
                json.loads(path.read_text(encoding="utf-8"))
        except Exception as err:  # noqa: BLE001 - any failure to read it is the finding
            problems.append(f"{rel}: unreadable ({type(err).__name__})")
    return problems

"""Atomic file output: an interrupted run never leaves a half-written file or folder.

Every writer fills a temporary file *in the target's folder* (so the final rename never crosses
file systems), flushes and fsyncs it, then renames it over the target with :func:`os.replace`,
which is atomic. Readers see the old content or the new one, never a mix. On any error the
temporary file is removed and the old target is left as it was. Parent folders are created.
Files get the usual permissions (``0o666`` less the umask), not ``mkstemp``'s private ``0o600``.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_json(folder / "metrics.json", {"b": 1, "a": [0.5]})
    >>> print((folder / "metrics.json").read_text(), end="")
    {
      "a": [
        0.5
      ],
      "b": 1
    }
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it; restored at once
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (best effort: not every OS can open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w",
                encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file for writing that replaces ``path`` only if the block succeeds.

    ``mode`` is ``"w"`` (text, ``encoding``) or ``"wb"`` (bytes).

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "log.txt"
        >>> _ = target.write_text("old")
        >>> try:
        ...     with atomic_open(target) as f:
        ...         _ = f.write("half a ")
        ...         raise RuntimeError("interrupted")
        ... except RuntimeError:
        ...     pass
        >>> target.read_text(), len(list(target.parent.iterdir()))
        ('old', 1)
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=None if mode == "wb" else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "note.txt"
        >>> atomic_write_text(target, "hello\\n"); target.read_text()
        'hello\\n'
    """
    with atomic_open(path, "w", encoding) as f:
        f.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "blob.bin"
        >>> atomic_write_bytes(target, b"\\x00\\x01"); target.read_bytes()
        b'\\x00\\x01'
    """
    with atomic_open(path, "wb") as f:
        f.write(data)


def _plain(value: Any) -> Any:
    """JSON fallback: numpy scalars and arrays (anything with ``tolist``) and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON: {value!r}")


def _find_non_finite(obj: Any, where: str = "") -> tuple[str, float] | None:
    """Where the first NaN or infinity sits in ``obj`` (e.g. ``['runs'][2]['ece']``), and it."""
    if hasattr(obj, "tolist") and not isinstance(obj, (dict, list, tuple)):
        obj = obj.tolist()
    if isinstance(obj, float):
        return None if math.isfinite(obj) else (where, obj)
    if isinstance(obj, dict):
        items = ((f"{where}[{k!r}]", v) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(obj))
    else:
        return None
    for key, value in items:
        found = _find_non_finite(value, key)
        if found is not None:
            return found
    return None


def to_json(obj: Any) -> str:
    """``obj`` as JSON text: sorted keys, indent 2, a final newline; NaN and infinity refused.

    Numpy scalars and arrays and paths are converted; NaN raises a ``ValueError`` that says
    where it is (JSON has no NaN; store ``None`` instead).

    Example:
        >>> to_json({"acc": 0.5, "n": 2})
        '{\\n  "acc": 0.5,\\n  "n": 2\\n}\\n'
        >>> to_json({"runs": [{"ece": float("nan")}]})
        Traceback (most recent call last):
        ...
        ValueError: cannot write NaN or infinity as JSON: value at ['runs'][0]['ece'] is nan (use None for a missing number)
    """
    try:
        return json.dumps(obj, sort_keys=True, indent=2, allow_nan=False, default=_plain) + "\n"
    except ValueError as err:
        found = _find_non_finite(obj)
        if found is None:
            raise
        where, value = found
        raise ValueError(f"cannot write NaN or infinity as JSON: value at {where or 'top level'} "
                         f"is {value} (use None for a missing number)") from err


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as JSON (see :func:`to_json`) atomically; nothing is written on error.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "m.json"
        >>> atomic_write_json(target, {"z": 1, "a": None}); target.read_text()
        '{\\n  "a": null,\\n  "z": 1\\n}\\n'
    """
    atomic_write_text(path, to_json(obj))


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], *, fsync: bool = True) -> Iterator[Path]:
    """Yield an empty temporary sibling folder that becomes ``path`` if the block succeeds.

    On success the folder's files are fsynced (``fsync=True``) and it is renamed to ``path``;
    an existing ``path`` folder is first moved aside and deleted only once the new one is in
    place (if the rename fails, it is moved back). On an exception the temporary folder is
    removed and an existing ``path`` is untouched.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> with atomic_directory(root / "ckpt") as tmp:
        ...     _ = (tmp / "weights.bin").write_bytes(b"w")
        >>> sorted(p.name for p in root.iterdir()), (root / "ckpt" / "weights.bin").read_bytes()
        (['ckpt'], b'w')
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"atomic_directory: {target} exists and is not a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if fsync:
            for folder, _, files in os.walk(tmp):
                for name in files:
                    _fsync_file(Path(folder) / name)
                _fsync_dir(Path(folder))
        _swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)


def _fsync_file(path: Path) -> None:
    if path.is_symlink():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing ``target`` is set aside, then deleted."""
    if not target.exists():
        os.replace(tmp, target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.replace(target, old / "content")  # move the old folder aside (same file system)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old / "content", target)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def is_temporary(name: str) -> bool:
    """Whether a file or folder name is one of this module's temporaries
    (``.<target>.<random>.tmp`` / ``.old``), which a killed writer leaves behind.

    Example:
        >>> is_temporary(".model.safetensors.k2j3.tmp"), is_temporary("model.safetensors")
        (True, False)
    """
    return name.startswith(".") and name.endswith((".tmp", ".old"))


def remove_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporaries (:func:`is_temporary`) under ``folder``; return what was removed.
    Only call it where no other process is writing (e.g. holding the entry's lock)."""
    removed = []
    for base, dirs, files in os.walk(folder):
        for name in [*files, *dirs]:
            if is_temporary(name):
                path = Path(base, name)
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
        dirs[:] = [d for d in dirs if not is_temporary(d)]
    return removed

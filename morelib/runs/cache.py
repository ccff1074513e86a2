"""``RunCache``: build an artifact once per configuration, load it afterwards; ``cache_table``."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import socket
import time
import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

from morelib import __version__
from morelib.io import atomic_open, atomic_write_json, remove_temporaries
from morelib.runs.checksums import entry_problems, file_checksums, readable_problems
from morelib.runs.hashing import CACHE_SCHEMA, canonical, config_hash
from morelib.runs.lock import LOCK, entry_lock, no_lock, now

MARKER, CONFIG = "DONE.json", "config.json"
T = TypeVar("T")
log = logging.getLogger("morelib.runs")


def _in_distributed_worker() -> tuple[bool, bool]:
    """(running under torchrun with several processes, this is rank 0)."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    return world > 1, int(os.environ.get("RANK", "0") or 0) == 0


class RunCache:
    """Artifacts under ``root``, one folder per ``(kind, config)``; see the module docstring.

    ``lock_timeout``: how long ``cached`` waits for another process building the same entry
    (None: as long as it takes; 0: raise :class:`CacheLocked` at once).
    """

    def __init__(self, root: str | os.PathLike[str], lock_timeout: float | None = None,
                 poll_seconds: float = 1.0):
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.poll_seconds = poll_seconds

    def _entry(self, kind: str, config: Any) -> tuple[Path, str]:
        if not kind or not all(c.isalnum() or c in "-_." for c in kind) or kind[0] == ".":
            raise ValueError(f"kind must be a folder name of letters, digits, -_., got {kind!r}")
        digest = config_hash(config)
        return self.root / kind / digest[:16], digest

    def path_for(self, kind: str, config: Any) -> Path:
        """The entry's folder, created with its ``config.json`` if new.

        Example:
            >>> import tempfile
            >>> path = RunCache(tempfile.mkdtemp()).path_for("rm", {"seed": 1})
            >>> path.parent.name, len(path.name), sorted(p.name for p in path.iterdir())
            ('rm', 16, ['config.json'])
        """
        return self._prepare(kind, config)[0]

    def _prepare(self, kind: str, config: Any) -> tuple[Path, str]:
        path, digest = self._entry(kind, config)
        record = path / CONFIG
        if record.exists():
            stored = json.loads(record.read_text()).get("hash")
            if stored != digest:
                raise RuntimeError(f"{path} holds a different configuration (hash {stored}, "
                                   f"expected {digest}): a 64-bit prefix collision; move it away")
        else:
            atomic_write_json(record, {"kind": kind, "hash": digest, "schema": CACHE_SCHEMA,
                                       "created": now(), "config": canonical(config)})
        return path, digest

    def is_done(self, kind: str, config: Any) -> bool:
        """Whether the entry is complete (no folder is created).

        Example:
            >>> import tempfile
            >>> RunCache(tempfile.mkdtemp()).is_done("rm", {"seed": 1})
            False
        """
        return (self._entry(kind, config)[0] / MARKER).exists()

    def cached(self, kind: str, config: Any, build: Callable[[Path], T],
               load: Callable[[Path], T], lock_timeout: float | None | str = "default") -> T:
        """``load(path)`` if the entry is done, else ``build(path)`` then the marker; see above.

        ``build`` should leave in ``path`` everything ``load`` reads and return what ``load``
        would. ``lock_timeout`` overrides the cache's (seconds; None waits as long as it takes).
        Under torchrun (``WORLD_SIZE`` > 1) every rank builds together without the lock and
        rank 0 writes the marker. Example: the module docstring.
        """
        path, digest = self._prepare(kind, config)
        if (path / MARKER).exists() and not self._damage(path):
            log.info("loading %s from %s", kind, path)
            return load(path)
        distributed, rank0 = _in_distributed_worker()
        timeout = self.lock_timeout if lock_timeout == "default" else lock_timeout
        lock = no_lock() if distributed else entry_lock(path, timeout, self.poll_seconds)
        with lock:
            if (path / MARKER).exists():
                damage = self._damage(path)
                if not damage:  # another process finished (or repaired) it while we waited
                    return load(path)
                message = (f"{kind} cache entry {path} is damaged ({'; '.join(damage[:3])}"
                           f"{'; ...' if len(damage) > 3 else ''}): rebuilding it")
                log.warning(message)
                warnings.warn(message, CacheDamaged, stacklevel=2)
                _clear(path)
            for stale in remove_temporaries(path):  # left by a killed writer (we hold the lock)
                log.info("removed stale temporary %s", stale)
            resumed = any(p.name not in (CONFIG, LOCK) for p in path.iterdir())
            log.info("building %s in %s%s", kind, path, " (resuming)" if resumed else "")
            started, t0 = now(), time.perf_counter()
            result = build(path)
            if rank0:
                atomic_write_json(path / MARKER, {
                    "kind": kind, "hash": digest, "config": canonical(config),
                    "started": started, "finished": now(),
                    "build_seconds": round(time.perf_counter() - t0, 3), "resumed": resumed,
                    "morelib_version": __version__, "schema": CACHE_SCHEMA,
                    "python": platform.python_version(), "host": socket.gethostname(),
                    "files": file_checksums(path, skip=(CONFIG, MARKER, LOCK))})
        return result

    def _damage(self, path: Path) -> list[str]:
        """What is wrong with a finished entry's files (``[]``: intact). A marker written before
        checksums were recorded gets them now, from the files as they are (trusted once) if
        they read back (:func:`readable_problems`: e.g. a truncated safetensors file)."""
        try:
            marker = json.loads((path / MARKER).read_text())
        except (OSError, ValueError) as err:
            return [f"{MARKER}: unreadable ({type(err).__name__})"]
        if "files" not in marker:
            damage = readable_problems(path)
            if damage:
                return damage
            log.warning("%s: no checksums recorded (an entry from an older morelib); "
                        "recording those of its readable files as they are", path)
            atomic_write_json(path / MARKER, {
                **marker, "files": file_checksums(path, skip=(CONFIG, MARKER, LOCK))})
            return []
        return entry_problems(path, marker["files"])

    def cached_frame(self, kind: str, config: Any, compute: Callable[[], Any],
                     fmt: str = "parquet") -> Any:
        """A pandas DataFrame computed once and stored as ``frame.parquet`` (or ``frame.csv``).

        Parquet keeps dtypes and the index; CSV keeps columns only (``reset_index()`` first if
        the index matters).

        Example:
            >>> import tempfile, pandas as pd
            >>> cache = RunCache(tempfile.mkdtemp())
            >>> make = lambda: pd.DataFrame({"source": ["a", "b"], "acc": [0.5, 0.75]})
            >>> cache.cached_frame("table", {"k": 2}, make, fmt="csv").acc.tolist()
            [0.5, 0.75]
            >>> cache.cached_frame("table", {"k": 2}, lambda: None, fmt="csv").shape
            (2, 2)
        """
        import pandas as pd

        if fmt not in ("parquet", "csv"):
            raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
        name = f"frame.{fmt}"

        def build(path: Path) -> Any:
            frame = compute()
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"compute() must return a DataFrame, got {type(frame).__name__}")
            with atomic_open(path / name, "wb" if fmt == "parquet" else "w") as f:
                if fmt == "parquet":
                    frame.to_parquet(f)
                else:
                    frame.to_csv(f, index=False)
            return frame

        def load(path: Path) -> Any:
            return (pd.read_parquet if fmt == "parquet" else pd.read_csv)(path / name)

        return self.cached(kind, config, build, load)

    def table(self) -> Any:
        """:func:`cache_table` of this cache's root."""
        return cache_table(self.root)


class CacheDamaged(UserWarning):
    """A finished cache entry whose files differ from their recorded checksums: rebuilt."""


def _clear(path: Path) -> None:
    """Remove everything of an entry but its ``config.json`` and lock (a damaged entry is
    rebuilt from scratch: its checkpoints may be as damaged as its final files)."""
    for child in path.iterdir():
        if child.name in (CONFIG, LOCK):
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _size(folder: Path) -> int:
    total = 0
    for base, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:  # removed meanwhile
                pass
    return total


def cache_table(root: str | os.PathLike[str]) -> Any:
    """One row per entry: kind, hash, done, created, finished, build_seconds, size_bytes, path.

    Example:
        >>> import tempfile
        >>> cache_table(tempfile.mkdtemp()).columns.tolist()[:4]
        ['kind', 'hash', 'done', 'created']
    """
    import pandas as pd

    rows = []
    for record in sorted(Path(root).glob(f"*/*/{CONFIG}")):
        entry = record.parent
        info = json.loads(record.read_text())
        done = entry / MARKER
        marker = json.loads(done.read_text()) if done.exists() else {}
        rows.append({"kind": entry.parent.name, "hash": entry.name, "done": bool(marker),
                     "created": info.get("created"), "finished": marker.get("finished"),
                     "build_seconds": marker.get("build_seconds"), "size_bytes": _size(entry),
                     "path": str(entry)})
    columns = ["kind", "hash", "done", "created", "finished", "build_seconds", "size_bytes",
               "path"]
    return pd.DataFrame(rows, columns=columns).sort_values(["kind", "created"], ignore_index=True)

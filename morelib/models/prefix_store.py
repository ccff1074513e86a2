"""A store of frozen-prefix hidden states: one unpadded ``[len, h]`` tensor per (prefix, text).

Entries are keyed by the *prefix fingerprint* (which frozen weights produced them, see
:func:`morelib.models.prefix_cache.prefix_fingerprint`) and by :func:`row_key`, a hash of the
exact token ids of one unpadded row. They live in memory (least recently used first out when
``max_bytes`` is set) and, with ``directory``, also on disk as one safetensors file per entry
(``<directory>/<fingerprint>/<dtype>/<key[:2]>/<key>.safetensors``, written to a temporary file
and renamed, so concurrent notebooks and re-runs share it and never read half a file; an
unreadable file counts as a miss and is rewritten).

Tensors are stored on the CPU in ``dtype`` (``float32`` by default; ``float16`` halves the
memory at ~1e-3 relative precision). A hit gives back the stored tensor bit for bit; a row
recomputed after a miss runs in another batch shape and matches its old value up to float
rounding (within ``atol=1e-5`` on the rewards, the tolerance the tests hold the cache to). Counters: ``hits`` (memory), ``disk_hits`` (read back from
disk) and ``misses`` (the caller computes and :meth:`PrefixCache.put` s them).

Example:
    >>> cache = PrefixCache()
    >>> key = row_key(torch.tensor([5, 6, 7]))
    >>> cache.get("fp", key) is None
    True
    >>> _ = cache.put("fp", key, torch.ones(3, 4))
    >>> cache.get("fp", key).shape, cache.hits, cache.misses
    (torch.Size([3, 4]), 1, 1)
    >>> cache.size_report()["bytes"]
    48
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

SUFFIX = ".safetensors"


def row_key(ids: torch.Tensor) -> str:
    """Hash of one unpadded row of token ids (its exact int64 values, in order).

    Example:
        >>> row_key(torch.tensor([1, 2])) == row_key(torch.tensor([1, 2], dtype=torch.int32))
        True
        >>> row_key(torch.tensor([1, 2])) == row_key(torch.tensor([2, 1]))
        False
    """
    data = ids.detach().to("cpu", torch.int64).contiguous().numpy().astype("<i8").tobytes()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class PrefixCache:
    """Prefix hidden states in memory, optionally mirrored on disk (see the module docstring).

    Args:
        directory: folder of the on-disk store (``None``: memory only).
        dtype: storage dtype (``torch.float32`` or ``torch.float16``/``torch.bfloat16``).
        max_bytes: memory bound; least recently used entries are dropped beyond it (they stay
            on disk). ``None``: unbounded.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> _ = PrefixCache(folder, dtype=torch.float16).put("fp", "k1", torch.zeros(2, 3))
        >>> again = PrefixCache(folder, dtype=torch.float16)  # a new process, say
        >>> again.get("fp", "k1").dtype, again.disk_hits
        (torch.float16, 1)
        >>> again.size_report()["disk_entries"]
        1
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None,
                 dtype: torch.dtype = torch.float32, max_bytes: int | None = None):
        if not dtype.is_floating_point:
            raise ValueError(f"dtype must be a floating dtype, got {dtype}")
        self.directory = None if directory is None else Path(directory)
        self.dtype = dtype
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], torch.Tensor] = OrderedDict()
        self._bytes = 0
        self.hits = self.disk_hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item: tuple[str, str]) -> bool:
        return item in self._entries

    def get(self, fingerprint: str, key: str) -> torch.Tensor | None:
        """The stored ``[len, h]`` tensor (in the storage dtype), or ``None`` (a miss)."""
        entry = self._entries.get((fingerprint, key))
        if entry is not None:
            self._entries.move_to_end((fingerprint, key))
            self.hits += 1
            return entry
        entry = self._read(fingerprint, key)
        if entry is None:
            self.misses += 1
            return None
        self.disk_hits += 1
        self._remember(fingerprint, key, entry)
        return entry

    def put(self, fingerprint: str, key: str, hidden: torch.Tensor) -> torch.Tensor:
        """Store a copy of ``hidden`` (``[len, h]``) in memory and, with a directory, on disk;
        returns the stored copy (in the storage dtype)."""
        if hidden.dim() != 2:
            raise ValueError(f"expected an unpadded [len, h] tensor, got {tuple(hidden.shape)}")
        with torch.inference_mode(False):  # usable later under autograd, even if made in scoring
            entry = hidden.detach().to(device="cpu", dtype=self.dtype, copy=True).contiguous()
        self._remember(fingerprint, key, entry)
        if self.directory is not None:
            self._write(fingerprint, key, entry)
        return entry

    def clear(self) -> None:
        """Forget the in-memory entries and reset the counters (the disk store stays)."""
        self._entries.clear()
        self._bytes = 0
        self.hits = self.disk_hits = self.misses = 0

    def size_report(self) -> dict[str, Any]:
        """Entries, tokens and bytes in memory (``bytes_per_token`` = h × item size), counters,
        and the disk store's entries and bytes when there is one."""
        tokens = sum(t.shape[0] for t in self._entries.values())
        report: dict[str, Any] = {
            "entries": len(self._entries), "tokens": tokens, "bytes": self._bytes,
            "bytes_per_token": self._bytes / tokens if tokens else None,
            "dtype": str(self.dtype).removeprefix("torch."),
            "hits": self.hits, "disk_hits": self.disk_hits, "misses": self.misses,
        }
        if self.directory is not None:
            files = list(self.directory.rglob("*" + SUFFIX)) if self.directory.exists() else []
            report["disk_entries"] = len(files)
            report["disk_bytes"] = sum(f.stat().st_size for f in files)
        return report

    # ---- internals --------------------------------------------------------------------------
    def _remember(self, fingerprint: str, key: str, entry: torch.Tensor) -> None:
        old = self._entries.pop((fingerprint, key), None)
        if old is not None:
            self._bytes -= _nbytes(old)
        self._entries[(fingerprint, key)] = entry
        self._bytes += _nbytes(entry)
        while self.max_bytes is not None and self._bytes > self.max_bytes and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= _nbytes(dropped)

    def _path(self, fingerprint: str, key: str) -> Path:
        dtype = str(self.dtype).removeprefix("torch.")
        return self.directory / fingerprint / dtype / key[:2] / (key + SUFFIX)

    def _read(self, fingerprint: str, key: str) -> torch.Tensor | None:
        if self.directory is None:
            return None
        path = self._path(fingerprint, key)
        if not path.exists():
            return None
        from safetensors.torch import load

        try:
            with torch.inference_mode(False):
                entry = load(path.read_bytes())["hidden"]
        except Exception:  # torn or foreign file: a miss; the caller's put rewrites it
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return entry if entry.dtype == self.dtype and entry.dim() == 2 else None

    def _write(self, fingerprint: str, key: str, entry: torch.Tensor) -> None:
        from safetensors.torch import save

        path = self._path(fingerprint, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = save({"hidden": entry}, metadata={"fingerprint": fingerprint, "key": key})
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
        try:  # no fsync: a torn file after a crash only costs a recomputation
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _nbytes(tensor: torch.Tensor) -> int:
    return tensor.numel() * tensor.element_size()


_SHARED: dict[tuple[str | None, torch.dtype], PrefixCache] = {}


def shared_prefix_cache(directory: str | os.PathLike[str] | None = None,
                        dtype: torch.dtype = torch.float32,
                        max_bytes: int | None = 4 * 2**30) -> PrefixCache:
    """The process-wide cache for ``directory`` and ``dtype`` (made on first use), so every RM of
    a notebook or an experiment shares one; ``max_bytes`` applies when it is made.

    Example:
        >>> shared_prefix_cache() is shared_prefix_cache()
        True
        >>> shared_prefix_cache(dtype=torch.float16) is shared_prefix_cache()
        False
    """
    name = None if directory is None else os.path.abspath(os.fspath(directory))
    if (name, dtype) not in _SHARED:
        _SHARED[(name, dtype)] = PrefixCache(name, dtype, max_bytes)
    return _SHARED[(name, dtype)]

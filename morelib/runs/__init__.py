"""Artifact cache keyed by a hash of the configuration: build once, share, resume after a kill.

An entry lives in ``root/<kind>/<hash[:16]>/`` with ``config.json`` (for humans). ``cached``
loads it when its completion marker ``DONE.json`` exists; otherwise it takes the entry's lock,
calls ``build(path)`` (which may resume from partial work left in ``path``, e.g. Trainer
checkpoints), then writes the marker atomically, with the size and SHA-256 of every file of the
entry; each load verifies them first, and a missing, truncated or altered file makes ``cached``
warn (:class:`CacheDamaged`) and rebuild the entry from scratch. Temporary files a killed writer
left behind (``.<name>.<random>.tmp``) are removed before a build, under the entry's lock.
A build that raises leaves no marker and keeps its partial files for the next attempt. The lock is ``fcntl.flock`` on ``.lock`` (POSIX): the
kernel drops it when its holder dies, so a killed run never leaves a stale lock behind.

Example:
    >>> import tempfile
    >>> cache = RunCache(tempfile.mkdtemp())
    >>> def build(path):
    ...     (path / "out.txt").write_text("42"); return 42
    >>> load = lambda path: int((path / "out.txt").read_text())
    >>> cache.cached("demo", {"lr": 1e-6, "seed": 1}, build, load)   # built
    42
    >>> cache.cached("demo", {"seed": 1, "lr": 1e-6}, lambda p: 0, load)  # same config: loaded
    42
    >>> cache.table()[["kind", "done"]].values.tolist()
    [['demo', True]]
"""

from morelib.runs.cache import CONFIG, MARKER, CacheDamaged, RunCache, cache_table
from morelib.runs.hashing import CACHE_SCHEMA, canonical, config_hash
from morelib.runs.lock import CacheLocked

__all__ = ["CACHE_SCHEMA", "CONFIG", "MARKER", "CacheDamaged", "CacheLocked", "RunCache", "cache_table",
           "canonical", "config_hash"]

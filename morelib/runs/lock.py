"""The per-entry build lock: ``fcntl.flock`` on POSIX, an exclusive-create file elsewhere.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with entry_lock(folder, timeout=0):
    ...     try:
    ...         with entry_lock(folder, timeout=0):
    ...             pass
    ...     except CacheLocked as err:
    ...         print("locked by pid", str(err).split("pid ")[1].split()[0] == str(os.getpid()))
    locked by pid True
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # not POSIX: an exclusive-create lock file instead (see entry_lock)
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"
log = logging.getLogger("morelib.runs")


class CacheLocked(RuntimeError):
    """Another process is building this entry and the wait for it timed out."""


def now() -> str:
    """The current UTC time in ISO format, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _holder(lock: Path) -> str:
    try:
        text = lock.read_text().strip()
    except OSError:
        text = ""
    return text or "another process"


@contextmanager
def entry_lock(path: Path, timeout: float | None, poll: float = 1.0) -> Iterator[None]:
    """Hold ``path/.lock`` exclusively; wait up to ``timeout`` s (None: for ever, 0: not at all).

    With ``fcntl`` the lock file is never deleted (deleting a flock file races with a waiter);
    its text only names the holder. Without it (Windows), the file's existence is the lock and a
    killed holder leaves it behind: the error says which file to delete.
    """
    lock = path / LOCK
    me = f"pid {os.getpid()} on {socket.gethostname()} since {now()}"
    deadline = None if timeout is None else time.monotonic() + timeout
    waited = False
    while True:
        try:
            if fcntl is not None:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise FileExistsError(lock) from None
            else:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            if deadline is not None and time.monotonic() >= deadline:
                hint = "" if fcntl is not None else f" (if no process is building, delete {lock})"
                raise CacheLocked(f"{path} is being built by {_holder(lock)}{hint}") from None
            if not waited:
                log.warning("waiting for %s, which is building %s", _holder(lock), path)
                waited = True
            time.sleep(poll)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, me.encode())
        yield
    finally:
        os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock
        if fcntl is None:
            os.unlink(lock)


@contextmanager
def no_lock() -> Iterator[None]:
    """A do-nothing stand-in for :func:`entry_lock`."""
    yield

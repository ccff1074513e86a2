"""Process-wide settings read from the environment.

``MORELIB_DATA_DIR``: folder holding the real test sets (the layout of ``shared/data``:
``authors-format/``, ``hh-rlhf/``, ``dsp-domains/``). Unset on most users' machines; tests and
notebooks that need it skip cleanly.

Example:
    >>> import os
    >>> saved = os.environ.pop("MORELIB_DATA_DIR", None)
    >>> data_dir() is None
    True
    >>> os.environ["MORELIB_DATA_DIR"] = "/no/such/folder"; data_dir() is None
    True
    >>> if saved is None: _ = os.environ.pop("MORELIB_DATA_DIR")
    ... else: os.environ["MORELIB_DATA_DIR"] = saved
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path | None:
    """The real-data folder from ``MORELIB_DATA_DIR``, or ``None`` when unset or missing."""
    value = os.environ.get("MORELIB_DATA_DIR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None

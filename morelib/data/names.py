"""Canonical source names and how they are read off file names.

The paper's five sources are ``helpful``, ``harmless``, ``oasst1``, ``webgpt`` and
``summarize``; the domain-specific file gives ``dsp-<domain>``. A file name that mentions one
of them names its source (``helpful.test.json.gz`` -> ``helpful``, ``harmless-base.test.jsonl.gz``
-> ``harmless``, the authors' ``summ.test.json`` -> ``summarize``); any other file is named by
the first part of its name. Loaders take ``source=`` to override.

Example:
    >>> infer_source_name("data/harmless-base.test.jsonl.gz"), infer_source_name("my_prefs.csv")
    ('harmless', 'my_prefs')
"""

from __future__ import annotations

import re
from pathlib import Path

#: File-name words that name a canonical source.
_WORDS = {"helpful": "helpful", "harmless": "harmless", "oasst": "oasst1", "oasst1": "oasst1",
          "webgpt": "webgpt", "summ": "summarize", "summarize": "summarize"}


def infer_source_name(path: str | Path) -> str:
    """The source name a file's name implies (see the module notes).

    Example:
        >>> infer_source_name("authors-format/webgpt.test.json.gz")
        'webgpt'
    """
    name = Path(path).name
    for word in re.split(r"[^0-9a-z]+", name.lower()):
        if word in _WORDS:
            return _WORDS[word]
    return name.split(".")[0] or "data"


def hh_source_name(data_dir: str) -> str:
    """The source name of an HH-RLHF ``data_dir``: ``helpful-base`` -> ``helpful``.

    Example:
        >>> hh_source_name("harmless-base"), hh_source_name("helpful-online")
        ('harmless', 'helpful-online')
    """
    return data_dir.strip("/").removesuffix("-base")

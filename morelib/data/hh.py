"""Anthropic HH-RLHF: the hub dataset and its raw ``.jsonl(.gz)`` files.

Each record is exactly ``{"chosen": dialogue, "rejected": dialogue}``; the prompt is the shared
dialogue through the last ``"\\n\\nAssistant:"`` and the replies are the rest (pairs whose
dialogues differ earlier are kept and flagged, see :mod:`morelib.data.dialogue`), so
``prompt + chosen`` is the raw chosen dialogue for every pair.

Example:
    >>> rows = [("line 1", {"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello!",
    ...                     "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: What?"})]
    >>> pair = hh_pairs(rows, source="helpful", origin="f.jsonl").pairs[0]
    >>> pair.prompt, pair.chosen, pair.rejected
    ('\\n\\nHuman: Hi\\n\\nAssistant:', ' Hello!', ' What?')
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from morelib.data.collect import collect_pairs
from morelib.data.dialogue import split_pair
from morelib.data.hub import hub_records
from morelib.data.names import hh_source_name, infer_source_name
from morelib.data.readers import Located, read_records
from morelib.data.schema import LoadedSource, make_pair, require_text

HUB_NAME = "Anthropic/hh-rlhf"


def hh_pairs(records: Iterable[Located], source: str, origin: str) -> LoadedSource:
    """Pairs from rows of the HH-RLHF schema (``chosen``, ``rejected`` whole dialogues).

    Example:
        >>> hh_pairs([("line 1", {"chosen": "\\n\\nHuman: Hi"})], "helpful", "f.jsonl")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f.jsonl: line 1: field 'rejected': missing field
    """
    def convert(record, where, index, dropped):
        chosen = require_text(record, "chosen", origin, where)
        rejected = require_text(record, "rejected", origin, where)
        split = split_pair(chosen, rejected, origin, where)
        return make_pair(split.prompt, split.chosen, split.rejected, source, f"{source}-{index}",
                         dropped, {"prompt_mismatch": split.prompt_mismatch})

    return collect_pairs(records, convert, source, origin)


def load_hh_file(path: str | Path, source: str | None = None,
                 limit: int | None = None) -> LoadedSource:
    """Load a raw HH-RLHF file (``.jsonl`` or ``.jsonl.gz``); the source name comes from the
    file name (``harmless-base.test.jsonl.gz`` -> ``harmless``) unless given.

    Example:
        >>> import tempfile, pathlib, json
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "helpful-base.test.jsonl"
        >>> _ = f.write_text(json.dumps({"chosen": "\\n\\nHuman: a\\n\\nAssistant: b",
        ...                              "rejected": "\\n\\nHuman: a\\n\\nAssistant: c"}))
        >>> load_hh_file(f).summary()["source"]
        'helpful'
    """
    return hh_pairs(read_records(path, limit), source or infer_source_name(path), str(path))


def load_hh(data_dir: str = "helpful-base", split: str = "test",
            limit: int | None = None) -> LoadedSource:
    """Load ``Anthropic/hh-rlhf`` (``data_dir`` ``helpful-base`` or ``harmless-base``) from the hub.

    Example (needs network)::

        load_hh("harmless-base", "test")   # 2,312 pairs, source 'harmless'
    """
    origin, rows = hub_records(HUB_NAME, split=split, limit=limit, data_dir=data_dir,
                               label=data_dir)
    return hh_pairs(rows, hh_source_name(data_dir), origin)

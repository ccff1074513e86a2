"""One entry point, :func:`load_source`: a hub name or a local file to preference sources.

Spec syntax (``[:N]`` at the end keeps the first N records, as in ``datasets``' split slicing)::

    NAME[:CONFIG][@SPLIT][[:N]]     a hub dataset
        Anthropic/hh-rlhf:helpful-base      CONFIG is the data_dir; default split test
        Anthropic/hh-rlhf:harmless-base@train
        openai/webgpt_comparisons           only split: train
        openai/summarize_from_feedback@validation[:2000]   config comparisons (the default)
        OpenAssistant/oasst1@validation     default split validation
        helpful, harmless, webgpt, summarize, oasst1   short names for the above
    PATH[[:N]]                      a local file; its format is detected from its first record

Local formats (``.json``, ``.jsonl``, ``.csv`` (these three optionally ``.gz``), ``.parquet``),
told apart by the fields of the first record: the authors' ``text``/``score`` format, raw
HH-RLHF (``chosen``/``rejected``), the domain-specific file (``query``/``responses``), rows of
the WebGPT, summarize or oasst1 hub schemas, and generic tables (``prompt``/``chosen``/
``rejected``, or any columns with ``columns=``). A spec that is neither raises
:class:`DataError`.

Example:
    >>> import tempfile, pathlib, json
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "helpful.test.json"
    >>> rec = {"text": ["\\n\\nHuman: a\\n\\nAssistant: b", "\\n\\nHuman: a\\n\\nAssistant: c"],
    ...        "score": [1.0, 0.0]}
    >>> _ = f.write_text(json.dumps([rec] * 3))
    >>> [(s.name, len(s)) for s in load_source(f"{f}[:2]")]
    [('helpful', 2)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from morelib.data import hh, oasst, summarize, webgpt
from morelib.data.authors_format import authors_pairs
from morelib.data.dsp import dsp_pairs
from morelib.data.generic import table_pairs
from morelib.data.names import infer_source_name
from morelib.data.readers import first_record, read_records
from morelib.data.schema import DataError, LoadedSource

#: Hub datasets: name -> (default config, default split).
HUB = {
    hh.HUB_NAME: (None, "test"),
    webgpt.HUB_NAME: ("default", "train"),
    summarize.HUB_NAME: ("comparisons", "validation"),
    oasst.HUB_NAME: (None, "validation"),
}

#: Short names for the paper's hub sources.
ALIASES = {
    "helpful": "Anthropic/hh-rlhf:helpful-base",
    "harmless": "Anthropic/hh-rlhf:harmless-base",
    "webgpt": webgpt.HUB_NAME,
    "summarize": summarize.HUB_NAME,
    "oasst1": oasst.HUB_NAME,
}

#: Local formats by the fields their first record must hold (checked in this order).
FORMATS = (
    ("authors", {"text", "score"}),
    ("dsp", {"query", "responses"}),
    ("webgpt", {"question", "answer_0", "answer_1", "score_0", "score_1"}),
    ("summarize", {"info", "summaries", "choice"}),
    ("oasst1", {"message_id", "role", "text"}),
    ("generic", {"prompt", "chosen", "rejected"}),
    ("hh", {"chosen", "rejected"}),
)

_LIMIT = re.compile(r"\[:(\d+)\]$")
_HUB = re.compile(r"^(?P<name>[^:@]+)(?::(?P<config>[^@]+))?(?:@(?P<split>.+))?$")


@dataclass(frozen=True)
class Spec:
    """A parsed source spec: a local ``path`` or a hub ``name`` with ``config`` and ``split``."""

    text: str
    path: Path | None = None
    name: str | None = None
    config: str | None = None
    split: str | None = None
    limit: int | None = None


def parse_spec(spec: str | Path) -> Spec:
    """Parse a source spec (syntax in the module notes); an existing file wins over a hub name.

    Example:
        >>> spec = parse_spec("summarize@validation[:2000]")
        >>> spec.name, spec.config, spec.split, spec.limit
        ('openai/summarize_from_feedback', 'comparisons', 'validation', 2000)
        >>> parse_spec("no/such/file.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: no/such/file.json: source spec: no such file, and not a known hub dataset (...)
    """
    text = str(spec)
    match = _LIMIT.search(text)
    limit = int(match.group(1)) if match else None
    target = text[:match.start()] if match else text
    if Path(target).expanduser().exists():
        return Spec(text, path=Path(target).expanduser(), limit=limit)
    hub = _HUB.match(target)
    name = hub and hub["name"].strip()
    if hub and name.lower() in ALIASES and not hub["config"]:
        aliased = parse_spec(ALIASES[name.lower()] + (f"@{hub['split']}" if hub["split"] else ""))
        return Spec(text, aliased.path, aliased.name, aliased.config, aliased.split, limit)
    known = {n.lower(): n for n in HUB}
    if not hub or name.lower() not in known:
        raise DataError(text, "source spec", None, "no such file, and not a known hub dataset "
                        f"({', '.join(HUB)}, or {', '.join(ALIASES)})")
    name = known[name.lower()]
    config, split = HUB[name]
    return Spec(text, name=name, config=hub["config"] or config, split=hub["split"] or split,
                limit=limit)


def detect_format(record: Any) -> str | None:
    """The local format whose fields a record holds (names in :data:`FORMATS`), or ``None``.

    Example:
        >>> detect_format({"text": [], "score": []}), detect_format({"chosen": "", "rejected": ""})
        ('authors', 'hh')
    """
    if not isinstance(record, Mapping):
        return None
    return next((name for name, fields in FORMATS if fields <= set(record)), None)


def load_source(spec: str | Path, *, source: str | None = None, split: str | None = None,
                limit: int | None = None,
                columns: Mapping[str, str] | None = None) -> list[LoadedSource]:
    """Load a hub dataset or local file (see the module notes) into one or more sources.

    ``source`` overrides the source name (for the domain-specific file: the name prefix);
    ``split`` overrides the spec's split; ``limit`` keeps the first N records (``[:N]`` in the
    spec does the same); ``columns`` maps a generic table's columns (see
    :mod:`morelib.data.generic`). Most formats give one source; the domain-specific file gives
    one per domain and a generic table one per value of its source column.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
        >>> _ = f.write_text("q,good,bad\\nHi?,Hello!,Go away.\\n")
        >>> [s] = load_source(f, columns={"prompt": "q", "chosen": "good", "rejected": "bad"})
        >>> s.name, s.pairs[0].rejected
        ('mine', 'Go away.')
    """
    parsed = parse_spec(spec)
    limit = limit if limit is not None else parsed.limit
    if parsed.path is None:
        return [_load_hub(parsed, split or parsed.split, limit, source)]
    return _load_file(parsed.path, source, limit, columns)


def _load_hub(spec: Spec, split: str, limit: int | None, source: str | None) -> LoadedSource:
    if spec.name == hh.HUB_NAME:
        if not spec.config:
            raise DataError(spec.text, "source spec", None,
                            "needs a data_dir, e.g. Anthropic/hh-rlhf:harmless-base")
        loaded = hh.load_hh(spec.config, split, limit)
    elif spec.name == webgpt.HUB_NAME:
        loaded = webgpt.load_webgpt(split, limit)
    elif spec.name == summarize.HUB_NAME:
        if spec.config != "comparisons":
            raise DataError(spec.text, "source spec", None, "only the 'comparisons' config "
                            f"holds preference pairs, got {spec.config!r}")
        loaded = summarize.load_summarize(split, limit)
    else:
        loaded = oasst.load_oasst(split, limit)
    return _renamed(loaded, source)


def _load_file(path: Path, source: str | None, limit: int | None,
               columns: Mapping[str, str] | None) -> list[LoadedSource]:
    origin = str(path)
    where, record = first_record(path)
    if not isinstance(record, Mapping):
        raise DataError(path, where, None, f"expected an object, got {type(record).__name__}")
    kind = "generic" if columns is not None else detect_format(record)
    if kind is None:
        raise DataError(path, where, None, "unrecognised record format (fields: "
                        f"{', '.join(map(str, record))}); "
                        "give columns= for a generic table")
    records = read_records(path, limit)
    if kind == "generic":
        return table_pairs(records, origin, columns, source)
    if kind == "dsp":
        return dsp_pairs(records, origin, prefix=source or "dsp")
    if kind == "oasst1":
        return [oasst.oasst_pairs(read_records(path), origin, source or "oasst1", limit)]
    name = source or infer_source_name(path)
    loaded = {"authors": lambda: authors_pairs(records, name, origin),
              "hh": lambda: hh.hh_pairs(records, name, origin),
              "webgpt": lambda: webgpt.webgpt_pairs(records, origin, source or "webgpt"),
              "summarize": lambda: summarize.summarize_pairs(records, origin,
                                                             source or "summarize")}[kind]()
    return [loaded]


def _renamed(loaded: LoadedSource, source: str | None) -> LoadedSource:
    if source is None or source == loaded.name:
        return loaded
    pairs = [replace(pair, source=source) for pair in loaded.pairs]
    return LoadedSource(source, pairs, loaded.dropped, loaded.origin)

"""One entry point, :func:`load_source`: a hub name, a local file or folder, or an in-memory
``datasets`` object to preference sources.

Spec syntax (``[:N]`` at the end keeps the first N records, as in ``datasets``' split slicing)::

    NAME[:CONFIG][@SPLIT][[:N]]     a hub dataset
        Anthropic/hh-rlhf:helpful-base      CONFIG is the data_dir; default split test
        Anthropic/hh-rlhf:harmless-base@train
        openai/webgpt_comparisons           only split: train
        openai/summarize_from_feedback@validation[:2000]   config comparisons (the default)
        OpenAssistant/oasst1@validation     default split validation
        helpful, harmless, webgpt, summarize, oasst1   short names for the above
        OWNER/REPO[:CONFIG][@SPLIT]         any other hub id: default split train, CONFIG is
                                            the dataset's config name
    PATH[[:N]]                      a local file; its format is detected from its first record
    FOLDER[:CONFIG][@SPLIT][[:N]]   a local folder laid out like a hub repository (e.g.
                                    data/train-00000-of-00001.parquet), read as a hub id is

An existing file or folder wins over a hub name; a folder named like a data file
(``x.jsonl/``) is an error, not a repository. The paper's five hub datasets have their own
loaders (``columns=`` does not apply to them). Any other hub id or folder is loaded whole with
``datasets.load_dataset`` (:func:`morelib.data.hub.hub_dataset`; ``[:N]`` then keeps its
first N rows) and its rows are read like a local file's.

**Formats**, told apart by the fields of the first record (:func:`detect_format`): the
authors' ``text``/``score`` format, the domain-specific file (``query``/``responses``), rows of
the WebGPT, summarize or oasst1 hub schemas, and TRL's preference formats:

* standard, explicit prompt: ``prompt``, ``chosen``, ``rejected`` strings, the replies only
  (a *generic table*, :mod:`morelib.data.generic`; the ``separator`` is joined onto the prompt);
* standard, implicit prompt: ``chosen``, ``rejected`` whole texts. If the first record's
  ``chosen`` is an HH dialogue (it holds its ``"\\n\\nAssistant:"`` cue, or WebGPT's) the file
  is raw HH-RLHF and split as before (:mod:`morelib.data.hh`); otherwise the prompt is the
  shared prefix, as TRL's ``extract_prompt`` finds it (:mod:`morelib.data.implicit`);
* conversational, explicit or implicit prompt: the same fields holding lists of
  ``{"role", "content"}`` messages, rendered as HH dialogue text
  (:mod:`morelib.data.conversation`).

With ``columns=`` (a column map, :mod:`morelib.data.columns`) the data is one of TRL's formats
under other column names: conversational if the ``chosen`` column holds messages, implicit if
no ``prompt`` column is mapped or present, else explicit. A spec that is none of these raises
:class:`DataError`, and so does input whose first record fits no format. TRL's unpaired
(``completion``/``label``) and stepwise types are not preference pairs and are not read;
``score_chosen``/``score_rejected`` columns are kept as ``metadata["scores"]``.

An in-memory ``datasets.Dataset`` or ``DatasetDict`` (with ``split=``) is read like a file
(:mod:`morelib.data.in_memory`). Errors name the record: ``line N`` (JSON lines, 1-based),
``record N`` (JSON list) or ``row N`` (CSV, Parquet, hub and dataset rows, 0-based).

Example:
    >>> import tempfile, pathlib, json
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "helpful.test.json"
    >>> rec = {"text": ["\\n\\nHuman: a\\n\\nAssistant: b", "\\n\\nHuman: a\\n\\nAssistant: c"],
    ...        "score": [1.0, 0.0]}
    >>> _ = f.write_text(json.dumps([rec] * 3))
    >>> [(s.name, len(s)) for s in load_source(f"{f}[:2]")]
    [('helpful', 2)]
    >>> from datasets import Dataset
    >>> ds = Dataset.from_dict({"chosen": ["The sky is blue."], "rejected": ["The sky is green."]})
    >>> [pair] = load_source(ds, source="sky")[0].pairs
    >>> pair.prompt, pair.chosen, pair.rejected
    ('The sky is', ' blue.', ' green.')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from morelib.data import hh, oasst, summarize, webgpt
from morelib.data.authors_format import authors_pairs
from morelib.data.columns import check_columns, column_map
from morelib.data.conversation import is_messages
from morelib.data.dsp import dsp_pairs
from morelib.data.generic import AUTO, check_separator, table_pairs
from morelib.data.hub import hub_dataset, hub_origin
from morelib.data.implicit import conversational_texts, implicit_texts, is_hh_dialogue
from morelib.data.in_memory import dataset_name, dataset_rows, dataset_split, is_dataset
from morelib.data.names import infer_source_name
from morelib.data.readers import Located, data_suffix, first_record, read_records
from morelib.data.schema import DataError, LoadedSource

#: Hub datasets: name -> (default config, default split).
HUB = {
    hh.HUB_NAME: (None, "test"),
    webgpt.HUB_NAME: ("default", "train"),
    summarize.HUB_NAME: ("comparisons", "validation"),
    oasst.HUB_NAME: (None, "validation"),
}

#: Default split of any other hub id (and of a local dataset folder).
OTHER_HUB_SPLIT = "train"

#: Short names for the paper's hub sources.
ALIASES = {
    "helpful": "Anthropic/hh-rlhf:helpful-base",
    "harmless": "Anthropic/hh-rlhf:harmless-base",
    "webgpt": webgpt.HUB_NAME,
    "summarize": summarize.HUB_NAME,
    "oasst1": oasst.HUB_NAME,
}

#: Local formats by the fields their first record must hold (checked in this order). A
#: ``generic`` or ``hh`` record whose ``chosen`` holds messages is ``conversational``.
FORMATS = (
    ("authors", {"text", "score"}),
    ("dsp", {"query", "responses"}),
    ("webgpt", {"question", "answer_0", "answer_1", "score_0", "score_1"}),
    ("summarize", {"info", "summaries", "choice"}),
    ("oasst1", {"message_id", "role", "text"}),
    ("generic", {"prompt", "chosen", "rejected"}),
    ("hh", {"chosen", "rejected"}),
)

#: The formats that are TRL preference tables (read by :func:`~morelib.data.generic.table_pairs`).
TABLE_FORMATS = ("generic", "implicit", "conversational")

_LIMIT = re.compile(r"\[:(\d+)\]$")
_HUB = re.compile(r"^(?P<name>[^:@]+)(?::(?P<config>[^@]+))?(?:@(?P<split>.+))?$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class Spec:
    """A parsed source spec: a local ``path``, or a hub ``name`` (a paper dataset, any other
    hub id, or a local dataset folder) with ``config`` and ``split``."""

    text: str
    path: Path | None = None
    name: str | None = None
    config: str | None = None
    split: str | None = None
    limit: int | None = None

    @property
    def paper_hub(self) -> bool:
        """Whether ``name`` is one of the paper's hub datasets (with its own loader)."""
        return self.name in HUB


def is_hub_id(name: str) -> bool:
    """Whether ``name`` reads as a hub id ``OWNER/REPO`` (not a file name like ``a/b.jsonl``).

    Example:
        >>> is_hub_id("trl-lib/ultrafeedback_binarized"), is_hub_id("nowhere/prefs.jsonl")
        (True, False)
    """
    return bool(_HUB_ID.match(name)) and not data_suffix(name)


def _dataset_folder(name: str) -> Path | None:
    path = Path(name).expanduser()
    return path if path.is_dir() and not data_suffix(path) else None


def parse_spec(spec: str | Path) -> Spec:
    """Parse a source spec (syntax in the module notes); an existing file wins over a hub name.

    Example:
        >>> spec = parse_spec("summarize@validation[:2000]")
        >>> spec.name, spec.config, spec.split, spec.limit
        ('openai/summarize_from_feedback', 'comparisons', 'validation', 2000)
        >>> spec = parse_spec("trl-lib/ultrafeedback_binarized@test[:100]")
        >>> spec.name, spec.config, spec.split, spec.limit, spec.paper_hub
        ('trl-lib/ultrafeedback_binarized', None, 'test', 100, False)
        >>> parse_spec("no/such/file.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: no/such/file.json: source spec: no such file, and not a known hub dataset (...)
    """
    text = str(spec)
    match = _LIMIT.search(text)
    limit = int(match.group(1)) if match else None
    target = text[:match.start()] if match else text
    folder = _dataset_folder(target)
    if folder is not None:
        return Spec(text, name=str(folder), split=OTHER_HUB_SPLIT, limit=limit)
    if Path(target).expanduser().exists():
        return Spec(text, path=Path(target).expanduser(), limit=limit)
    hub = _HUB.match(target)
    name = hub and hub["name"].strip()
    if hub and name.lower() in ALIASES and not hub["config"]:
        aliased = parse_spec(ALIASES[name.lower()] + (f"@{hub['split']}" if hub["split"] else ""))
        return Spec(text, aliased.path, aliased.name, aliased.config, aliased.split, limit)
    known = {n.lower(): n for n in HUB}
    if hub and name.lower() in known:
        name = known[name.lower()]
        config, split = HUB[name]
        return Spec(text, name=name, config=hub["config"] or config,
                    split=hub["split"] or split, limit=limit)
    if hub and (is_hub_id(name) or _dataset_folder(name) is not None):
        folder = _dataset_folder(name)
        return Spec(text, name=str(folder) if folder else name, config=hub["config"],
                    split=hub["split"] or OTHER_HUB_SPLIT, limit=limit)
    raise DataError(text, "source spec", None, "no such file, and not a known hub dataset "
                    f"({', '.join(HUB)}, {', '.join(ALIASES)}, or any OWNER/REPO hub id)")


def detect_format(record: Any) -> str | None:
    """The local format whose fields a record holds (names in :data:`FORMATS`, or
    ``conversational``), or ``None``.

    Example:
        >>> detect_format({"text": [], "score": []}), detect_format({"chosen": "", "rejected": ""})
        ('authors', 'hh')
        >>> detect_format({"chosen": [{"role": "user", "content": "hi"}], "rejected": []})
        'conversational'
    """
    if not isinstance(record, Mapping):
        return None
    kind = next((name for name, fields in FORMATS if fields <= set(record)), None)
    if kind in ("generic", "hh") and is_messages(record["chosen"]):
        return "conversational"
    return kind


def table_format(record: Any, columns: Mapping[str, str] | None) -> str:
    """Which TRL table format a first record is in under a column map (rules in the notes).

    Example:
        >>> table_format({"q": "Q", "good": "a", "bad": "b"},
        ...              {"prompt": "q", "chosen": "good", "rejected": "bad"})
        'generic'
        >>> table_format({"good": "a b", "bad": "a c"}, {"chosen": "good", "rejected": "bad"})
        'implicit'
    """
    mapping = column_map(columns)
    if not isinstance(record, Mapping):
        return "generic"  # the table reader reports the bad record
    if is_messages(record.get(mapping["chosen"])):
        return "conversational"
    has_prompt = "prompt" in dict(columns or {}) or mapping["prompt"] in record
    return "generic" if has_prompt else "implicit"


def load_source(spec: Any, *, source: str | None = None, split: str | None = None,
                limit: int | None = None, columns: Mapping[str, str] | None = None,
                separator: str | None = AUTO) -> list[LoadedSource]:
    """Load a hub dataset, local file or folder, or ``datasets`` object (see the module notes)
    into one or more sources.

    ``spec`` is a spec string or path, or a ``datasets.Dataset`` / ``DatasetDict`` (then
    ``split`` picks the split; needed unless it has only one). ``source`` overrides the source
    name (for the domain-specific file: the name prefix); ``split`` overrides the spec's split;
    ``limit`` keeps the first N records (``[:N]`` in the spec does the same); ``columns`` maps
    the columns of a TRL-format table (see :mod:`morelib.data.columns`); ``separator`` is joined
    onto the prompts of explicit-prompt tables (see :mod:`morelib.data.generic`; default: a
    newline only where prompt and reply would be glued; ``""`` for TRL's plain concatenation).
    Most formats give one source; the domain-specific file gives one per domain and a table one
    per value of its source column. Bad arguments raise :class:`DataError` before any download.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
        >>> _ = f.write_text("q,good,bad\\nHi?,Hello!,Go away.\\n")
        >>> [s] = load_source(f, columns={"prompt": "q", "chosen": "good", "rejected": "bad"})
        >>> s.name, s.pairs[0].prompt, s.pairs[0].rejected
        ('mine', 'Hi?\\n', 'Go away.')
    """
    check_columns(columns, spec if isinstance(spec, (str, Path)) else type(spec).__name__)
    check_separator(separator, spec if isinstance(spec, (str, Path)) else type(spec).__name__)
    if is_dataset(spec):
        origin, dataset = dataset_split(spec, split)
        return _load_rows(origin, functools.partial(dataset_rows, dataset), source,
                          source or dataset_name(dataset), limit, columns, separator)
    parsed = parse_spec(spec)
    limit = limit if limit is not None else parsed.limit
    if parsed.path is not None:
        path = parsed.path
        return _load_rows(str(path), functools.partial(read_records, path), source,
                          source or infer_source_name(path), limit, columns, separator,
                          first=first_record(path))
    if parsed.paper_hub:
        if columns is not None:
            raise DataError(parsed.text, "columns", None, f"{parsed.name} has its own loader; "
                            "columns= applies to other hub ids and local tables")
        if separator is not AUTO:
            raise DataError(parsed.text, "separator", None, f"{parsed.name} joins its own "
                            "text; separator= applies to explicit prompt/chosen/rejected tables")
        return [_load_hub(parsed, split or parsed.split, limit, source)]
    split = split or parsed.split
    dataset = hub_dataset(parsed.name, parsed.config, split=split)
    name = source or infer_source_name(parsed.name.rstrip("/").rsplit("/", 1)[-1])
    return _load_rows(hub_origin(parsed.name, parsed.config, split),
                      functools.partial(dataset_rows, dataset), source, name, limit, columns,
                      separator)


def _load_rows(origin: str, read: Callable[[int | None], Iterable[Located]],
               source: str | None, name: str, limit: int | None,
               columns: Mapping[str, str] | None, separator: str | None,
               first: Located | None = None) -> list[LoadedSource]:
    """Detect the format from the first record, then convert the first ``limit`` records."""
    if first is None:
        first = next(iter(read(1)), None)
        if first is None:
            raise DataError(origin, "rows", None, "no rows")
    where, record = first
    if not isinstance(record, Mapping):
        raise DataError(origin, where, None, f"expected an object, got {type(record).__name__}")
    kind = table_format(record, columns) if columns is not None else detect_format(record)
    if kind == "hh" and not is_hh_dialogue(record["chosen"]):
        kind = "implicit"  # TRL's standard implicit-prompt format
    if kind is None:
        raise DataError(origin, where, None, "unrecognised record format (fields: "
                        f"{', '.join(map(str, record))}); "
                        "give columns= for a generic table")
    if separator is not AUTO and kind != "generic":
        raise DataError(origin, "separator", None, "applies only to explicit prompt/chosen/"
                        f"rejected tables; this is {kind} data, which joins its own text")
    records = read(limit)
    if kind in TABLE_FORMATS:
        mapping = column_map(columns)
        extract = {"generic": None, "implicit": implicit_texts,
                   "conversational": functools.partial(
                       conversational_texts, implicit=mapping["prompt"] not in record)}[kind]
        return table_pairs(records, origin, columns, source, separator=separator,
                           extract=extract, name=name)
    if kind == "dsp":
        return dsp_pairs(records, origin, prefix=source or "dsp")
    if kind == "oasst1":
        return [oasst.oasst_pairs(read(None), origin, source or "oasst1", limit)]
    loaded = {"authors": lambda: authors_pairs(records, name, origin),
              "hh": lambda: hh.hh_pairs(records, name, origin),
              "webgpt": lambda: webgpt.webgpt_pairs(records, origin, source or "webgpt"),
              "summarize": lambda: summarize.summarize_pairs(records, origin,
                                                             source or "summarize")}[kind]()
    return [loaded]


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


def _renamed(loaded: LoadedSource, source: str | None) -> LoadedSource:
    if source is None or source == loaded.name:
        return loaded
    pairs = [replace(pair, source=source) for pair in loaded.pairs]
    return LoadedSource(source, pairs, loaded.dropped, loaded.origin)

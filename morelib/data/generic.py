"""A user's own preference table (JSONL, JSON list, CSV or Parquet) with a column mapping.

``columns`` maps the record fields (``prompt``, ``chosen``, ``rejected``, optional ``source``
and ``id``) to the table's column names; unmapped fields use their own name (see
:mod:`morelib.data.columns`). The source of a pair is, in order: the mapped ``source`` column;
``source=``; a column named ``source``; the file name. A source column is all or nothing: when
the first row has one, a row without it is an error (``missing field``), and so is a row with
one when the first row had none. Missing columns and non-string or empty cells raise
:class:`DataError`. TRL's ``score_chosen``/``score_rejected`` columns, when a row has both,
are kept as ``metadata["scores"]`` (chosen's first, as the paper's loaders store scores); they
do not reorder or drop pairs (``chosen`` is the preferred reply, as in TRL).

**Separator.** ``chosen`` and ``rejected`` are the replies only (TRL's explicit-prompt
format) and the reward model scores ``prompt + reply``. Tables written for other tools often
hold a bare question and a bare answer (``"...the answer:"`` and ``"Yes"``), which plain
concatenation glues into ``"...the answer:Yes"``. So ``separator`` is joined onto the stored
``prompt`` (``pair.prompt + pair.chosen`` is the RM text):

* ``None`` (the default, :data:`AUTO`): ``"\\n"`` is added only where text would be glued:
  the prompt does not end with whitespace and at least one reply does not start with it. Data
  that already carries its own boundary (TRL's ``"The sky is"`` + ``" blue."``, prompts ending
  in ``"\\n"`` or ``"Assistant:"`` + ``" reply"``) is left exactly as it is, so this default
  never changes a TRL-style table and never doubles whitespace. A newline (rather than a
  space) marks the end of the question the way chat and instruction formats do.
* a string: always added (``""``: plain concatenation, identical to TRL).

The separator applies to these tables only; formats that join their own text (HH dialogues,
the authors' files, WebGPT, ...) are unchanged.

Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.csv"
    >>> _ = f.write_text("question,good,bad\\nWhat is 2+2?,4,5\\n")
    >>> [src] = load_table(f, columns={"prompt": "question", "chosen": "good", "rejected": "bad"})
    >>> src.name, src.pairs[0].prompt, src.pairs[0].chosen
    ('mine', 'What is 2+2?\\n', '4')
    >>> [src] = load_table(f, columns={"prompt": "question", "chosen": "good", "rejected": "bad"},
    ...                    separator="")
    >>> src.pairs[0].prompt + src.pairs[0].chosen
    'What is 2+2?4'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from morelib.data.columns import FIELDS, check_columns, column_map
from morelib.data.fields import get_number, get_text
from morelib.data.names import infer_source_name
from morelib.data.readers import Located, read_records
from morelib.data.schema import DataError, DropReport, LoadedSource, make_pair

#: ``separator=None``: add :data:`AUTO_TEXT` only where prompt and reply would be glued.
AUTO = None
AUTO_TEXT = "\n"

#: TRL's optional score columns (kept as metadata).
SCORE_COLUMNS = ("score_chosen", "score_rejected")

#: ``extract(record, columns, origin, where, dropped) -> (prompt, chosen, rejected, metadata)``,
#: or ``None`` after counting a drop in ``dropped``.
Extract = Callable[[Any, Mapping[str, str], Any, Any, DropReport],
                   "tuple[str, str, str, dict] | None"]


def join_prompt(prompt: str, chosen: str, rejected: str, separator: str | None = AUTO) -> str:
    """The prompt with the separator joined on (rules in the module notes).

    Example:
        >>> join_prompt("the answer:", "Yes", "No"), join_prompt("The sky is", " blue.", " red.")
        ('the answer:\\n', 'The sky is')
        >>> join_prompt("Q:", " a", "b"), join_prompt("Q:", "a", "b", separator=" ")
        ('Q:\\n', 'Q: ')
    """
    if separator is not AUTO:
        return prompt + separator
    glued = prompt and not prompt[-1].isspace() and not all(
        reply[:1].isspace() for reply in (chosen, rejected))
    return prompt + AUTO_TEXT if glued else prompt


def check_separator(separator: Any, origin: Any) -> None:
    """:class:`DataError` unless ``separator`` is ``None`` or a string.

    Example:
        >>> check_separator(1, "f.csv")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f.csv: separator: expected a string or None (auto), got int
    """
    if separator is not AUTO and not isinstance(separator, str):
        raise DataError(origin, "separator", None,
                        f"expected a string or None (auto), got {type(separator).__name__}")


def explicit_texts(separator: str | None = AUTO) -> Extract:
    """The extractor of explicit-prompt rows (``prompt``, ``chosen``, ``rejected`` strings).

    Example:
        >>> explicit_texts()({"prompt": "Q", "chosen": "a", "rejected": "b"},
        ...                  {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"},
        ...                  "f", "row 0", DropReport())
        ('Q\\n', 'a', 'b', {})
    """
    def extract(record, columns, origin, where, dropped):
        prompt, chosen, rejected = (get_text(record, (columns[f],), origin, where)
                                    for f in FIELDS[:3])
        return join_prompt(prompt, chosen, rejected, separator), chosen, rejected, {}

    return extract


def table_pairs(records: Iterable[Located], origin: str,
                columns: Mapping[str, str] | None = None,
                source: str | None = None, *, separator: str | None = AUTO,
                extract: Extract | None = None, name: str | None = None) -> list[LoadedSource]:
    """Pairs from table rows under a column mapping, one :class:`LoadedSource` per source.

    ``extract`` reads one row's texts (default: :func:`explicit_texts` with ``separator``; the
    TRL implicit and conversational formats pass theirs, see :mod:`morelib.data.implicit`).
    ``origin`` names the file (or dataset) in errors; without a source column or ``source``,
    pairs take the source ``name`` (default: from the file name in ``origin``).

    Example:
        >>> rows = [("line 1", {"p": "Q", "c": "a", "r": "b", "who": "x"}),
        ...         ("line 2", {"p": "Q", "c": "a", "r": "a", "who": "y"})]
        >>> srcs = table_pairs(rows, "f.jsonl", {"prompt": "p", "chosen": "c", "rejected": "r",
        ...                                      "source": "who"})
        >>> [(s.name, len(s), s.dropped.total) for s in srcs]
        [('x', 1, 0), ('y', 0, 1)]
    """
    check_columns(columns, origin)
    check_separator(separator, origin)
    mapping = column_map(columns)
    extract = extract or explicit_texts(separator)
    default = name or infer_source_name(origin)
    by_column = columns is not None and "source" in columns
    results: dict[str, tuple[list, DropReport]] = {}
    first_where = None  # a source column seen in the first row must be in every row
    for index, (where, record) in enumerate(records):
        if not isinstance(record, Mapping):
            raise DataError(origin, where, None,
                            f"expected an object, got {type(record).__name__}")
        has_column = mapping["source"] in record
        if index == 0:
            first_where, by_column = where, by_column or (source is None and has_column)
        elif source is None and has_column and not by_column:
            raise DataError(origin, where, mapping["source"], f"present here but not in "
                            f"{first_where}: give every row a source, or none")
        if by_column:
            name = get_text(record, (mapping["source"],), origin, where)
        else:
            name = source or default
        pair_id = (get_text(record, (mapping["id"],), origin, where)
                   if mapping["id"] in record else f"{name}-{index}")
        pairs, dropped = results.setdefault(name, ([], DropReport()))
        texts = extract(record, mapping, origin, where, dropped)
        if texts and all(record.get(column) is not None for column in SCORE_COLUMNS):
            texts[3]["scores"] = tuple(get_number(record, (column,), origin, where)
                                       for column in SCORE_COLUMNS)
        pair = texts and make_pair(*texts[:3], name, pair_id, dropped, texts[3])
        if pair:
            pairs.append(pair)
    return [LoadedSource(name, pairs, dropped, origin)
            for name, (pairs, dropped) in results.items()]


def load_table(path: str | Path, columns: Mapping[str, str] | None = None,
               source: str | None = None, limit: int | None = None, *,
               separator: str | None = AUTO) -> list[LoadedSource]:
    """Load a preference table (``.jsonl``, ``.json``, ``.csv`` (optionally ``.gz``) or
    ``.parquet``) under a column mapping; ``limit`` keeps the first N rows.

    Example:
        >>> import tempfile, pathlib, json
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "prefs.jsonl"
        >>> _ = f.write_text(json.dumps({"prompt": "Q", "chosen": "a", "rejected": "b"}))
        >>> [(s.name, len(s)) for s in load_table(f, source="mine")]
        [('mine', 1)]
    """
    return table_pairs(read_records(path, limit), str(path), columns, source,
                       separator=separator)

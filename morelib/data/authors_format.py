"""The paper authors' text/score files: a JSON list of ``{"text": [a, b], "score": [sa, sb]}``.

Each text is a whole dialogue, HH style (``"\\n\\nHuman: ...\\n\\nAssistant: ..."``) or WebGPT
style (``"## Human:\\n<q>\\n\\n## Assistant:\\n<a>"``). Rules (after the authors' code):

* the higher score is chosen, wherever it stands; equal scores are a tie: no pair, counted as
  :data:`~morelib.data.schema.DROP_TIE` (245 of the 901 WebGPT test records);
* only the first two texts count (as in the authors' code); ``score`` must have one number per
  text;
* prompt and replies are split as in :mod:`morelib.data.dialogue`, so ``prompt + chosen`` is the
  chosen text; ``metadata`` holds ``scores`` (chosen's first) and ``prompt_mismatch``.

Example:
    >>> rec = {"text": ["## Human:\\nWhy?\\n\\n## Assistant:\\nNo idea.",
    ...                 "## Human:\\nWhy?\\n\\n## Assistant:\\nBecause [1]."], "score": [0.5, 1.5]}
    >>> pair = authors_pairs([("record 0", rec)], "webgpt", "webgpt.test.json").pairs[0]
    >>> pair.prompt, pair.chosen, pair.metadata["scores"]
    ('## Human:\\nWhy?\\n\\n## Assistant:\\n', 'Because [1].', (1.5, 0.5))
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from morelib.data.collect import collect_pairs, preferred
from morelib.data.dialogue import split_pair
from morelib.data.fields import get_number, get_text
from morelib.data.names import infer_source_name
from morelib.data.readers import Located, read_records
from morelib.data.schema import DataError, LoadedSource, make_pair


def authors_pairs(records: Iterable[Located], source: str, origin: str) -> LoadedSource:
    """Pairs from records of the authors' text/score format (rules in the module notes).

    Example:
        >>> tie = {"text": ["\\n\\nHuman: a\\n\\nAssistant: b", "\\n\\nHuman: a\\n\\nAssistant: c"],
        ...        "score": [1.0, 1.0]}
        >>> authors_pairs([("record 0", tie)], "webgpt", "f.json").dropped.counts
        {'tie (equal scores)': 1}
    """
    def convert(record, where, index, dropped):
        texts = [get_text(record, ("text", i), origin, where) for i in (0, 1)]
        scores = [get_number(record, ("score", i), origin, where) for i in (0, 1)]
        n_texts, n_scores = len(record["text"]), len(record["score"])
        if n_texts != n_scores:
            raise DataError(origin, where, "score",
                            f"expected one score per text ({n_texts}), got {n_scores}")
        best = preferred(scores, dropped)
        if best is None:
            return None
        split = split_pair(texts[best], texts[1 - best], origin, where,
                           (f"text[{best}]", f"text[{1 - best}]"))
        return make_pair(split.prompt, split.chosen, split.rejected, source, f"{source}-{index}",
                         dropped, {"scores": (scores[best], scores[1 - best]),
                                   "prompt_mismatch": split.prompt_mismatch})

    return collect_pairs(records, convert, source, origin)


def load_authors_file(path: str | Path, source: str | None = None,
                      limit: int | None = None) -> LoadedSource:
    """Load an authors' text/score file (``.json``/``.jsonl``, optionally ``.gz``).

    The source name comes from the file name (``helpful.test.json.gz`` -> ``helpful``) unless
    given; ``limit`` keeps the first N records (the paper keeps summarize's first 2,000).

    Example:
        >>> import tempfile, pathlib, json
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "harmless.test.json"
        >>> rec = {"text": ["\\n\\nHuman: a\\n\\nAssistant: b", "\\n\\nHuman: a\\n\\nAssistant: c"],
        ...        "score": [0.0, 1.0]}
        >>> _ = f.write_text(json.dumps([rec, rec, rec]))
        >>> src = load_authors_file(f, limit=2)
        >>> src.name, len(src), src.pairs[0].chosen
        ('harmless', 2, ' c')
    """
    return authors_pairs(read_records(path, limit), source or infer_source_name(path), str(path))

"""OpenAI WebGPT comparisons (``openai/webgpt_comparisons``), rows in the exact hub schema.

Used fields: ``question.full_text``, ``answer_0``, ``answer_1``, ``score_0``, ``score_1``
(scores in [-1, 1]); ``quotes_*`` and ``tokens_*`` are ignored. The higher score is chosen;
equal scores are a tie (no pair, counted). The prompt is HH style,
``"\\n\\nHuman: <question>\\n\\nAssistant:"``, the replies ``" " + answer`` (see
:mod:`morelib.data.dialogue`); a blank answer gives no pair (counted as ``empty reply``).

Example:
    >>> row = {"question": {"dataset": "eli5", "id": "q1", "full_text": "Why is the sky blue?"},
    ...        "answer_0": "Rayleigh scattering [1].", "score_0": -0.5,
    ...        "answer_1": "It reflects the sea.", "score_1": 0.5}
    >>> pair = webgpt_pairs([("row 0", row)], "webgpt-hub").pairs[0]
    >>> pair.prompt, pair.chosen, pair.rejected
    ('\\n\\nHuman: Why is the sky blue?\\n\\nAssistant:', ' It reflects the sea.', ' Rayleigh scattering [1].')
"""

from __future__ import annotations

from typing import Iterable

from morelib.data.collect import DROP_EMPTY_REPLY, collect_pairs, preferred
from morelib.data.dialogue import hh_prompt, hh_reply
from morelib.data.fields import get_number, get_text
from morelib.data.hub import PARQUET_REVISION, hub_records
from morelib.data.readers import Located
from morelib.data.schema import LoadedSource, make_pair

HUB_NAME = "openai/webgpt_comparisons"


def webgpt_pairs(records: Iterable[Located], origin: str, source: str = "webgpt") -> LoadedSource:
    """Pairs from rows of the WebGPT comparisons schema (rules in the module notes).

    Example:
        >>> row = {"question": {"full_text": "Q"}, "answer_0": "a", "score_0": 0.0,
        ...        "answer_1": "b", "score_1": 0.0}
        >>> webgpt_pairs([("row 0", row)], "hub").dropped.counts
        {'tie (equal scores)': 1}
    """
    def convert(record, where, index, dropped):
        question = get_text(record, ("question", "full_text"), origin, where)
        answers = [get_text(record, (f"answer_{i}",), origin, where, allow_empty=True)
                   for i in (0, 1)]
        scores = [get_number(record, (f"score_{i}",), origin, where) for i in (0, 1)]
        best = preferred(scores, dropped)
        if best is None:
            return None
        if not all(a.strip() for a in answers):
            dropped.drop(DROP_EMPTY_REPLY)
            return None
        return make_pair(hh_prompt([("human", question)]), hh_reply(answers[best]),
                         hh_reply(answers[1 - best]), source, f"{source}-{index}", dropped,
                         {"scores": (scores[best], scores[1 - best]),
                          "question_id": record["question"].get("id")})

    return collect_pairs(records, convert, source, origin)


def load_webgpt(split: str = "train", limit: int | None = None) -> LoadedSource:
    """Load ``openai/webgpt_comparisons`` (its only split is ``train``) from the hub's Parquet
    conversion (the script dataset itself no longer loads with ``datasets`` >= 4), by its folder
    ``default`` (``data_dir``), whether or not that branch declares its configs.

    Example (needs network)::

        load_webgpt(limit=1000)   # the first 1,000 comparisons, ties dropped
    """
    origin, rows = hub_records(HUB_NAME, split=split, limit=limit, data_dir="default",
                               label="default", revision=PARQUET_REVISION)
    return webgpt_pairs(rows, origin)

"""OpenAI summarize-from-feedback comparisons (``openai/summarize_from_feedback``, config
``comparisons``), rows in the exact hub schema (also the raw ``comparisons/batch*.json`` lines).

Used fields: ``info`` (``post``, ``title``, ``subreddit`` for Reddit rows; ``article`` and
``title`` for CNN/DM rows), ``summaries`` (two ``{text, policy, note}``) and ``choice`` (0 or 1,
the preferred summary). The prompt is HH style, the request and the document in one human turn::

    "\\n\\nHuman: Summarize this Reddit post.\\n\\nSUBREDDIT: r/<sub>\\nTITLE: <title>\\nPOST: <post>\\n\\nAssistant:"
    "\\n\\nHuman: Summarize this news article.\\n\\nTITLE: <title>\\nARTICLE: <article>\\n\\nAssistant:"

(lines whose field is absent are left out); the replies are ``" " + summary``. A blank summary
gives no pair (counted as ``empty reply``). The paper's test set is the first 2,000 rows
(``limit=2000``).

Example:
    >>> row = {"info": {"post": "My cat ignores me.", "title": "Cat", "subreddit": "cats"},
    ...        "summaries": [{"text": " cat sad", "policy": "ref"}, {"text": " cat ignores me",
    ...        "policy": "sup"}], "choice": 1}
    >>> pair = summarize_pairs([("row 0", row)], "hub").pairs[0]
    >>> print(pair.prompt + pair.chosen)
    <BLANKLINE>
    <BLANKLINE>
    Human: Summarize this Reddit post.
    <BLANKLINE>
    SUBREDDIT: r/cats
    TITLE: Cat
    POST: My cat ignores me.
    <BLANKLINE>
    Assistant: cat ignores me
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from morelib.data.collect import DROP_EMPTY_REPLY, collect_pairs
from morelib.data.dialogue import hh_prompt, hh_reply
from morelib.data.fields import get_field, get_text
from morelib.data.hub import PARQUET_REVISION, hub_records
from morelib.data.readers import Located
from morelib.data.schema import DataError, LoadedSource, make_pair

HUB_NAME = "openai/summarize_from_feedback"


def summarize_request(record: Any, origin: str, where: str) -> str:
    """The human turn for a row: its Reddit post or CNN/DM article (see the module notes).

    Example:
        >>> print(summarize_request({"info": {"article": "Rain fell.", "title": None}}, "f", "row 0"))
        Summarize this news article.
        <BLANKLINE>
        ARTICLE: Rain fell.
    """
    info = get_field(record, ("info",), origin, where)
    if not isinstance(info, Mapping):
        raise DataError(origin, where, "info", f"expected an object, got {type(info).__name__}")
    reddit = info.get("post") is not None or info.get("article") is None
    body = get_text(record, ("info", "post" if reddit else "article"), origin, where)
    sub, title = info.get("subreddit"), info.get("title")
    lines = [f"SUBREDDIT: r/{sub}" if reddit and sub else "", f"TITLE: {title}" if title else "",
             f"{'POST' if reddit else 'ARTICLE'}: {body.strip()}"]
    kind = "Reddit post" if reddit else "news article"
    return f"Summarize this {kind}.\n\n" + "\n".join(line for line in lines if line)


def summarize_pairs(records: Iterable[Located], origin: str,
                    source: str = "summarize") -> LoadedSource:
    """Pairs from rows of the summarize-from-feedback comparisons schema.

    Example:
        >>> row = {"info": {"post": "p"}, "summaries": [{"text": "a"}, {"text": "b"}], "choice": 2}
        >>> summarize_pairs([("row 3", row)], "f.jsonl")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f.jsonl: row 3: field 'choice': expected 0 or 1, got 2
    """
    def convert(record, where, index, dropped):
        request = summarize_request(record, origin, where)
        texts = [get_text(record, ("summaries", i, "text"), origin, where, allow_empty=True)
                 for i in (0, 1)]
        choice = get_field(record, ("choice",), origin, where)
        if choice not in (0, 1) or isinstance(choice, bool) or not isinstance(choice, int):
            raise DataError(origin, where, "choice", f"expected 0 or 1, got {choice!r}")
        if not all(t.strip() for t in texts):
            dropped.drop(DROP_EMPTY_REPLY)
            return None
        policies = [record["summaries"][i].get("policy") for i in (choice, 1 - choice)]
        return make_pair(hh_prompt([("human", request)]), hh_reply(texts[choice]),
                         hh_reply(texts[1 - choice]), source, f"{source}-{index}", dropped,
                         {"choice": choice, "policies": tuple(policies),
                          "info_id": record["info"].get("id")})

    return collect_pairs(records, convert, source, origin)


def load_summarize(split: str = "validation", limit: int | None = None) -> LoadedSource:
    """Load the ``comparisons`` config of ``openai/summarize_from_feedback`` (splits ``train``,
    ``validation``) from the hub's Parquet conversion, by its folder (``data_dir``): that branch
    need not declare its configs (see :mod:`morelib.data.hub`).

    Example (needs network)::

        load_summarize("validation", limit=2000)   # the paper's summarize test set
    """
    origin, rows = hub_records(HUB_NAME, split=split, limit=limit, data_dir="comparisons",
                               label="comparisons", revision=PARQUET_REVISION)
    return summarize_pairs(rows, origin)

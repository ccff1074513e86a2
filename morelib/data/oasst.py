"""OpenAssistant oasst1 (``OpenAssistant/oasst1``): preference pairs from ranked sibling replies.

Rows are messages in the exact hub schema (``message_id``, ``parent_id``, ``role``
``prompter``/``assistant``, ``text``, ``rank``, ``lang``, ...). **Pairing rule:** the assistant
replies to one prompter message form a group (one *record* of the source). Replies with a null
(or NaN) ``rank`` were not ranked and take no part. A group with at least two ranked replies
gives one pair: chosen = the best (lowest ``rank``, 0 is best), rejected = the worst (highest);
this is the usual oasst1 reward-model pairing (about 18k train / 950 validation pairs, close to
the paper's 18,165 / 957). Documented drops: ``fewer than 2 ranked replies``, a tie (best and
worst share a rank), an ``empty reply``, identical texts. Prompter messages are never paired,
and replies to different parents never. The prompt is the conversation path from the root
down to the parent in the HH format (``"\\n\\nHuman: ...\\n\\nAssistant: ...\\n\\nHuman: ...\\n\\nAssistant:"``);
replies are ``" " + text``.

Example:
    >>> rows = [("row 0", {"message_id": "p", "parent_id": None, "role": "prompter", "text": "Hi?"}),
    ...         ("row 1", {"message_id": "a", "parent_id": "p", "role": "assistant", "text": "Hello!",
    ...                    "rank": 0}),
    ...         ("row 2", {"message_id": "b", "parent_id": "p", "role": "assistant", "text": "Meh.",
    ...                    "rank": 1})]
    >>> pair = oasst_pairs(rows, "oasst.jsonl").pairs[0]
    >>> pair.prompt, pair.chosen, pair.rejected, pair.id
    ('\\n\\nHuman: Hi?\\n\\nAssistant:', ' Hello!', ' Meh.', 'oasst1-p')
"""

from __future__ import annotations

import math
from typing import Any, Iterable, NamedTuple

from morelib.data.collect import DROP_EMPTY_REPLY
from morelib.data.dialogue import hh_prompt, hh_reply
from morelib.data.fields import get_number, get_text
from morelib.data.hub import hub_records
from morelib.data.readers import Located
from morelib.data.schema import DROP_TIE, DataError, DropReport, LoadedSource, make_pair

HUB_NAME = "OpenAssistant/oasst1"
ROLES = ("prompter", "assistant")
DROP_UNRANKED = "fewer than 2 ranked replies"


class Message(NamedTuple):
    where: str
    role: str
    text: str
    parent: str | None
    rank: float | None
    lang: Any


def read_messages(records: Iterable[Located], origin: str) -> dict[str, Message]:
    """Validate message rows and index them by ``message_id`` (in input order).

    Example:
        >>> read_messages([("row 0", {"message_id": "m", "role": "bot", "text": "x"})], "f")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f: row 0: field 'role': expected 'prompter' or 'assistant', got 'bot'
    """
    messages: dict[str, Message] = {}
    for where, record in records:
        message_id = get_text(record, ("message_id",), origin, where)
        role = get_text(record, ("role",), origin, where)
        if role not in ROLES:
            raise DataError(origin, where, "role",
                            f"expected 'prompter' or 'assistant', got {role!r}")
        text = get_text(record, ("text",), origin, where, allow_empty=True)
        parent = record.get("parent_id")
        if parent is not None:
            parent = get_text(record, ("parent_id",), origin, where)
        rank = record.get("rank")
        if rank is not None and not (isinstance(rank, float) and math.isnan(rank)):
            rank = get_number(record, ("rank",), origin, where)
        else:
            rank = None
        if message_id in messages:
            raise DataError(origin, where, "message_id", f"duplicate message id {message_id!r}")
        messages[message_id] = Message(where, role, text, parent, rank, record.get("lang"))
    for message in messages.values():
        if message.parent is not None and message.parent not in messages:
            raise DataError(origin, message.where, "parent_id",
                            f"unknown parent message {message.parent!r}")
    return messages


def conversation(messages: dict[str, Message], message_id: str, origin: str) -> list[Message]:
    """The path of messages from the root down to ``message_id`` (inclusive); the parents are
    known to exist (:func:`read_messages` checks them).

    Example:
        >>> ms = {"r": Message("row 0", "prompter", "Hi", None, None, "en"),
        ...       "a": Message("row 1", "assistant", "Yo", "r", 0.0, "en")}
        >>> [m.text for m in conversation(ms, "a", "f")]
        ['Hi', 'Yo']
    """
    path, current = [], messages[message_id]
    while True:
        path.append(current)
        if current.parent is None:
            return path[::-1]
        if len(path) > len(messages):
            raise DataError(origin, current.where, "parent_id", "cycle in the message tree")
        current = messages[current.parent]


def oasst_pairs(records: Iterable[Located], origin: str, source: str = "oasst1",
                limit: int | None = None) -> LoadedSource:
    """Pairs from oasst1 message rows by the pairing rule in the module notes; ``limit`` keeps
    the first N reply groups (ordered by their first reply in the input).

    Example:
        >>> rows = [("row 0", {"message_id": "p", "role": "prompter", "text": "Hi?"}),
        ...         ("row 1", {"message_id": "a", "parent_id": "p", "role": "assistant",
        ...                    "text": "Hello!", "rank": None})]
        >>> oasst_pairs(rows, "f").dropped.counts
        {'fewer than 2 ranked replies': 1}
    """
    messages = read_messages(records, origin)
    groups: dict[str, list[Message]] = {}
    for message in messages.values():
        if message.role == "assistant" and message.parent is not None:
            groups.setdefault(message.parent, []).append(message)
    dropped, pairs = DropReport(), []
    for parent, replies in list(groups.items())[:limit]:
        ranked = sorted((m for m in replies if m.rank is not None), key=lambda m: m.rank)
        if len(ranked) < 2:
            dropped.drop(DROP_UNRANKED)
            continue
        best, worst = ranked[0], ranked[-1]
        if best.rank == worst.rank:
            dropped.drop(DROP_TIE)
            continue
        if not (best.text.strip() and worst.text.strip()):
            dropped.drop(DROP_EMPTY_REPLY)
            continue
        turns = []
        for message in conversation(messages, parent, origin):
            get_text(message._asdict(), ("text",), origin, message.where)
            turns.append((message.role, message.text))
        pair = make_pair(hh_prompt(turns), hh_reply(best.text), hh_reply(worst.text), source,
                         f"{source}-{parent}", dropped,
                         {"ranks": (best.rank, worst.rank), "lang": best.lang,
                          "n_replies": len(replies)})
        if pair is not None:
            pairs.append(pair)
    return LoadedSource(source, pairs, dropped, origin)


def load_oasst(split: str = "validation", limit: int | None = None) -> LoadedSource:
    """Load ``OpenAssistant/oasst1`` (splits ``train``, ``validation``) from the hub.

    Example (needs network)::

        load_oasst("validation")   # about 950 pairs
    """
    origin, rows = hub_records(HUB_NAME, split=split)
    return oasst_pairs(rows, origin, limit=limit)

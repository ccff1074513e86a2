"""OpenAssistant oasst1 (``OpenAssistant/oasst1``): preference pairs from ranked sibling replies.

Rows are messages in the exact hub schema (``message_id``, ``parent_id``, ``role``
``prompter``/``assistant``, ``text``, ``rank``, ``lang``, ``deleted``, ``review_result``, ...).
**Exclusions:** a message with ``deleted: true`` or ``review_result: false`` (rejected by the
reviewers; ``null``, not yet reviewed, is kept) takes no part, nor does anything below it: such
replies are counted per reply (``deleted message``, ``rejected in review``), and a group whose
conversation passes through one is dropped (``conversation has an excluded message``).
``langs`` keeps the groups whose prompter message is in one of those languages (``lang``,
e.g. ``("en",)``; drop ``language not kept``); ``None`` keeps all.

**Pairing rule:** the assistant replies to one prompter message form a group (one *record* of
the source). Replies with a null (or NaN) ``rank`` were not ranked and take no part.
``pairing="best_worst"`` (the default) makes one pair per group with at least two ranked
replies: chosen = the best (lowest ``rank``, 0 is best), rejected = the worst (highest); this is
the usual oasst1 reward-model pairing (about 18k train / 950 validation pairs, close to the
paper's 18,165 / 957, which is why it is the default). ``pairing="all_ranked"`` makes every
rank-ordered pair of the group instead (chosen = the better rank; ``n(n-1)/2`` pairs for ``n``
ranked replies of distinct ranks, tied ranks skipped): about three times as many pairs, but
pairs of one group share a prompt and replies, so they are not independent. Documented drops:
``fewer than 2 ranked replies``, a tie (best and worst share a rank), an ``empty reply``,
identical texts. Prompter messages are never paired, and replies to different parents never. The prompt is the conversation path from the root
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
from typing import Any, Iterable, NamedTuple, Sequence

from morelib.data.collect import DROP_EMPTY_REPLY
from morelib.data.dialogue import hh_prompt, hh_reply
from morelib.data.fields import get_number, get_text
from morelib.data.hub import hub_records
from morelib.data.readers import Located
from morelib.data.schema import DROP_TIE, DataError, DropReport, LoadedSource, make_pair

HUB_NAME = "OpenAssistant/oasst1"
ROLES = ("prompter", "assistant")
PAIRINGS = ("best_worst", "all_ranked")
DROP_UNRANKED = "fewer than 2 ranked replies"
DROP_DELETED = "deleted message"
DROP_REJECTED = "rejected in review"
DROP_EXCLUDED_PATH = "conversation has an excluded message"
DROP_LANGUAGE = "language not kept"


class Message(NamedTuple):
    where: str
    role: str
    text: str
    parent: str | None
    rank: float | None
    lang: Any
    excluded: str | None = None  # DROP_DELETED or DROP_REJECTED, else None
    message_id: str = ""


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
        excluded = (DROP_DELETED if _flag(record, "deleted", origin, where) is True else
                    DROP_REJECTED if _flag(record, "review_result", origin, where) is False
                    else None)
        messages[message_id] = Message(where, role, text, parent, rank, record.get("lang"),
                                       excluded, message_id)
    for message in messages.values():
        if message.parent is not None and message.parent not in messages:
            raise DataError(origin, message.where, "parent_id",
                            f"unknown parent message {message.parent!r}")
    return messages


def _flag(record: Any, key: str, origin: str, where: str) -> bool | None:
    """A boolean field of the hub schema (``None`` when absent or null)."""
    value = record.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise DataError(origin, where, key, f"expected true, false or null, got {value!r}")


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
                limit: int | None = None, *, pairing: str = "best_worst",
                langs: Sequence[str] | None = None) -> LoadedSource:
    """Pairs from oasst1 message rows by the rules in the module notes (exclusions, ``langs``,
    ``pairing``); ``limit`` keeps the first N reply groups (ordered by their first reply in the
    input).

    Example:
        >>> rows = [("row 0", {"message_id": "p", "role": "prompter", "text": "Hi?"}),
        ...         ("row 1", {"message_id": "a", "parent_id": "p", "role": "assistant",
        ...                    "text": "Hello!", "rank": None})]
        >>> oasst_pairs(rows, "f").dropped.counts
        {'fewer than 2 ranked replies': 1}
        >>> rows += [("row 2", {"message_id": "b", "parent_id": "p", "role": "assistant",
        ...                     "text": "Hey.", "rank": 0}),
        ...          ("row 3", {"message_id": "c", "parent_id": "p", "role": "assistant",
        ...                     "text": "Bye.", "rank": 1})]
        >>> [p.id for p in oasst_pairs(rows, "f", pairing="all_ranked").pairs]
        ['oasst1-p-b-c']
    """
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing must be one of {PAIRINGS}, got {pairing!r}")
    messages = read_messages(records, origin)
    groups: dict[str, list[Message]] = {}
    for message in messages.values():
        if message.role == "assistant" and message.parent is not None:
            groups.setdefault(message.parent, []).append(message)
    dropped, pairs = DropReport(), []
    for parent, replies in list(groups.items())[:limit]:
        path = conversation(messages, parent, origin)
        if any(m.excluded for m in path):
            dropped.drop(DROP_EXCLUDED_PATH)
            continue
        if langs is not None and path[-1].lang not in langs:
            dropped.drop(DROP_LANGUAGE)
            continue
        for message in replies:
            if message.excluded:
                dropped.drop(message.excluded)
        ranked = sorted((m for m in replies if m.rank is not None and not m.excluded),
                        key=lambda m: m.rank)
        if len(ranked) < 2:
            dropped.drop(DROP_UNRANKED)
            continue
        if pairing == "best_worst":
            chosen_rejected = [(0, len(ranked) - 1)]
        else:
            chosen_rejected = [(i, j) for i in range(len(ranked))
                               for j in range(i + 1, len(ranked))
                               if ranked[i].rank != ranked[j].rank]
        if ranked[0].rank == ranked[-1].rank:
            dropped.drop(DROP_TIE)
            continue
        turns = []
        for message in path:
            get_text(message._asdict(), ("text",), origin, message.where)
            turns.append((message.role, message.text))
        prompt = hh_prompt(turns)
        for i, j in chosen_rejected:
            best, worst = ranked[i], ranked[j]
            if not (best.text.strip() and worst.text.strip()):
                dropped.drop(DROP_EMPTY_REPLY)
                continue
            pair_id = (f"{source}-{parent}" if pairing == "best_worst"
                       else f"{source}-{parent}-{best.message_id}-{worst.message_id}")
            pair = make_pair(prompt, hh_reply(best.text), hh_reply(worst.text), source,
                             pair_id, dropped,
                             {"ranks": (best.rank, worst.rank), "lang": best.lang,
                              "n_replies": len(replies)})
            if pair is not None:
                pairs.append(pair)
    return LoadedSource(source, pairs, dropped, origin)


def load_oasst(split: str = "validation", limit: int | None = None, *,
               pairing: str = "best_worst", langs: Sequence[str] | None = None) -> LoadedSource:
    """Load ``OpenAssistant/oasst1`` (splits ``train``, ``validation``) from the hub.

    Example (needs network)::

        load_oasst("validation")   # about 950 pairs
    """
    origin, rows = hub_records(HUB_NAME, split=split)
    return oasst_pairs(rows, origin, limit=limit, pairing=pairing, langs=langs)

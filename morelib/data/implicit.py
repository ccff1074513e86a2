"""TRL's *implicit prompt* preference records: ``chosen`` and ``rejected`` are whole texts (or
whole conversations) and the prompt is the part they share.

**Strings.** A pair of HH-style dialogues (``chosen`` holds its assistant cue, see
:func:`~morelib.data.dialogue.assistant_cue`) is split at the cue as raw HH-RLHF is
(:func:`~morelib.data.dialogue.split_pair`; metadata ``prompt_mismatch``). Any other pair is
split as TRL's ``extract_prompt`` does: the prompt is the longest common prefix, except that a
space just before the first difference goes to the replies (``"The sky is"`` + ``" blue."``).
Where one text is a prefix of the other, TRL's loop keeps the last shared character with the
replies; here the shorter reply is empty and the pair is dropped (``empty reply``).

**Conversations** (see :mod:`morelib.data.conversation`): the prompt is the longest common run
of leading messages, as TRL's ``extract_prompt`` does on message lists; the rest of each list
is the reply, rendered with :func:`~morelib.data.conversation.render_pair`.

Documented drops: identical texts, an empty (or blank) reply, and texts that share nothing (``no shared
prompt``: no common prefix, or no common leading message, so no prompt to compare replies to).
``prompt + chosen`` is always the whole chosen text (for conversations: its rendering).

Example:
    >>> extract_prompt("The sky is blue.", "The sky is green.")
    ('The sky is', ' blue.', ' green.')
    >>> extract_prompt("Q: 2+2? A: 4", "Q: 2+2? A: 5")
    ('Q: 2+2? A:', ' 4', ' 5')
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from morelib.data.collect import DROP_EMPTY_REPLY
from morelib.data.conversation import read_messages, render_pair
from morelib.data.dialogue import assistant_cue, split_pair
from morelib.data.fields import get_text
from morelib.data.schema import DROP_IDENTICAL, DropReport

DROP_NO_PROMPT = "no shared prompt"


def extract_prompt(chosen: str, rejected: str) -> tuple[str, str, str]:
    """``(prompt, chosen_reply, rejected_reply)`` of two whole texts (TRL's rule, see the notes).

    Example:
        >>> extract_prompt("abc", "abd"), extract_prompt("same", "same")
        (('ab', 'c', 'd'), ('same', '', ''))
    """
    end = len(os.path.commonprefix([chosen, rejected]))
    if 0 < end < min(len(chosen), len(rejected)) and chosen[end - 1] == " ":
        end -= 1
    return chosen[:end], chosen[end:], rejected[end:]


def is_hh_dialogue(text: Any) -> bool:
    """Whether a text is an HH-style dialogue (it holds its assistant cue).

    Example:
        >>> is_hh_dialogue("\\n\\nHuman: hi\\n\\nAssistant: yo"), is_hh_dialogue("Q: hi A: yo")
        (True, False)
    """
    return isinstance(text, str) and assistant_cue(text) in text


def _checked(prompt: str, chosen: str, rejected: str, dropped: DropReport,
             metadata: dict) -> tuple[str, str, str, dict] | None:
    if chosen == rejected:
        dropped.drop(DROP_IDENTICAL)
        return None
    if not prompt:
        dropped.drop(DROP_NO_PROMPT)
        return None
    if not chosen.strip() or not rejected.strip():
        dropped.drop(DROP_EMPTY_REPLY)
        return None
    return prompt, chosen, rejected, metadata


def implicit_texts(record: Any, columns: Mapping[str, str], origin: Any, where: Any,
                   dropped: DropReport) -> tuple[str, str, str, dict] | None:
    """Texts of a standard implicit-prompt record (``columns`` maps ``chosen``/``rejected``).

    Example:
        >>> d = DropReport()
        >>> implicit_texts({"c": "Hi there", "r": "Bye"}, {"chosen": "c", "rejected": "r"},
        ...                "f", "row 0", d), d.counts
        (None, {'no shared prompt': 1})
    """
    chosen = get_text(record, (columns["chosen"],), origin, where)
    rejected = get_text(record, (columns["rejected"],), origin, where)
    if is_hh_dialogue(chosen):
        split = split_pair(chosen, rejected, origin, where,
                           (columns["chosen"], columns["rejected"]))
        return (split.prompt, split.chosen, split.rejected,
                {"prompt_mismatch": split.prompt_mismatch})
    return _checked(*extract_prompt(chosen, rejected), dropped, {})


def conversational_texts(record: Any, columns: Mapping[str, str], origin: Any, where: Any,
                         dropped: DropReport, implicit: bool = False
                         ) -> tuple[str, str, str, dict] | None:
    """Texts of a conversational record: explicit (``prompt``, ``chosen``, ``rejected`` message
    lists) or, with ``implicit``, whole conversations in ``chosen``/``rejected``.

    Example:
        >>> row = {"chosen": [{"role": "user", "content": "Hi"},
        ...                   {"role": "assistant", "content": "Hello."}],
        ...        "rejected": [{"role": "user", "content": "Hi"},
        ...                     {"role": "assistant", "content": "Go."}]}
        >>> conversational_texts(row, {"chosen": "chosen", "rejected": "rejected"}, "f", "row 0",
        ...                      DropReport(), implicit=True)
        ('\\n\\nHuman: Hi\\n\\nAssistant:', ' Hello.', ' Go.', {})
    """
    chosen = read_messages(record, columns["chosen"], origin, where)
    rejected = read_messages(record, columns["rejected"], origin, where)
    if implicit:
        shared = 0
        while (shared < min(len(chosen), len(rejected))
               and chosen[shared] == rejected[shared]):
            shared += 1
        # identical or prompt-less pairs are dropped by _checked, on the rendered texts
        prompt, chosen, rejected = chosen[:shared], chosen[shared:], rejected[shared:]
    else:
        prompt = read_messages(record, columns["prompt"], origin, where)
    return _checked(*render_pair(prompt, chosen, rejected), dropped, {})

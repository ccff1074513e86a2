"""Conversations (lists of ``{"role", "content"}`` messages) rendered as HH dialogue text.

This is the one way morelib turns TRL's *conversational* records into the text a reward model
scores, so that a conversational pair reads exactly like the paper's sources (see
:mod:`morelib.data.dialogue`). A TRL reward function can call :func:`render_conversation` on its
``prompts``/``completions`` to score the same text the RM was trained on.

**Rendering.** Each message becomes ``"\\n\\n" + LABEL + ": " + content.strip()``:

* ``user``, ``human``, ``prompter`` -> ``Human``; ``assistant`` -> ``Assistant``;
* ``system`` -> ``System`` (kept as its own turn, first if it comes first; HH has no system
  turns, and folding it into the first human turn would hide it);
* any other role (``tool``, ``function``, ...) -> the role name capitalised (``Tool``). A role
  must be a word (letters, digits, ``_``, ``-``) and content a string (it may be blank, as
  some turns of real HH-RLHF conversations are; multimodal content lists are not supported),
  else :class:`DataError`.

**Prompt and response.** :func:`render_conversation` splits a rendered conversation so that
``prompt + response == render_messages(prompt_messages + completion_messages)``: when the
completion starts with an assistant message, its cue ``"\\n\\nAssistant:"`` ends the prompt and
the response is ``" " + content.strip()`` followed by any later messages, which is exactly how
:func:`~morelib.data.dialogue.hh_prompt` and :func:`~morelib.data.dialogue.hh_reply` write the
WebGPT, summarize, oasst1 and domain-specific pairs.

Example:
    >>> prompt = [{"role": "system", "content": "Be brief."},
    ...           {"role": "user", "content": "What color is the sky?"}]
    >>> render_conversation(prompt, [{"role": "assistant", "content": "It is blue."}])
    ('\\n\\nSystem: Be brief.\\n\\nHuman: What color is the sky?\\n\\nAssistant:', ' It is blue.')
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from morelib.data.dialogue import ASSISTANT, HUMAN_ROLES
from morelib.data.fields import field_name, get_field, get_text
from morelib.data.schema import DataError

ASSISTANT_ROLE = "assistant"
_ROLE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def role_label(role: str) -> str:
    """The dialogue label of a message role (rules in the module notes).

    Example:
        >>> role_label("user"), role_label("assistant"), role_label("system"), role_label("tool")
        ('Human', 'Assistant', 'System', 'Tool')
    """
    if role in HUMAN_ROLES:
        return "Human"
    return "Assistant" if role == ASSISTANT_ROLE else role.capitalize()


def is_messages(value: Any) -> bool:
    """Whether ``value`` looks like a conversation: a non-string sequence of objects with a
    ``role`` (how TRL's ``is_conversational`` tells the formats apart).

    Example:
        >>> is_messages([{"role": "user", "content": "hi"}]), is_messages("hi"), is_messages([])
        (True, False, False)
    """
    return (isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0
            and isinstance(value[0], Mapping) and "role" in value[0])


def read_messages(record: Any, key: str, path: Any, where: Any,
                  allow_empty: bool = False) -> list[tuple[str, str]]:
    """The ``(role, content)`` messages of field ``key``; :class:`DataError` naming the message
    (``chosen[1].content``) if one is malformed, or if the list is empty (unless ``allow_empty``).

    Example:
        >>> read_messages({"chosen": [{"role": "assistant", "content": 3}]}, "chosen", "f", "row 0")
        Traceback (most recent call last):
        ...
        morelib.data.schema.DataError: f: row 0: field 'chosen[0].content': expected a string, got int
    """
    value = get_field(record, (key,), path, where)
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise DataError(path, where, key,
                        f"expected a list of messages, got {type(value).__name__}")
    if not value and not allow_empty:
        raise DataError(path, where, key, "expected at least 1 message, got 0")
    messages = []
    for index in range(len(value)):
        role = get_text(record, (key, index, "role"), path, where)
        if not _ROLE.match(role):
            raise DataError(path, where, field_name((key, index, "role")),
                            f"expected a role name (a word), got {role!r}")
        messages.append((role, get_text(record, (key, index, "content"), path, where,
                                        allow_empty=True)))
    return messages


def _pairs(messages: Sequence[Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) if isinstance(m, Mapping) else tuple(m) for m in messages]


def render_messages(messages: Sequence[Any]) -> str:
    """HH dialogue text of messages (``{"role", "content"}`` dicts or ``(role, content)`` pairs).

    Example:
        >>> render_messages([{"role": "user", "content": " Hi "},
        ...                  {"role": "assistant", "content": "Hello."}])
        '\\n\\nHuman: Hi\\n\\nAssistant: Hello.'
    """
    return "".join(f"\n\n{role_label(role)}: {content.strip()}"
                   for role, content in _pairs(messages))


def render_conversation(prompt_messages: Sequence[Any],
                        completion_messages: Sequence[Any]) -> tuple[str, str]:
    """``(prompt_text, response_text)`` of a prompt and its completion (see the module notes).

    Example:
        >>> p, r = render_conversation([{"role": "user", "content": "Hi"}],
        ...                            [{"role": "assistant", "content": "Hello."},
        ...                             {"role": "user", "content": "Bye"}])
        >>> p, r
        ('\\n\\nHuman: Hi\\n\\nAssistant:', ' Hello.\\n\\nHuman: Bye')
    """
    prompt, completion = _pairs(prompt_messages), _pairs(completion_messages)
    if completion and completion[0][0] == ASSISTANT_ROLE:
        return (render_messages(prompt) + ASSISTANT,
                " " + completion[0][1].strip() + render_messages(completion[1:]))
    return render_messages(prompt), render_messages(completion)


def render_pair(prompt_messages: Sequence[Any], chosen_messages: Sequence[Any],
                rejected_messages: Sequence[Any]) -> tuple[str, str, str]:
    """``(prompt, chosen, rejected)`` texts with one shared prompt: the assistant cue ends the
    prompt only when both completions start with an assistant message.

    Example:
        >>> user = [("user", "Hi")]
        >>> render_pair(user, [("assistant", "Hello.")], [("assistant", "Go away.")])
        ('\\n\\nHuman: Hi\\n\\nAssistant:', ' Hello.', ' Go away.')
        >>> render_pair(user, [("assistant", "Hello.")], [("user", "Hm?")])
        ('\\n\\nHuman: Hi', '\\n\\nAssistant: Hello.', '\\n\\nHuman: Hm?')
    """
    chosen, rejected = _pairs(chosen_messages), _pairs(rejected_messages)
    if chosen and rejected and chosen[0][0] == rejected[0][0] == ASSISTANT_ROLE:
        prompt, chosen_text = render_conversation(prompt_messages, chosen)
        return prompt, chosen_text, render_conversation(prompt_messages, rejected)[1]
    return (render_messages(prompt_messages), render_messages(chosen),
            render_messages(rejected))

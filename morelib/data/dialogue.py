"""Dialogue text: the HH-style prompt format, and splitting whole dialogues into prompt + reply.

**Format.** Every loader whose input holds a bare question, post or message path writes its
prompt as an Anthropic-HH dialogue, ``"\\n\\nHuman: <text>\\n\\nAssistant: <text>...\\n\\nAssistant:"``
(each message stripped of surrounding whitespace), and each reply as ``" " + text.strip()``, so
``prompt + chosen`` reads like an HH-RLHF dialogue for every source.

**Splitting.** Sources that store whole dialogues (raw HH-RLHF, the authors' text/score files)
are split at the assistant cue: ``"\\n\\nAssistant:"`` for HH dialogues, ``"## Assistant:\\n"``
for WebGPT-style ones (those starting with ``"## Human:"``). The prompt is the text through the
last cue when both dialogues share it (the usual case). Otherwise (5 of the 2,312 HH harmless
test pairs) the prompt is the longest shared prefix that ends with a cue (empty if there is
none) and the pair is flagged ``prompt_mismatch``. Either way ``prompt + reply`` is exactly
the original dialogue; replies are kept verbatim, even blank ones (HH has a few ``" "`` replies
that annotators did compare).

Example:
    >>> split_pair("\\n\\nHuman: hi\\n\\nAssistant: Hello!", "\\n\\nHuman: hi\\n\\nAssistant: Go.",
    ...            "f", "line 1")
    Split(prompt='\\n\\nHuman: hi\\n\\nAssistant:', chosen=' Hello!', rejected=' Go.', prompt_mismatch=False)
"""

from __future__ import annotations

import os
from typing import Iterable, NamedTuple

from morelib.data.schema import DataError

HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"
WEBGPT_HUMAN = "## Human:"
WEBGPT_ASSISTANT = "## Assistant:\n"

#: Role names that read as the human side of a dialogue (oasst1 calls it ``prompter``).
HUMAN_ROLES = frozenset({"human", "user", "prompter"})


class Split(NamedTuple):
    """A dialogue pair split into the shared prompt and the two replies."""

    prompt: str
    chosen: str
    rejected: str
    prompt_mismatch: bool


def hh_prompt(turns: Iterable[tuple[str, str]]) -> str:
    """An HH-style prompt from ``(role, text)`` turns, ending with the assistant cue.

    Example:
        >>> hh_prompt([("prompter", " Hi "), ("assistant", "Hello."), ("prompter", "Joke?")])
        '\\n\\nHuman: Hi\\n\\nAssistant: Hello.\\n\\nHuman: Joke?\\n\\nAssistant:'
    """
    parts = [f"{HUMAN if role in HUMAN_ROLES else ASSISTANT} {text.strip()}"
             for role, text in turns]
    return "".join(parts) + ASSISTANT


def hh_reply(text: str) -> str:
    """A reply in the HH format: one leading space, no surrounding whitespace.

    Example:
        >>> hh_reply("\\nParis.  ")
        ' Paris.'
    """
    return " " + text.strip()


def assistant_cue(dialogue: str) -> str:
    """The assistant cue of a whole dialogue: WebGPT style if it starts with ``"## Human:"``.

    Example:
        >>> assistant_cue("## Human:\\nWhy?\\n\\n## Assistant:\\nBecause."), assistant_cue("\\n\\nHuman: x")
        ('## Assistant:\\n', '\\n\\nAssistant:')
    """
    return WEBGPT_ASSISTANT if dialogue.startswith(WEBGPT_HUMAN) else ASSISTANT


def split_pair(chosen: str, rejected: str, path: object, where: object,
               fields: tuple[str, str] = ("chosen", "rejected")) -> Split:
    """Split two whole dialogues into shared prompt and replies (see the module notes).

    ``fields`` name the two dialogues in a :class:`DataError` when one has no assistant cue.

    Example:
        >>> s = split_pair("\\n\\nHuman: a\\n\\nAssistant: b\\n\\nHuman: c\\n\\nAssistant: d",
        ...                "\\n\\nHuman: a\\n\\nAssistant: e", "f", "line 9")
        >>> s.prompt, s.chosen, s.prompt_mismatch
        ('\\n\\nHuman: a\\n\\nAssistant:', ' b\\n\\nHuman: c\\n\\nAssistant: d', True)
    """
    cue = assistant_cue(chosen)
    ends = []
    for text, name in zip((chosen, rejected), fields):
        last = text.rfind(cue)
        if last < 0:
            raise DataError(path, where, name, f"no assistant turn ({cue!r}) in the dialogue")
        ends.append(last + len(cue))
    if ends[0] == ends[1] and chosen[:ends[0]] == rejected[:ends[1]]:
        end, mismatch = ends[0], False
    else:
        shared = len(os.path.commonprefix([chosen, rejected]))
        last = chosen.rfind(cue, 0, shared)
        end, mismatch = (last + len(cue) if last >= 0 else 0), True
    return Split(chosen[:end], chosen[end:], rejected[end:], mismatch)

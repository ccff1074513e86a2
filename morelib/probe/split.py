"""Prompt-disjoint train/test splits of real preference sources (no prompt on both sides).

Only the real *test* files are available offline, so a probe study trains on part of them and
tests on the rest. Pairs sharing a prompt (HH multi-turn dialogues that start alike, the
domain-specific file's 4 pairs per query and 5 domains per query) would leak across a split by
record. Here a pair's side is decided by a seeded hash of its **prompt key**: the prompt up to
its first ``"Assistant:"`` (the first human turn; the whole prompt when there is none), so the
same key goes to the same side in every source.

Example:
    >>> from morelib.data import LoadedSource, PreferencePair as P
    >>> a = LoadedSource("a", [P(f"Human: q{i % 5}\\n\\nAssistant:", " y", " n", "a", str(i))
    ...                        for i in range(40)])
    >>> train, test = prompt_disjoint_split([a], test_fraction=0.4, seed=0)
    >>> keys = lambda pairs: {prompt_key(p.prompt) for p in pairs}
    >>> keys(train[0].pairs).isdisjoint(keys(test["a"])), len(train[0]) + len(test["a"])
    (True, 40)
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from morelib.data import LoadedSource, PreferencePair


def prompt_key(prompt: str) -> str:
    """The text that decides a pair's side: the prompt up to its first ``"Assistant:"``,
    whitespace-collapsed.

    Example:
        >>> prompt_key("\\n\\nHuman: hi\\n\\nAssistant: yo\\n\\nHuman: more?\\n\\nAssistant:")
        'Human: hi'
    """
    head = prompt.split("Assistant:", 1)[0]
    return " ".join(head.split())


def is_test(prompt: str, test_fraction: float, seed: int = 0) -> bool:
    """Whether a prompt falls on the test side (a seeded hash of :func:`prompt_key`).

    Example:
        >>> sum(is_test(f"Human: q{i}", 0.25) for i in range(4000)) / 4000   # about 1/4
        0.24875
    """
    digest = hashlib.sha256(f"{seed}\x00{prompt_key(prompt)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < test_fraction


def prompt_disjoint_split(sources: Sequence[LoadedSource], test_fraction: float = 0.2,
                          seed: int = 0
                          ) -> tuple[list[LoadedSource], dict[str, list[PreferencePair]]]:
    """(training sources, {name: test pairs}) with no prompt key on both sides, in any source.

    Raises:
        ValueError: ``test_fraction`` outside (0, 1), or a source left with no pair on a side.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    train, tests = [], {}
    for source in sources:
        side = [is_test(p.prompt, test_fraction, seed) for p in source.pairs]
        kept = [p for p, t in zip(source.pairs, side) if not t]
        held = [p for p, t in zip(source.pairs, side) if t]
        if not kept or not held:
            raise ValueError(f"{source.name}: {len(kept)} training and {len(held)} test pairs "
                             f"at test_fraction={test_fraction}")
        train.append(LoadedSource(source.name, kept, source.dropped, source.origin))
        tests[source.name] = held
    return train, tests

"""Interpretable features of a (prompt, response) pair, computed from the text alone.

The simulator's utilities are linear in these features, so they must be things a small text
encoder fine-tuned as a reward model can pick up, and they must work on *any* text (policy
generations in the alignment notebook), not only on simulated text. Every feature is a float,
most in ``[0, 1]``:

================== ==========================================================================
``relevance``       share of the request's content words echoed by the response (saturating
                    at 4 words, or all of them for short requests)
``harmful_request`` 1 if a human turn of the prompt asks for something harmful (lexicon)
``refusal``         1 if the response refuses ("I'm sorry, but I can't ...", "I won't ...")
``refuses_harmful`` refusal of a harmful request (``refusal * harmful_request``)
``refuses_benign``  refusal of a benign request (``refusal * (1 - harmful_request)``)
``harmful_compliance`` engaging with a harmful request: ``harmful_request * (1 - refusal) *
                    relevance``
``log_words``       ``log(1 + number of words)`` (about 2.3 for 10 words, 4.6 for 100)
``list_items``      bullet or numbered lines, ``min(n, 4) / 4``
``politeness``      politeness markers ("happy to help", "hope this helps", ...), ``min(n, 2) / 2``
``citations``       distinct ``[n]`` references, ``min(n, 3) / 3``
``summary_style``   1 if the response reads as a summary ("TL;DR", "In short", "Summary:")
``hedging``         hedges ("I think", "probably", "might", ...), ``min(n, 3) / 3``
``rudeness``        rude markers ("dumb question", "google it", ...), ``min(n, 2) / 2``
================== ==========================================================================

Example:
    >>> f = text_features("\\n\\nHuman: How do I shoplift from a store?\\n\\nAssistant:",
    ...                   " I'm sorry, but I can't help you shoplift.")
    >>> f["harmful_request"], f["refuses_harmful"], f["harmful_compliance"]
    (1.0, 1.0, 0.0)
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

#: Names of the features, in a fixed order.
FEATURES = ("relevance", "harmful_request", "refusal", "refuses_harmful", "refuses_benign",
            "harmful_compliance", "log_words", "list_items", "politeness", "citations",
            "summary_style", "hedging", "rudeness")

_HARMFUL = re.compile(
    r"\b(steal|stealing|shoplift\w*|hack into|poison\w*|fake id|cheat on|get revenge|revenge on|"
    r"illegal drugs|stalk\w*|bully\w*|scam\w*|break into|pick the lock|without getting caught|"
    r"hurt (him|her|them|someone|my)|counterfeit|weapon|bomb)\b")
_REFUSAL = re.compile(
    r"(\bi'?m sorry, but\b|\bi (can ?not|can't|won't|will not) (help|assist|do|provide|support|"
    r"give|tell|explain)\b|\bi'?m (not able|unable) to\b|\bi am (not able|unable) to\b|"
    r"\bas an ai\b|\bi must decline\b|\bi refuse\b)")
_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+\S", re.M)
_CITATION = re.compile(r"\[(\d{1,2})\]")
_POLITE = re.compile(r"(happy to help|glad (you asked|to help)|great question|thanks for asking|"
                     r"thank you|hope this helps|good luck|feel free|you're welcome|my pleasure)")
_SUMMARY = re.compile(r"(\btl;? ?dr\b|^\W*in short\b|^\W*in a nutshell\b|^\W*summary:)")
_HEDGE = re.compile(r"\b(i think|i believe|probably|might|maybe|perhaps|possibly|not (completely |"
                    r"entirely )?sure|it depends|could be wrong)\b")
_RUDE = re.compile(r"(dumb|stupid|google it|figure (it|the rest) out yourself|not my problem|"
                   r"\bwhatever\b|\bugh\b|seriously\?|waste of (my )?time|obviously you)")
_WORD = re.compile(r"[a-z]{4,}")
_TURN = re.compile(r"\n\n(Human|Assistant):")

#: Words never counted as content (function words and request boilerplate).
STOPWORDS = frozenset("""
about above after again against also always anything around back because been before being
best better between both came come could does doing done down each easy even every explain
explanation fine first from give going good have having help here into just keep know like
little make many more most much need only other over please post quick question really
right should show since some something start still such sure take tell than thank thanks that
their them then there these they thing things think this those through tips trying very want
wants well what when where which while will with without work would your yours always able
advice anyone someone going summarize summary short sentence sentences write following
reddit title wondered science behind what's going whats where's does best easiest
""".split())


def human_turns(prompt: str) -> list[str]:
    """The human turns of an HH-style dialogue (the whole text if it has no turn markers).

    Example:
        >>> human_turns("\\n\\nHuman: hi\\n\\nAssistant: hello\\n\\nHuman: bye\\n\\nAssistant:")
        ['hi', 'bye']
    """
    parts = _TURN.split(prompt)
    if len(parts) == 1:
        return [prompt.strip()]
    return [parts[i + 1].strip() for i in range(1, len(parts) - 1, 2) if parts[i] == "Human"]


def content_words(text: str) -> set[str]:
    """Lower-cased content words (4+ letters, not stopwords, a plural ``s`` stripped).

    Example:
        >>> sorted(content_words("How do I keep my houseplants alive?"))
        ['alive', 'houseplant']
    """
    words = {w[:-1] if w[-1] == "s" and w[-2] != "s" and len(w) > 4 else w
             for w in _WORD.findall(text.lower())}
    return words - STOPWORDS


def _capped(count: int, cap: int) -> float:
    return min(count, cap) / cap


@lru_cache(maxsize=4096)
def _request(prompt: str) -> tuple[frozenset[str], float]:
    """Content words of the last human turn, and whether any human turn is harmful."""
    turns = human_turns(prompt)
    harmful = 1.0 if any(_HARMFUL.search(t.lower()) for t in turns) else 0.0
    return frozenset(content_words(turns[-1])), harmful


def text_features(prompt: str, response: str) -> dict[str, float]:
    """All :data:`FEATURES` of ``response`` as a reply to ``prompt`` (see the module table).

    Example:
        >>> f = text_features("\\n\\nHuman: How do I bake sourdough bread?\\n\\nAssistant:",
        ...                   " Happy to help! To bake sourdough bread:\\n- feed the starter\\n"
        ...                   "- bake it hot [1]")
        >>> f["relevance"], f["list_items"], f["politeness"], round(f["citations"], 2)
        (1.0, 0.5, 0.5, 0.33)
    """
    request, harmful = _request(prompt)
    low = response.lower().replace("\u2019", "'")
    echoed = len(request & content_words(low))
    relevance = min(1.0, echoed / min(4, len(request))) if request else 0.0
    refusal = 1.0 if _REFUSAL.search(low) else 0.0
    return {
        "relevance": relevance,
        "harmful_request": harmful,
        "refusal": refusal,
        "refuses_harmful": refusal * harmful,
        "refuses_benign": refusal * (1.0 - harmful),
        "harmful_compliance": harmful * (1.0 - refusal) * relevance,
        "log_words": math.log1p(len(response.split())),
        "list_items": _capped(len(_LIST_LINE.findall(response)), 4),
        "politeness": _capped(len(_POLITE.findall(low)), 2),
        "citations": _capped(len(set(_CITATION.findall(response))), 3),
        "summary_style": 1.0 if _SUMMARY.search(low) else 0.0,
        "hedging": _capped(len(_HEDGE.findall(low)), 3),
        "rudeness": _capped(len(_RUDE.findall(low)), 2),
    }

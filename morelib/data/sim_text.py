"""Text generation for the simulator: HH-style prompts and responses in varied styles.

A source's :class:`Profile` says which kinds of request it asks (advice, harmful, factual,
posts to summarize) and how likely each response trait is. A response is drawn as a
:class:`Style` (a mode: ``answer``, ``off_topic``, ``vague`` or ``refuse``; a number of points;
list, polite, rude, hedged, cited and summary traits, each independent) and rendered from the
topic banks in :mod:`morelib.data.sim_topics`. All randomness comes from the ``random.Random``
passed in, so a seeded generator gives the same text everywhere.

Example:
    >>> import random
    >>> rng = random.Random(0)
    >>> req = sample_request(rng, PROFILES["helpful"])
    >>> req.prompt.startswith("\\n\\nHuman: ") and req.prompt.endswith("\\n\\nAssistant:")
    True
    >>> style = Style("refuse")
    >>> render(rng, req, style, req).startswith(" I")
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from morelib.data.sim_topics import ADVICE, FACTUAL, HARMFUL, POSTS

KINDS = ("advice", "harmful", "factual", "post")
MODES = ("answer", "off_topic", "vague", "refuse")
TRAITS = ("as_list", "polite", "rude", "hedge", "cite", "summary")


@dataclass(frozen=True)
class Profile:
    """What a source asks and how its responses tend to look (probabilities).

    ``kinds``: weights of request kinds; ``modes``: weights of response modes on a benign
    request; ``refuse_harmful``: chance a response to a harmful request is a refusal;
    ``long``: chance of 3-5 points instead of 1-2; ``traits``: chance of each of :data:`TRAITS`;
    ``multi_turn``: chance of an opening exchange before the request.
    """

    kinds: dict[str, float]
    modes: dict[str, float] = field(default_factory=lambda: {
        "answer": 0.74, "off_topic": 0.09, "vague": 0.10, "refuse": 0.07})
    refuse_harmful: float = 0.4
    long: float = 0.45
    traits: dict[str, float] = field(default_factory=dict)
    multi_turn: float = 0.0


PROFILES = {
    "helpful": Profile({"advice": 0.8, "factual": 0.12, "harmful": 0.08}, refuse_harmful=0.35,
                       traits={"as_list": 0.35, "polite": 0.25, "rude": 0.07, "hedge": 0.2,
                               "cite": 0.04, "summary": 0.04}, multi_turn=0.3),
    "harmless": Profile({"harmful": 0.55, "advice": 0.35, "factual": 0.1}, refuse_harmful=0.45,
                        modes={"answer": 0.66, "off_topic": 0.08, "vague": 0.14, "refuse": 0.12},
                        long=0.4, traits={"as_list": 0.2, "polite": 0.25, "rude": 0.1,
                                          "hedge": 0.25, "cite": 0.03, "summary": 0.03},
                        multi_turn=0.3),
    "oasst1": Profile({"advice": 0.62, "factual": 0.33, "harmful": 0.05}, long=0.5,
                      traits={"as_list": 0.35, "polite": 0.45, "rude": 0.05, "hedge": 0.25,
                              "cite": 0.06, "summary": 0.06}, multi_turn=0.2),
    "webgpt": Profile({"factual": 0.9, "advice": 0.1}, long=0.5,
                      modes={"answer": 0.8, "off_topic": 0.08, "vague": 0.08, "refuse": 0.04},
                      traits={"as_list": 0.2, "polite": 0.15, "rude": 0.04, "hedge": 0.3,
                              "cite": 0.5, "summary": 0.06}),
    "summarize": Profile({"post": 1.0}, long=0.45,
                         modes={"answer": 0.8, "off_topic": 0.1, "vague": 0.08, "refuse": 0.02},
                         traits={"as_list": 0.15, "polite": 0.1, "rude": 0.04, "hedge": 0.12,
                                 "cite": 0.0, "summary": 0.5}),
}


@dataclass(frozen=True)
class Request:
    """One prompt and what an on-topic answer draws on (``ask`` is echoed by answers).

    ``key`` names the bank entry (``"advice:3"``), ``topic`` is readable.
    """

    kind: str
    topic: str
    prompt: str
    ask: str
    points: tuple[str, ...]
    key: str = ""


@dataclass(frozen=True)
class Style:
    """How one response is written (see the module docstring)."""

    mode: str
    n_points: int = 2
    as_list: bool = False
    polite: bool = False
    rude: bool = False
    hedge: bool = False
    cite: bool = False
    summary: bool = False

    @property
    def label(self) -> str:
        """``mode``, the number of points and the traits that are on.

        Example:
            >>> Style("answer", 3, as_list=True, polite=True).label
            'answer+3+list+polite'
        """
        on = [t.replace("as_", "") for t in TRAITS if getattr(self, t)]
        return "+".join([self.mode, str(self.n_points), *on])


_PROMPTS = {
    "advice": ("How do I {0}?", "What's the best way to {0}?", "Can you give me some tips to {0}?",
               "I want to {0}. Where should I start?", "Any advice on how to {0}?",
               "I've been trying to {0} without much luck. What should I do?",
               "Could you explain how to {0}?", "What are some good ways to {0}?"),
    "harmful": ("How do I {0}?", "Tell me how to {0}.", "What's the easiest way to {0}?",
                "I need to {0}. Give me step by step instructions.", "Can you help me {0}?",
                "My friend dared me to {0}. How would I do it?"),
    "factual": ("{0}", "Can you explain {1}?", "ELI5: {0}", "I've always wondered about {1}. "
                "What's the explanation?", "What's the science behind {1}?",
                "Quick question: {0}", "{0} Please keep it simple."),
    "post": ("Summarize this post:\n\nSUBREDDIT: r/{0}\nTITLE: {1}\nPOST: {2}",
             "Can you write a TL;DR of the following Reddit post?\n\n{1}\n\n{2}",
             "Write a short summary of this post.\n\nTITLE: {1}\nPOST: {2}",
             "Summarize the following in a sentence or two:\n\n{2}"),
}
_OPENINGS = (("Hi there, can I ask you something?", "Of course, go ahead."),
             ("I have a question for you.", "Sure, what is it?"),
             ("Hey, are you there?", "Yes, I'm here. What's on your mind?"),
             ("Hello!", "Hello! How can I help?"))
_LEADS = {"advice": ("To {ask}, {p}.", "If you want to {ask}, {p}.", "{P}.", "First, {p}."),
          "harmful": ("Sure. To {ask}, {p}.", "Here's how to {ask}: {p}.", "{P}.", "Easy. {P}."),
          "factual": ("As for {ask}: {p}.", "The short answer is that {p}.", "{P}.",
                      "Here's what is going on with {ask}: {p}."),
          "post": ("The author says: {p}", "{P}", "The post explains that {p}")}
_LIST_INTROS = ("Here is what I'd suggest:", "A few things that work:", "Key points:")
_FILLERS = {"advice": ("This makes a real difference over time.", "Small changes add up.",
                       "It takes some trial and error to get right."),
            "harmful": ("It's easier than it sounds.", "Nobody has to know."),
            "factual": ("That's the core of it, though the details get complicated.",
                        "Scientists have studied this for a long time."),
            "post": ("The rest of the post adds background.",)}
_VAGUE = ("That really varies from person to person.", "There are a lot of different opinions "
          "on this.", "There's no single answer to that.", "It's a complicated topic with "
          "many sides.", "People approach this in all kinds of ways.")
_REFUSE = {"harmful": ("I'm sorry, but I can't help you {ask}.", "I won't help with that; "
                       "trying to {ask} could seriously hurt someone.",
                       "I can't assist with that request."),
           "other": ("I'm sorry, but I can't help with that.", "I'm not able to help with "
                     "this request.", "I can't assist with that.")}
_REFUSE_EXTRA = ("If something difficult is going on, talking to someone you trust can help.",
                 "I'm glad to help with something else, though.")
_HEDGES = ("I think {s}", "Probably {s}", "I'm not completely sure, but {s}")
_POLITE = (("Great question!", "Happy to help!", "Thanks for asking!"),
           ("Hope this helps!", "Good luck, and feel free to ask if anything is unclear."))
_RUDE = (("Honestly, that's a dumb question.", "Seriously? Just google it.", "Ugh, fine."),
         ("Figure the rest out yourself.", "Not my problem after that."))
_SOURCES = ("Wikipedia", "Encyclopaedia Britannica", "a university science page",
            "a government health site", "a textbook chapter")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _stop(s: str) -> str:
    return s if s.endswith((".", "?", "!")) else s + "."


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sample_request(rng: random.Random, profile: Profile, kind: str | None = None) -> Request:
    """Draw a prompt of the profile's kinds (or of ``kind``) with its answer material.

    Example:
        >>> req = sample_request(random.Random(1), PROFILES["summarize"])
        >>> req.kind, "Summar" in req.prompt or "TL;DR" in req.prompt
        ('post', True)
    """
    kind = kind or _pick(rng, profile.kinds)
    bank = {"advice": ADVICE, "harmful": HARMFUL, "factual": FACTUAL, "post": POSTS}[kind]
    index = rng.randrange(len(bank))
    if kind == "post":
        sub, title, body, gist, details = bank[index]
        slots = {"age": rng.randint(19, 45), "months": rng.choice((3, 5, 8, 11, 14, 18, 26)),
                 "partner": rng.choice(("boyfriend", "girlfriend", "husband", "wife", "partner"))}
        title, gist = title.format(**slots), gist.format(**slots)
        body = " ".join(s.format(**slots) for s in body)
        text = rng.choice(_PROMPTS[kind]).format(sub, title, body)
        topic, ask, points = title, gist, (gist, *(d.format(**slots) for d in details))
    elif kind == "factual":
        question, subject, points = bank[index]
        text, topic, ask = rng.choice(_PROMPTS[kind]).format(question, subject), question, subject
    else:
        topic, points = bank[index]
        text, ask = rng.choice(_PROMPTS[kind]).format(topic), topic
    prompt = f"\n\nHuman: {text}\n\nAssistant:"
    if rng.random() < profile.multi_turn:
        human, assistant = rng.choice(_OPENINGS)
        prompt = f"\n\nHuman: {human}\n\nAssistant: {assistant}" + prompt
    return Request(kind, topic, prompt, ask, tuple(points), f"{kind}:{index}")


def sample_style(rng: random.Random, profile: Profile, harmful: bool) -> Style:
    """Draw a response style; a harmful request is refused with ``profile.refuse_harmful``.

    Example:
        >>> sample_style(random.Random(0), Profile({"harmful": 1.0}, refuse_harmful=1.0), True).mode
        'refuse'
        >>> sample_style(random.Random(0), PROFILES["webgpt"], harmful=False).label
        'off_topic+2+list'
    """
    if harmful and rng.random() < profile.refuse_harmful:
        mode = "refuse"
    else:
        modes = {m: w for m, w in profile.modes.items() if not (harmful and m == "refuse")}
        mode = _pick(rng, modes)
    n_points = rng.randint(3, 5) if rng.random() < profile.long else rng.randint(1, 2)
    traits = {t: rng.random() < profile.traits.get(t, 0.0) for t in TRAITS}
    if traits["rude"]:
        traits["polite"] = False
    if traits["as_list"]:
        n_points = max(n_points, 2)
    return Style(mode, n_points, **traits)


def render(rng: random.Random, request: Request, style: Style, other: Request) -> str:
    """The response text (starting with a space) for ``request`` in ``style``.

    ``other`` is the request an ``off_topic`` response answers instead.

    Example:
        >>> req = Request("advice", "cook rice", "\\n\\nHuman: How do I cook rice?\\n\\nAssistant:",
        ...               "cook rice", ("rinse the rice", "simmer it covered"))
        >>> render(random.Random(0), req, Style("answer", 2, as_list=True), req)
        ' A few things that work:\\n1. Simmer it covered\\n2. Rinse the rice'
    """
    if style.mode == "refuse":
        kind = "harmful" if request.kind == "harmful" else "other"
        sentences = [rng.choice(_REFUSE[kind]).format(ask=request.ask)]
        if style.n_points > 2:
            sentences.append(rng.choice(_REFUSE_EXTRA))
        body = " ".join(sentences)
    elif style.mode == "vague":
        body = " ".join(rng.sample(_VAGUE, min(style.n_points, 3)))
    else:
        body = _answer(rng, other if style.mode == "off_topic" else request, style)
    if style.hedge and style.mode != "refuse":
        body = rng.choice(_HEDGES).format(s=body[:1].lower() + body[1:])
    parts = [body]
    for flag, (openers, closers) in ((style.polite, _POLITE), (style.rude, _RUDE)):
        if flag:
            parts = [rng.choice(openers), *parts, rng.choice(closers)]
    return " " + "\n".join(parts) if style.as_list else " " + " ".join(parts)


def _answer(rng: random.Random, request: Request, style: Style) -> str:
    n = min(max(style.n_points, 2 if style.as_list else 1), len(request.points))
    if request.kind == "post":
        points = [request.points[0], *rng.sample(request.points[1:], n - 1)]
    else:
        points = rng.sample(request.points, n)
    if style.cite:
        points = [f"{p} [{i + 1}]" if i < 3 else p for i, p in enumerate(points)]
    if style.as_list:
        bullet = rng.choice(("{i}.", "-"))
        lines = [f"{bullet.format(i=i + 1)} {_cap(p)}" for i, p in enumerate(points)]
        body = "\n".join([rng.choice(_LIST_INTROS), *lines])
    else:
        lead = rng.choice(_LEADS[request.kind])
        first = lead.format(ask=request.ask, Ask=_cap(request.ask), p=points[0], P=_cap(points[0]))
        body = " ".join([_stop(first), *(_stop(_cap(p)) for p in points[1:])])
        if style.n_points >= 4:
            body += " " + rng.choice(_FILLERS[request.kind])
    if style.summary:
        gist = "TL;DR:" if request.kind == "post" else rng.choice(("In short:", "Summary:"))
        body = f"{gist} {_stop(_cap(request.points[0]))}" + ("" if n == 1 else "\n" + body)
    if style.cite:
        refs = rng.sample(_SOURCES, min(n, 3))
        body += "\n\nSources: " + " ".join(f"[{i + 1}] {s}." for i, s in enumerate(refs))
    return body

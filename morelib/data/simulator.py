"""Diversified-preference simulator with known ground truth (the embedded default's data).

Five sources mirror the paper's (helpful, harmless, oasst1, webgpt, summarize). Each is a
population of annotators whose utility for a response is a **shared part** (what everyone agrees
on: address the request, refuse harmful requests but not benign ones, do not comply with harm,
do not be rude) plus ``conflict`` times a **source-specific part** (the datasets' quirks:
helpful likes long lists and compliance, harmless likes refusals and distrusts long answers,
oasst1 likes politeness, webgpt likes citations, summarize likes brevity and TL;DRs):

    u_s(x, y) = w_shared . f(x, y) + conflict * w_s . f(x, y)

with ``f`` the text features of :mod:`morelib.data.sim_features` (see :data:`SHARED_WEIGHTS`,
:data:`SOURCE_WEIGHTS`). Utilities are in logit units. Labels are Bradley–Terry with a
per-source **temperature** ``T_s`` (the ``noise``): ``P_s(a > b) = sigmoid((u_s(a) - u_s(b)) /
T_s)``; a larger ``T_s`` flips more labels against the source's own utility, ``T_s = 0`` gives
noiseless labels. The shared preference uses ``shared_temperature`` (1 by default):
``P*(a > b) = sigmoid((u*(a) - u*(b)) / shared_temperature)``, the paper's r* made explicit.

Every pair's ``metadata`` holds ``p_shared`` and ``p_source`` (P(chosen > rejected) under each),
``u_shared_chosen``, ``u_shared_rejected``, ``u_source_chosen``, ``u_source_rejected``,
``agrees_shared`` / ``agrees_source`` (the sampled label picks the response that utility strictly
prefers), ``temperature``, ``kind``, ``topic`` and the two responses' ``chosen_style`` /
``rejected_style``. Streams are seeded by (seed, split, source), so a source's pairs do not depend
on which other sources are simulated, the first ``n`` pairs do not depend on ``n``, and the texts
do not depend on ``conflict`` or ``noise`` (only the labels do).

Example:
    >>> cfg = SimulatorConfig(n_pairs_per_source=3, sources=("harmless", "webgpt"))
    >>> data = simulate_sources(cfg, "train")
    >>> [(s.name, len(s)) for s in data]
    [('harmless', 3), ('webgpt', 3)]
    >>> pair = data[0].pairs[0]
    >>> pair.id, pair.prompt.endswith("\\n\\nAssistant:"), 0 < pair.metadata["p_shared"] < 1
    ('harmless-train-0', True, True)
"""

from __future__ import annotations

import math
import random

from morelib.data.schema import DropReport, LoadedSource, PreferencePair
from morelib.data.sim_config import DEFAULT_NOISE, SPLITS, SimulatorConfig
from morelib.data.sim_features import FEATURES, text_features
from morelib.data.sim_text import PROFILES, Request, Style, render, sample_request, sample_style
from morelib.vocabulary import SOURCES

__all__ = ["DEFAULT_NOISE", "SHARED_WEIGHTS", "SOURCES", "SOURCE_WEIGHTS", "SPLITS", "Simulator",
           "SimulatorConfig", "bt_probability", "simulate_sources"]

#: Weights of the shared utility u* (features not named have weight 0).
SHARED_WEIGHTS: dict[str, float] = {
    "relevance": 2.5, "refuses_harmful": 1.5, "harmful_compliance": -3.0,
    "refuses_benign": -2.0, "rudeness": -2.5, "log_words": 0.3,
}
#: Source-specific parts, multiplied by ``conflict`` and added to the shared weights.
SOURCE_WEIGHTS: dict[str, dict[str, float]] = {
    "helpful": {"list_items": 1.5, "log_words": 0.7, "harmful_compliance": 1.5,
                "refuses_harmful": -1.0, "hedging": -0.8},
    "harmless": {"refuses_harmful": 2.5, "harmful_compliance": -1.5, "refuses_benign": 1.5,
                 "log_words": -0.6, "hedging": 0.8},
    "oasst1": {"politeness": 2.0, "log_words": 0.4, "rudeness": -1.0, "list_items": 0.5},
    "webgpt": {"citations": 2.5, "hedging": -1.0, "relevance": 0.5},
    "summarize": {"summary_style": 1.5, "log_words": -1.0, "list_items": -1.0,
                  "politeness": -0.8},
}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def bt_probability(delta: float, temperature: float) -> float:
    """Bradley–Terry P(a > b) for a utility gap ``delta`` at ``temperature`` (0 = a step).

    Example:
        >>> bt_probability(0.0, 1.0), round(bt_probability(2.0, 2.0), 4), bt_probability(-1, 0)
        (0.5, 0.7311, 0.0)
    """
    if temperature == 0:
        return 1.0 if delta > 0 else 0.0 if delta < 0 else 0.5
    return _sigmoid(delta / temperature)


class Simulator:
    """Ground-truth utilities and pair sampling for a :class:`SimulatorConfig`.

    Example:
        >>> sim = Simulator(SimulatorConfig())
        >>> x = "\\n\\nHuman: How do I make a fake ID?\\n\\nAssistant:"
        >>> refuse, comply = " I'm sorry, but I can't help with that.", " Sure. To make a fake ID, print it."
        >>> sim.utility(x, refuse, "harmless") > sim.utility(x, comply, "harmless")
        True
        >>> round(sim.preference_probability(x, refuse, comply), 3) > 0.5
        True
    """

    def __init__(self, config: SimulatorConfig | None = None):
        self.config = config or SimulatorConfig()
        shared = {**SHARED_WEIGHTS, **(self.config.shared_weights or {})}
        overrides = self.config.source_weights or {}
        self.shared_weights = {f: float(shared.get(f, 0.0)) for f in FEATURES}
        self.source_weights = {
            s: {f: float({**SOURCE_WEIGHTS[s], **overrides.get(s, {})}.get(f, 0.0))
                for f in FEATURES} for s in SOURCES}
        self._effective = {s: self.weights(s) for s in (None, *SOURCES)}

    def weights(self, source: str | None = None) -> dict[str, float]:
        """Effective weights of ``u_source`` (shared + conflict * specific); ``None``: shared.

        Example:
            >>> Simulator(SimulatorConfig(conflict=0)).weights("webgpt")["citations"]
            0.0
        """
        if source is None:
            return dict(self.shared_weights)
        specific = self._specific(source)
        c = self.config.conflict
        return {f: self.shared_weights[f] + c * specific[f] for f in FEATURES}

    def _specific(self, source: str) -> dict[str, float]:
        if source not in self.source_weights:
            raise KeyError(f"unknown source {source!r}; known: {SOURCES}")
        return self.source_weights[source]

    def features(self, prompt: str, response: str) -> dict[str, float]:
        """Interpretable features of ``response`` to ``prompt`` (see ``sim_features``).

        Example:
            >>> f = Simulator().features("\\n\\nHuman: Why is the sky blue?\\n\\nAssistant:",
            ...                          " Blue light scatters more [1].")
            >>> f["relevance"], round(f["citations"], 2), f["refusal"]
            (1.0, 0.33, 0.0)
        """
        return text_features(prompt, response)

    def utility(self, prompt: str, response: str, source: str | None = None) -> float:
        """Utility of ``response`` under ``source`` (``None``: the shared utility u*).

        Example:
            >>> sim = Simulator()
            >>> x = "\\n\\nHuman: How do I cook rice on the stove?\\n\\nAssistant:"
            >>> sim.utility(x, " I'm sorry, but I can't help with that.") < sim.utility(
            ...     x, " Rinse the rice, then simmer it covered on the stove.")
            True
        """
        return self._utilities(prompt, response, (source,))[0]

    def _utilities(self, prompt: str, response: str, sources) -> list[float]:
        f = self.features(prompt, response)
        for s in sources:
            if s not in self._effective:
                self._specific(s)
        return [sum(self._effective[s][k] * f[k] for k in FEATURES) for s in sources]

    def temperature(self, source: str | None = None) -> float:
        """The BT temperature of ``source`` (``None``: ``shared_temperature``).

        Example:
            >>> Simulator().temperature("webgpt"), Simulator().temperature()
            (1.4, 1.0)
        """
        if source is None:
            return self.config.shared_temperature
        self._specific(source)
        return self.config.temperature(source)

    def preference_probability(self, prompt: str, a: str, b: str,
                               source: str | None = None) -> float:
        """True P(a > b) under ``source``'s Bradley–Terry model (``None``: the shared one).

        Example:
            >>> sim = Simulator()
            >>> x = "\\n\\nHuman: Why do cats purr?\\n\\nAssistant:"
            >>> a, b = " Cats purr with muscles in the voice box [1].", " Whatever."
            >>> p = sim.preference_probability(x, a, b, "webgpt")
            >>> p > 0.5, abs(p + sim.preference_probability(x, b, a, "webgpt") - 1) < 1e-12
            (True, True)
        """
        delta = self.utility(prompt, a, source) - self.utility(prompt, b, source)
        return bt_probability(delta, self.temperature(source))

    def simulate(self, split: str = "train") -> list[LoadedSource]:
        """One :class:`LoadedSource` per configured source for ``split`` (see the module).

        Example:
            >>> cfg = SimulatorConfig(n_pairs_per_source=1, sources=("oasst1",))
            >>> [s.summary()["pairs"] for s in Simulator(cfg).simulate("validation")]
            [1]
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return [self._source(s, split) for s in self.config.sources]

    def _source(self, source: str, split: str) -> LoadedSource:
        rng = random.Random(f"morelib-sim/{self.config.seed}/{split}/{source}")
        profile = PROFILES[source]
        pairs = [self._pair(rng, profile, source, split, i)
                 for i in range(self.config.n_pairs(source))]
        return LoadedSource(source, pairs, DropReport(),
                            origin=f"simulator(seed={self.config.seed}, split={split})")

    def _pair(self, rng: random.Random, profile, source: str, split: str, i: int
              ) -> PreferencePair:
        request = sample_request(rng, profile)
        harmful = request.kind == "harmful"
        a = self._response(rng, profile, request, harmful)
        b = self._response(rng, profile, request, harmful)
        for _ in range(100):
            if b[0] != a[0]:
                break
            b = self._response(rng, profile, request, harmful)
        else:  # pragma: no cover - the banks make this practically impossible
            raise RuntimeError(f"could not draw two distinct responses for {request.topic!r}")
        x = request.prompt
        u = dict(zip((None, source), zip(self._utilities(x, a[0], (None, source)),
                                         self._utilities(x, b[0], (None, source)))))
        p_a = bt_probability(u[source][0] - u[source][1], self.config.temperature(source))
        (c, cs), (r, rs), j = (a, b, 0) if rng.random() < p_a else (b, a, 1)
        us_c, us_r = u[None][j], u[None][1 - j]
        uc, ur = u[source][j], u[source][1 - j]
        meta = {
            "p_shared": bt_probability(us_c - us_r, self.config.shared_temperature),
            "p_source": bt_probability(uc - ur, self.config.temperature(source)),
            "u_shared_chosen": us_c, "u_shared_rejected": us_r,
            "u_source_chosen": uc, "u_source_rejected": ur,
            "agrees_shared": us_c > us_r, "agrees_source": uc > ur,
            "temperature": self.config.temperature(source),
            "kind": request.kind, "topic": request.topic,
            "chosen_style": cs.label, "rejected_style": rs.label,
        }
        return PreferencePair(x, c, r, source, f"{source}-{split}-{i}", meta)

    def _response(self, rng: random.Random, profile, request: Request, harmful: bool
                  ) -> tuple[str, Style]:
        style = sample_style(rng, profile, harmful)
        other = request
        while style.mode == "off_topic" and other.key == request.key:
            other = sample_request(rng, profile, request.kind)
        return render(rng, request, style, other), style


def simulate_sources(config: SimulatorConfig | None = None, split: str = "train"
                     ) -> list[LoadedSource]:
    """Simulated preference pairs, one :class:`LoadedSource` per source, for ``split``.

    ``split`` is ``"train"``, ``"validation"`` or ``"test"`` (disjoint seeded streams); the same
    config and split always give identical pairs.

    Example:
        >>> cfg = SimulatorConfig(n_pairs_per_source=2, sources=("summarize",))
        >>> simulate_sources(cfg, "test")[0].pairs[1].id
        'summarize-test-1'
        >>> simulate_sources(cfg, "test")[0].pairs == simulate_sources(cfg, "test")[0].pairs
        True
    """
    return Simulator(config).simulate(split)

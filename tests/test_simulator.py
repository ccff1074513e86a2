"""The diversified-preference simulator: determinism, schema, ground truth recomputed from the
text, real diversity (sources disagree, conflict moves it), the shared utility's predictive
power, label noise, and the refusal features."""

from __future__ import annotations

import itertools
import math
import random
import time

import pytest

from morelib.data.schema import LoadedSource, PreferencePair
from morelib.data.simulator import (
    SOURCES, Simulator, SimulatorConfig, bt_probability, simulate_sources,
)

N = 2000  # pairs per source for the statistical tests; binomial s.e. of an accuracy <= 0.011
META = ("p_shared", "p_source", "u_shared_chosen", "u_shared_rejected", "u_source_chosen",
        "u_source_rejected", "agrees_shared", "agrees_source", "temperature")


@pytest.fixture(scope="module")
def default_train() -> list[LoadedSource]:
    start = time.perf_counter()
    data = simulate_sources(SimulatorConfig(n_pairs_per_source=N), "train")
    assert time.perf_counter() - start < 15, "5 x 2,000 pairs should take a few seconds at most"
    return data


def _triples(data: list[LoadedSource]) -> set[tuple[str, str, str]]:
    return {(p.prompt, p.chosen, p.rejected) for s in data for p in s.pairs}


def _accuracy(deltas: list[float]) -> float:
    """Share of pairs whose chosen response has the higher utility (a tie counts half)."""
    return sum(1.0 if d > 0 else 0.5 if d == 0 else 0.0 for d in deltas) / len(deltas)


# --- determinism and schema ------------------------------------------------------------------

def test_same_config_and_split_give_identical_pairs():
    cfg = SimulatorConfig(n_pairs_per_source=50)
    first, second = simulate_sources(cfg, "validation"), simulate_sources(cfg, "validation")
    assert [s.pairs for s in first] == [s.pairs for s in second]


def test_splits_and_seeds_are_different_streams():
    cfg = SimulatorConfig(n_pairs_per_source=300)
    train, val, test = (_triples(simulate_sources(cfg, split))
                        for split in ("train", "validation", "test"))
    other_seed = _triples(simulate_sources(SimulatorConfig(n_pairs_per_source=300, seed=1)))
    for a, b in [(train, val), (train, test), (val, test), (train, other_seed)]:
        assert len(a & b) / len(a) < 0.01  # only the rare short-response coincidence
    with pytest.raises(ValueError, match="split"):
        simulate_sources(cfg, "dev")


def test_schema_ids_and_metadata():
    data = simulate_sources(SimulatorConfig(n_pairs_per_source=200), "test")
    assert [s.name for s in data] == list(SOURCES)
    for source in data:
        assert len(source) == 200 and source.dropped.total == 0
        for i, pair in enumerate(source.pairs):
            assert isinstance(pair, PreferencePair)
            assert pair.id == f"{source.name}-test-{i}" and pair.source == source.name
            assert pair.prompt.startswith("\n\nHuman: ")
            assert pair.prompt.endswith("\n\nAssistant:")
            for response in (pair.chosen, pair.rejected):
                assert response.startswith(" ") and response.strip()
            assert pair.chosen != pair.rejected
            assert set(META) <= set(pair.metadata)
            assert 0 <= pair.metadata["p_shared"] <= 1 and 0 <= pair.metadata["p_source"] <= 1
    assert len({p.id for s in data for p in s.pairs}) == 5 * 200


def test_pairs_do_not_depend_on_n_other_sources_conflict_or_noise():
    small = simulate_sources(SimulatorConfig(n_pairs_per_source=20, sources=("webgpt",)))[0]
    big = {s.name: s for s in simulate_sources(SimulatorConfig(n_pairs_per_source=40))}
    assert small.pairs == big["webgpt"].pairs[:20]
    shifted = simulate_sources(SimulatorConfig(n_pairs_per_source=40, conflict=3, noise=2.0))
    for s in shifted:  # same texts; only which response is chosen may change
        assert [(p.prompt, {p.chosen, p.rejected}) for p in s.pairs] == \
               [(p.prompt, {p.chosen, p.rejected}) for p in big[s.name].pairs]


def test_texts_vary():
    data = simulate_sources(SimulatorConfig(n_pairs_per_source=500))
    for s in data:
        responses = [r for p in s.pairs for r in (p.chosen, p.rejected)]
        assert len({p.prompt for p in s.pairs}) > 150, s.name
        assert len(set(responses)) / len(responses) > 0.6, s.name
    kinds = {s.name: {p.metadata["kind"] for p in s.pairs} for s in data}
    assert kinds["summarize"] == {"post"} and "harmful" in kinds["harmless"]
    harmful_share = sum(p.metadata["kind"] == "harmful" for p in data[1].pairs) / 500
    assert harmful_share > 0.4  # harmless asks mostly harmful things


# --- ground truth is a function of the text ----------------------------------------------------

def test_metadata_probabilities_recomputed_from_text():
    cfg = SimulatorConfig(n_pairs_per_source=100, conflict=1.5, noise={"webgpt": 0.7})
    sim = Simulator(cfg)  # a fresh instance: nothing cached from generation
    for source in simulate_sources(cfg, "validation"):
        for pair in source.pairs:
            m, x = pair.metadata, pair.prompt
            assert m["p_shared"] == pytest.approx(
                sim.preference_probability(x, pair.chosen, pair.rejected), abs=1e-12)
            assert m["p_source"] == pytest.approx(
                sim.preference_probability(x, pair.chosen, pair.rejected, source.name), abs=1e-12)
            assert m["u_source_chosen"] == pytest.approx(sim.utility(x, pair.chosen, source.name))
            assert m["u_shared_rejected"] == pytest.approx(sim.utility(x, pair.rejected))
            delta = m["u_source_chosen"] - m["u_source_rejected"]
            assert m["p_source"] == pytest.approx(1 / (1 + math.exp(-delta / m["temperature"])))
            assert m["agrees_shared"] == (m["u_shared_chosen"] > m["u_shared_rejected"])
            assert m["agrees_source"] == (delta > 0)
    assert Simulator(cfg).temperature("webgpt") == 0.7


def test_true_probabilities_are_spread_out(default_train):
    for s in default_train:
        conf = [max(p.metadata["p_source"], 1 - p.metadata["p_source"]) for p in s.pairs]
        assert sum(c < 0.6 for c in conf) / N > 0.1, s.name    # hard pairs
        assert sum(0.7 <= c < 0.9 for c in conf) / N > 0.15, s.name
        assert sum(c >= 0.9 for c in conf) / N > 0.1, s.name   # easy pairs


# --- diversity ---------------------------------------------------------------------------------

def _common_deltas(config: SimulatorConfig, features: list[tuple[dict, dict]]
                   ) -> dict[str, list[float]]:
    """Each source's utility gap (chosen - rejected) on common pairs, from their features."""
    sim = Simulator(config)
    out = {}
    for s in SOURCES:
        w = sim.weights(s)
        out[s] = [sum(w[k] * (fc[k] - fr[k]) for k in w) for fc, fr in features]
    return out


def _disagreement(deltas: dict[str, list[float]], a: str, b: str) -> float:
    return sum(x * y < 0 for x, y in zip(deltas[a], deltas[b])) / len(deltas[a])


def test_sources_disagree_and_conflict_controls_it(default_train):
    common = random.Random(0).sample([p for s in default_train for p in s.pairs], 2000)
    sim = Simulator()
    features = [(sim.features(p.prompt, p.chosen), sim.features(p.prompt, p.rejected))
                for p in common]
    deltas = _common_deltas(SimulatorConfig(), features)
    assert deltas["oasst1"][:50] == pytest.approx(
        [sim.utility(p.prompt, p.chosen, "oasst1") - sim.utility(p.prompt, p.rejected, "oasst1")
         for p in common[:50]])
    rates = {}
    for conflict in (0.0, 0.5, 1.0, 2.0):
        deltas = _common_deltas(SimulatorConfig(conflict=conflict), features)
        rates[conflict] = {(a, b): _disagreement(deltas, a, b)
                           for a, b in itertools.combinations(SOURCES, 2)}
    assert min(rates[1.0].values()) > 0.05, rates[1.0]      # every pair of sources, defaults
    assert max(rates[0.0].values()) == 0.0                    # one shared utility: no conflict
    means = [sum(rates[c].values()) / len(rates[c]) for c in (0.0, 0.5, 1.0, 2.0)]
    assert means == sorted(means) and means[1] > 0.05 and means[3] > means[1] + 0.05, means


def test_shared_utility_predicts_every_source_and_own_utility_does_better(default_train):
    for s in default_train:
        shared = _accuracy([p.metadata["u_shared_chosen"] - p.metadata["u_shared_rejected"]
                            for p in s.pairs])
        own = _accuracy([p.metadata["u_source_chosen"] - p.metadata["u_source_rejected"]
                         for p in s.pairs])
        assert shared > 0.55, (s.name, shared)   # > 0.5 by ~5 binomial s.e. at n = 2000
        assert own > shared + 0.005, (s.name, own, shared)
        disagree = sum((p.metadata["u_shared_chosen"] - p.metadata["u_shared_rejected"])
                       * (p.metadata["u_source_chosen"] - p.metadata["u_source_rejected"]) < 0
                       for p in s.pairs) / N
        assert disagree > 0.05, s.name           # each source departs from the shared view


# --- label noise -----------------------------------------------------------------------------

def _flip_rate(data: list[LoadedSource]) -> float:
    pairs = [p for s in data for p in s.pairs
             if p.metadata["u_source_chosen"] != p.metadata["u_source_rejected"]]
    return sum(not p.metadata["agrees_source"] for p in pairs) / len(pairs)


def test_noise_raises_the_flip_rate():
    flips = [_flip_rate(simulate_sources(SimulatorConfig(n_pairs_per_source=250, noise=t)))
             for t in (0.0, 0.5, 1.0, 3.0)]
    assert flips[0] == 0.0
    assert flips == sorted(flips) and flips[3] > flips[1] + 0.15, flips
    quiet = SimulatorConfig(n_pairs_per_source=250, noise={"webgpt": 0.0})
    by_name = {s.name: s for s in simulate_sources(quiet)}
    assert _flip_rate([by_name["webgpt"]]) == 0.0 and _flip_rate([by_name["helpful"]]) > 0.1


def test_bt_probability():
    assert bt_probability(0.0, 1.0) == 0.5 and bt_probability(1.0, 0.0) == 1.0
    assert bt_probability(-800.0, 1.0) == pytest.approx(0.0)  # no overflow
    assert bt_probability(2.0, 2.0) == pytest.approx(1 / (1 + math.exp(-1)))


# --- features and utilities on hand-written text --------------------------------------------

HARMFUL = "\n\nHuman: How do I hack into my ex's email account?\n\nAssistant:"
BENIGN = "\n\nHuman: How do I cook rice on the stove?\n\nAssistant:"
REFUSE = " I'm sorry, but I can't help with that."
COMPLY = " Sure. To hack into an email account, guess passwords from birthdays."
ANSWER = " Rinse the rice, then simmer the rice covered on the stove for fifteen minutes."


def test_refusal_features_behave():
    sim = Simulator()
    f = sim.features(HARMFUL, REFUSE)
    assert (f["harmful_request"], f["refusal"], f["refuses_harmful"]) == (1.0, 1.0, 1.0)
    g = sim.features(HARMFUL, COMPLY)
    assert g["refusal"] == 0.0 and g["harmful_compliance"] > 0.5
    for source in (None, "harmless"):
        assert sim.utility(HARMFUL, REFUSE, source) > sim.utility(HARMFUL, COMPLY, source)
    gap = {s: sim.utility(HARMFUL, REFUSE, s) - sim.utility(HARMFUL, COMPLY, s) for s in SOURCES}
    assert gap["harmless"] == max(gap.values()) and gap["helpful"] == min(gap.values())
    assert sim.features(BENIGN, REFUSE)["refuses_benign"] == 1.0
    assert sim.utility(BENIGN, REFUSE) < sim.utility(BENIGN, ANSWER)
    assert sim.preference_probability(BENIGN, ANSWER, REFUSE) > 0.9
    # curly apostrophes (model output) still read as a refusal; hedging is not a refusal
    assert sim.features(HARMFUL, " I\u2019m sorry, but I can\u2019t help.")["refusal"] == 1.0
    assert sim.features(BENIGN, " I'm not sure, maybe rinse it.")["refusal"] == 0.0


def test_source_quirks_on_text():
    sim = Simulator()
    q = "\n\nHuman: Why is the sky blue?\n\nAssistant:"
    plain = " Blue light scatters more than red light in the air."
    cited = " Blue light scatters more than red light in the air [1].\n\nSources: [1] Wikipedia."
    polite = " Happy to help! Blue light scatters more than red light in the air. Hope this helps!"
    listed = (" Key points:\n- Blue light scatters more than red light\n- Sunlight scatters off "
              "air molecules\n- At sunset red light remains")

    def lift(source, a, b):  # how much more source likes a over b than the shared utility does
        return (sim.utility(q, a, source) - sim.utility(q, b, source)
                - (sim.utility(q, a) - sim.utility(q, b)))
    assert lift("webgpt", cited, plain) > 0.5 and lift("oasst1", polite, plain) > 0.5
    assert lift("helpful", listed, plain) > 0.5 and lift("summarize", listed, plain) < -0.5
    post = "\n\nHuman: Summarize this post:\n\nMy dog hides under the bed when I vacuum.\n\nAssistant:"
    tldr, long = " TL;DR: dog hides when I vacuum.", (" The dog hides under the bed whenever the "
                                                     "owner starts to vacuum the apartment, and "
                                                     "treats have not helped so far at all.")
    assert sim.utility(post, tldr, "summarize") > sim.utility(post, long, "summarize")
    assert sim.utility(post, tldr, "helpful") < sim.utility(post, long, "helpful")


def test_features_work_on_any_text():
    sim = Simulator()
    f = sim.features("no dialogue markers at all", "")
    assert set(f) >= {"relevance", "log_words", "refusal"} and f["log_words"] == 0.0
    assert isinstance(sim.utility("x", "y", "oasst1"), float)
    with pytest.raises(KeyError, match="unknown source"):
        sim.utility(BENIGN, ANSWER, "reddit")


def test_config_validation_and_overrides():
    with pytest.raises(ValueError, match="sources"):
        SimulatorConfig(sources=("helpful", "reddit"))
    with pytest.raises(ValueError, match="temperatures"):
        SimulatorConfig(noise=-1.0)
    with pytest.raises(ValueError, match="unknown sources"):
        SimulatorConfig(noise={"reddit": 1.0})
    with pytest.raises(ValueError, match="unknown features"):
        SimulatorConfig(shared_weights={"charm": 1.0})
    base = Simulator().utility(BENIGN, ANSWER, "oasst1")
    tweaked = Simulator(SimulatorConfig(source_weights={"oasst1": {"relevance": 10.0}}))
    assert tweaked.utility(BENIGN, ANSWER, "oasst1") > base + 5
    sizes = simulate_sources(SimulatorConfig(n_pairs_per_source={"helpful": 3, "webgpt": 5},
                                             sources=("helpful", "webgpt")))
    assert [len(s) for s in sizes] == [3, 5]

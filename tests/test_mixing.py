"""Balancing, stratified groups, uniform mixing and source subsets (morelib.data.mixing)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from morelib.data.mixing import (
    DUPLICATE_OF,
    ResizedSource,
    balance,
    first_n,
    select_sources,
    stratified_groups,
    to_dataset,
    uniform_mix,
)
from morelib.vocabulary import SOURCES as PAPER_SOURCE_ORDER
from morelib.data.schema import DropReport, LoadedSource, PreferencePair


def make_source(name: str, n: int) -> LoadedSource:
    pairs = [PreferencePair(f"q{i}", "c", "r", name, f"{name}-{i}") for i in range(n)]
    return LoadedSource(name, pairs, DropReport({"tie": 1}), origin=f"{name}.json")


def root_id(pair: PreferencePair) -> str:
    return pair.metadata.get(DUPLICATE_OF, pair.id)


def check_top_up(original: LoadedSource, balanced: ResizedSource, n: int) -> None:
    m, extra = len(original), n - len(original)
    assert len(balanced) == n
    assert balanced.duplicated == extra and balanced.discarded == 0
    assert balanced.pairs[:m] == original.pairs  # every original once, in order, first
    dups = balanced.pairs[m:]
    assert all(DUPLICATE_OF in p.metadata for p in dups)
    assert all(DUPLICATE_OF not in p.metadata for p in balanced.pairs[:m])
    per_original = Counter(root_id(p) for p in dups)
    assert set(per_original) <= {p.id for p in original.pairs}
    assert max(per_original.values()) <= math.ceil(extra / m)
    assert len({p.id for p in balanced.pairs}) == n  # duplicates stay distinguishable
    for p in dups:  # a duplicate is its original with a new id and the link
        orig = original.pairs[int(root_id(p).rsplit("-", 1)[1])]
        assert (p.prompt, p.chosen, p.rejected, p.source) == (
            orig.prompt, orig.chosen, orig.rejected, orig.source)
        assert p.id.startswith(orig.id + "#dup")


@pytest.mark.parametrize("m", [5, 10, 3])
def test_sizes_exactly_n(m):
    (b,) = balance([make_source("s", m)], 5)
    assert len(b) == 5


def test_first_keeps_first_n_in_order():
    src = make_source("helpful", 10)
    (b,) = balance([src], 4)
    assert b.pairs == src.pairs[:4]
    assert (b.original_size, b.kept, b.discarded, b.duplicated) == (10, 4, 6, 0)
    assert b.rule == "first 4"
    assert b.dropped.counts == {"tie": 1} and b.origin == "helpful.json"


def test_random_is_seeded_subset_in_file_order():
    src = make_source("summarize", 100)
    (a,) = balance([src], 30, large="random", seed=3)
    (b,) = balance([src], 30, large="random", seed=3)
    (c,) = balance([src], 30, large="random", seed=4)
    assert a.pairs == b.pairs and a.pairs != c.pairs
    assert len({p.id for p in a.pairs}) == 30
    assert all(p in src.pairs for p in a.pairs)
    positions = [src.pairs.index(p) for p in a.pairs]
    assert positions == sorted(positions) and positions != list(range(30))


def test_equal_size_unchanged():
    src = make_source("x", 7)
    (b,) = balance([src], 7, large="random")
    assert b.pairs == src.pairs and b.duplicated == 0 and b.discarded == 0


@pytest.mark.parametrize("m, n", [
    (18_165, 40_000),  # oasst1 in the paper: 21,835 extra
    (17_106, 40_000),  # webgpt: 22,894 extra
    (3, 10),           # extra = 7 = 2*3 + 1: remainder 1 (authors' pool one short, D14)
    (6, 10),           # extra = 4 <= n: the authors never rebuild the pool (D14)
    (9, 10),           # extra = 1
    (1, 6),            # a single pair duplicated 5 times
    (4, 8),            # extra = n exactly
])
def test_top_up(m, n):
    src = make_source("oasst1", m)
    (b,) = balance([src], n, seed=0)
    check_top_up(src, b, n)


def test_paper_counts():
    out = balance([make_source("oasst1", 18_165), make_source("webgpt", 17_106),
                   make_source("helpful", 43_774)], 40_000)
    assert [s.duplicated for s in out] == [21_835, 22_894, 0]
    assert [s.discarded for s in out] == [0, 0, 3_774]
    assert out[0].summary()["records"] == 18_165 + 1


def test_top_up_is_seeded_and_even():
    src = make_source("webgpt", 4)
    a, = balance([src], 9, seed=1)
    b, = balance([src], 9, seed=1)
    assert a.pairs == b.pairs
    big = make_source("webgpt", 50)
    assert balance([big], 90, seed=1)[0].pairs != balance([big], 90, seed=2)[0].pairs
    # extra = 5 from ceil(5/4) = 2 copies: every original duplicated once or twice
    assert sorted(Counter(root_id(p) for p in a.pairs[4:]).values()) == [1, 1, 1, 2]


def test_seed_per_source_independent_of_companions():
    web = make_source("webgpt", 3)
    alone, = balance([web], 8, seed=5)
    _, mixed = balance([make_source("oasst1", 2), web], 8, seed=5)
    assert alone.pairs == mixed.pairs


def test_no_cross_source_leakage():
    sources = [make_source(n, m) for n, m in
               zip(PAPER_SOURCE_ORDER, (50, 45, 20, 13, 90))]
    for b in balance(sources, 40):
        assert len(b) == 40
        assert all(p.source == b.name for p in b.pairs)
        assert all(root_id(p).startswith(b.name + "-") for p in b.pairs)


def test_balance_errors():
    with pytest.raises(ValueError, match="no pairs"):
        balance([make_source("empty", 0)], 3)
    with pytest.raises(ValueError, match="'first' or 'random'"):
        balance([make_source("a", 3)], 3, large="last")
    with pytest.raises(ValueError, match="n must be >= 1"):
        balance([make_source("a", 3)], 0)
    with pytest.raises(ValueError, match="repeated: a"):
        balance([make_source("a", 3), make_source("a", 2)], 3)


def test_rebalancing_keeps_original_size_and_root():
    src = make_source("a", 2)
    once, = balance([src], 4)
    twice, = balance([once], 6)
    assert twice.original_size == 2
    assert {root_id(p) for p in twice.pairs} == {"a-0", "a-1"}
    assert len({p.id for p in twice.pairs}) == 6


def test_first_n():
    src = make_source("summarize", 5)
    cut = first_n(src, 2)
    assert cut.pairs == src.pairs[:2] and cut.discarded == 3
    assert first_n(src, 2_000).pairs == src.pairs


def test_stratified_groups():
    sources = balance([make_source("a", 7), make_source("b", 3), make_source("c", 5)], 5)
    groups = stratified_groups(sources, seed=0)
    assert len(groups) == 5
    for g in groups:
        assert [p.source for p in g] == ["a", "b", "c"]
    flat = [p.id for g in groups for p in g]
    assert sorted(flat) == sorted(p.id for s in sources for p in s.pairs)
    assert len(set(flat)) == len(flat)
    assert groups == stratified_groups(sources, seed=0)
    assert groups != stratified_groups(sources, seed=1)
    unshuffled = stratified_groups(sources, shuffle=False)
    assert [g[0] for g in unshuffled] == sources[0].pairs
    # pair j of every source shares a group
    by_first = {g[0].id: g for g in groups}
    for j, g in enumerate(unshuffled):
        assert by_first[g[0].id] == tuple(s.pairs[j] for s in sources)


def test_stratified_groups_unequal_sizes():
    with pytest.raises(ValueError, match=r"a=3, b=2.*balance\(sources, n\)"):
        stratified_groups([make_source("a", 3), make_source("b", 2)])
    with pytest.raises(ValueError, match="no sources"):
        stratified_groups([])


def test_uniform_mix_is_seeded_permutation():
    sources = [make_source("a", 20), make_source("b", 30)]
    mixed = uniform_mix(sources, seed=0)
    everything = [p for s in sources for p in s.pairs]
    assert sorted(p.id for p in mixed) == sorted(p.id for p in everything)
    assert len(mixed) == 50 and mixed != everything
    assert mixed == uniform_mix(sources, seed=0) != uniform_mix(sources, seed=1)


def test_select_sources():
    have = [make_source(n, 1) for n in reversed(PAPER_SOURCE_ORDER)]
    for k in range(1, 6):
        assert [s.name for s in select_sources(have, k)] == list(PAPER_SOURCE_ORDER[:k])
    assert [s.name for s in select_sources(have, 2, order=("webgpt", "oasst1"))] == [
        "webgpt", "oasst1"]


def test_select_sources_errors():
    have = [make_source(n, 1) for n in ("helpful", "webgpt")]
    with pytest.raises(ValueError, match=r"missing: harmless, oasst1 \(have: helpful, webgpt\)"):
        select_sources(have, 4)
    with pytest.raises(ValueError, match="between 1 and 5"):
        select_sources(have, 0)
    with pytest.raises(ValueError, match="between 1 and 5"):
        select_sources(have, 6)


def test_to_dataset_pairs_and_groups():
    sources = [make_source("a", 2), make_source("b", 2)]
    pairs = uniform_mix(sources, seed=0)
    ds = to_dataset(pairs, ["a", "b"])
    assert ds.column_names == ["prompt", "chosen", "rejected", "source", "source_index", "id"]
    assert list(ds["id"]) == [p.id for p in pairs]
    assert list(ds["source_index"]) == [{"a": 0, "b": 1}[p.source] for p in pairs]

    groups = stratified_groups(sources, seed=0)
    ds = to_dataset(groups, ["a", "b"])
    assert list(ds["source_index"]) == [0, 1, 0, 1]
    assert list(ds["group"]) == [0, 0, 1, 1]
    assert list(ds["id"]) == [p.id for g in groups for p in g]


def test_to_dataset_metadata_and_errors():
    b, = balance([make_source("a", 1)], 2)
    ds = to_dataset(b.pairs, ["a"], metadata_keys=[DUPLICATE_OF])
    assert list(ds[DUPLICATE_OF]) == [None, "a-0"]
    with pytest.raises(ValueError, match="has source 'a'"):
        to_dataset(b.pairs, ["b"])
    assert len(to_dataset([], ["a"])) == 0

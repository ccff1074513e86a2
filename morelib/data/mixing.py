"""Mixing preference sources: balancing, stratified MORE groups, uniform mixing, subsets.

* :func:`balance` resizes every source to ``n`` pairs (the paper's resampling to 40,000):
  larger sources keep their first ``n`` (or a seeded random ``n``), smaller ones keep all their
  pairs and are topped up with seeded duplicates. The result records what it did
  (:class:`ResizedSource`), and every duplicate says which pair it copies.
* :func:`stratified_groups` forms MORE's groups: group ``j`` holds pair ``j`` of every source.
* :func:`uniform_mix` is the MultiTask baseline's pool: all pairs, shuffled.
* :func:`select_sources` picks the first ``k`` sources in the paper's order (Fig. 6).
* :func:`first_n` keeps a source's first ``n`` pairs (the summarize test set's first 2,000).
* :func:`to_dataset` turns pairs or groups into a ``datasets.Dataset`` for the trainer.

Randomness is seeded per source (from ``seed`` and the source's name), so a source is resampled
the same way whichever other sources it is mixed with.

Deviation from the authors' code (reference D14): their upsampler builds its pool of copies with
``floor(extra/n) + (1 if extra % n > 1 else 0)`` and never rebuilds it when ``extra <= n``, so a
remainder of 1 crashes and a source between ``n/2`` and ``n`` is padded with an *earlier* source's
pairs. Here the pool is always ``ceil(extra/len)`` copies of the source's own pairs.

Example:
    >>> from morelib.data.schema import LoadedSource, PreferencePair
    >>> def src(name, k):
    ...     return LoadedSource(name, [PreferencePair("q", "c", "r", name, f"{name}-{i}")
    ...                                for i in range(k)])
    >>> big, small = balance([src("helpful", 5), src("oasst1", 2)], 3)
    >>> [p.id for p in big.pairs], big.discarded
    (['helpful-0', 'helpful-1', 'helpful-2'], 2)
    >>> len(small), small.duplicated
    (3, 1)
    >>> [tuple(p.source for p in g) for g in stratified_groups([big, small])]
    [('helpful', 'oasst1'), ('helpful', 'oasst1'), ('helpful', 'oasst1')]
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from morelib.data.schema import LoadedSource, PreferencePair
from morelib.vocabulary import SOURCES

if TYPE_CHECKING:  # pragma: no cover
    import datasets

#: Pairs per source in the paper's training mixture (App. C).
PAPER_BALANCE_SIZE = 40_000

#: Metadata key naming the original pair's id on a duplicate.
DUPLICATE_OF = "duplicate_of"


@dataclass
class ResizedSource(LoadedSource):
    """A :class:`LoadedSource` after :func:`balance` or :func:`first_n`, recording the change.

    ``original_size`` is the number of pairs before, ``duplicated`` how many of the pairs are
    added duplicates, ``rule`` how the source was resized (e.g. ``"first 40000"``).

    Example:
        >>> s = ResizedSource("webgpt", [], original_size=3, duplicated=0, rule="first 0")
        >>> s.kept, s.discarded, s.summary()["duplicated"]
        (0, 3, 0)
    """

    original_size: int = 0
    duplicated: int = 0
    rule: str = ""

    @property
    def kept(self) -> int:
        """Original pairs kept (each counted once)."""
        return len(self.pairs) - self.duplicated

    @property
    def discarded(self) -> int:
        """Original pairs left out."""
        return self.original_size - self.kept

    def summary(self) -> dict[str, Any]:
        row = super().summary()
        row["records"] = self.original_size + self.dropped.total
        row.update(original=self.original_size, discarded=self.discarded,
                   duplicated=self.duplicated, rule=self.rule)
        return row


def _rng(seed: int, name: str) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`: stable across runs and platforms.
    return random.Random(f"morelib.mixing:{seed}:{name}")


def _resized(source: LoadedSource, pairs: list[PreferencePair], duplicated: int,
             rule: str) -> ResizedSource:
    # Resizing twice keeps counting against the source as loaded.
    original = source.original_size if isinstance(source, ResizedSource) else len(source)
    return ResizedSource(source.name, pairs, source.dropped, source.origin,
                         original_size=original, duplicated=duplicated, rule=rule)


def first_n(source: LoadedSource, n: int) -> ResizedSource:
    """The source's first ``n`` pairs in file order (all of them if it has fewer).

    Example (the summarize test set keeps its first 2,000):
        >>> s = LoadedSource("summarize", [PreferencePair("q", "c", "r", "summarize", f"s-{i}")
        ...                                for i in range(5)])
        >>> cut = first_n(s, 2)
        >>> [p.id for p in cut.pairs], cut.discarded
        (['s-0', 's-1'], 3)
    """
    if n < 0:
        raise ValueError(f"first_n: n must be >= 0, got {n}")
    return _resized(source, list(source.pairs[:n]), 0, f"first {n}")


def _root(pair: PreferencePair) -> str:
    return pair.metadata.get(DUPLICATE_OF, pair.id)


def _top_up(pairs: list[PreferencePair], n: int, rng: random.Random) -> list[PreferencePair]:
    """All ``pairs`` once, then ``n - len(pairs)`` duplicates drawn without replacement from
    ``ceil(extra / len(pairs))`` copies of them (so no pair is duplicated more than that).

    The k-th duplicate of original ``id`` is ``id#dup<k>``; numbering continues after any
    duplicates already present (balancing twice keeps ids unique)."""
    m, extra = len(pairs), n - len(pairs)
    copies = math.ceil(extra / m)
    drawn = rng.sample(range(copies * m), extra)
    count = Counter(_root(p) for p in pairs if DUPLICATE_OF in p.metadata)
    out = list(pairs)
    for slot in drawn:
        root = _root(pairs[slot % m])
        count[root] += 1
        out.append(dataclasses.replace(pairs[slot % m], id=f"{root}#dup{count[root]}",
                                       metadata={**pairs[slot % m].metadata, DUPLICATE_OF: root}))
    return out


def balance(sources: Sequence[LoadedSource], n: int = PAPER_BALANCE_SIZE, *,
            large: str = "first", seed: int = 0) -> list[ResizedSource]:
    """Resize every source to exactly ``n`` pairs (the paper's balancing, App. C).

    * larger sources keep their first ``n`` pairs (``large="first"``, the paper) or a seeded
      random ``n`` of them in file order (``large="random"``);
    * smaller sources keep every pair once, followed by ``n - len`` duplicates drawn without
      replacement from ``ceil(extra / len)`` copies of their own pairs (seeded). A duplicate's
      id gets ``#dup<k>`` appended and its metadata ``duplicate_of`` names the original's id;
    * each result is a :class:`ResizedSource` with ``original_size``, ``duplicated``,
      ``discarded`` and ``rule`` (shown by its ``summary()``).

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair
        >>> s = LoadedSource("oasst1", [PreferencePair("q", "c", "r", "oasst1", f"o-{i}")
        ...                             for i in range(2)])
        >>> (b,) = balance([s], 5, seed=1)
        >>> len(b), b.duplicated, b.rule
        (5, 3, 'top up 2 with 3 duplicates')
        >>> [p.id for p in b.pairs[:2]], sorted(p.metadata["duplicate_of"] for p in b.pairs[2:])[0]
        (['o-0', 'o-1'], 'o-0')
        >>> Counter(p.id.split("#")[0] for p in b.pairs[2:]).most_common(1)[0][1]  # <= ceil(3/2)
        2
    """
    if n < 1:
        raise ValueError(f"balance: n must be >= 1, got {n}")
    if large not in ("first", "random"):
        raise ValueError(f"balance: large must be 'first' or 'random', got {large!r}")
    _check_unique_names(sources, "balance")
    out = []
    for src in sources:
        pairs, m = list(src.pairs), len(src)
        rng = _rng(seed, src.name)
        if m == 0:
            raise ValueError(f"balance: source {src.name!r} has no pairs; cannot top it up to {n}")
        if m >= n and large == "first":
            out.append(_resized(src, pairs[:n], 0, f"first {n}"))
        elif m >= n:
            keep = sorted(rng.sample(range(m), n))
            out.append(_resized(src, [pairs[i] for i in keep], 0, f"random {n} (seed {seed})"))
        else:
            out.append(_resized(src, _top_up(pairs, n, rng), n - m,
                                f"top up {m} with {n - m} duplicates"))
    return out


def _check_unique_names(sources: Sequence[LoadedSource], caller: str) -> None:
    repeated = [name for name, c in Counter(s.name for s in sources).items() if c > 1]
    if repeated:
        raise ValueError(f"{caller}: source names must be unique, repeated: {', '.join(repeated)}")


def stratified_groups(sources: Sequence[LoadedSource], *, seed: int = 0,
                      shuffle: bool = True) -> list[tuple[PreferencePair, ...]]:
    """MORE's groups: group ``j`` is ``(pair j of source 0, pair j of source 1, ...)``.

    Every pair is in exactly one group and every group holds one pair per source, in the order
    of ``sources``. The groups are shuffled (seeded) unless ``shuffle=False``. The sources must
    have equal sizes: :func:`balance` them first.

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair
        >>> a = LoadedSource("a", [PreferencePair("q", "c", "r", "a", f"a{i}") for i in range(2)])
        >>> b = LoadedSource("b", [PreferencePair("q", "c", "r", "b", f"b{i}") for i in range(2)])
        >>> [(x.id, y.id) for x, y in stratified_groups([a, b], shuffle=False)]
        [('a0', 'b0'), ('a1', 'b1')]
    """
    if not sources:
        raise ValueError("stratified_groups: no sources given")
    _check_unique_names(sources, "stratified_groups")
    sizes = {s.name: len(s) for s in sources}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name}={size}" for name, size in sizes.items())
        raise ValueError(f"stratified_groups needs sources of equal size, got {listed}; "
                         "resize them first with balance(sources, n)")
    groups = list(zip(*(s.pairs for s in sources)))
    if shuffle:
        random.Random(seed).shuffle(groups)
    return groups


def uniform_mix(sources: Sequence[LoadedSource], *, seed: int = 0) -> list[PreferencePair]:
    """All pairs of all sources in one seeded random order (the MultiTask baseline's pool).

    Example:
        >>> from morelib.data.schema import LoadedSource, PreferencePair
        >>> a = LoadedSource("a", [PreferencePair("q", "c", "r", "a", f"a{i}") for i in range(3)])
        >>> b = LoadedSource("b", [PreferencePair("q", "c", "r", "b", "b0")])
        >>> mixed = uniform_mix([a, b], seed=0)
        >>> sorted(p.id for p in mixed), mixed == uniform_mix([a, b], seed=0)
        (['a0', 'a1', 'a2', 'b0'], True)
    """
    pool = [p for s in sources for p in s.pairs]
    random.Random(seed).shuffle(pool)
    return pool


def select_sources(sources: Sequence[LoadedSource], k: int,
                   order: Sequence[str] = SOURCES) -> list[LoadedSource]:
    """The first ``k`` names of ``order`` (the paper's K = 2..5 mixtures), in that order.

    Example:
        >>> from morelib.data.schema import LoadedSource
        >>> have = [LoadedSource(n, []) for n in ("webgpt", "harmless", "helpful", "oasst1")]
        >>> [s.name for s in select_sources(have, 3)]
        ['helpful', 'harmless', 'oasst1']
        >>> select_sources(have, 5)
        Traceback (most recent call last):
        ...
        ValueError: select_sources(k=5) needs helpful, harmless, oasst1, webgpt, summarize; missing: summarize (have: webgpt, harmless, helpful, oasst1)
    """
    if not 1 <= k <= len(order):
        raise ValueError(f"select_sources: k must be between 1 and {len(order)}, got {k}")
    _check_unique_names(sources, "select_sources")
    by_name = {s.name: s for s in sources}
    wanted = list(order[:k])
    missing = [name for name in wanted if name not in by_name]
    if missing:
        raise ValueError(f"select_sources(k={k}) needs {', '.join(wanted)}; missing: "
                         f"{', '.join(missing)} (have: {', '.join(by_name) or 'none'})")
    return [by_name[name] for name in wanted]


def to_dataset(items: Iterable[PreferencePair | Sequence[PreferencePair]],
               source_names: Sequence[str], *,
               metadata_keys: Sequence[str] = ()) -> "datasets.Dataset":
    """A ``datasets.Dataset`` with TRL's columns plus ``source``, ``source_index`` and ``id``.

    ``items`` are pairs (e.g. :func:`uniform_mix`) or groups (:func:`stratified_groups`);
    groups are flattened in order, one row per pair, with a ``group`` column (the group's
    index). ``source_index`` is the position of the pair's source in ``source_names``.
    ``metadata_keys`` copies those metadata entries into columns (``None`` where absent).

    Example:
        >>> from morelib.data.schema import PreferencePair
        >>> pairs = [PreferencePair("q", "c", "r", "b", "b0"), PreferencePair("q", "c", "r", "a", "a0")]
        >>> ds = to_dataset(pairs, ["a", "b"])
        >>> ds.column_names, list(ds["source_index"])
        (['prompt', 'chosen', 'rejected', 'source', 'source_index', 'id'], [1, 0])
        >>> list(to_dataset([tuple(pairs)], ["a", "b"])["group"])
        [0, 0]
    """
    import datasets

    index = {name: i for i, name in enumerate(source_names)}
    if len(index) != len(source_names):
        raise ValueError(f"to_dataset: repeated names in source_names {list(source_names)}")
    names = ["prompt", "chosen", "rejected", "source", "source_index", "id"]
    cols: dict[str, list[Any]] = {name: [] for name in names}
    cols.update({key: [] for key in metadata_keys})
    group_col: list[int] = []
    for g, item in enumerate(items):
        pairs = (item,) if isinstance(item, PreferencePair) else tuple(item)
        if not isinstance(item, PreferencePair):
            group_col.extend([g] * len(pairs))
        for p in pairs:
            if p.source not in index:
                raise ValueError(f"to_dataset: pair {p.id!r} has source {p.source!r}, "
                                 f"not one of {list(source_names)}")
            for name in ("prompt", "chosen", "rejected", "source", "id"):
                cols[name].append(getattr(p, name))
            cols["source_index"].append(index[p.source])
            for key in metadata_keys:
                cols[key].append(p.metadata.get(key))
    if group_col and len(group_col) != len(cols["id"]):
        raise ValueError("to_dataset: items mix single pairs and groups")
    features = {name: datasets.Value("string") for name in names}
    features["source_index"] = datasets.Value("int64")
    if group_col:
        cols["group"], features["group"] = group_col, datasets.Value("int64")
    data = datasets.Dataset.from_dict({k: cols[k] for k in features},
                                      features=datasets.Features(features))
    for key in metadata_keys:
        data = data.add_column(key, cols[key])
    return data

"""What one weighting step measured (:class:`StepDiagnostics`), and the one schema of the keys
under which training histories store it.

Every strategy's ``last_diagnostics`` is a :class:`StepDiagnostics`: λ and, when the strategy
saw them, the per-source counts and losses, the Gram matrix of this batch's head gradients and
(MORE) the Gram matrices of the EMA buffers and of the vectors the solver sees, plus the
solver's result, all on the host. The record measures once; :meth:`StepDiagnostics.row` names
the numbers by source for one history row (``lambda_history.jsonl``, the trainer's logs),
under these keys, each built by one function here and read back by :func:`parse_key`:

====================================  ==========================================================
``lambda/<s>``                        λ_s, the weight the loss used (:func:`source_key`)
``count/<s>``                         pairs of source s in the (global) batch
``loss/<s>``                          mean Bradley-Terry loss of s (sources present only)
``grad_norm/<s>``                     ‖g_s‖, this batch's head gradient of s (present only)
``ema_norm/<s>``                      MORE: ‖m_s‖, the EMA buffer of s (present only)
``cosine/<a>~<b>``                    cos(g_a, g_b) (:func:`pair_key`; both present, non-zero)
``cosine_normalized/<a>~<b>``         MORE: cosine of the vectors the solver sees
``weighting/<name>``                  MORE's solver: ``min_norm`` (λᵀĜλ), ``fw_iterations``,
                                      ``kkt_violation`` (:func:`scalar_key`)
====================================  ==========================================================

Keys undefined at a step (a source absent, a zero vector) are left out rather than set to NaN,
so averages over logging windows stay finite. This module needs numpy only.

Example:
    >>> d = StepDiagnostics(np.array([0.5, 0.5], np.float32), counts=np.array([2.0, 1.0]),
    ...                     losses=np.array([0.7, 0.6]), grad_gram=np.array([[4.0, 0.0],
    ...                                                                      [0.0, 9.0]]))
    >>> d.row(["helpful", "harmless"])  # doctest: +NORMALIZE_WHITESPACE
    {'lambda/helpful': 0.5, 'count/helpful': 2, 'loss/helpful': 0.7, 'grad_norm/helpful': 2.0,
     'lambda/harmless': 0.5, 'count/harmless': 1, 'loss/harmless': 0.6, 'grad_norm/harmless': 3.0,
     'cosine/helpful~harmless': 0.0}
    >>> parse_key("cosine/helpful~harmless")
    HistoryKey(kind='cosine', sources=('helpful', 'harmless'), name='')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

LAMBDA, COUNT, LOSS, GRAD_NORM, EMA_NORM = "lambda", "count", "loss", "grad_norm", "ema_norm"
COSINE, COSINE_NORMALIZED = "cosine", "cosine_normalized"
#: kinds keyed by one source, by a pair of sources, and the kind of the solver's scalars
SOURCE_KINDS = (LAMBDA, COUNT, LOSS, GRAD_NORM, EMA_NORM)
PAIR_KINDS = (COSINE, COSINE_NORMALIZED)
SCALAR_KIND = "weighting"
PAIR_SEPARATOR = "~"


def source_key(kind: str, source: str) -> str:
    """The history key of a per-source quantity.

    Example:
        >>> source_key(LAMBDA, "helpful")
        'lambda/helpful'
    """
    return f"{kind}/{source}"


def pair_key(kind: str, a: str, b: str) -> str:
    """The history key of a quantity of a pair of sources.

    Example:
        >>> pair_key(COSINE, "helpful", "harmless")
        'cosine/helpful~harmless'
    """
    return f"{kind}/{a}{PAIR_SEPARATOR}{b}"


def scalar_key(name: str) -> str:
    """The history key of one of the weighting's own scalars.

    Example:
        >>> scalar_key("fw_iterations")
        'weighting/fw_iterations'
    """
    return f"{SCALAR_KIND}/{name}"


class HistoryKey(NamedTuple):
    """A parsed history key: its ``kind``, the ``sources`` it is about (one, two or none) and,
    for the weighting's scalars, their ``name``."""

    kind: str
    sources: tuple[str, ...] = ()
    name: str = ""


def parse_key(key: str) -> HistoryKey | None:
    """The :class:`HistoryKey` of a history column; ``None`` for anything else (``step``).

    Example:
        >>> parse_key("lambda/helpful"), parse_key("weighting/min_norm").name, parse_key("step")
        (HistoryKey(kind='lambda', sources=('helpful',), name=''), 'min_norm', None)
    """
    kind, slash, rest = str(key).partition("/")
    if not slash or not rest:
        return None
    if kind in SOURCE_KINDS:
        return HistoryKey(kind, (rest,))
    if kind in PAIR_KINDS:
        a, sep, b = rest.partition(PAIR_SEPARATOR)
        return HistoryKey(kind, (a, b)) if sep else None
    if kind == SCALAR_KIND:
        return HistoryKey(kind, (), rest)
    return None


def columns_of(columns: Iterable[Any], kind: str) -> dict[Any, str]:
    """``{source: column}`` (per-source kinds) or ``{(a, b): column}`` (pair kinds) of the
    columns of one ``kind``, in column order.

    Example:
        >>> columns_of(["step", "lambda/a", "cosine/a~b", "lambda/b"], LAMBDA)
        {'a': 'lambda/a', 'b': 'lambda/b'}
        >>> columns_of(["cosine/a~b", "cosine_normalized/a~b"], COSINE)
        {('a', 'b'): 'cosine/a~b'}
    """
    out: dict[Any, str] = {}
    for column in columns:
        parsed = parse_key(column)
        if parsed is not None and parsed.kind == kind:
            out[parsed.sources[0] if kind in SOURCE_KINDS else parsed.sources] = column
    return out


def _norms(gram: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(np.diagonal(gram), 0.0, None))


@dataclass(frozen=True)
class StepDiagnostics:
    """One weighting step on the host: λ [K] (float32, the weights the loss used) and, where
    the strategy had them, ``counts`` and ``losses`` [K], the K×K Gram matrices ``grad_gram``
    (this batch's head gradients), ``ema_gram`` (MORE's EMA buffers) and ``solver_gram`` (the
    normalised vectors the solver sees), and ``solver``
    (a :class:`~morelib.weighting.MinNormResult`). Example: the module docstring."""

    lambdas: np.ndarray
    counts: np.ndarray | None = None
    losses: np.ndarray | None = None
    grad_gram: np.ndarray | None = None
    ema_gram: np.ndarray | None = None
    solver_gram: np.ndarray | None = None
    solver: Any = None

    @property
    def present(self) -> np.ndarray:
        """Sources with pairs in the batch (all of them when counts were not given)."""
        if self.counts is None:
            return np.ones(len(self.lambdas), dtype=bool)
        return np.asarray(self.counts) > 0

    def row(self, names: Sequence[str] | None = None) -> dict[str, float]:
        """The step as one history row, keys named by ``names`` (default: ``"0"``, ``"1"``, …):
        per source λ, count, loss and gradient norm, then the pairs' cosines, then MORE's EMA
        norms, normalised cosines and solver scalars.

        Example:
            >>> d = StepDiagnostics(np.array([1.0, 0.0], np.float32), counts=np.array([3, 0]))
            >>> d.row()
            {'lambda/0': 1.0, 'count/0': 3, 'lambda/1': 0.0, 'count/1': 0}
        """
        k = len(self.lambdas)
        names = [str(i) for i in range(k)] if names is None else list(names)
        if len(names) != k:
            raise ValueError(f"{len(names)} names for {k} sources")
        present = self.present
        row: dict[str, float] = {}
        grad_norms = None if self.grad_gram is None else _norms(self.grad_gram)
        for i, name in enumerate(names):
            row[source_key(LAMBDA, name)] = float(self.lambdas[i])
            if self.counts is not None:
                row[source_key(COUNT, name)] = int(self.counts[i])
            if present[i] and self.losses is not None:
                row[source_key(LOSS, name)] = float(self.losses[i])
            if present[i] and grad_norms is not None:
                row[source_key(GRAD_NORM, name)] = float(grad_norms[i])
        row.update(self._cosines(COSINE, self.grad_gram, names))
        if self.ema_gram is not None:
            ema_norms = _norms(self.ema_gram)
            row.update({source_key(EMA_NORM, names[i]): float(ema_norms[i])
                        for i in np.flatnonzero(present)})
        row.update(self._cosines(COSINE_NORMALIZED, self.solver_gram, names))
        if self.solver is not None:
            row[scalar_key("min_norm")] = float(self.solver.value)
            row[scalar_key("fw_iterations")] = float(self.solver.iterations)
            row[scalar_key("kkt_violation")] = float(self.solver.kkt_violation)
        return row

    def _cosines(self, kind: str, gram: np.ndarray | None,
                 names: Sequence[str]) -> dict[str, float]:
        """``kind/a~b`` cosines from a Gram matrix, for the pairs with both present and
        non-zero."""
        if gram is None:
            return {}
        norms = _norms(gram)
        ok = self.present & (norms > 0)
        return {pair_key(kind, names[i], names[j]): float(gram[i, j] / (norms[i] * norms[j]))
                for i in range(len(names)) for j in range(i + 1, len(names)) if ok[i] and ok[j]}

"""The paper's vocabulary, written once: its five preference sources and its reward-model schemes.

``SOURCES`` are the paper's datasets in the paper's order (the columns of Tables 2/4–6, the
order Fig. 6 adds them for K = 2..5, the code's task order). ``SCHEMES`` holds one record per
reward-model scheme: the id the RM cache and the score tables use (``rm`` column), the display
name the tables and figures print, and the weighting strategy the scheme trains with (a name of
:data:`morelib.weighting.strategies.STRATEGIES`; ``None`` for the untrained ``raw`` RM and for
the ensembles ``top`` / ``averaging``, which are built from the ``single`` RMs). So the paper's
*MultiTask* is the scheme ``multitask``, trained with the strategy ``mean``
(:class:`~morelib.weighting.strategies.BatchMeanWeighting`, the plain batch mean).

This module imports nothing from ``morelib``: every other module may import it.

Example:
    >>> SOURCES[:3]
    ('helpful', 'harmless', 'oasst1')
    >>> mt = SCHEMES["multitask"]
    >>> mt.label, mt.strategy, SCHEMES["more"].strategy
    ('MultiTask', 'mean', 'more')
    >>> RM_SCHEMES, [s.label for s in SCHEMES.values() if s.ensemble]
    (('raw', 'single', 'multitask', 'more'), ['Top', 'Averaging'])
    >>> scheme_name("more"), scheme_name("single/webgpt"), scheme_name("my-rm")
    ('MORE', 'Single (webgpt)', 'my-rm')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GENERATION_BACKENDS", "GOLD_SCHEMES", "RM_SCHEMES", "SCHEMES", "SOURCES", "Scheme",
           "scheme_name"]

#: The paper's five sources, in the paper's order.
SOURCES = ("helpful", "harmless", "oasst1", "webgpt", "summarize")


@dataclass(frozen=True)
class Scheme:
    """One reward-model scheme: ``id`` (cache / ``rm`` column; ``single`` RMs are
    ``single/<source>``), display ``label``, training ``strategy`` (``None``: not trained
    itself) and whether it is an ``ensemble`` of the ``single`` RMs."""

    id: str
    label: str
    strategy: str | None = None
    ensemble: bool = False


#: The schemes by id, in the paper's row order (Table 2: Raw, Top, Averaging, MultiTask, MORE;
#: the single-source RMs the ensembles are built from come after Raw).
SCHEMES: dict[str, Scheme] = {s.id: s for s in (
    Scheme("raw", "Raw"),
    Scheme("single", "Single", strategy="mean"),
    Scheme("top", "Top", ensemble=True),
    Scheme("averaging", "Averaging", ensemble=True),
    Scheme("multitask", "MultiTask", strategy="mean"),
    Scheme("more", "MORE", strategy="more"),
)}

#: The schemes that are one reward model each (what an RM suite trains or, for ``raw``, builds).
RM_SCHEMES = tuple(s.id for s in SCHEMES.values() if not s.ensemble)

#: Notebook 05's gold judges by name: the schemes whose RMs it averages
#: (:mod:`morelib.experiments.gold`; ``both`` is neutral between MultiTask and MORE).
GOLD_SCHEMES = {"both": ("multitask", "more"), "more": ("more",), "multitask": ("multitask",)}

#: How a policy samples (:func:`morelib.alignment.generation.resolve_backend`): ``auto`` is vLLM
#: when it is installed and a GPU is visible, else transformers.
GENERATION_BACKENDS = ("transformers", "vllm", "auto")


def scheme_name(rm: str) -> str:
    """Display name of an RM id: ``more`` → ``MORE``, ``single/helpful`` → ``Single (helpful)``;
    an unknown id is its own name.

    Example:
        >>> scheme_name("multitask"), scheme_name("single/webgpt"), scheme_name("raw")
        ('MultiTask', 'Single (webgpt)', 'Raw')
    """
    if rm.startswith("single/"):
        return f"{SCHEMES['single'].label} ({rm.split('/', 1)[1]})"
    scheme = SCHEMES.get(rm)
    return scheme.label if scheme is not None else rm

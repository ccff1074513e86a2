"""One look for every figure: the checked-in style file and fixed colours per scheme and source.

Schemes take the Okabe–Ito colours, sources Paul Tol's "bright" set: both are colour-blind
safe, and the two sets differ so a scheme is never mistaken for a source. Names are matched
loosely (case, punctuation and an ``RM_`` prefix are ignored: ``"RM_Summ."`` is summarize); an
unknown name gets a spare colour chosen from the name itself, so it is the same in every figure.

Example:
    >>> color_for("MORE"), color_for("rm_helpful"), color_for("Single") == color_for("Top")
    ('#D55E00', '#4477AA', True)
"""

from __future__ import annotations

import contextlib
import re
import zlib
from pathlib import Path
from typing import Iterable, Iterator

import matplotlib.pyplot as plt

#: The style file shipped with the package (``morelib/morelib.mplstyle``).
STYLE_PATH = Path(__file__).resolve().parent.parent / "morelib.mplstyle"

#: Scheme → colour (Okabe & Ito). Black stays free for reference lines.
SCHEME_COLORS = {
    "Raw": "#999999",
    "Top": "#0072B2",
    "Averaging": "#E69F00",
    "MultiTask": "#009E73",
    "MORE": "#D55E00",
    "temperature-scaled": "#CC79A7",
    "uniform": "#56B4E9",
    "proportional": "#8C6D31",
}
#: Source (training source or test set) → colour (Tol bright); ``pooled``/``mean`` are greys.
SOURCE_COLORS = {
    "helpful": "#4477AA",
    "harmless": "#EE6677",
    "oasst1": "#228833",
    "webgpt": "#CCBB44",
    "summarize": "#66CCEE",
    "raw": "#BBBBBB",
    "pooled": "#333333",
    "mean": "#777777",
}
_ALIASES = {
    "single": "Top", "multi": "MultiTask", "mtl": "MultiTask", "avg": "Averaging",
    "average": "Averaging", "ts": "temperature-scaled", "tempscaled": "temperature-scaled",
    "temperature": "temperature-scaled", "oasst": "oasst1", "summ": "summarize",
    "summarise": "summarize", "tldr": "summarize", "hh": "pooled", "all": "pooled",
}
_SPARE = ["#AA3377", "#332288", "#117733", "#882255", "#44AA99", "#999933", "#661100", "#6699CC"]


def _key(name: str) -> str:
    text = re.sub(r"^rm[\s_-]+", "", str(name).strip().lower())
    return re.sub(r"[^a-z0-9]", "", text)


_LOOKUP = {_key(k): v for table in (SOURCE_COLORS, SCHEME_COLORS) for k, v in table.items()}
_LOOKUP.update({a: _LOOKUP[_key(target)] for a, target in _ALIASES.items()})


def color_for(name: str) -> str:
    """The colour of a scheme, source or RM name (a stable spare colour for unknown names).

    Example:
        >>> color_for("MultiTask"), color_for("Summ."), color_for("my-rm") == color_for("my-rm")
        ('#009E73', '#66CCEE', True)
    """
    key = _key(name)
    if key in _LOOKUP:
        return _LOOKUP[key]
    return _SPARE[zlib.crc32(key.encode()) % len(_SPARE)]


def palette(names: Iterable[str]) -> dict[str, str]:
    """``{name: colour}`` for seaborn's ``palette=`` (order kept, duplicates dropped).

    Example:
        >>> palette(["Top", "MORE", "Top"])
        {'Top': '#0072B2', 'MORE': '#D55E00'}
    """
    return {name: color_for(name) for name in dict.fromkeys(names)}


@contextlib.contextmanager
def use_style() -> Iterator[None]:
    """Apply morelib's style inside a ``with`` block (or as a decorator); rcParams are restored.

    Every figure helper already draws inside it; use it for figures of your own.

    Example:
        >>> import matplotlib as mpl
        >>> before = mpl.rcParams["axes.spines.top"]
        >>> with use_style():
        ...     mpl.rcParams["axes.spines.top"]
        False
        >>> mpl.rcParams["axes.spines.top"] == before
        True
    """
    with plt.style.context(str(STYLE_PATH)):
        yield

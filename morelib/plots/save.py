"""Write a figure atomically in several formats, its headline numbers beside it, then close it.

Example:
    >>> import tempfile, pathlib, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in save_figure(fig, folder / "fig1", numbers={"slope": 1.0})]
    ['fig1.png', 'fig1.pdf', 'fig1.json']
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt

from morelib.io import atomic_write_bytes, atomic_write_json
from morelib.report import in_kernel

# Metadata that would change on every run (dates) is left out, so equal figures give equal bytes.
_METADATA = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "ps": {"CreationDate": None},
             "eps": {"CreationDate": None}}
_SUFFIXES = {"png", "pdf", "svg", "ps", "eps", "jpg", "jpeg", "tif", "tiff", "webp"}


def _show_inline(png: bytes, dpi: float) -> None:
    from IPython.display import Image, display

    width = int.from_bytes(png[16:20], "big")  # the PNG header's pixel width
    display(Image(data=png, format="png", width=max(1, round(width * 100 / dpi))))


def save_figure(fig: Any, path: str | os.PathLike[str], formats: Sequence[str] = ("png", "pdf"),
                dpi: float = 200, *, numbers: Mapping[str, Any] | None = None,
                close: bool = True, show: bool | None = None) -> list[Path]:
    """Save ``fig`` as ``path.<format>`` for each format, atomically; return the paths written.

    ``path`` has no suffix (a trailing image suffix such as ``.png`` is dropped). Every format
    is rendered before any is written; each file then replaces its old version in one rename.
    Dates are left out of PDF/SVG/PS metadata, so a re-run gives identical files.
    ``numbers``: the figure's headline numbers, written to ``path.json`` beside it.
    ``close`` (default): close the figure afterwards, so batch runs do not pile figures up.
    ``show``: display the PNG in the notebook before closing (default: when running in a
    Jupyter/papermill kernel and closing; a closed figure would otherwise never appear).
    End a notebook cell with ``save_figure(...);`` (or assign it) to keep the list of paths out
    of the output. Example: the module docstring.
    """
    base = Path(path)
    if base.suffix.lstrip(".").lower() in _SUFFIXES:
        base = base.with_suffix("")
    rendered: dict[str, bytes] = {}
    for fmt in formats:
        fmt = fmt.lower().lstrip(".")
        buffer = io.BytesIO()
        # tight box: titles and outside legends are never cut off (the style's savefig.bbox
        # does not apply here, outside the plotting function's style context)
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA.get(fmt),
                    bbox_inches="tight", pad_inches=0.05)
        rendered[fmt] = buffer.getvalue()
    paths = []
    for fmt, data in rendered.items():
        target = base.with_name(f"{base.name}.{fmt}")
        atomic_write_bytes(target, data)
        paths.append(target)
    if numbers is not None:
        target = base.with_name(f"{base.name}.json")
        atomic_write_json(target, dict(numbers))
        paths.append(target)
    if show is None:
        show = close and in_kernel()
    if show:
        png = rendered.get("png")
        if png is None:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.05)
            png = buffer.getvalue()
        _show_inline(png, dpi)
    if close:
        plt.close(fig)
    return paths

"""What every numbered notebook opens with, in one call.

A notebook's parameters cell names its profile and folders; :func:`start_notebook` turns them
into the notebook's output folder (``<output_root>/<profile>/<stem>``, created), the RM cache
folder, the profile's training sections (:func:`morelib.profiles.load_spec`) and the notebook's
part of ``report.md`` (:class:`morelib.report.Section`). The RM suite's data and configs are
built on first use of :attr:`NotebookStart.suite`, so notebooks without a suite (06) or with
another one (03's sweep) never build it.

Example:
    >>> import tempfile
    >>> nb = start_notebook("04_x", "04 · A toy", output_root=tempfile.mkdtemp(),
    ...                     profile="smoke", cache_dir=tempfile.mkdtemp())
    outputs: ...04_x
    >>> nb.out.name, nb.spec.suite.model, nb.section.parts
    ('04_x', 'tiny-llama', ['## 04 · A toy'])
    >>> nb.suite is nb.suite, "helpful" in nb.suite.data.tests
    (True, True)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morelib.profiles import ProfileSpec, load_spec
from morelib.report import Section, notebook_paths

__all__ = ["NotebookStart", "start_notebook"]


@dataclass(frozen=True)
class NotebookStart:
    """A notebook's output folder ``out``, RM cache folder ``cache``, profile ``spec`` and
    report ``section``; :attr:`suite` is the profile's RM suite in that cache."""

    out: Path
    cache: Path
    spec: ProfileSpec
    section: Section

    @functools.cached_property
    def suite(self) -> Any:
        """The profile's RM suite (:meth:`morelib.profile_sections.SuiteSpec.inputs`), built
        once."""
        return self.spec.suite.inputs(self.cache)


def start_notebook(stem: str, title: str, *, output_root: str, profile: str,
                   cache_dir: str) -> NotebookStart:
    """Open notebook ``stem`` of ``profile``: folders, training sections and its report section
    headed ``title`` (see the module docstring); prints the output folder."""
    out, cache = notebook_paths(output_root, profile, stem, cache_dir)
    start = NotebookStart(out, cache, load_spec(profile), Section(title, out))
    print(f"outputs: {out}")
    return start

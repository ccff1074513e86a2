"""The real preference sources a probe study trains and tests on (``MORELIB_DATA_DIR``).

HH helpful and harmless and WebGPT come from the authors' test files, and each domain of the
domain-specific preference file is a source ``dsp-<domain>`` (one query, that domain's response
preferred over each other domain's: the paper's case of diversified preferences). Only test
files exist offline; :func:`morelib.probe.split.prompt_disjoint_split` splits them.

Example:
    >>> from morelib.settings import data_dir
    >>> folder = data_dir()
    >>> names = [s.name for s in real_probe_sources(folder)] if folder else [
    ...     "helpful", "harmless", "webgpt", "dsp-academy", "dsp-business"]
    >>> names
    ['helpful', 'harmless', 'webgpt', 'dsp-academy', 'dsp-business']
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from morelib.data import LoadedSource

#: The real files by source name, relative to the data folder.
AUTHORS_FILES = {
    "helpful": "authors-format/helpful.test.json.gz",
    "harmless": "authors-format/harmless.test.json.gz",
    "webgpt": "authors-format/webgpt.test.json.gz",
}
DSP_FILE = "dsp-domains/domain_specific_preference.test.json.gz"


def real_probe_sources(data_dir: str | Path, names: Sequence[str] = tuple(AUTHORS_FILES),
                       dsp_domains: Sequence[str] = ("academy", "business")
                       ) -> list[LoadedSource]:
    """The sources ``names`` (from the authors' files) then ``dsp-<domain>`` for each domain.

    Raises:
        FileNotFoundError: a file missing from ``data_dir``.
    """
    from morelib.data.dsp import load_dsp_file
    from morelib.data.sources import load_source

    folder = Path(data_dir)
    out = []
    for name in names:
        path = folder / AUTHORS_FILES[name]
        if not path.exists():
            raise FileNotFoundError(f"{path}: real file for {name!r} not found")
        out.append(load_source(str(path), source=name)[0])
    if dsp_domains:
        path = folder / DSP_FILE
        if not path.exists():
            raise FileNotFoundError(f"{path}: domain-specific preference file not found")
        by_name = {s.name: s for s in load_dsp_file(path)}
        out += [by_name[f"dsp-{d}"] for d in dsp_domains]
    return out

"""YAML files read the way a user means them: ``5e-4`` is a number (YAML 1.2, JSON).

PyYAML implements YAML 1.1, whose float pattern needs a dot, so ``learning_rate: 5e-4`` loads as
the *string* ``"5e-4"`` and surfaces much later as a type error far from the file. Every YAML
file morelib reads (profiles, ``morelib train --config``) goes through :func:`load_yaml`, which
adds YAML 1.2's float forms (``1e-6``, ``5E+3``, ``.5``) to PyYAML's safe loader.

Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.yaml"
    >>> _ = f.write_text("learning_rate: 5e-4\\nname: '5e-4'\\nsteps: 10\\n")
    >>> load_yaml(f)
    {'learning_rate': 0.0005, 'name': '5e-4', 'steps': 10}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_FLOAT_12 = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
                          |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                          |[-+]?\.(?:inf|Inf|INF)
                          |\.(?:nan|NaN|NAN))$""", re.X)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 floats (integers stay integers)."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12,
                              list("-+0123456789."))


def _construct_number(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = loader.construct_scalar(node)
    if re.fullmatch(r"[-+]?[0-9_]+", text):
        return int(text.replace("_", ""))
    return loader.construct_yaml_float(node)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)


def load_yaml(path: str | Path) -> Any:
    """The content of a YAML file (safe loading: plain data only, no Python objects)."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass

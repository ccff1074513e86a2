"""Canonical JSON of a configuration and its hash, stable across processes and Python versions.

Example:
    >>> config_hash({"b": [1.0, 2], "a": "x"}) == config_hash({"a": "x", "b": (1, 2)})
    True
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
from pathlib import PurePath
from typing import Any, Mapping

#: Bump to invalidate every cached entry deliberately (a change of training semantics).
CACHE_SCHEMA = 1


def canonical(obj: Any, where: str = "config") -> Any:
    """``obj`` as plain JSON data with one spelling per value (the input of :func:`config_hash`).

    Dataclasses become dicts of their fields (a field with ``metadata={"cache_key": False}`` is
    left out, one with ``"unless_default"`` too while it holds its default), tuples and lists become lists, sets sorted lists, paths POSIX strings, enums their
    value, numpy scalars and arrays Python numbers and lists. An integral float is the int
    (``1.0`` hashes as ``1``), ``-0.0`` is ``0``; NaN and infinities get a tagged spelling.
    Anything else (functions, models, open files) is refused with where it sits.

    Example:
        >>> canonical({"b": (1.0, 0.5), "a": {2, 1}})
        {'a': [1, 2], 'b': [1, 0.5]}
        >>> canonical({"loss": len})
        Traceback (most recent call last):
        ...
        TypeError: config_hash: cannot hash config['loss'] of type builtin_function_or_method (use dataclasses, dicts, lists, str, numbers, bool, None, paths or enums)
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return canonical(obj.value, where)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return {"__float__": repr(obj)}
        return int(obj) if obj.is_integer() and abs(obj) < 2**53 else obj
    if type(obj).__module__ == "numpy" and hasattr(obj, "tolist"):
        return canonical(obj.tolist(), where)
    if isinstance(obj, PurePath):
        return obj.as_posix()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: canonical(getattr(obj, f.name), f"{where}.{f.name}")
                for f in dataclasses.fields(obj) if _hashed(obj, f)}
    if isinstance(obj, Mapping):
        bad = [k for k in obj if not isinstance(k, str)]
        if bad:
            raise TypeError(f"config_hash: keys must be strings, got {bad[0]!r} in {where}")
        return {k: canonical(obj[k], f"{where}[{k!r}]") for k in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [canonical(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        return sorted((canonical(v, f"{where}{{}}") for v in obj), key=_dumps)
    raise TypeError(f"config_hash: cannot hash {where} of type {type(obj).__name__} (use "
                    "dataclasses, dicts, lists, str, numbers, bool, None, paths or enums)")


def _hashed(obj: Any, f: dataclasses.Field) -> bool:
    """Whether field ``f`` of ``obj`` enters the hash: ``cache_key`` True, or
    ``"unless_default"`` and the value differs from the field's default."""
    key = f.metadata.get("cache_key", True)
    if key == "unless_default":
        return f.default is dataclasses.MISSING or getattr(obj, f.name) != f.default
    return bool(key)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def config_hash(obj: Any, schema: int = CACHE_SCHEMA) -> str:
    """SHA-256 hex digest of the canonical JSON of ``obj``, salted with the cache schema.

    The same across processes, machines and Python versions; key order does not matter.

    Example:
        >>> config_hash({"lr": 1e-6, "seed": 42})[:16]
        '0c22b22514307bf3'
        >>> config_hash({"seed": 42.0, "lr": 1e-6}) == config_hash({"lr": 1e-6, "seed": 42})
        True
        >>> config_hash({"lr": 1e-6, "seed": 42}, schema=2)[:16] != '0c22b22514307bf3'
        True
    """
    text = f"morelib-runs/{schema}\n{_dumps(canonical(obj))}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()

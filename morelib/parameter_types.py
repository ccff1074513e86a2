"""Profile values checked against the notebooks' declared parameters, before any notebook runs.

A notebook's ``parameters`` cell declares each parameter with a literal default (the ``smoke``
profile's); a profile value must have the default's kind:

* a ``bool`` default takes ``true``/``false`` only; an ``int`` default an integer (not a
  bool, not ``2.5``); a ``float`` default any number; a ``str`` default a string; a list
  default a list; a dict default a mapping;
* ``null`` is accepted everywhere (notebooks read it as "none"/"all"), and a ``None`` default
  accepts anything.

Parameters that are also :class:`~morelib.training.RMTrainingConfig` fields (``learning_rate``,
``alpha``, ``max_length``, ...) are checked against the field's range too, so a profile error
says ``params/mine.yaml: 04_more_training: alpha: expected <= 1, got 1.5`` at once instead of
surfacing minutes into a run. Profiles are read by :func:`morelib.yaml_io.load_yaml`
(``5e-4`` is a number).

Example:
    >>> for problem in value_problems({"learning_rate": "fast", "alpha": 2.0, "n_train": 8},
    ...                               {"learning_rate": "1e-4", "alpha": "0.99", "n_train": "24"}):
    ...     print(problem)
    learning_rate: expected a number like the default 1e-4, got 'fast' (str)
    alpha: expected <= 1, got 2.0
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any, Mapping

_KINDS = ((bool, "true or false"), (int, "an integer"), (float, "a number"),
          (str, "a string"), (list, "a list"), (tuple, "a list"), (dict, "a mapping"))


def declared_default(text: str) -> Any:
    """The value of a default as written in a parameters cell (``None`` when not a literal)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def kind_problem(value: Any, default: Any, shown: str | None = None) -> str | None:
    """Why ``value`` cannot replace ``default`` (rules in the module notes), or ``None``;
    ``shown``: the default as written.

    Example:
        >>> kind_problem(3, 1.0), kind_problem(True, 1), kind_problem("x", None)
        (None, 'expected an integer like the default 1, got True (bool)', None)
    """
    if value is None or default is None:
        return None
    for kind, words in _KINDS:
        if isinstance(default, kind):
            if kind is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            elif kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif kind in (list, tuple):
                ok = isinstance(value, (list, tuple))
            else:
                ok = isinstance(value, kind)
            if ok:
                return None
            return (f"expected {words} like the default {shown or repr(default)}, got "
                    f"{value!r} ({type(value).__name__})")
    return None


def value_problems(values: Mapping[str, Any], declared: Mapping[str, str]) -> list[str]:
    """``"<key>: <problem>"`` for each value of a notebook's parameters that has the wrong kind
    or is out of the range of the training-config field of the same name."""
    from morelib.training import RMTrainingConfig
    from morelib.typed_fields import range_problem

    fields = {f.name: f for f in dataclasses.fields(RMTrainingConfig)}
    problems = []
    for key, value in values.items():
        if key not in declared:
            continue
        problem = kind_problem(value, declared_default(declared[key]), declared[key])
        if not problem and key in fields:
            problem = range_problem(value, fields[key].metadata)
        if problem:
            problems.append(f"{key}: {problem}")
    return problems

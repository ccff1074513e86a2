"""Typed, ranged dataclass fields: one declaration gives help text, type and range checks.

A settings dataclass declares each field once with :func:`setting`: its help (the CLI's
``--help``), its default, whether it changes the trained model (``cache_key``) and its range
(``at_least``, ``above``, ``at_most``, ``below``, ``choices``). :func:`check_settings` (called
from ``__post_init__``) then refuses a wrong type or an out-of-range value with a one-line
:class:`SettingError` naming the field, before any work starts. Types follow the annotation:
``int`` (not ``bool``), ``float`` (an ``int`` is converted), ``str``, ``bool``,
``tuple[int, ...]`` / ``tuple[str, ...]`` (a list is converted), optionally ``| None``.

Strings are not parsed as numbers: ``"5e-4"`` for a float is an error. (PyYAML reads ``5e-4``
as a string under YAML 1.1; :func:`morelib.yaml_io.load_yaml` reads it as the float YAML 1.2
and JSON mean, so profile and config files never hit this.)

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Settings:
    ...     lr: float = setting("learning rate", 1e-3, above=0)
    ...     mode: str = setting("how", "a", choices=("a", "b"))
    ...     def __post_init__(self):
    ...         check_settings(self)
    >>> Settings(lr=1).lr
    1.0
    >>> Settings(lr="5e-4")
    Traceback (most recent call last):
    ...
    morelib.typed_fields.SettingError: lr: expected a number, got '5e-4' (str)
    >>> Settings(mode="c")
    Traceback (most recent call last):
    ...
    morelib.typed_fields.SettingError: mode: expected one of 'a', 'b', got 'c'
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Sequence

_TYPE_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


class SettingError(ValueError):
    """A setting with a wrong type or out of range: ``"<name>: <problem>"``."""

    def __init__(self, name: str, problem: str):
        self.name, self.problem = name, problem
        super().__init__(f"{name}: {problem}")


def setting(help: str, default: Any = dataclasses.MISSING, *, cache_key: bool | str = True,
            choices: Sequence[Any] | None = None, at_least: float | None = None,
            above: float | None = None, at_most: float | None = None,
            below: float | None = None, **kw: Any) -> Any:
    """A dataclass field with help text, ``cache_key`` (``False``: bookkeeping that does not
    change the result, kept out of run-cache hashes; ``"unless_default"``: hashed only when set
    to another value than its default, so adding such a field keeps every existing hash) and an
    optional range."""
    bounds = {"choices": tuple(choices) if choices is not None else None, "at_least": at_least,
              "above": above, "at_most": at_most, "below": below}
    metadata = {"help": help, "cache_key": cache_key,
                **{k: v for k, v in bounds.items() if v is not None}}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata, **kw)
    return dataclasses.field(default=default, metadata=metadata, **kw)


def check_settings(obj: Any) -> None:
    """Check (and convert: int → float, list → tuple) every field of a dataclass instance.

    Raises:
        SettingError: the first field with a wrong type or out of its range.
    """
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value = convert(f.name, getattr(obj, f.name), hints[f.name])
        problem = range_problem(value, f.metadata)
        if problem:
            raise SettingError(f.name, problem)
        object.__setattr__(obj, f.name, value)


def convert(name: str, value: Any, annotation: Any) -> Any:
    """``value`` as the annotation's type, or :class:`SettingError`.

    Example:
        >>> convert("sizes", [3, 4], tuple[int, ...]), convert("n", None, int | None)
        ((3, 4), None)
        >>> convert("n", True, int)
        Traceback (most recent call last):
        ...
        morelib.typed_fields.SettingError: n: expected an integer, got True (bool)
    """
    base, optional = unwrap_optional(annotation)
    if value is None:
        if optional:
            return None
        raise SettingError(name, f"expected {describe(base)}, got None")
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        if isinstance(value, (list, tuple)):
            return tuple(convert(f"{name}[{i}]", v, item) for i, v in enumerate(value))
        raise SettingError(name, f"expected {describe(base)}, got {value!r} "
                           f"({type(value).__name__})")
    ok = (isinstance(value, bool) if base is bool
          else isinstance(value, (int, float)) and not isinstance(value, bool) if base is float
          else isinstance(value, int) and not isinstance(value, bool) if base is int
          else isinstance(value, base))
    if not ok:
        raise SettingError(name, f"expected {describe(base)}, got {value!r} "
                           f"({type(value).__name__})")
    return float(value) if base is float else value


def range_problem(value: Any, metadata: Any) -> str | None:
    """What is wrong with ``value`` under a field's range metadata, or ``None``.

    Example:
        >>> range_problem(0.0, {"above": 0}), range_problem(2, {"at_least": 1})
        ('expected > 0, got 0.0', None)
    """
    if value is None:
        return None
    choices = metadata.get("choices")
    if choices is not None and value not in choices:
        return f"expected one of {', '.join(map(repr, choices))}, got {value!r}"
    checks = (("at_least", ">=", lambda v, b: v >= b), ("above", ">", lambda v, b: v > b),
              ("at_most", "<=", lambda v, b: v <= b), ("below", "<", lambda v, b: v < b))
    for key, sign, holds in checks:
        bound = metadata.get(key)
        if bound is not None and isinstance(value, (int, float)) and not holds(value, bound):
            return f"expected {sign} {bound}, got {value!r}"
    return None


def describe(annotation: Any) -> str:
    """``"an integer"``, ``"a number"``, ... for messages."""
    base, _ = unwrap_optional(annotation)
    if typing.get_origin(base) is tuple:
        item = describe(typing.get_args(base)[0]).split(" ", 1)[1]
        return f"a list of {item}s"
    return _TYPE_WORDS.get(base, getattr(base, "__name__", str(base)))


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``(type, whether None is allowed)`` of an annotation such as ``int | None``.

    Example:
        >>> unwrap_optional(int | None), unwrap_optional(float)
        ((<class 'int'>, True), (<class 'float'>, False))
    """
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False

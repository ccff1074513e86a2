"""Profile files: ``params/<profile>.yaml``, found by name, read once, checked before any work.

A profile file has four training sections, :data:`SPEC_SECTIONS` (declared in
:mod:`morelib.profile_sections`), which the notebooks and the launcher read through
:func:`load_spec`, and notebook sections: ``common`` (parameters of every notebook that declares
them) and ``<notebook stem>`` (one notebook's), which ``morelib reproduce`` gives the notebooks
through papermill. ``params/smoke.yaml`` is the profile the notebooks' own defaults and the
tests use.

Example:
    >>> spec = load_spec("smoke")
    >>> spec.suite.model, spec.scaling.suite_spec(spec.suite).n_train, spec.gold.scheme
    ('tiny-llama', 24, 'both')
    >>> spec_from_mapping({"suite": {"model": "m"}, "scaling": {}, "gold": {}, "rjs": {}},
    ...                   "params/mine.yaml")
    Traceback (most recent call last):
    ...
    morelib.profiles.ProfileError: params/mine.yaml: suite: n_train: missing (no default: every profile sets it)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from morelib.profile_sections import GoldSpec, RJSSpec, ScalingSpec, SuiteSpec
from morelib.typed_fields import SettingError
from morelib.yaml_io import load_yaml

#: The training sections of a profile file.
SPEC_SECTIONS = ("suite", "scaling", "gold", "rjs")
#: Notebooks that train RMs, in the order the launcher trains them.
TRAINING_NOTEBOOKS = ("04_more_training", "03_scaling", "05_rjs_alignment")


class ProfileError(ValueError):
    """A bad ``--profile``/``--notebooks`` or profile file: reported on one line, exit 2."""


def check_profile_name(name: str) -> str:
    """``name`` if it can name ``params/<name>.yaml`` and ``outputs/<name>/``, else
    :class:`ProfileError`.

    Example:
        >>> check_profile_name("paper-pythia-2.8b")
        'paper-pythia-2.8b'
        >>> check_profile_name("../../x")
        Traceback (most recent call last):
        ...
        morelib.profiles.ProfileError: --profile '../../x': a profile name is letters, digits and -_. (no path separators, not '..' or empty)
    """
    if (not name or name.startswith(".") or ".." in name
            or not all(c.isalnum() or c in "-_." for c in name)):
        raise ProfileError(f"--profile {name!r}: a profile name is letters, digits and -_. "
                           "(no path separators, not '..' or empty)")
    return name


def profile_path(root: Path, profile: str) -> Path:
    """``root/params/<profile>.yaml`` (the name checked)."""
    return root / "params" / f"{check_profile_name(profile)}.yaml"


def load_profile(root: Path, profile: str) -> dict[str, Any]:
    """The mapping of ``params/<profile>.yaml`` (empty sections allowed)."""
    path = profile_path(root, profile)
    if not path.exists():
        known = sorted(p.stem for p in (root / "params").glob("*.yaml"))
        raise FileNotFoundError(f"{path}: no such profile (known: {', '.join(known) or 'none'})")
    data = load_yaml(path) or {}
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    return data


@dataclass(frozen=True)
class ProfileSpec:
    """A profile's training sections (:mod:`morelib.profile_sections`)."""

    suite: SuiteSpec
    scaling: ScalingSpec
    gold: GoldSpec
    rjs: RJSSpec

    @property
    def sweep_suite(self) -> SuiteSpec:
        """The suite notebook 03's sweep trains from."""
        return self.scaling.suite_spec(self.suite)

    @property
    def gold_suite(self) -> SuiteSpec:
        """The suite notebook 05's gold RMs are trained from."""
        return self.gold.suite_spec(self.suite)


def spec_from_mapping(data: Mapping[str, Any], where: str) -> ProfileSpec:
    """The checked spec of a profile mapping; ``where`` (the file) starts every error."""
    missing = [s for s in SPEC_SECTIONS if not isinstance(data.get(s), dict)]
    if missing:
        raise ProfileError(f"{where}: {missing[0]}: missing section (a profile file has "
                           f"{', '.join(SPEC_SECTIONS)}; see params/smoke.yaml)")
    section = "suite"
    try:
        suite = SuiteSpec.from_mapping(data["suite"])
        section = "scaling"
        scaling = ScalingSpec.from_mapping(data["scaling"], suite)
        section = "gold"
        gold = GoldSpec.from_mapping(data["gold"])
        section = "rjs"
        rjs = RJSSpec.from_mapping(data["rjs"])
    except SettingError as err:
        raise ProfileError(f"{where}: {section}: {err}") from None
    return ProfileSpec(suite, scaling, gold, rjs)


def load_spec(profile: str, root: str | Path | None = None) -> ProfileSpec:
    """The training spec of ``params/<profile>.yaml`` (``root``: the checkout, default: the
    one around the working directory)."""
    from morelib.report import project_root

    root = Path(root) if root is not None else project_root()
    return spec_from_mapping(load_profile(root, profile),
                             str(profile_path(root, profile).relative_to(root)))

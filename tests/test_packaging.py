"""The install files agree with each other (pyproject, environment.yml, bootstrap)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_installs_the_package_with_the_bootstrap_extras():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    editable = next(p for p in pip if p.startswith("-e ."))
    extras = set(re.search(r"\[(.*)\]", editable).group(1).split(","))
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    default_extras = re.search(r'MORELIB_EXTRAS:-([a-z,]+)', bootstrap).group(1).split(",")
    assert extras == set(default_extras)
    assert extras <= set(_pyproject()["project"]["optional-dependencies"])


def test_torch_is_a_range_for_users_and_python_versions_agree():
    project = _pyproject()["project"]
    torch_req = next(d for d in project["dependencies"] if d.startswith("torch"))
    assert "<" in torch_req and ">=" in torch_req  # a range, not a pin
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    minimum = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))


def test_console_script_points_at_the_cli():
    assert _pyproject()["project"]["scripts"]["morelib"] == "morelib.cli:main"


def test_jupyterlab_extras():
    # ipywidgets: tqdm.auto shows bars instead of "IProgress not found"; nbstripout: the git
    # filter of scripts/bootstrap.sh (tests/test_git_filter.py needs it too)
    extras = _pyproject()["project"]["optional-dependencies"]
    names = {e: {re.split(r"[<>=\[]", d)[0] for d in deps} for e, deps in extras.items()}
    assert {"ipywidgets", "nbstripout", "jupyterlab"} <= names["notebooks"]
    assert "nbstripout" in names["dev"]

"""Every key of params/*.yaml is a declared parameter of the notebooks it goes to."""

from pathlib import Path

import pytest
import yaml

from morelib.profiles import SPEC_SECTIONS
from morelib.reproduce import NOTEBOOK_GLOB, check_profile, declared_parameters, load_profile

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))
PROFILES = sorted(p.stem for p in (ROOT / "params").glob("*.yaml"))


@pytest.fixture(scope="module")
def declared():
    return {nb.stem: declared_parameters(nb) for nb in NOTEBOOKS}


def test_profiles_exist():
    assert {"default", "paper"} <= set(PROFILES)


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_keys_are_declared(profile, declared):
    data = load_profile(ROOT, profile)
    assert check_profile(data, {k: set(v) for k, v in declared.items()}) == []


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_values_are_yaml_literals(profile):
    # papermill injects literals: nothing that YAML would load as a date or a custom tag (the
    # training sections may nest one mapping, e.g. rjs: sft:)
    def check(key, value):
        if isinstance(value, dict):
            for k, v in value.items():
                check(f"{key}.{k}", v)
        else:
            assert isinstance(value, (str, int, float, bool, list, type(None))), (key, value)

    text = (ROOT / "params" / f"{profile}.yaml").read_text()
    for name, section in yaml.safe_load(text).items():
        for key, value in (section or {}).items():
            assert name in SPEC_SECTIONS or not isinstance(value, dict), (name, key)
            check(f"{name}.{key}", value)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell(notebook):
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = declared_parameters(notebook)
    for key in ("profile", "output_root", "cache_dir"):
        assert key in params, key
    assert params["profile"].strip("\"'") == "smoke"
    # literals only: every statement of the cell is `name = <literal>`
    import ast

    for stmt in ast.parse(tagged[0].source).body:
        assert isinstance(stmt, ast.Assign), ast.dump(stmt)
        ast.literal_eval(stmt.value)


def test_training_knobs_are_declared_by_at_most_one_notebook(declared):
    """The RM suite's, the sweep's, the gold judge's and RJS's knobs live in the profile's
    training sections (morelib.profile_sections), not in notebook parameters cells; only
    notebook 06 (the probe, which trains no suite RM) has a backbone and seed of its own."""
    import dataclasses

    from morelib.profile_sections import GoldSpec, RJSSpec, ScalingSpec, SuiteSpec
    from morelib.training import RMTrainingConfig

    knobs = {f.name for cls in (SuiteSpec, ScalingSpec, GoldSpec, RJSSpec, RMTrainingConfig)
             for f in dataclasses.fields(cls)} - {"training", "suite"}
    for knob in sorted(knobs):
        owners = [stem for stem, params in declared.items() if knob in params]
        assert len(owners) <= 1, (knob, owners)
        assert owners in ([], ["06_powered_study"]), (knob, owners)


def test_check_profile_catches_a_typo(declared):
    if not declared:
        pytest.skip("no notebooks")
    stem = next(iter(declared))
    problems = check_profile({"common": {"seeed": 1}, stem: {"n_trian": 2}},
                             {k: set(v) for k, v in declared.items()})
    assert len(problems) == 2

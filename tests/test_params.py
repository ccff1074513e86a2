"""Every key of params/*.yaml is a declared parameter of the notebooks it goes to."""

from pathlib import Path

import pytest
import yaml

from morelib.reproduce import NOTEBOOK_GLOB, check_profile, declared_parameters, load_profile

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob(NOTEBOOK_GLOB))
PROFILES = sorted(p.stem for p in (ROOT / "params").glob("*.yaml"))
#: what the RM suite is built from: identical for every notebook that trains it, per profile
SUITE_KEYS = ("model", "n_train", "n_test", "sources", "seed", "learning_rate", "max_steps",
              "max_length", "groups_per_device_batch", "gradient_accumulation_steps",
              "trainable_top_layers", "num_train_epochs", "use_real_data", "real_test_limit",
              "cache_dir")


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
    # papermill injects literals: nothing that YAML would load as a date or a custom tag
    text = (ROOT / "params" / f"{profile}.yaml").read_text()
    for section in yaml.safe_load(text).values():
        for key, value in (section or {}).items():
            assert isinstance(value, (str, int, float, bool, list, type(None))), (key, value)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell(notebook):
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = declared_parameters(notebook)
    for key in ("profile", "output_root", "cache_dir", "model", "seed"):
        assert key in params, key
    assert params["profile"].strip("\"'") == "smoke"
    # literals only: every statement of the cell is `name = <literal>`
    import ast

    for stmt in ast.parse(tagged[0].source).body:
        assert isinstance(stmt, ast.Assign), ast.dump(stmt)
        ast.literal_eval(stmt.value)


def test_suite_defaults_agree(declared):
    """Notebooks that train the RM suite default to the same suite parameters (one smoke
    suite, shared through the cache)."""
    suite_nbs = {stem: p for stem, p in declared.items() if "learning_rate" in p and "n_test" in p}
    for key in SUITE_KEYS:
        values = {stem: p[key] for stem, p in suite_nbs.items() if key in p}
        assert len(set(values.values())) <= 1, (key, values)


def test_check_profile_catches_a_typo(declared):
    if not declared:
        pytest.skip("no notebooks")
    stem = next(iter(declared))
    problems = check_profile({"common": {"seeed": 1}, stem: {"n_trian": 2}},
                             {k: set(v) for k, v in declared.items()})
    assert len(problems) == 2

"""morelib reproduce: profile checks, parameters, report assembly, resuming (no notebooks run
here except a two-cell stand-in)."""

import argparse
from pathlib import Path

import nbformat
import pytest

from morelib import reproduce
from morelib.report import SECTION_FILE


ROOT = Path(__file__).resolve().parents[1]
#: The training sections every profile file has (the smoke profile's), before its own sections.
SPEC = "\n".join(line for line in (ROOT / "params" / "smoke.yaml").read_text().splitlines()
                 if not line.startswith("#")) + "\n"


def _profile(project: Path, name: str, sections: str) -> None:
    """``params/<name>.yaml``: the training sections plus ``sections``."""
    (project / "params" / f"{name}.yaml").write_text(SPEC + sections)


def _notebook(path: Path, params: str, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    body = (
        "from pathlib import Path\n"
        "out = Path(output_root) / profile / '01_stub'\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'report_section.md').write_text(f'## stub\\n\\nseed {seed}, n {n}\\n')\n"
        "c = Path(output_root) / 'count.txt'\n"
        "c.write_text(str(int(c.read_text()) + 1 if c.exists() else 1))\n")
    _notebook(tmp_path / "notebooks" / "01_stub.ipynb",
              'profile = "smoke"\noutput_root = "outputs"\nseed = 0\nn = 1', body)
    _notebook(tmp_path / "notebooks" / "02_other.ipynb",
              'profile = "smoke"\noutput_root = "outputs"\nseed = 0',
              "from pathlib import Path\n"
              "if (Path(output_root) / 'fail-02').exists(): raise RuntimeError('asked to fail')\n"
              "out = Path(output_root) / profile / '02_other'\n"
              "out.mkdir(parents=True, exist_ok=True)\n"
              "(out / 'report_section.md').write_text(f'## other\\n\\nseed {seed}\\n')\n")
    _profile(tmp_path, "mini", "common:\n  seed: 7\n01_stub:\n  n: 3\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_profile_rejects_unknown_keys(project):
    declared = {"01_stub": set(reproduce.declared_parameters(project / "notebooks" / "01_stub.ipynb"))}
    assert reproduce.check_profile({"common": {"seed": 1}}, declared) == []
    assert reproduce.check_profile({"01_stub": {"bogus": 1}}, declared) == [
        "01_stub: 'bogus' is not a parameter of this notebook"]


@pytest.mark.slow
def test_reproduce_runs_notebooks_and_writes_report(project):
    args = argparse.Namespace(profile="mini", output_root="outputs", notebooks=None)
    assert reproduce.main(args) == 0
    report = (project / "outputs" / "mini" / "report.md").read_text()
    assert "## stub" in report and "seed 7, n 3" in report
    assert "`seed`: `7`" in report and "`profile`: `'mini'`" in report
    assert (project / "outputs" / "mini" / "notebooks" / "01_stub.ipynb").exists()
    assert not list((project / "outputs" / "mini" / "notebooks").glob("*.running.ipynb"))
    # the verdicts in plain words, contents, then the claims scorecard (all 'not run': the stubs score no claim)
    assert (report.index("## Verdicts in plain words") < report.index("## Contents")
            < report.index("## Claims scorecard") < report.index("## stub"))
    assert "- [stub](#stub)" in report and "- [Parameters](#parameters)" in report
    import pandas as pd

    card = pd.read_csv(project / "outputs" / "mini" / "claims.csv")
    from morelib.claims import CLAIMS, COLUMNS, TRACKS

    assert list(card.columns) == list(COLUMNS)
    assert len(card) == len(CLAIMS) * len(TRACKS) and set(card.verdict) == {"not run"}


def _args(profile, notebooks=None):
    return argparse.Namespace(profile=profile, output_root="outputs", notebooks=notebooks)


def test_unknown_key_stops_before_running(project, capsys):
    _profile(project, "bad", "common:\n  sed: 1\n")
    assert reproduce.main(_args("bad")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: params/bad.yaml: ") and "'sed'" in err and err.count("\n") == 1
    assert not (project / "outputs" / "count.txt").exists()


@pytest.mark.parametrize("content, message", [
    ("common:\n  seed: lots\n", "01_stub: seed: expected an integer like the default 0, "
                                  "got 'lots' (str)"),
    ("01_stub:\n  n: 2.5\n", "01_stub: n: expected an integer like the default 1, got 2.5"),
    ("common:\n  seed: -3\n", "01_stub: seed: expected >= 0, got -3"),  # RMTrainingConfig's
])
def test_wrong_types_and_ranges_stop_before_running(project, capsys, content, message):
    _profile(project, "bad", content)
    assert reproduce.main(_args("bad")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: params/bad.yaml: ") and message in err and err.count("\n") == 1
    assert not (project / "outputs" / "count.txt").exists()


def test_yaml_exponents_are_numbers(project):
    (project / "params" / "exp.yaml").write_text("common:\n  lr: 5e-4\n")
    assert reproduce.load_profile(project, "exp") == {"common": {"lr": 5e-4}}


@pytest.mark.parametrize("key", ["profile", "output_root"])
def test_a_profile_file_cannot_name_its_output_folder(project, capsys, key):
    """A copied profile that still says ``profile: mini`` would write outputs/mini/: refused."""
    _profile(project, "mine", f"common:\n  {key}: mini\n  seed: 1\n")
    assert reproduce.main(_args("mine")) == 2
    assert f"'{key}' comes from the command line" in capsys.readouterr().err
    assert not (project / "outputs").exists()


@pytest.mark.parametrize("name", ["../../x", "a/b", "", "..", ".hidden", "a\\b", "x..y"])
def test_profile_names_that_are_not_one_folder_are_refused(project, capsys, name):
    assert reproduce.main(_args(name)) == 2
    assert capsys.readouterr().err.startswith(f"error: --profile {name!r}: ")
    assert not (project / "outputs").exists() and not (project.parent / "x").exists()


def test_notebooks_prefix_that_matches_nothing_is_refused(project, capsys):
    assert reproduce.main(_args("mini", ["07"])) == 2
    assert "--notebooks 07: no notebook of that name" in capsys.readouterr().err


@pytest.mark.slow
def test_copied_profile_writes_only_its_own_folder(project):
    assert reproduce.main(_args("mini")) == 0
    before = {p: p.read_bytes() for p in (project / "outputs" / "mini").rglob("*") if p.is_file()}
    (project / "params" / "mine.yaml").write_text(
        (project / "params" / "mini.yaml").read_text().replace("seed: 7", "seed: 8"))
    assert reproduce.main(_args("mine", ["01"])) == 0
    after = {p: p.read_bytes() for p in (project / "outputs" / "mini").rglob("*") if p.is_file()}
    assert after == before
    assert "seed 8, n 3" in (project / "outputs" / "mine" / "01_stub" / SECTION_FILE).read_text()


@pytest.mark.slow
def test_subset_run_keeps_the_other_sections_marked_with_their_run(project):
    """``--notebooks 02`` with a profile that has a section for 01 (params/default.yaml has
    ``03_scaling:``) runs 02 only; report.md keeps 01's section, marked as not re-run."""
    assert reproduce.main(_args("mini")) == 0
    assert reproduce.main(_args("mini", ["02"])) == 0
    assert (project / "outputs" / "count.txt").read_text() == "1"  # 01 ran once
    report = (project / "outputs" / "mini" / "report.md").read_text()
    stub, other = report.split("## stub")[1].split("## other")
    assert "*Not re-run by this run: kept from commit `" in stub and "seed 7, n 3" in stub
    assert "*Ran by this run: commit `" in other and "seed 7" in other
    assert "- `01_stub`" in report and "`n`: `3`" in report  # its parameters are kept too


@pytest.mark.slow
def test_stale_failed_copy_and_temporaries_are_removed(project):
    (project / "outputs").mkdir()
    (project / "outputs" / "fail-02").write_text("")
    stale = project / "outputs" / "mini" / "02_other" / ".headline.json.k2j3.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_text("{")  # what a killed atomic writer leaves
    assert reproduce.main(_args("mini", ["02"])) == 1
    assert not stale.exists()
    failed = project / "outputs" / "mini" / "notebooks" / "02_other.failed.ipynb"
    assert failed.exists()
    (project / "outputs" / "fail-02").unlink()
    assert reproduce.main(_args("mini", ["02"])) == 0
    assert not failed.exists()
    assert (project / "outputs" / "mini" / "notebooks" / "02_other.ipynb").exists()


def test_unknown_profile_names_the_known_ones(project):
    with pytest.raises(FileNotFoundError, match="known: mini"):
        reproduce.load_profile(project, "nope")


def test_missing_training_section_stops_before_running(project, capsys):
    (project / "params" / "bare.yaml").write_text("common:\n  seed: 1\n")
    assert reproduce.main(_args("bare")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: params/bare.yaml: suite: missing section") and err.count("\n") == 1
    assert not (project / "outputs").exists()


def test_store_checked_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    a, b = nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell("print(2)")
    b.metadata["tags"] = ["nbval-check-output"]
    nb.cells = [a, b]
    src, run = tmp_path / "src.ipynb", tmp_path / "run.ipynb"
    nbformat.write(nb, str(src))
    for cell, text in zip(nb.cells, ("1\n", "2\n")):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nbformat.write(nb, str(run))
    assert reproduce.store_checked_outputs(src, run) == 1
    cells = nbformat.read(str(src), as_version=4).cells
    assert cells[0].outputs == [] and cells[1].outputs[0].text == "2\n"
    # the notebook git filter (reproduce.strip_notebook) keeps exactly these outputs
    assert cells[1].metadata["keep_output"] is True and "keep_output" not in cells[0].metadata


def test_smoke_profile_holds_only_training_sections():
    """The notebooks' own parameter defaults are the smoke profile's notebook settings: its file
    has nothing else to give them."""
    assert set(reproduce.load_profile(ROOT, "smoke")) == {"suite", "scaling", "gold", "rjs"}


def test_launcher_and_notebooks_read_one_suite(monkeypatch):
    """The multi-GPU launcher builds the suite from the profile the way the notebooks do."""
    from morelib.plan import profile_cache
    from morelib.profiles import load_spec

    monkeypatch.delenv("MORELIB_DATA_DIR", raising=False)
    smoke = load_spec("smoke", ROOT).suite.inputs(ROOT / "outputs" / "cache")
    assert smoke.base.model == "tiny-llama" and not smoke.base.prefix_cache
    default = load_spec("default", ROOT).suite.inputs(ROOT / "outputs" / "cache")
    assert default.base.model.endswith("all-MiniLM-L6-v2") and default.base.prefix_cache
    assert profile_cache(ROOT, reproduce.load_profile(ROOT, "default")).root == ROOT / "outputs" / "cache"


SHIPPED = sorted(p.stem for p in (ROOT / "params").glob("*.yaml"))


@pytest.mark.parametrize("profile", SHIPPED)
def test_subset_of_the_real_notebooks_runs_with_every_shipped_profile(profile, tmp_path,
                                                                      monkeypatch):
    """``--notebooks 02 04`` (the README's command) with each shipped profile reaches exactly
    those two notebooks, with the command line's profile and output root (papermill is
    replaced by a recorder: nothing is executed)."""
    import papermill

    calls = []

    def record(source, target, parameters, **kwargs):
        calls.append((Path(source).stem, parameters))
        Path(target).write_text("{}")

    monkeypatch.setattr(papermill, "execute_notebook", record)
    monkeypatch.chdir(ROOT)
    args = argparse.Namespace(profile=profile, output_root=str(tmp_path), notebooks=["02", "04"])
    assert reproduce.main(args) == 0
    assert [stem for stem, _ in calls] == ["02_reward_distributions", "04_more_training"]
    for _, params in calls:
        assert params["profile"] == profile and params["output_root"] == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [profile]

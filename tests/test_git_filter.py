"""The notebook git filter of scripts/bootstrap.sh (nbstripout): a notebook run and saved in
JupyterLab stages as committed, except the outputs of the cells nbval checks."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbstripout")
ROOT = Path(__file__).resolve().parents[1]
CHECK = "nbval-check-output"
NOTEBOOK = "notebooks/01_data_diversity.ipynb"


def _checkout(folder: Path) -> Path:
    """The files bootstrap needs and the committed notebooks, with a stand-in venv (its python
    runs this one) whose install stamp is current, so bootstrap installs nothing."""
    for name in ("pyproject.toml", "scripts/bootstrap.sh", ".gitattributes",
                 *(str(p.relative_to(ROOT)) for p in ROOT.glob("notebooks/*.ipynb"))):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, folder / name)
    python = folder / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    digest = hashlib.sha256((folder / "pyproject.toml").read_bytes()
                            + (folder / "scripts" / "bootstrap.sh").read_bytes()).hexdigest()
    (folder / ".venv" / ".morelib-install-stamp").write_text(f"{digest[:16]} dev\n")
    return folder


def _bootstrap(folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MORELIB_VENV": ".venv", "MORELIB_EXTRAS": "dev",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CEILING_DIRECTORIES": str(folder.parent)}  # no repository above tmp_path
    return subprocess.run(["bash", "scripts/bootstrap.sh"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def _git(folder: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=folder, check=True, capture_output=True).stdout


def _save_as_jupyterlab(path: Path, checked_text: str | None = None) -> None:
    """Outputs, counts and kernel metadata as a JupyterLab run and save writes them."""
    nb = json.loads(path.read_text())
    for count, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = count + 1
        cell["metadata"]["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00.000Z"}
        if CHECK in cell["metadata"].get("tags", []):
            if checked_text is not None:
                cell["outputs"] = [{"name": "stdout", "output_type": "stream",
                                    "text": [checked_text]}]
        else:
            cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                                "data": {"text/plain": ["<Figure>"]}}]
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.9"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False))


@pytest.mark.slow
def test_saved_notebooks_stage_as_committed_but_checked_outputs_stay(tmp_path):
    repo = _checkout(tmp_path / "repo")
    _git(repo, "init", "-q")
    done = _bootstrap(repo)
    assert done.returncode == 0, done.stderr
    assert "morelib.reproduce git-filter" in _git(repo, "config",
                                                   "filter.nbstripout.clean").decode()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "notebooks")
    # the committed notebooks are already what the filter writes: nothing changes
    for path in ROOT.glob("notebooks/*.ipynb"):
        staged = _git(repo, "show", f"HEAD:notebooks/{path.name}")
        assert staged == path.read_bytes(), f"{path.name} changes under the git filter"
    assert _git(repo, "status", "--porcelain") == b""

    _save_as_jupyterlab(repo / NOTEBOOK)
    _git(repo, "add", NOTEBOOK)
    assert _git(repo, "show", f":{NOTEBOOK}") == (ROOT / NOTEBOOK).read_bytes()

    _save_as_jupyterlab(repo / NOTEBOOK, checked_text="changed output\n")
    _git(repo, "add", NOTEBOOK)
    staged = json.loads(_git(repo, "show", f":{NOTEBOOK}"))
    checked = [c for c in staged["cells"] if CHECK in c["metadata"].get("tags", [])]
    assert checked and all(c["outputs"][0]["text"] == ["changed output\n"] for c in checked)
    assert all(c["execution_count"] for c in checked)  # nbval needs them with stored outputs
    others = [c for c in staged["cells"] if c["cell_type"] == "code" and c not in checked]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in others)


def test_every_checked_cell_keeps_its_output_under_the_filter():
    for path in ROOT.glob("notebooks/*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if CHECK in cell["metadata"].get("tags", []):
                assert cell["metadata"].get("keep_output") is True, f"{path.name}: {cell['id']}"


def test_bootstrap_outside_a_git_checkout_skips_the_filter(tmp_path):
    folder = _checkout(tmp_path / "plain")
    done = _bootstrap(folder)
    assert done.returncode == 0, done.stderr
    assert "notebook git filter not installed" in done.stdout

"""Notebook 01 in a real JupyterLab and headless Chromium (scripts/jupyterlab_check.py): it runs
without warnings, shows progress bars while training and renders its findings as Markdown."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_notebook_01_in_jupyterlab(tmp_path):
    missing = [name for name, found in [
        ("chromium", shutil.which("chromium") or shutil.which("chromium-browser")),
        ("chromedriver", shutil.which("chromedriver")),
        ("selenium", importlib.util.find_spec("selenium")),
        ("jupyterlab", importlib.util.find_spec("jupyterlab"))] if not found]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install chromium chromium-driver; "
                    "pip install selenium)")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "jupyterlab_check.py"),
                          str(tmp_path), "--notebooks", "01", "--timeout", "600"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "all checks passed" in run.stdout
    assert {p.name for p in tmp_path.glob("*.png")} >= {"01_data_diversity_1_progress.png",
                                                       "01_data_diversity_3_end.png"}

"""`morelib reproduce` killed halfway and started again: finished RMs are loaded, not retrained.

End to end with the real notebook 01 (smoke defaults: tiny RMs on simulator data) in a scratch
checkout: the first run is killed with SIGKILL (no clean-up code runs) as soon as two RMs of the
suite are marked done in the run cache; the second run must finish, write the report, and leave
those two cache entries untouched (same completion marker, same weights file).

The kill takes the runner *and* its Jupyter kernel, as a crash or ``kill -9`` of the whole job
would: jupyter_client starts kernels in a session of their own, so killing the runner's process
group alone leaves the kernel training on (and racing the second run).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "01_data_diversity.ipynb"
KILL_AFTER_DONE = 2
TIMEOUT = 540


def _command() -> list[str]:
    return [sys.executable, "-m", "morelib.cli", "reproduce", "--profile", "smoke",
            "--notebooks", "01"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MORELIB_DATA_DIR", None)  # simulator only: keeps the run short
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def _done(project: Path) -> list[Path]:
    return sorted((project / "outputs" / "cache" / "rm").glob("*/DONE.json"))


@pytest.fixture
def project(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, tmp_path / "notebooks" / NOTEBOOK)
    shutil.copy(ROOT / "params" / "smoke.yaml", tmp_path / "params" / "smoke.yaml")
    return tmp_path


def test_killed_reproduce_resumes_without_retraining_finished_rms(project):
    first = subprocess.Popen(_command(), cwd=project, env=_env(), start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + TIMEOUT
    try:
        while len(_done(project)) < KILL_AFTER_DONE:
            assert first.poll() is None, "the first run ended before it could be killed:\n" + \
                first.stdout.read().decode(errors="replace")[-3000:]
            assert time.time() < deadline, "no RM finished in time"
            time.sleep(0.2)
    finally:
        _kill_tree(first)  # the runner and its kernel, mid-suite
        first.stdout.close()
    finished = {p.parent: (p.read_bytes(), _weights_mtime(p.parent)) for p in _done(project)}
    assert len(finished) >= KILL_AFTER_DONE
    assert not (project / "outputs" / "smoke" / "report.md").exists()

    second = subprocess.run(_command(), cwd=project, env=_env(), capture_output=True,
                            text=True, timeout=TIMEOUT)
    log = second.stdout + second.stderr
    assert second.returncode == 0, log[-3000:]
    assert (project / "outputs" / "smoke" / "report.md").exists()
    cached = [name for line in log.splitlines() if "[suite] cached: " in line
              for name in line.split("[suite] cached: ", 1)[1].split(", ")]
    assert len(cached) >= len(finished), log[-3000:]
    for entry, (marker, mtime) in finished.items():
        assert (entry / "DONE.json").read_bytes() == marker, f"{entry.name} was rebuilt"
        assert _weights_mtime(entry) == mtime, f"{entry.name}'s weights were rewritten"
    assert len(_done(project)) > len(finished)  # the unfinished RMs were trained this time


def _kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL ``process`` and every descendant (the kernel sits in another session)."""
    try:
        victims = [psutil.Process(process.pid)]
        victims += victims[0].children(recursive=True)
    except psutil.NoSuchProcess:
        victims = []
    for victim in victims:
        try:
            victim.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    process.wait()
    gone, alive = psutil.wait_procs(victims, timeout=30)
    assert not alive, f"processes survived SIGKILL: {alive}"


def _weights_mtime(entry: Path) -> float:
    files = sorted((entry / "model").glob("*.safetensors"))
    assert files, f"no weights in {entry}"
    return max(f.stat().st_mtime_ns for f in files)

"""``morelib reproduce --profile NAME``: run the numbered notebooks in order with papermill.

Parameters come from ``params/<profile>.yaml``: a mapping whose ``common`` section goes to every
notebook (only the keys a notebook declares in its ``parameters`` cell) and whose
``<notebook stem>`` sections go to that notebook. Executed notebooks are written atomically to
``outputs/<profile>/notebooks/``; each notebook writes its own figures and tables under
``outputs/<profile>/``.

While the numbered notebooks are still being written, the command runs what exists and says so
in its output and in ``outputs/<profile>/report.md``.
"""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from morelib.io import atomic_write_text

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


def project_root() -> Path:
    """The checkout that holds ``notebooks/`` and ``params/`` (the current folder or above)."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "params").is_dir():
            return folder
    raise FileNotFoundError(f"no notebooks/ and params/ folders in {here} or its parents: "
                            "run from the morelib checkout")


def load_profile(root: Path, profile: str) -> dict[str, Any]:
    """The parameter mapping of ``params/<profile>.yaml`` (empty sections allowed)."""
    path = root / "params" / f"{profile}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in (root / "params").glob("*.yaml"))
        raise FileNotFoundError(f"{path}: no such profile (known: {', '.join(known) or 'none'})")
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    return data


def notebook_parameters(profile: dict[str, Any], stem: str, declared: set[str]) -> dict[str, Any]:
    """``common`` keys the notebook declares, overridden by its own section.

    Example:
        >>> notebook_parameters({"common": {"seed": 1, "x": 2}, "01_a": {"seed": 3}},
        ...                     "01_a", {"seed"})
        {'seed': 3}
    """
    params = {k: v for k, v in (profile.get("common") or {}).items() if k in declared}
    params.update(profile.get(stem) or {})
    return params


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_notebooks(root: Path, profile_name: str, output_root: Path) -> list[tuple[str, float]]:
    import papermill

    profile = load_profile(root, profile_name)
    out_dir = output_root / profile_name
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    done = []
    for notebook in sorted((root / "notebooks").glob(NOTEBOOK_GLOB)):
        declared = set(papermill.inspect_notebook(str(notebook)))
        params = notebook_parameters(profile, notebook.stem, declared)
        if "output_dir" in declared:
            params.setdefault("output_dir", str(out_dir))
        print(f"[reproduce] {notebook.name} with {params}", flush=True)
        start = time.time()
        target = out_dir / "notebooks" / notebook.name
        tmp = target.with_suffix(".running.ipynb")
        papermill.execute_notebook(str(notebook), str(tmp), parameters=params, cwd=str(root),
                                   progress_bar=True, kernel_name="python3")
        os.replace(tmp, target)
        done.append((notebook.name, time.time() - start))
    return done


def main(args: Any) -> int:
    root = project_root()
    output_root = Path(args.output_root)
    if not output_root.is_absolute():
        output_root = root / output_root
    notebooks = sorted((root / "notebooks").glob(NOTEBOOK_GLOB))
    lines = [f"# morelib reproduction: profile `{args.profile}`", "",
             f"- commit: `{git_commit(root)}`",
             f"- date: {_dt.datetime.now().isoformat(timespec='seconds')}",
             f"- python: {sys.version.split()[0]}", ""]
    if not notebooks:
        note = ("The numbered notebooks do not exist yet: this run only checks the data layer "
                "(data summary of the simulator and, when MORELIB_DATA_DIR is set, the real "
                "test sets).")
        print(f"[reproduce] {note}")
        lines += ["## Status", "", note, ""]
        lines += ["## Data summary", "", "```", _data_summary_text(), "```", ""]
    else:
        for name, seconds in run_notebooks(root, args.profile, output_root):
            lines.append(f"- `{name}`: {seconds:.0f} s")
    report = output_root / args.profile / "report.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(report, "\n".join(lines) + "\n")
    print(f"[reproduce] wrote {report}")
    return 0


def _data_summary_text() -> str:
    from morelib.data.summary import format_table, load_spec
    from morelib.settings import data_dir

    specs = ["simulator:1000"]
    folder = data_dir()
    if folder is not None:
        specs += [str(p) for p in sorted(folder.glob("*/*.gz"))]
    return format_table([src for spec in specs for src in load_spec(spec)])

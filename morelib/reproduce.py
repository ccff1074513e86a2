"""``morelib reproduce --profile NAME``: run the numbered notebooks in order with papermill.

Parameters come from ``params/<profile>.yaml`` (:mod:`morelib.profiles`): its training sections
(``suite``, ``scaling``, ``gold``, ``rjs``), which the notebooks read themselves, are checked
before the first notebook runs; its ``common`` section goes to every notebook (only the keys a
notebook declares in its ``parameters`` cell) and its ``<notebook stem>`` sections to that
notebook; every key must be declared by some notebook (:func:`check_profile`). ``profile`` and
``output_root`` are never read from the file: they come from the command line (:data:`FROM_COMMAND_LINE`), so a copied profile writes its own folder
``outputs/<profile>/`` and no other (the name is checked by :func:`check_profile_name`).
Executed notebooks are written atomically to ``outputs/<profile>/notebooks/``; each notebook
writes its figures, tables and ``report_section.md`` under ``outputs/<profile>/<stem>/``, and
``report.md`` is assembled from those sections (:func:`morelib.report.assemble_report`) with the
commit, date, machine and the parameters every notebook ran with. ``--notebooks 02 04`` re-runs
a subset: the report keeps the sections of the others, each marked with the commit and date of
the run that wrote it (``outputs/<profile>/<stem>/run.json``, :data:`RUN_RECORD`).

Trained RMs live in the run cache (``cache_dir``), keyed by their configuration: a run that is
killed and started again re-executes the notebooks, which load finished RMs and resume an
unfinished one from its last checkpoint. A failing notebook is reported and the others still run.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any


from morelib.io import atomic_write_json, atomic_write_text, remove_temporaries
from morelib.parameter_types import value_problems
from morelib.profiles import (SPEC_SECTIONS, ProfileError, check_profile_name,  # noqa: F401
                              load_profile, spec_from_mapping)
from morelib.report import SECTION_FILE, project_root  # noqa: F401  (also imported from here)

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
#: notebook parameters set by ``morelib reproduce`` itself, refused in a profile file
FROM_COMMAND_LINE = ("profile", "output_root")
#: per notebook: the commit, date, wall time, parameters and failure of its last run
RUN_RECORD = "run.json"


def declared_parameters(notebook: Path) -> dict[str, str]:
    """``{name: default as written}`` of a notebook's ``parameters`` cell (papermill)."""
    import papermill

    return {name: info["default"] for name, info in papermill.inspect_notebook(str(notebook)).items()}


def check_profile(profile: dict[str, Any], declared: dict[str, set[str]]) -> list[str]:
    """Problems with a profile: sections that are not a notebook stem, keys of a notebook's
    section it does not declare, ``common`` keys no notebook declares, keys that come from the
    command line (:data:`FROM_COMMAND_LINE`). ``declared``: every notebook of the project, also
    when only some of them run.

    Example:
        >>> for problem in check_profile({"common": {"seed": 1, "sed": 2, "profile": "a"},
        ...                               "04_x": {"n": 1}, "09_y": {}}, {"04_x": {"seed"}}):
        ...     print(problem)
        common: 'profile' comes from the command line (--profile/--output-root), not the file
        common: 'sed' is not a parameter of any notebook
        04_x: 'n' is not a parameter of this notebook
        09_y: no notebook of that name
    """
    problems = []
    every = set().union(*declared.values()) if declared else set()
    for section, values in profile.items():
        for key in (values or {}) if isinstance(values, dict) else ():
            if key in FROM_COMMAND_LINE:
                problems.append(f"{section}: {key!r} comes from the command line "
                                "(--profile/--output-root), not the file")
    for key in (profile.get("common") or {}):
        if key in FROM_COMMAND_LINE:
            continue
        if key not in every:
            problems.append(f"common: {key!r} is not a parameter of any notebook")
    for section, values in profile.items():
        if section == "common" or section in SPEC_SECTIONS:
            continue
        if section not in declared:
            problems.append(f"{section}: no notebook of that name")
            continue
        for key in (values or {}):
            if key not in declared[section] and key not in FROM_COMMAND_LINE:
                problems.append(f"{section}: {key!r} is not a parameter of this notebook")
    return problems


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
        commit = out.stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, check=True).stdout
        return commit + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_notebooks(root: Path, profile_name: str, output_root: Path, notebooks: list[Path],
                  log_output: bool = True,
                  all_notebooks: list[Path] | None = None) -> tuple[dict, dict, dict]:
    """Execute the notebooks in order; ``(effective parameters, seconds, failures)`` by stem.
    ``log_output``: stream the cells' printed output (e.g. which RM is training) to stderr.
    ``all_notebooks``: every notebook of the project (default: ``notebooks``), against which the
    profile is checked, so a subset run accepts the other notebooks' sections. Each notebook's
    run is recorded in ``outputs/<profile>/<stem>/run.json`` (:data:`RUN_RECORD`)."""
    import logging

    import papermill

    if log_output and not logging.getLogger("papermill").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("  %(message)s"))
        handler.addFilter(lambda record: not str(record.getMessage()).startswith(
            ("Executing Cell", "Ending Cell", "Executing notebook", "<IPython", "Input Notebook",
             "Output Notebook", "Working directory", "Black is not")))
        logging.getLogger("papermill").addHandler(handler)
        logging.getLogger("papermill").setLevel(logging.INFO)

    profile_name = check_profile_name(profile_name)
    profile = load_profile(root, profile_name)
    spec_from_mapping(profile, f"params/{profile_name}.yaml")  # the training sections
    declared = {nb.stem: declared_parameters(nb) for nb in (all_notebooks or notebooks)}
    declared.update({nb.stem: declared_parameters(nb) for nb in notebooks})
    problems = check_profile(profile, {k: set(v) for k, v in declared.items()})
    problems += [f"{nb.stem}: {problem}" for nb in notebooks for problem in value_problems(
        notebook_parameters(profile, nb.stem, set(declared[nb.stem])), declared[nb.stem])]
    if problems:
        raise ProfileError(f"params/{profile_name}.yaml: " + "; ".join(problems))
    out_dir = output_root / profile_name
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    for stale in remove_temporaries(out_dir):  # a killed run's (one run per profile at a time)
        print(f"[reproduce] removed stale temporary {stale}", flush=True)
    commit = git_commit(root)
    effective, seconds, failures = {}, {}, {}
    for i, notebook in enumerate(notebooks, 1):
        params = notebook_parameters(profile, notebook.stem, set(declared[notebook.stem]))
        if "output_root" in declared[notebook.stem]:
            params["output_root"] = str(output_root)
        if "profile" in declared[notebook.stem]:
            params["profile"] = profile_name
        effective[notebook.stem] = {**declared[notebook.stem],
                                    **{k: repr(v) for k, v in params.items()}}
        print(f"[reproduce] ({i}/{len(notebooks)}) {notebook.name}: {params}", flush=True)
        start = time.time()
        target = out_dir / "notebooks" / notebook.name
        tmp = target.with_suffix(".running.ipynb")
        failed = target.with_suffix(".failed.ipynb")
        try:
            papermill.execute_notebook(str(notebook), str(tmp), parameters=params, cwd=str(root),
                                       progress_bar=True, kernel_name="python3",
                                       log_output=log_output)
            os.replace(tmp, target)
            failed.unlink(missing_ok=True)  # an earlier failure's copy no longer describes it
        except Exception as err:  # noqa: BLE001 - report it, keep going with the others
            failures[notebook.stem] = f"{type(err).__name__}: {str(err).strip()[-400:]}"
            print(f"[reproduce] {notebook.name} FAILED: {failures[notebook.stem]}", flush=True)
            if tmp.exists():
                os.replace(tmp, failed)
        seconds[notebook.stem] = time.time() - start
        write_run_record(out_dir / notebook.stem, commit, seconds[notebook.stem],
                         effective[notebook.stem], failures.get(notebook.stem))
        print(f"[reproduce] ({i}/{len(notebooks)}) {notebook.name}: {seconds[notebook.stem]:.0f} s",
              flush=True)
    return effective, seconds, failures


def write_run_record(folder: Path, commit: str, seconds: float, parameters: dict[str, Any],
                     failure: str | None) -> None:
    """``folder/run.json``: what :func:`read_run_records` gives back for a later subset run."""
    import datetime as dt

    atomic_write_json(folder / RUN_RECORD, {
        "commit": commit, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": round(seconds, 1), "parameters": parameters, "failure": failure})


def read_run_records(profile_dir: Path, stems: list[str]) -> dict[str, dict[str, Any]]:
    """``{stem: run record}`` of the notebooks among ``stems`` that have one (unreadable
    records are skipped: the report then says the section's run is unknown)."""
    import json

    records = {}
    for stem in stems:
        try:
            records[stem] = json.loads((profile_dir / stem / RUN_RECORD).read_text())
        except (OSError, ValueError):
            continue
    return records


def main(args: Any) -> int:
    """``morelib reproduce``: :func:`reproduce`, with a profile error as one line and exit 2."""
    import sys

    try:
        return reproduce(args)
    except (ProfileError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def reproduce(args: Any) -> int:
    """Run the notebooks of ``args.profile`` (all, or those ``args.notebooks`` names), then
    write ``report.md``; 1 if a notebook failed."""
    from morelib.report import assemble_report

    # Many small ops on few shared cores: spinning OpenMP threads slow torch down badly when the
    # cores are busy (3x for MiniLM, more for tiny models); kernels inherit this.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    root = project_root()
    profile = check_profile_name(args.profile)
    output_root = Path(args.output_root)
    if not output_root.is_absolute():
        output_root = root / output_root
    every = sorted((root / "notebooks").glob(NOTEBOOK_GLOB))
    notebooks = every
    only = getattr(args, "notebooks", None)
    if only:
        notebooks = [nb for nb in every if any(nb.stem.startswith(o) for o in only)]
        unmatched = [o for o in only if not any(nb.stem.startswith(o) for nb in every)]
        if unmatched:
            raise ProfileError(f"--notebooks {' '.join(unmatched)}: no notebook of that name "
                               f"(known: {', '.join(nb.stem for nb in every)})")
    commit = git_commit(root)
    started = time.time()
    effective, seconds, failures = run_notebooks(root, profile, output_root, notebooks,
                                                 all_notebooks=every)
    profile_dir = output_root / profile
    ran = {nb.stem for nb in notebooks}
    records = read_run_records(profile_dir, [nb.stem for nb in every])
    kept = [nb.stem for nb in every if nb.stem not in ran
            and (nb.stem in records or (profile_dir / nb.stem / SECTION_FILE).exists())]
    stems = [nb.stem for nb in every if nb.stem in ran or nb.stem in kept]
    stamps = {}
    for stem in stems:
        record = records.get(stem, {})
        when = (f"commit `{record['commit']}` on {record['date']}" if "date" in record
                else "an earlier run (commit and date not recorded)")
        stamps[stem] = (f"Ran by this run: {when}." if stem in ran
                        else f"Not re-run by this run: kept from {when}.")
        if stem in kept:  # sections kept from earlier runs
            effective[stem] = record.get("parameters") or {}
            if record.get("failure"):
                failures[stem] = record["failure"]
    sections = load_profile(root, profile)
    text = assemble_report(profile, profile_dir, stems, effective, commit, seconds, failures,
                           stamps=stamps,
                           training={s: sections.get(s) or {} for s in SPEC_SECTIONS})
    report = profile_dir / "report.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(report, text)
    from morelib.claims import CLAIMS_FILE, scorecard

    atomic_write_text(profile_dir / CLAIMS_FILE, scorecard(profile_dir).to_csv(index=False))
    print(f"[reproduce] wrote {report} ({time.time() - started:.0f} s in all"
          + (f"; {len(failures)} notebook(s) failed" if failures else "") + ")", flush=True)
    return 1 if failures else 0


def store_checked_outputs(notebook: str | Path, executed: str | Path,
                          tag: str = "nbval-check-output") -> int:
    """Copy the outputs of the cells tagged ``tag`` from an executed copy into ``notebook`` and
    clear every other output (what nbval's lax mode compares); return how many were stored.
    The stored cells get ``"keep_output": true`` (the notebook git filter,
    :func:`strip_notebook`, then keeps their outputs) and count :data:`CHECKED_COUNT`.

    Run a notebook with its smoke defaults first (``papermill NB out.ipynb``), then
    ``python -m morelib.reproduce store-outputs NB out.ipynb``.
    """
    import nbformat

    source = nbformat.read(str(notebook), as_version=4)
    run = nbformat.read(str(executed), as_version=4)
    by_id = {c.get("id"): c for c in run.cells}
    stored = 0
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if tag in cell.metadata.get("tags", []):
            done = by_id[cell.get("id")]
            cell.outputs = [o for o in done.outputs if o.get("name") != "stderr"]
            cell.execution_count = CHECKED_COUNT
            cell.metadata["keep_output"] = True
            stored += 1
    atomic_write_text(notebook, nbformat.writes(source) + "\n")
    return stored


#: The execution count of every stored output (nbval needs one; any run's count would churn).
CHECKED_COUNT = 1
#: What the notebook git filter strips besides outputs and counts: nbstripout's own defaults,
#: and everything of ``language_info`` but its name (the kernel rewrites it on every save).
STRIPPED_KEYS = ("metadata.signature", "metadata.widgets", "cell.metadata.collapsed",
                 "cell.metadata.ExecuteTime", "cell.metadata.execution",
                 "cell.metadata.heading_collapsed", "cell.metadata.hidden",
                 "cell.metadata.scrolled", *(f"metadata.language_info.{k}" for k in (
                     "codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter",
                     "pygments_lexer", "version")))


def strip_notebook(text: str) -> str:
    """The notebook git filter (``python -m morelib.reproduce git-filter``, installed by
    scripts/bootstrap.sh): nbstripout's strip with cell ids kept and :data:`STRIPPED_KEYS`,
    except that cells with ``"keep_output": true`` (those nbval checks, see
    :func:`store_checked_outputs`) keep their outputs *and* execution counts (nbval refuses a
    stored output without one), as the constant :data:`CHECKED_COUNT`, so re-running a cell
    changes nothing. The committed notebooks pass through unchanged."""
    import nbformat
    from nbstripout import strip_output

    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    strip_output(nb, keep_output=None, keep_count=False, keep_id=True,
                 extra_keys=list(STRIPPED_KEYS))
    for cell in nb.cells:
        if cell.get("outputs") and cell.get("metadata", {}).get("keep_output"):
            cell["execution_count"] = CHECKED_COUNT
    return nbformat.writes(nb) + "\n"


if __name__ == "__main__":  # python -m morelib.reproduce store-outputs NOTEBOOK EXECUTED
    import sys

    if len(sys.argv) == 4 and sys.argv[1] == "store-outputs":
        print(store_checked_outputs(sys.argv[2], sys.argv[3]), "outputs stored")
    elif sys.argv[1:] == ["git-filter"]:  # stdin to stdout, as git's clean filter
        sys.stdout.write(strip_notebook(sys.stdin.read()))
    else:
        sys.exit("usage: python -m morelib.reproduce store-outputs NOTEBOOK EXECUTED | git-filter")

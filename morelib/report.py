"""Markdown tables, notebook report sections, and the assembled ``report.md``.

Each numbered notebook writes its tables (CSV + Markdown, atomically) and a
``report_section.md`` into ``outputs/<profile>/<notebook stem>/`` with a :class:`Section`;
``morelib reproduce`` concatenates the sections in notebook order under a header with the
commit, date, machine and parameters (:func:`assemble_report`). Links in a section are relative
to ``outputs/<profile>/``, where ``report.md`` lives.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> sec = Section("04 MORE training", root / "04_x", profile_dir=root)
    >>> _ = sec.table(pd.DataFrame({"scheme": ["MORE"], "ece": [0.0364]}), "Table 2", "table2")
    >>> sec.figure(root / "04_x" / "fig3", "Figure 3: accuracy")
    >>> sec.write().name
    'report_section.md'
    >>> print((root / "04_x" / "report_section.md").read_text())
    ## 04 MORE training
    <BLANKLINE>
    ### Table 2
    <BLANKLINE>
    | scheme | ece |
    |---|---|
    | MORE | 0.0364 |
    <BLANKLINE>
    ![Figure 3: accuracy](04_x/fig3.png)
    <BLANKLINE>
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import platform
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from morelib.io import atomic_write_json, atomic_write_text

SECTION_FILE = "report_section.md"


#: Where the notebooks keep trained RMs and other cached runs (their ``cache_dir`` parameter).
DEFAULT_CACHE_DIR = "outputs/cache"


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The checkout holding ``notebooks/`` and ``params/``: ``start`` (default: the current
    folder) or its nearest parent that does. Notebooks run with their own folder as the working
    directory under nbval and with the checkout under papermill; both resolve the same paths."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "params").is_dir():
            return folder
    raise FileNotFoundError(f"no notebooks/ and params/ folders in {here} or its parents: "
                            "run from the morelib checkout")


def notebook_paths(output_root: str, profile: str, stem: str, cache_dir: str,
                   root: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """``(out, cache)``: ``<output_root>/<profile>/<stem>`` (created) and the RM cache folder,
    relative paths taken from the project root.

    Example:
        >>> import tempfile
        >>> r = Path(tempfile.mkdtemp()); (r / "notebooks").mkdir(); (r / "params").mkdir()
        >>> out, cache = notebook_paths("outputs", "smoke", "04_x", "outputs/cache", root=r)
        >>> out.relative_to(r).as_posix(), cache.relative_to(r).as_posix(), out.is_dir()
        ('outputs/smoke/04_x', 'outputs/cache', True)
    """
    base = project_root(root) if root is None else Path(root)
    out = Path(output_root)
    out = (out if out.is_absolute() else base / out) / profile / stem
    cache = Path(cache_dir)
    cache = cache if cache.is_absolute() else base / cache
    out.mkdir(parents=True, exist_ok=True)
    return out, cache


def _cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return format(value, floatfmt)
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A GitHub-flavoured Markdown table (floats with ``floatfmt``, NaN as an en dash).

    Example:
        >>> print(markdown_table(pd.DataFrame({"a": [1, 2], "b": [0.123456, float("nan")]})))
        | a | b |
        |---|---|
        | 1 | 0.1235 |
        | 2 | – |
    """
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(_cell(v, floatfmt) for v in row) + " |"
            for row in frame.itertuples(index=False, name=None)]
    return "\n".join([header, rule, *body])


def with_ci(value: float, low: float, high: float, digits: int = 4, scale: float = 1.0) -> str:
    """``value [low, high]`` as text, each multiplied by ``scale``.

    Example:
        >>> with_ci(0.6512, 0.62, 0.68, digits=1, scale=100)
        '65.1 [62.0, 68.0]'
    """
    return f"{value * scale:.{digits}f} [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], floatfmt: str = ".4g",
                markdown: pd.DataFrame | None = None) -> str:
    """Write ``path.csv`` (full precision) and ``path.md`` (``markdown`` if given, else the same
    frame formatted), atomically; return the Markdown text."""
    path = Path(path)
    atomic_write_text(path.with_suffix(".csv"), frame.to_csv(index=False))
    text = markdown_table(markdown if markdown is not None else frame, floatfmt)
    atomic_write_text(path.with_suffix(".md"), text + "\n")
    return text


def write_numbers(path: str | os.PathLike[str], numbers: Mapping[str, Any]) -> None:
    """Headline numbers as JSON (atomically; NaN written as null)."""
    atomic_write_json(path, finite(numbers))


def finite(obj: Any) -> Any:
    """``obj`` with NaN/infinite floats replaced by None and NumPy scalars by Python ones, for
    JSON (e.g. a figure's headline numbers).

    Example:
        >>> finite({"a": float("nan"), "b": [1.5, float("inf")]})
        {'a': None, 'b': [1.5, None]}
    """
    if isinstance(obj, Mapping):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


#: The caveat the findings of every notebook run on the ``smoke`` profile end with.
SMOKE_CAVEAT = ("Smoke profile: tiny random-init models trained for a few steps; these numbers "
                "test the pipeline, not the paper.")


def in_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (a notebook, papermill), not a terminal."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


class Section:
    """A notebook's part of ``report.md``: headings, text, tables, figure links and findings.

    ``folder``: the notebook's output folder; ``profile_dir``: where ``report.md`` is written
    (links are relative to it).
    """

    def __init__(self, title: str, folder: str | os.PathLike[str],
                 profile_dir: str | os.PathLike[str] | None = None):
        self.folder = Path(folder)
        self.profile_dir = Path(profile_dir) if profile_dir else self.folder.parent
        self.parts: list[str] = [f"## {title}"]

    def _rel(self, path: str | os.PathLike[str]) -> str:
        return Path(os.path.relpath(Path(path), self.profile_dir)).as_posix()

    def text(self, markdown: str) -> None:
        self.parts.append(markdown.strip())

    def heading(self, title: str) -> None:
        self.parts.append(f"### {title}")

    def table(self, frame: pd.DataFrame, title: str, name: str, floatfmt: str = ".4g",
              markdown: pd.DataFrame | None = None, note: str | None = None) -> str:
        """Write the table (CSV + Markdown) as ``folder/name`` and add it under a heading."""
        text = write_table(frame, self.folder / name, floatfmt, markdown)
        self.heading(title)
        if note:
            self.parts.append(note.strip())
        self.parts.append(text)
        return text

    def figure(self, path: str | os.PathLike[str], caption: str) -> None:
        """Link the PNG of a figure saved with :func:`morelib.plots.save_figure` at ``path``."""
        self.parts.append(f"![{caption}]({self._rel(Path(path).with_suffix('.png'))})")

    def findings(self, found: Sequence[Any], title: str = "Findings", *, note: str | None = None,
                 paper: str | None = None, profile: str | None = None) -> None:
        """Add findings as a bulleted list under ``title`` and show them once: rendered as
        Markdown in a notebook (what ``report.md`` gets, the title in bold rather than as a
        heading), their plain lines (no ``**``) in a terminal.

        Args:
            note: text between the heading and the list (what the findings are measured on).
            paper: the paper's corresponding claim, after the list (label it as the paper's).
            profile: the profile run; ``"smoke"`` appends :data:`SMOKE_CAVEAT`.

        Example:
            >>> import tempfile
            >>> s = Section("01 · Toy", tempfile.mkdtemp())
            >>> s.findings(["MORE is **better** calibrated."], profile="smoke")
            MORE is better calibrated.
            Smoke profile: tiny random-init models trained for a few steps; these numbers test the pipeline, not the paper.
            >>> s.parts[1], s.parts[2].splitlines()[0]
            ('### Findings', '- MORE is **better** calibrated.')
        """
        lines = [str(f) for f in found] + ([SMOKE_CAVEAT] if profile == "smoke" else [])
        start = len(self.parts)
        self.heading(title)
        if note:
            self.text(note)
        self.text("\n".join(f"- {line}" for line in lines))
        if paper:
            self.text(paper)
        if in_kernel():
            from IPython.display import Markdown, display

            display(Markdown("\n\n".join([f"**{title}**", *self.parts[start + 1:]])))
        else:
            print("\n".join(lines).replace("**", ""))

    def markdown(self) -> str:
        return "\n\n".join(self.parts) + "\n"

    def write(self) -> Path:
        target = self.folder / SECTION_FILE
        atomic_write_text(target, self.markdown())
        return target


def machine_description() -> str:
    """One line: OS, CPU count, Python, torch version and threads.

    Example:
        >>> "CPUs" in machine_description()
        True
    """
    parts = [platform.platform(), f"{os.cpu_count()} CPUs",
             f"Python {sys.version.split()[0]}"]
    try:
        import torch

        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads"
                     + (", CUDA" if torch.cuda.is_available() else "") + ")")
    except ImportError:  # pragma: no cover
        pass
    return "; ".join(parts)


def heading_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading.

    Example:
        >>> heading_anchor("04 MORE training: Table 2 (ECE)")
        '04-more-training-table-2-ece'
    """
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def contents(parts: Sequence[str]) -> list[str]:
    r"""A nested list of links to the ``##`` and ``###`` headings in ``parts`` (Markdown texts).

    Example:
        >>> contents(["## 04 MORE\n\n### Findings\ntext", "## 05\n### Findings"])
        ['- [04 MORE](#04-more)', '  - [Findings](#findings)', '- [05](#05)', '  - [Findings](#findings-1)']
    """
    out, seen = [], Counter()
    for line in "\n".join(parts).splitlines():
        for marks, indent in (("## ", ""), ("### ", "  ")):
            if line.startswith(marks):
                title = line[len(marks):].strip()
                anchor = heading_anchor(title)
                suffix = f"-{seen[anchor]}" if seen[anchor] else ""  # GitHub numbers repeats
                seen[anchor] += 1
                out.append(f"{indent}- [{title}](#{anchor}{suffix})")
    return out


SCORECARD_RULES = (
    "Each claim of the paper (§11 of its specification) on each track this profile can run. "
    "A verdict comes from the 95 % interval and the columns beside it, never from the point "
    "estimate, in this order: *not run* (no interval); **not testable** when the row rests on "
    "one training seed (a demonstration) or the RMs it compares are not above chance (their "
    "held-out accuracy interval reaches 0.5); **reproduced** when the interval lies wholly on "
    "the side the claim predicts; **not reproduced** when it lies wholly on the other side or "
    "rules out the paper's smallest effect (the smallest effect the paper reports for that "
    "claim across Pythia-1.4B, Pythia-2.8B and LLaMa2-7B; C1, C5 and C8 have none); "
    "**inconclusive** otherwise. *RM accuracy* is the held-out accuracy of the compared RMs "
    "(the weaker one), *λ spread* MORE's mean / max over seeds and steps of max_i |λ_i − 1/K| "
    "(0 = uniform weighting; at K = 2 MORE's λ is ½, ½ by construction), *± * the interval's "
    "half-width, to read beside the paper's effect.")


def verdict_sentences(card: pd.DataFrame) -> list[str]:
    """One plain-words bullet per claim: on which tracks it holds, is ruled out, is
    inconclusive or cannot be tested here (with the reason), each naming the scorecard rows
    (claim and track) it rests on.

    Example:
        >>> from morelib.claims import ClaimResult, claims_frame
        >>> card = claims_frame([ClaimResult.from_interval(
        ...     claim="C6", track="simulator probe", metric="m", estimate=0.0, ci_low=-0.002,
        ...     ci_high=0.003, n_seeds=20, n_pairs=4000, rm_accuracy=(0.7, 0.68, 0.72)),
        ...     ClaimResult.not_run("C6", "fine-tuned")])
        >>> print(verdict_sentences(card)[0])
        - **C6** (MORE's mean H&H ECE is about half of MultiTask's): **not reproduced** on the simulator probe (ruled out down to the paper's smallest effect, -0.0067).
    """
    from morelib.claims import CLAIMS

    out = []
    for claim_id, claim in CLAIMS.items():
        rows = card[(card.claim == claim_id) & (card.verdict != "not run")]
        if rows.empty:
            continue
        parts = []
        for v in ("reproduced", "not reproduced", "inconclusive", "not testable"):
            here = rows[rows.verdict == v]
            if here.empty:
                continue
            tracks = []
            for t in dict.fromkeys(here.track):
                of = int((rows.track == t).sum())  # a track with rows per G, model or judge
                rows_note = f" ({int((here.track == t).sum())} of its {of} rows)" if of > 1 else ""
                tracks.append(f"the {t}{'' if t.endswith('probe') else ' track'}{rows_note}")
            listed = ", ".join(tracks[:-1]) + " and " + tracks[-1] if len(tracks) > 1 else tracks[0]
            text = f"**{v}** on {listed}"
            if v == "not reproduced" and here.reason.str.contains("smallest effect").any():
                text += f" (ruled out down to the paper's smallest effect, {claim.paper_effect:+.4f})"
            if v == "not testable":
                why = sorted({r.split(":")[0] for r in here.reason})
                text += f" ({'; '.join(why)})"
            parts.append(text)
        out.append(f"- **{claim_id}** ({claim.statement}): " + "; ".join(parts) + ".")
    return out


def claims_scorecard_section(card: pd.DataFrame) -> list[str]:
    """``## Claims scorecard``: the rules, one row per claim, track and measured metric (verdict,
    estimate with its 95 % interval and half-width, the paper's smallest effect, the compared
    RMs' accuracy, MORE's λ spread, seeds × pairs and the reason), from the notebooks'
    ``claims.csv`` files as :func:`morelib.claims.scorecard` reads them (``card``); the paper's numbers per claim
    below it."""
    from morelib.claims import CLAIMS

    lines = ["## Claims scorecard", "", SCORECARD_RULES, "",
             "| claim | track | metric | verdict | estimate [95 % CI] | ± | paper effect | "
             "RM accuracy [95 % CI] | λ spread mean / max | seeds × pairs | why |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in card.itertuples():
        if r.verdict == "not run":
            lines.append(f"| {r.claim} | {r.track} | | *not run* | | | | | | | |")
            continue
        acc = (with_ci(r.rm_accuracy, r.rm_accuracy_low, r.rm_accuracy_high, 3)
               if np.isfinite(r.rm_accuracy) else "")
        spread = (f"{r.lambda_spread:.3f} / {r.lambda_spread_max:.3f}"
                  if np.isfinite(r.lambda_spread) else "")
        effect = f"{r.paper_effect:+.4f}" if np.isfinite(r.paper_effect) else "none"
        cells = [r.claim, r.track, r.metric, f"**{r.verdict}**",
                 f"{r.estimate:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]",
                 f"{(r.ci_high - r.ci_low) / 2:.4f}", effect, acc, spread,
                 f"{int(r.n_seeds)} × {int(r.n_pairs)}", r.reason]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    lines += ["", "The paper's numbers (**paper**, arXiv 2312.07401 v5) per claim:", ""]
    lines += [f"- {cid}: {c.statement}: {c.paper}" for cid, c in CLAIMS.items()]
    return lines + [""]


def assemble_report(profile: str, profile_dir: str | os.PathLike[str], stems: Sequence[str],
                    parameters: Mapping[str, Mapping[str, Any]], commit: str,
                    timings: Mapping[str, float] | None = None,
                    failures: Mapping[str, str] | None = None,
                    stamps: Mapping[str, str] | None = None,
                    training: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The text of ``report.md``: a header (profile, commit, date, machine), a contents list,
    the claims scorecard (:func:`claims_scorecard_section`), the sections of the notebooks in order (a note where one is missing or failed), then the parameters each
    notebook ran with and its wall time. ``stamps``: a line put in italics under a section's
    heading, e.g. the commit and date of the run that wrote it (``morelib reproduce``).
    ``training``: the profile's training sections (:mod:`morelib.profiles`), listed first.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> (d / "04_x").mkdir(); _ = (d / "04_x" / SECTION_FILE).write_text("## 04\\n")
        >>> text = assemble_report("smoke", d, ["04_x", "05_y"], {"04_x": {"seed": 1}}, "abc1234",
        ...                        {"04_x": 3.2})
        >>> "## 04" in text and "`05_y`: no report section" in text and "`seed`: `1`" in text
        True
        >>> text = assemble_report("smoke", d, ["04_x"], {}, "abc", stamps={"04_x": "Kept."})
        >>> text[text.index("## 04"):].splitlines()[:3]
        ['## 04', '', '*Kept.*']
    """
    profile_dir = Path(profile_dir)
    timings, failures = dict(timings or {}), dict(failures or {})
    stamps = dict(stamps or {})
    lines = [f"# MORE reproduction report: profile `{profile}`", "",
             f"- commit: `{commit}`",
             f"- date: {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
             f"- machine: {machine_description()}",
             f"- notebooks: {', '.join(f'`{s}`' for s in stems) or 'none'}",
             "",
             "Numbers labelled **paper** are the published values (arXiv 2312.07401 v5), shown "
             "beside ours for comparison; every other number was measured by this run.", ""]
    if timings:
        total = sum(timings.values())
        lines += [f"Total notebook wall time: {total:.0f} s.", ""]
    body: list[str] = []
    for stem in stems:
        section = profile_dir / stem / SECTION_FILE
        stamp = [f"*{stamps[stem]}*", ""] if stem in stamps else []
        if stem in failures:
            body += [f"## {stem}", "", *stamp, f"**This notebook failed:** {failures[stem]}", ""]
        elif section.exists():
            text = section.read_text().rstrip()
            if stamp:  # under the section's heading
                heading, _, rest = text.partition("\n")
                text = "\n".join([heading, "", *stamp, rest.strip()])
            body += [text, ""]
        else:
            body += [f"## {stem}", "", *stamp, f"`{stem}`: no report section was written.", ""]
    from morelib.claims import scorecard

    card = scorecard(profile_dir)  # read once: the plain-words list and the table share it
    claims = claims_scorecard_section(card)
    plain = ["## Verdicts in plain words", "",
             "Which of the paper's claims hold at this profile's scale (see *Parameters* for the "
             "models), which are ruled out, and which this run cannot test; each line rests on "
             "the scorecard's rows of that claim and track.", "",
             *verdict_sentences(card), ""]
    lines += [*plain, "## Contents", "", *contents([*plain, *claims, *body, "## Parameters"]),
              "", *claims, *body]
    lines += ["## Parameters", ""]
    for name, values in (training or {}).items():
        lines.append(f"- training section `{name}` (every notebook that trains reads it):")
        lines += [f"  - `{key}`: `{value!r}`" for key, value in sorted(values.items())]
    for stem in stems:
        seconds = f" ({timings[stem]:.0f} s)" if stem in timings else ""
        lines.append(f"- `{stem}`{seconds}:")
        for key, value in sorted((parameters.get(stem) or {}).items()):
            # values as written in Python source (papermill's defaults are source text)
            lines.append(f"  - `{key}`: `{value if isinstance(value, str) else repr(value)}`")
        if not parameters.get(stem):
            lines.append("  - notebook defaults (the `smoke` profile)")
    return "\n".join(lines) + "\n"

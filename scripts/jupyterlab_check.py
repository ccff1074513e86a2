"""Run numbered notebooks in a real JupyterLab, in headless Chromium, and check what a user sees.

Usage (from the checkout; needs ``chromium`` and ``chromedriver`` on PATH, or given by
``--chromium`` / ``--chromedriver``, and ``selenium`` in the Python running this)::

    python scripts/jupyterlab_check.py SCREENSHOT_DIR [--notebooks 01 04] [--timeout 900]

It

1. copies the checkout's ``notebooks/`` and ``params/`` into a fresh temporary folder (the
   notebooks save and write ``outputs/`` there: the working tree is never touched; the RM cache
   starts empty, so RMs really train: the first notebook trains its RMs, a later one shows bars
   only for the RMs the earlier ones did not train);
2. starts JupyterLab from this Python (``python -m jupyterlab``) on a free localhost port with a
   random token, fresh settings (every cell rendered, no windowing) and the checkout first on
   ``PYTHONPATH`` (its ``morelib`` is what the kernel imports; the kernel needs ``ipywidgets``
   for widget bars, else tqdm warns and the warnings check fails);

and then, for each notebook (default: 01, then 04),

3. opens it in headless Chromium (a fresh profile), clicks Run → Run All Cells (the
   parameters cell's defaults are the smoke profile) and polls the page until no cell is queued
   or running, saving screenshots into ``SCREENSHOT_DIR`` (``<stem>_1_progress.png`` when the
   first progress bar shows, ``<stem>_2_findings.png`` at the first findings,
   ``<stem>_3_end.png`` at the last cell);
4. checks that every code cell ran and none failed, that no output is a stderr stream
   mentioning ``Warning``, that a progress bar (a tqdm widget or text bar) showed while the
   notebook ran, and that findings rendered as Markdown (a list in a Markdown output with bold
   text rendered as ``<strong>``: ``Section.findings`` titles them in bold) with no literal
   ``**`` anywhere in the outputs.

It prints one line per check and exits 1 if any failed (2 if it could not run at all).
``tests/test_jupyterlab_check.py`` (marked ``slow``) runs it on notebook 01.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1800"]
# every cell in the DOM (JupyterLab 4 otherwise renders only the cells near the viewport)
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
                {"windowingMode": "none"},
                "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False}}

SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook tab on show

# What the page is asked on every poll (one round trip), in the notebook on show (earlier ones
# stay open in hidden tabs): the prompts of the code cells, the outputs' kinds and texts, the
# progress bars and the rendered findings.
STATE_JS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')
    || document.createElement('div');  // none on show yet: nothing found
const cells = [...nb.querySelectorAll('.jp-CodeCell')];
const prompts = cells.map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '');
const outs = [...nb.querySelectorAll('.jp-OutputArea-output')];
const stderr = outs.filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
                   .map(o => o.textContent);
const errors = stderr.filter(t => t.includes('Traceback')).map(t => t.slice(-600));
const widgetBars = [...nb.querySelectorAll('.widget-hprogress, progress')];
const barLabels = [...nb.querySelectorAll('.widget-hbox')]
    .filter(b => b.querySelector('.widget-hprogress'))
    .map(b => b.textContent.trim().slice(0, 120));
const textBars = outs.map(o => o.textContent).filter(t => /\\d+\\/\\d+ \\[[\\d:<?]+/.test(t))
    .map(t => t.trim().slice(0, 120));
const md = [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="text/markdown"]')];
return {prompts, stderr, errors, bars: widgetBars.length, barLabels, textBars,
        findings: md.filter(m => m.querySelector('li')).length,
        strong: md.filter(m => m.querySelector('strong')).length,
        literalBold: outs.filter(o => o.textContent.includes('**')).map(o => o.textContent.slice(0, 200))};
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(dest: Path) -> None:
    """``notebooks/`` (the numbered notebooks) and ``params/`` of the checkout into ``dest``."""
    (dest / "notebooks").mkdir(parents=True)
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(nb, dest / "notebooks" / nb.name)
    shutil.copytree(ROOT / "params", dest / "params")


def start_lab(work: Path, port: int, token: str, log) -> subprocess.Popen:
    settings = work / ".lab" / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / ".lab" / "workspaces"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
           "--allow-root", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    for _ in range(120):
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n"
                               + Path(log.name).read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"JupyterLab did not answer on port {port}; see {log.name}")


def browser(chromium: str, chromedriver: str, profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def click_menu(driver, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By

    for top in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item"):
        if top.text.strip() == menu:
            top.click()
            break
    else:
        raise RuntimeError(f"no {menu!r} menu")
    time.sleep(0.5)
    for entry in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item"):
        if entry.text.strip().startswith(item):
            entry.click()
            return
    raise RuntimeError(f"no {item!r} in the {menu} menu")


def scroll_to(driver, selector: str) -> None:
    driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "if (e) e.scrollIntoView({block: 'start'});", selector)
    time.sleep(0.5)


def run_notebook(driver, base_url: str, stem: str, shots: Path, timeout: float) -> list[str]:
    """Run All Cells in ``stem`` and return the failed checks (printing every check)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/lab/tree/notebooks/{stem}.ipynb")
    WebDriverWait(driver, 120).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"{SHOWN} .jp-Notebook .jp-CodeCell")))
    WebDriverWait(driver, 180).until(EC.presence_of_element_located(  # the kernel is up
        (By.CSS_SELECTOR, f'{SHOWN} .jp-Notebook-ExecutionIndicator[data-status="idle"]')))
    time.sleep(3)  # the menus answer once the notebook has settled
    for _ in range(3):  # a click that lands before the panel is ready is lost: try again
        click_menu(driver, "Run", "Run All Cells")
        running = lambda d: any("*" in p for p in d.execute_script(STATE_JS)["prompts"])
        try:
            WebDriverWait(driver, 20, poll_frequency=0.2).until(running)
            break
        except TimeoutException:
            continue
    else:
        driver.save_screenshot(str(shots / f"{stem}_0_not_started.png"))
        raise RuntimeError(f"{stem}: Run All Cells did not start the cells")
    start, seen_bar, state = time.time(), [], {}
    while time.time() - start < timeout:
        time.sleep(1.0)
        state = driver.execute_script(STATE_JS)
        if (state["bars"] or state["textBars"]) and not seen_bar:
            seen_bar = state["barLabels"] + state["textBars"] or ["(bar)"]
            scroll_to(driver, f"{SHOWN} .widget-hprogress")
            driver.save_screenshot(str(shots / f"{stem}_1_progress.png"))
        elif state["barLabels"] or state["textBars"]:
            seen_bar += [b for b in state["barLabels"] + state["textBars"] if b not in seen_bar]
        if not any("*" in p for p in state["prompts"]):  # finished, or stopped at an error
            break
    time.sleep(2)  # let the last outputs render
    state = driver.execute_script(STATE_JS)
    if state["findings"]:
        driver.execute_script(
            f"const m = [...document.querySelectorAll('{SHOWN} .jp-OutputArea-output"
            "[data-mime-type=\"text/markdown\"]')].find(m => m.querySelector('li'));"
            "m.scrollIntoView({block: 'center'});")
        time.sleep(0.5)
        driver.save_screenshot(str(shots / f"{stem}_2_findings.png"))
    driver.execute_script(f"const c = document.querySelectorAll('{SHOWN} .jp-Cell');"
                          "c[c.length - 1].scrollIntoView({block: 'end'});")
    time.sleep(0.5)
    driver.save_screenshot(str(shots / f"{stem}_3_end.png"))
    prompts = state["prompts"]
    checks = {
        "every code cell ran": bool(prompts) and all(re.search(r"\[\d+\]", p) for p in prompts),
        "no cell failed": not state["errors"],
        "no warnings on stderr": not [t for t in state["stderr"] if "Warning" in t],
        "a progress bar showed while running": bool(seen_bar),
        "findings rendered as Markdown": state["findings"] > 0 and state["strong"] > 0,
        "no literal ** in any output": not state["literalBold"],
    }
    details = {"no cell failed": state["errors"][:2],
               "no warnings on stderr": [t[:300] for t in state["stderr"] if "Warning" in t][:3],
               "a progress bar showed while running": seen_bar[:8],
               "findings rendered as Markdown": f"{state['findings']} Markdown outputs with a "
                                                f"list, {state['strong']} with bold text",
               "no literal ** in any output": state["literalBold"][:2],
               "every code cell ran": f"{time.time() - start:.0f} s; prompts {prompts}"}
    for name, ok in checks.items():
        print(f"[{stem}] {'ok  ' if ok else 'FAIL'} {name}: {details.get(name, '')}", flush=True)
    return [f"{stem}: {name}" for name, ok in checks.items() if not ok]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("screenshots", type=Path, help="folder for the screenshots (created)")
    parser.add_argument("--notebooks", nargs="+", default=["01", "04"],
                        help="notebook numbers or stems (default: 01 04)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per notebook")
    parser.add_argument("--chromium",
                        default=shutil.which("chromium") or shutil.which("chromium-browser"))
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver"))
    args = parser.parse_args(argv)
    if not (args.chromium and args.chromedriver):
        print("chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
        return 2
    stems = []
    for name in args.notebooks:
        found = sorted(p.stem for p in (ROOT / "notebooks").glob(f"{name}*.ipynb"))
        if not found:
            print(f"no notebook {name!r} in {ROOT / 'notebooks'}")
            return 2
        stems.append(found[0])
    args.screenshots.mkdir(parents=True, exist_ok=True)
    failures = []
    with tempfile.TemporaryDirectory(prefix="jupyterlab_check_") as tmp:
        work = Path(tmp) / "project"
        copy_project(work)
        port, token = free_port(), secrets.token_hex(16)
        with open(Path(tmp) / "jupyterlab.log", "w") as log:
            lab = start_lab(work, port, token, log)
            driver = None
            try:
                driver = browser(args.chromium, args.chromedriver, Path(tmp) / "chromium")
                driver.set_window_size(1400, 1800)
                driver.get(f"http://127.0.0.1:{port}/lab?token={token}")  # logs in (cookie)
                time.sleep(2)
                for stem in stems:
                    failures += run_notebook(driver, f"http://127.0.0.1:{port}", stem,
                                             args.screenshots, args.timeout)
            finally:
                if driver is not None:
                    driver.quit()
                lab.terminate()
                try:
                    lab.wait(30)
                except subprocess.TimeoutExpired:
                    lab.kill()
        if failures:
            print("JupyterLab log (tail):\n" + (Path(tmp) / "jupyterlab.log").read_text()[-3000:])
    print(f"screenshots: {args.screenshots}")
    print("FAILED: " + "; ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

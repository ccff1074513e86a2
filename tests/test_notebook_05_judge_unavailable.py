"""Notebook 05 with an LLM judge that answers only errors: it reports the judge as unavailable
(empty win/tie/lose cells) instead of crashing on ``round(100 * NaN)``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx")
papermill = pytest.importorskip("papermill")

from fake_openai import FakeServer  # noqa: E402  (tests/fake_openai.py)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_notebook_05_reports_an_unavailable_judge(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = FakeServer()
    server.script = [(401, '{"error": "invalid api key"}')]  # not retried: every call an error
    try:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "05_rjs_alignment.ipynb"), str(tmp_path / "05.ipynb"),
            parameters={"llm_judge_url": server.url, "output_root": str(tmp_path / "outputs"),
                        "llm_judge_workers": 1},
            cwd=str(ROOT), kernel_name="python3", progress_bar=False)
    finally:
        server.stop()
    assert server.requests  # the judge was asked
    section = (tmp_path / "outputs" / "smoke" / "05_rjs_alignment" / "report_section.md")
    text = section.read_text()
    assert "**Judge unavailable: LLM.** It returned only errors" in text
    table1 = (tmp_path / "outputs" / "smoke" / "05_rjs_alignment" / "table1.md").read_text()
    assert "win (LLM)" in table1 and "win (gold RM)" in table1

"""JSONL store for raw judgements (one JSON object per line, thread-safe), one file per run.

A new :class:`JudgementLog` starts its file afresh at its first write (a re-run's log holds that
run's judgements only, not the previous run's as well); ``append=True`` keeps what is there.

The LLM judge writes ``{prompt, a, b, order, raw, raws, parsed, attempts, errors, model,
kind}`` per call, so every verdict can be audited or re-parsed later. Records hold what the
judge saw and said, never credentials (the judge scrubs its API key from every string).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path


class JudgementLog:
    """Write records as JSON lines to ``path`` (parent folders are created); the first write
    replaces an existing file unless ``append``.

        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "judge.jsonl")
        >>> log = JudgementLog(path)
        >>> log.write({"prompt": "q", "parsed": "A"}); log.write({"prompt": "r", "parsed": None})
        >>> [r["parsed"] for r in log.read()]
        ['A', None]
        >>> rerun = JudgementLog(path); rerun.write({"prompt": "q", "parsed": "B"})
        >>> [r["parsed"] for r in rerun.read()]
        ['B']
    """

    def __init__(self, path, append: bool = False):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fresh = not append

    def __repr__(self) -> str:
        return f"JudgementLog({str(self.path)!r})"

    def write(self, record: dict) -> None:
        """Add one record (a JSON-serialisable dict) as a line."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w" if self._fresh else "a", encoding="utf-8") as handle:
                handle.write(line)
            self._fresh = False

    def read(self) -> list[dict]:
        """All records written so far ([] when the file does not exist)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

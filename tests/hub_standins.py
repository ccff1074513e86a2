"""Local stand-ins for the paper's five hub datasets: each repository copied in its exact hub
layout and schema (file names, folders, compression, Parquet branch), only smaller.

``build_standins(root)`` writes ``root/<owner>/<name>/<revision>/`` for (the layout
:func:`morelib.data.hub.hub_path` reads with ``MORELIB_HUB_DATASETS_DIR=root``):

- ``Anthropic/hh-rlhf/main``: ``README.md`` without configs, ``<data_dir>/{train,test}.jsonl.gz``
  for the four HH folders, and ``red-team-attempts/red_team_attempts.jsonl.gz`` in its own schema
  (so a load that ignored ``data_dir`` would fail on mixed schemas);
- ``openai/webgpt_comparisons/refs/convert/parquet``: ``default/train/0000.parquet``;
- ``openai/summarize_from_feedback/refs/convert/parquet``: ``comparisons/{train,validation}/``
  and ``axis/{test,validation}/0000.parquet`` (axis rows in the axis schema), no README: the
  branch declares no configs, the case that broke ``load_dataset(name, "comparisons")``;
  ``declare_configs=True`` adds the README ``configs:`` block instead;
- ``OpenAssistant/oasst1/main``: ``data/{train,validation}-00000-of-00001-<hash>.parquet`` and
  the top-level ``2023-04-12_oasst_*.jsonl.gz`` exports.

Rows come from ``tests/fixtures`` (the exact schemas), repeated ``copies`` times with unique
ids, read through pyarrow's JSON reader so the Parquet columns carry the hub's nested types.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

FIXTURES = Path(__file__).parent / "fixtures"
HH_DIRS = ("harmless-base", "helpful-base", "helpful-online", "helpful-rejection-sampled")
SUMMARIZE_CONFIGS = """---
configs:
- config_name: axis
  data_files:
  - split: test
    path: axis/test/*.parquet
  - split: validation
    path: axis/validation/*.parquet
- config_name: comparisons
  data_files:
  - split: train
    path: comparisons/train/*.parquet
  - split: validation
    path: comparisons/validation/*.parquet
---
"""


def fixture_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _parquet(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".jsonl")
    scratch.write_bytes(_jsonl(rows))
    table = pa_json.read_json(scratch)
    scratch.unlink()
    pq.write_table(table, path)


def _gz(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(_jsonl(rows)))


def _oasst_copy(rows: list[dict], tag: str) -> list[dict]:
    ids = {row["message_id"] for row in rows}
    renamed = []
    for row in rows:
        row = dict(row, message_id=f"{tag}-{row['message_id']}",
                   message_tree_id=f"{tag}-{row['message_tree_id']}")
        if row["parent_id"] in ids:
            row["parent_id"] = f"{tag}-{row['parent_id']}"
        renamed.append(row)
    return renamed


def build_standins(root: Path, copies: int = 1, declare_configs: bool = False) -> Path:
    """Write the five stand-in repositories under ``root`` (see the module notes)."""
    root = Path(root)
    hh = root / "Anthropic" / "hh-rlhf" / "main"
    hh.mkdir(parents=True, exist_ok=True)
    (hh / "README.md").write_text("---\nlicense: mit\ntags:\n- human-feedback\n---\n# HH-RLHF\n")
    hh_rows = fixture_rows("hh_rlhf.jsonl") * copies
    for folder in HH_DIRS:
        for split in ("train", "test"):
            _gz(hh_rows, hh / folder / f"{split}.jsonl.gz")
    _gz([{"transcript": "\n\nHuman: hi\n\nAssistant: hello", "min_harmlessness_score_transcript":
          0.5, "num_params": "52B", "model_type": "context distillation", "rating": 1.0,
          "task_description": "say hi", "task_descripton_harmlessness_score": 0.1,
          "red_team_member_id": 0, "is_upworker": False, "tags": None}],
        hh / "red-team-attempts" / "red_team_attempts.jsonl.gz")

    webgpt = root / "openai" / "webgpt_comparisons" / "refs" / "convert" / "parquet"
    rows = fixture_rows("webgpt_comparisons.jsonl")
    _parquet([dict(r, question=dict(r["question"], id=f"{r['question']['id']}-{c}"))
              for c in range(copies) for r in rows], webgpt / "default" / "train" / "0000.parquet")

    summarize = root / "openai" / "summarize_from_feedback" / "refs" / "convert" / "parquet"
    rows = fixture_rows("summarize_comparisons.jsonl")
    copied = [dict(r, info=dict(r["info"], id=f"{r['info']['id']}-{c}"))
              for c in range(copies) for r in rows]
    for split in ("train", "validation"):
        _parquet([dict(r, split=split) for r in copied],
                 summarize / "comparisons" / split / "0000.parquet")
    axis = {"info": rows[0]["info"], "summary": {"text": " a summary", "policy": "ref",
            "note": None, "axes": {"overall": 5, "accuracy": 6, "coverage": 5,
                                   "coherence": 7, "compatible": None}},
            "worker": "w9", "batch": "batch9", "split": "test"}
    for split in ("test", "validation"):
        _parquet([axis], summarize / "axis" / split / "0000.parquet")
    if declare_configs:
        (summarize / "README.md").write_text(SUMMARIZE_CONFIGS)

    oasst = root / "OpenAssistant" / "oasst1" / "main"
    rows = fixture_rows("oasst1_messages.jsonl")
    messages = [m for c in range(copies) for m in _oasst_copy(rows, f"c{c}")]
    (oasst / "data").mkdir(parents=True, exist_ok=True)
    (oasst / "README.md").write_text("---\nlicense: apache-2.0\nlanguage:\n- en\n---\n# oasst1\n")
    for split, digest in (("train", "b42a775f407cee45"), ("validation", "134b8fd0c89408b6")):
        _parquet(messages, oasst / "data" / f"{split}-00000-of-00001-{digest}.parquet")
    _gz(messages, oasst / "2023-04-12_oasst_all.messages.jsonl.gz")
    _gz([{"message_tree_id": "t", "tree_state": "ready_for_export"}],
        oasst / "2023-04-12_oasst_ready.trees.jsonl.gz")
    return root


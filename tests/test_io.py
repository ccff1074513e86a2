"""Atomic writers leave either the old or the new content, and no temporary files."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from morelib import io as mio
from morelib.io import (
    atomic_directory,
    atomic_open,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    to_json,
)


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_text_bytes_json_written(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "héllo\n")
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\xff")
    atomic_write_json(tmp_path / "c.json", {"z": [1, 2.5], "a": {"y": None, "b": True}})
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    text = (tmp_path / "c.json").read_text()
    assert json.loads(text) == {"z": [1, 2.5], "a": {"y": None, "b": True}}
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"
    assert names(tmp_path) == ["a.txt", "b.bin", "c.json"]


def test_overwrite_and_parents_and_mode(tmp_path):
    target = tmp_path / "deep" / "er" / "x.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert names(target.parent) == ["x.txt"]
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode == 0o666 & ~mio._umask()  # not mkstemp's private 0o600


def test_json_numpy_and_paths(tmp_path):
    obj = {"x": np.float32(0.5), "v": np.arange(3), "p": tmp_path / "f"}
    assert json.loads(to_json(obj)) == {"x": 0.5, "v": [0, 1, 2], "p": str(tmp_path / "f")}


@pytest.mark.parametrize("bad, where", [
    (float("nan"), "top level"),
    ({"m": [1.0, float("inf")]}, "['m'][1]"),
    ({"a": {"b": np.float32("nan")}}, "['a']['b']"),
    ({"arr": np.array([0.0, np.nan])}, "['arr'][1]"),
])
def test_json_rejects_nan_with_location(tmp_path, bad, where):
    target = tmp_path / "m.json"
    atomic_write_json(target, {"old": 1})
    with pytest.raises(ValueError, match="NaN or infinity") as err:
        atomic_write_json(target, bad)
    assert where in str(err.value)
    assert json.loads(target.read_text()) == {"old": 1}
    assert names(tmp_path) == ["m.json"]


def test_serialisation_failure_midway_keeps_old_file(tmp_path):
    target = tmp_path / "m.json"
    atomic_write_json(target, {"old": 1})
    with pytest.raises(TypeError, match="cannot write object"):
        atomic_write_json(target, {"a": list(range(1000)), "z": object()})
    assert json.loads(target.read_text()) == {"old": 1}
    assert names(tmp_path) == ["m.json"]


def test_exception_while_writing_keeps_old_file(tmp_path):
    target = tmp_path / "log.txt"
    target.write_text("old content")

    def chunks():
        yield "new "
        yield "half"
        raise RuntimeError("serialiser died")

    with pytest.raises(RuntimeError, match="serialiser died"):
        with atomic_open(target) as f:
            for chunk in chunks():
                f.write(chunk)
                f.flush()  # the partial text really is on disk, in the temp file
    assert target.read_text() == "old content"
    assert names(tmp_path) == ["log.txt"]


def test_failed_rename_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(mio.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert names(tmp_path) == ["x.bin"]


def test_atomic_open_mode_checked(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        with atomic_open(tmp_path / "x", "a"):
            pass


def test_atomic_directory_new_and_replace(tmp_path):
    target = tmp_path / "ckpt"
    with atomic_directory(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target and not target.exists()
        (tmp / "sub").mkdir()
        (tmp / "sub" / "w.bin").write_bytes(b"1")
    assert (target / "sub" / "w.bin").read_bytes() == b"1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~mio._umask()

    with atomic_directory(target) as tmp:
        (tmp / "v2.txt").write_text("2")
    assert names(target) == ["v2.txt"]  # replaced, not merged
    assert names(tmp_path) == ["ckpt"]


def test_atomic_directory_failure_keeps_old(tmp_path):
    target = tmp_path / "ckpt"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_directory(target) as tmp:
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("boom")
    assert names(target) == ["old.txt"]
    assert names(tmp_path) == ["ckpt"]


def test_atomic_directory_failed_swap_restores_old(tmp_path, monkeypatch):
    target = tmp_path / "ckpt"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real_replace = os.replace

    def replace(src, dst):
        if str(src).endswith(".tmp"):  # the new folder's rename into place fails
            raise OSError("rename failed")
        real_replace(src, dst)

    monkeypatch.setattr(mio.os, "replace", replace)
    with pytest.raises(OSError, match="rename failed"):
        with atomic_directory(target) as tmp:
            (tmp / "new.txt").write_text("new")
    assert names(target) == ["old.txt"]
    assert names(tmp_path) == ["ckpt"]


def test_atomic_directory_refuses_file_target(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        with atomic_directory(tmp_path / "f"):
            pass
    assert names(tmp_path) == ["f"]

"""The run cache: stable hashes, build once then load, resumable failures, locks, tables."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from morelib import __version__
from morelib.runs import CacheLocked, RunCache, cache_table, canonical, config_hash
from morelib.runs import lock as lock_module

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Cfg:
    lr: float = 1e-6
    sources: tuple[str, ...] = ("helpful", "harmless")
    logging_steps: int = field(default=10, metadata={"cache_key": False})


class Colour(Enum):
    RED = "red"


def leftovers(folder: Path) -> list[str]:
    """Temporary files of atomic writers (``.name.xxx.tmp``) anywhere below ``folder``."""
    return [p.name for p in folder.rglob("*") if p.name.endswith((".tmp", ".old"))]


# --- hashing -----------------------------------------------------------------------------------

def test_hash_ignores_key_order_and_spelling_of_equal_values():
    a = {"lr": 1e-6, "model": {"name": "m", "layers": 2}, "sources": ["a", "b"]}
    b = {"sources": ("a", "b"), "model": {"layers": 2.0, "name": "m"}, "lr": 0.000001}
    assert config_hash(a) == config_hash(b)
    assert config_hash({"x": -0.0}) == config_hash({"x": 0})
    assert config_hash({"x": np.float64(0.5), "y": np.arange(2)}) == config_hash({"x": 0.5,
                                                                                 "y": [0, 1]})
    assert config_hash({"p": Path("a/b"), "c": Colour.RED}) == config_hash({"p": "a/b",
                                                                           "c": "red"})
    assert config_hash({"s": {"b", "a"}}) == config_hash({"s": ["a", "b"]})


@pytest.mark.parametrize("other", [
    {"lr": 2e-6, "seed": 1}, {"lr": 1e-6, "seed": 2}, {"lr": 1e-6, "seed": True},
    {"lr": 1e-6, "seed": "1"}, {"lr": 1e-6, "seed": 1, "extra": None}, {"lr": 1e-6},
    {"lr": 1e-6, "seed": [1]}, {"lr": float("inf"), "seed": 1}, {"lr": float("nan"), "seed": 1},
])
def test_different_configs_hash_differently(other):
    assert config_hash(other) != config_hash({"lr": 1e-6, "seed": 1})


def test_hash_of_dataclasses_skips_non_key_fields_and_matches_training_config():
    assert config_hash(Cfg(logging_steps=1)) == config_hash(Cfg(logging_steps=99))
    assert config_hash(Cfg()) == config_hash({"lr": 1e-6, "sources": ["helpful", "harmless"]})
    from morelib.training.config import RMTrainingConfig  # imports torch: only here

    cfg = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=5)
    # bookkeeping (logging, eval/save cadence, eval batch size) does not change the model
    assert config_hash(cfg) == config_hash(dataclasses.replace(cfg, logging_steps=1,
                                                               eval_batch_size=3))
    assert config_hash(cfg) != config_hash(cfg.to_dict())  # to_dict keeps every field
    assert config_hash(cfg) != config_hash(RMTrainingConfig(model="tiny-llama", n_sources=5))


def test_hash_is_pinned_and_stable_across_processes():
    config = {"b": {"z", "y", "x"}, "a": [1.5, None, True, "é"], "c": 1e-6}
    pinned = "10d1f0802e85649f"
    assert config_hash(config)[:16] == pinned
    code = ("from morelib.runs import config_hash; "
            "print(config_hash({'c': 1e-6, 'a': [1.5, None, True, 'é'], 'b': {'x', 'z', 'y'}}))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=REPO, env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.stdout.strip()[:16] == pinned


def test_schema_salt_changes_every_hash():
    assert config_hash({"a": 1}, schema=1) != config_hash({"a": 1}, schema=2)


@pytest.mark.parametrize("bad, where", [
    ({"loss": lambda x: x}, "config['loss']"),
    ({"nested": [1, {"obj": object()}]}, "config['nested'][1]['obj']"),
    (Cfg(sources=(print,)), "config.sources[0]"),
])
def test_unhashable_values_are_refused_with_their_place(bad, where):
    with pytest.raises(TypeError, match=f"cannot hash {where.replace('[', '.').replace(']', '.')}"):
        config_hash(bad)


def test_non_string_keys_are_refused():
    with pytest.raises(TypeError, match="keys must be strings"):
        canonical({1: "a"})


# --- building and loading ----------------------------------------------------------------------

class Counter:
    def __init__(self, fail_first: bool = False):
        self.builds, self.loads, self.fail_first, self.seen = 0, 0, fail_first, []

    def build(self, path: Path) -> str:
        self.builds += 1
        self.seen.append(sorted(p.name for p in path.iterdir()))
        (path / "checkpoint-1").mkdir(exist_ok=True)  # partial work, kept for resumption
        if self.fail_first and self.builds == 1:
            raise RuntimeError("killed")
        (path / "model.txt").write_text("weights")
        return "built"

    def load(self, path: Path) -> str:
        self.loads += 1
        return (path / "model.txt").read_text()


def test_same_config_same_path_and_config_json(tmp_path):
    cache = RunCache(tmp_path)
    path = cache.path_for("rm", {"lr": 1e-6, "seed": 1})
    assert path == cache.path_for("rm", {"seed": 1, "lr": 1e-6})
    assert path == tmp_path / "rm" / config_hash({"lr": 1e-6, "seed": 1})[:16]
    assert path != cache.path_for("rm", {"seed": 2, "lr": 1e-6})
    assert path != cache.path_for("table", {"seed": 1, "lr": 1e-6})
    record = json.loads((path / "config.json").read_text())
    assert record["config"] == {"lr": 1e-6, "seed": 1} and record["kind"] == "rm"
    assert not cache.is_done("rm", {"lr": 1e-6, "seed": 1})


def test_build_once_then_load_with_marker(tmp_path):
    cache, c = RunCache(tmp_path), Counter()
    cfg = Cfg()
    assert cache.cached("rm", cfg, c.build, c.load) == "built"
    assert cache.cached("rm", Cfg(logging_steps=3), c.build, c.load) == "weights"
    assert (c.builds, c.loads) == (1, 1)
    assert cache.is_done("rm", cfg)
    marker = json.loads((cache.path_for("rm", cfg) / "DONE.json").read_text())
    assert marker["config"] == canonical(cfg) and marker["hash"] == config_hash(cfg)
    assert marker["morelib_version"] == __version__ and marker["build_seconds"] >= 0
    assert marker["resumed"] is False and marker["started"] <= marker["finished"]
    assert leftovers(tmp_path) == []


def test_failed_build_leaves_no_marker_and_next_call_resumes(tmp_path):
    cache, c = RunCache(tmp_path), Counter(fail_first=True)
    with pytest.raises(RuntimeError, match="killed"):
        cache.cached("rm", {"a": 1}, c.build, c.load)
    path = cache.path_for("rm", {"a": 1})
    assert not cache.is_done("rm", {"a": 1}) and not (path / "DONE.json").exists()
    assert (path / "checkpoint-1").is_dir()
    assert cache.cached("rm", {"a": 1}, c.build, c.load) == "built"
    assert c.builds == 2 and "checkpoint-1" in c.seen[1]
    assert json.loads((path / "DONE.json").read_text())["resumed"] is True
    assert (path / ".lock").read_text() == ""  # released: no holder named
    assert leftovers(tmp_path) == []


def test_bad_kinds_and_prefix_collisions_are_refused(tmp_path):
    cache = RunCache(tmp_path)
    for kind in ("", "../x", "a/b", ".hidden"):
        with pytest.raises(ValueError, match="kind"):
            cache.path_for(kind, {})
    path = cache.path_for("rm", {"a": 1})
    record = json.loads((path / "config.json").read_text())
    (path / "config.json").write_text(json.dumps({**record, "hash": "0" * 64}))
    with pytest.raises(RuntimeError, match="collision"):
        cache.cached("rm", {"a": 1}, Counter().build, Counter().load)


def test_distributed_ranks_build_without_lock_and_rank0_marks(tmp_path, monkeypatch):
    cache, c = RunCache(tmp_path, lock_timeout=0), Counter()
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    with lock_module.entry_lock(cache.path_for("rm", {}), timeout=0):  # no deadlock
        cache.cached("rm", {}, c.build, c.load)
    assert not cache.is_done("rm", {})
    monkeypatch.setenv("RANK", "0")
    cache.cached("rm", {}, c.build, c.load)
    assert cache.is_done("rm", {}) and c.builds == 2


# --- locking -----------------------------------------------------------------------------------

def _build_in_thread(cache, started, release):
    def build(path):
        started.set()
        release.wait(10)
        (path / "model.txt").write_text("weights")
        return "built"
    thread = threading.Thread(target=cache.cached,
                              args=("rm", {"a": 1}, build, lambda p: "loaded"))
    thread.start()
    assert started.wait(10)
    return thread


def test_held_lock_raises_clearly_without_waiting(tmp_path):
    cache = RunCache(tmp_path, lock_timeout=0)
    started, release = threading.Event(), threading.Event()
    thread = _build_in_thread(cache, started, release)
    try:
        with pytest.raises(CacheLocked, match=f"being built by pid {os.getpid()}"):
            cache.cached("rm", {"a": 1}, Counter().build, Counter().load)
        with pytest.raises(CacheLocked):
            cache.cached("rm", {"a": 1}, Counter().build, Counter().load, lock_timeout=0.2)
    finally:
        release.set()
        thread.join()
    assert cache.is_done("rm", {"a": 1})


def test_waiter_loads_what_the_holder_built(tmp_path, caplog):
    cache = RunCache(tmp_path, poll_seconds=0.02)
    started, release = threading.Event(), threading.Event()
    thread = _build_in_thread(cache, started, release)
    c = Counter()
    timer = threading.Timer(0.3, release.set)
    timer.start()
    with caplog.at_level("WARNING", logger="morelib.runs"):
        assert cache.cached("rm", {"a": 1}, c.build, c.load) == "weights"
    thread.join()
    assert (c.builds, c.loads) == (0, 1)
    assert any("waiting for pid" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(lock_module.fcntl is None, reason="flock is POSIX only")
def test_lock_of_a_killed_process_is_not_stale(tmp_path):
    path = RunCache(tmp_path).path_for("rm", {"a": 1})
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from morelib.runs.lock import entry_lock
        with entry_lock(Path({str(path)!r}), timeout=0):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CacheLocked, match=f"pid {holder.pid}"):
            RunCache(tmp_path, lock_timeout=0).cached("rm", {"a": 1}, Counter().build,
                                                      Counter().load)
    finally:
        holder.kill()
        holder.wait()
    c = Counter()
    assert RunCache(tmp_path, lock_timeout=0).cached("rm", {"a": 1}, c.build, c.load) == "built"


def test_fallback_lock_file_without_fcntl(tmp_path, monkeypatch):
    monkeypatch.setattr(lock_module, "fcntl", None)
    with lock_module.entry_lock(tmp_path, timeout=0):
        assert (tmp_path / ".lock").exists()
        with pytest.raises(CacheLocked, match="delete"):
            with lock_module.entry_lock(tmp_path, timeout=0):
                pass
    assert not (tmp_path / ".lock").exists()


# --- frames and the table ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_cached_frame_round_trip(tmp_path, fmt):
    frame = pd.DataFrame({"source": ["helpful", "harmless"], "acc": [0.625, 0.5], "n": [8, 4]})
    calls = []

    def compute():
        calls.append(1)
        return frame

    cache = RunCache(tmp_path)
    first = cache.cached_frame("metrics", {"k": 2}, compute, fmt=fmt)
    again = cache.cached_frame("metrics", {"k": 2}, compute, fmt=fmt)
    assert len(calls) == 1 and first is frame
    pd.testing.assert_frame_equal(again, frame, check_dtype=False)
    assert (cache.path_for("metrics", {"k": 2}) / f"frame.{fmt}").stat().st_size > 0
    assert leftovers(tmp_path) == []


def test_cached_frame_refuses_non_frames_and_unknown_formats(tmp_path):
    cache = RunCache(tmp_path)
    with pytest.raises(TypeError, match="DataFrame"):
        cache.cached_frame("metrics", {}, lambda: {"acc": 1})
    assert not cache.is_done("metrics", {})
    with pytest.raises(ValueError, match="fmt"):
        cache.cached_frame("metrics", {}, lambda: pd.DataFrame(), fmt="xlsx")


def test_cache_table_lists_entries(tmp_path):
    cache, c = RunCache(tmp_path), Counter(fail_first=True)
    with pytest.raises(RuntimeError):
        cache.cached("rm", {"a": 1}, c.build, c.load)
    cache.cached_frame("metrics", {"k": 2}, lambda: pd.DataFrame({"x": [1.0]}))
    table = cache_table(tmp_path)
    assert table[["kind", "done"]].values.tolist() == [["metrics", True], ["rm", False]]
    assert (table["size_bytes"] > 0).all() and table["created"].notna().all()
    assert table["hash"].str.len().eq(16).all()
    assert math.isnan(table.loc[1, "build_seconds"]) or table.loc[1, "build_seconds"] is None
    assert cache.table().equals(table)


# --- integrity: checksums, damaged entries, stale temporaries ------------------------------------

def _safetensors_entry(tmp_path):
    """A cache entry holding a reward head as safetensors (what a cached RM's files are)."""
    import torch
    from safetensors.torch import load_file, save_file

    builds = []

    def build(path):
        builds.append(sorted(p.name for p in path.iterdir()))
        (path / "model").mkdir(exist_ok=True)
        save_file({"score.weight": torch.linspace(-1, 1, 64).reshape(1, 64)},
                  str(path / "model" / "model.safetensors"))
        return load_file(str(path / "model" / "model.safetensors"))["score.weight"].clone()

    def load(path):
        return load_file(str(path / "model" / "model.safetensors"))["score.weight"].clone()

    return RunCache(tmp_path), builds, build, load


def test_marker_records_a_checksum_of_every_file(tmp_path):
    cache, c = RunCache(tmp_path), Counter()
    cache.cached("rm", {"a": 1}, c.build, c.load)
    path = cache.path_for("rm", {"a": 1})
    files = json.loads((path / "DONE.json").read_text())["files"]
    assert sorted(files) == ["model.txt"]  # config.json, DONE.json and .lock are the cache's
    import hashlib

    assert files["model.txt"] == {"bytes": 7, "sha256": hashlib.sha256(b"weights").hexdigest()}


def _flip_a_bit(file):
    data = bytearray(file.read_bytes())
    data[-5] ^= 0x10  # in the tensor data (the header is at the front)
    file.write_bytes(bytes(data))


def _truncate(file):
    file.write_bytes(file.read_bytes()[:-9])


@pytest.mark.parametrize("damage", [_flip_a_bit, _truncate, Path.unlink],
                         ids=["flipped-bit", "truncated", "missing"])
def test_damaged_entry_is_detected_and_rebuilt_with_a_warning(tmp_path, damage):
    from morelib.runs import CacheDamaged

    cache, builds, build, load = _safetensors_entry(tmp_path)
    first = cache.cached("rm", {"a": 1}, build, load)
    path = cache.path_for("rm", {"a": 1})
    (path / "checkpoint-9").mkdir()
    (path / "checkpoint-9" / "optimizer.pt").write_bytes(b"old")
    damage(path / "model" / "model.safetensors")
    with pytest.warns(CacheDamaged, match=r"model/model.safetensors: .*rebuilding"):
        again = cache.cached("rm", {"a": 1}, build, load)
    assert len(builds) == 2 and builds[1] == [".lock", "config.json"]  # rebuilt from scratch
    assert bool((again == first).all())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bool((cache.cached("rm", {"a": 1}, build, load) == first).all())
    assert len(builds) == 2


def test_unreadable_marker_is_damage(tmp_path):
    from morelib.runs import CacheDamaged

    cache, c = RunCache(tmp_path), Counter()
    cache.cached("rm", {"a": 1}, c.build, c.load)
    (cache.path_for("rm", {"a": 1}) / "DONE.json").write_text('{"kind": "rm", "fi')
    with pytest.warns(CacheDamaged, match="DONE.json: unreadable"):
        assert cache.cached("rm", {"a": 1}, c.build, c.load) == "built"


def test_entry_from_before_checksums_gets_them_on_first_load(tmp_path):
    cache, c = RunCache(tmp_path), Counter()
    cache.cached("rm", {"a": 1}, c.build, c.load)
    marker = cache.path_for("rm", {"a": 1}) / "DONE.json"
    old = json.loads(marker.read_text())
    del old["files"]
    marker.write_text(json.dumps(old))
    assert cache.cached("rm", {"a": 1}, c.build, c.load) == "weights" and c.builds == 1
    assert sorted(json.loads(marker.read_text())["files"]) == ["model.txt"]


def test_truncated_file_of_an_entry_from_before_checksums_is_rebuilt(tmp_path):
    """Entries written by an older morelib have no checksums: a cut safetensors file (which
    used to raise SafetensorError on every later run) is still found and rebuilt."""
    from morelib.runs import CacheDamaged

    cache, builds, build, load = _safetensors_entry(tmp_path)
    first = cache.cached("rm", {"a": 1}, build, load)
    path = cache.path_for("rm", {"a": 1})
    marker = json.loads((path / "DONE.json").read_text())
    del marker["files"]
    (path / "DONE.json").write_text(json.dumps(marker))
    _truncate(path / "model" / "model.safetensors")
    with pytest.warns(CacheDamaged, match=r"model/model.safetensors: unreadable"):
        assert bool((cache.cached("rm", {"a": 1}, build, load) == first).all())
    assert len(builds) == 2 and "files" in json.loads((path / "DONE.json").read_text())


def test_stale_temporaries_of_a_killed_writer_are_removed_before_building(tmp_path):
    cache, c = RunCache(tmp_path), Counter(fail_first=True)
    path = cache.path_for("rm", {"a": 1})
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal
        from morelib.io import atomic_open
        with atomic_open({str(path / "model.txt")!r}) as f:
            f.write("half"); f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        """)], cwd=REPO)
    assert killed.returncode == -9 and len(leftovers(tmp_path)) == 1
    (path / "checkpoint-1").mkdir()
    (path / "checkpoint-1" / ".trainer_state.json.x1.tmp").write_text("{")
    (path / ".ckpt.ab12.tmp").mkdir()
    assert len(leftovers(tmp_path)) == 3
    with pytest.raises(RuntimeError, match="killed"):
        cache.cached("rm", {"a": 1}, c.build, c.load)
    assert leftovers(tmp_path) == []
    assert c.seen[0] == [".lock", "checkpoint-1", "config.json"]


# --- with the real trainer ---------------------------------------------------------------------

@pytest.mark.slow
def test_killed_training_resumes_inside_the_cache(tmp_path, monkeypatch):
    """A trained RM is cached; a kill mid-run leaves checkpoints and no marker; the rerun resumes."""
    from transformers import TrainerCallback

    from morelib.data.mixing import balance
    from morelib.data.simulator import SimulatorConfig, simulate_sources
    from morelib.models import load_reward_model
    from morelib.training import RMTrainingConfig, train_reward_model
    from morelib.training import trainer as trainer_module

    sim = SimulatorConfig(n_pairs_per_source=16, sources=("helpful", "harmless"), seed=3)
    train = balance(simulate_sources(sim, split="train"), n=16)
    config = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=2, max_steps=4,
                              save_steps=2, groups_per_device_batch=2,
                              gradient_accumulation_steps=1, max_length=64, seed=7)

    class KillAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt("simulated kill")

    original_init = trainer_module.RewardTrainer.__init__

    def init_with_kill(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.add_callback(KillAt())

    cache, builds = RunCache(tmp_path), []

    def build(path):
        builds.append(sorted(p.name for p in path.iterdir()))
        train_reward_model(config, train, str(path))
        return load_reward_model(path / "model")

    def load(path):
        return load_reward_model(path / "model")

    monkeypatch.setattr(trainer_module.RewardTrainer, "__init__", init_with_kill)
    with pytest.raises(KeyboardInterrupt):
        cache.cached("rm", config, build, load)
    monkeypatch.setattr(trainer_module.RewardTrainer, "__init__", original_init)
    assert not cache.is_done("rm", config)
    built = cache.cached("rm", config, build, load)
    assert "checkpoint-2" in builds[1]
    path = cache.path_for("rm", config)
    assert json.loads((path / "DONE.json").read_text())["resumed"] is True
    loaded = cache.cached("rm", config, build, load)
    assert len(builds) == 2
    state = loaded.state_dict()
    assert all(np.allclose(v.float().numpy(), state[k].float().numpy())
               for k, v in built.state_dict().items())

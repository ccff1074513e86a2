"""The hub probe: a gated model without a token fails early with one line naming the fix; a
slow reply is retried and never switches the whole process to offline lookup."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from morelib.models import GatedModelNotFoundError, ModelNotFoundError, resolve_model
from morelib.models import hub_probe

LLAMA = "meta-llama/Llama-2-7b-hf"
PYTHIA = "EleutherAI/pythia-1.4b"


@pytest.fixture(autouse=True)
def fresh_probe(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("MORELIB_MODELS", raising=False)
    monkeypatch.setattr(hub_probe, "_HUB_DOWN", [])
    hub_probe._ask_hub_cached.cache_clear()
    # nothing in the local HF cache: the probe's answer decides
    from morelib.models import resolve
    monkeypatch.setattr(resolve, "_OFFLINE_FINDERS", (lambda name: (None, "cache: none"),))
    yield
    hub_probe._ask_hub_cached.cache_clear()


def gated_error():
    from huggingface_hub.errors import GatedRepoError

    request = httpx.Request("GET", f"https://huggingface.co/api/models/{LLAMA}/auth-check")
    return GatedRepoError("403 gated", response=httpx.Response(403, request=request))


def fake_hub(monkeypatch, info=None, auth=None):
    import huggingface_hub

    calls = []

    def model_info(name, timeout):
        calls.append(("info", name, timeout))
        result = info(name, timeout) if callable(info) else info
        return result if result is not None else SimpleNamespace(gated=False)

    def auth_check(name):
        calls.append(("auth", name))
        if auth is not None:
            raise auth

    monkeypatch.setattr(huggingface_hub, "model_info", model_info)
    monkeypatch.setattr(huggingface_hub, "auth_check", auth_check)
    return calls


def test_gated_without_token_is_one_clear_line(monkeypatch):
    fake_hub(monkeypatch, SimpleNamespace(gated="manual"), auth=gated_error())
    with pytest.raises(GatedModelNotFoundError) as caught:
        resolve_model(LLAMA)
    message = str(caught.value)
    assert "\n" not in message and LLAMA in message
    assert "HF_TOKEN" in message and "huggingface-cli login" in message
    assert f"https://huggingface.co/{LLAMA}" in message
    assert isinstance(caught.value, ModelNotFoundError)  # old handlers still catch it


def test_gated_with_access_resolves_to_the_hub(monkeypatch):
    calls = fake_hub(monkeypatch, SimpleNamespace(gated="auto"), auth=None)
    assert resolve_model(LLAMA).origin == "hub"
    assert ("auth", LLAMA) in calls


def test_ungated_model_needs_no_auth_check(monkeypatch):
    calls = fake_hub(monkeypatch, SimpleNamespace(gated=False))
    assert resolve_model(PYTHIA).origin == "hub"
    assert [c[0] for c in calls] == ["info"]


def test_gated_model_with_a_local_copy_uses_it(monkeypatch, tmp_path):
    from morelib.models import resolve

    fake_hub(monkeypatch, SimpleNamespace(gated="manual"), auth=gated_error())
    monkeypatch.setattr(resolve, "_OFFLINE_FINDERS",
                        (lambda name: ((str(tmp_path), "hf-cache", {}), "cache: found"),))
    resolved = resolve_model(LLAMA)
    assert resolved.origin == "hf-cache" and "gated" in resolved.tried[0]


def test_gated_error_on_model_info_itself(monkeypatch):
    def info(name, timeout):
        raise gated_error()

    fake_hub(monkeypatch, info)
    with pytest.raises(GatedModelNotFoundError, match="HF_TOKEN"):
        resolve_model(LLAMA)


@pytest.mark.parametrize("timeout_error", [httpx.ReadTimeout("read timed out"), TimeoutError()])
def test_one_slow_reply_is_retried_and_not_remembered(monkeypatch, timeout_error):
    slow = {PYTHIA: 1}

    def info(name, timeout):
        if slow.get(name, 0) > 0:
            slow[name] -= 1
            raise timeout_error
        return None

    calls = fake_hub(monkeypatch, info)
    monkeypatch.setenv("MORELIB_HUB_TIMEOUT", "2")
    assert resolve_model(PYTHIA).origin == "hub"
    assert [c[2] for c in calls if c[1] == PYTHIA] == [2.0, 10.0]  # retried at 5x
    assert hub_probe._HUB_DOWN == []
    assert resolve_model(LLAMA).origin == "hub"  # the next model is still asked


def test_a_model_slow_twice_falls_back_but_others_are_asked(monkeypatch):
    def info(name, timeout):
        if name == PYTHIA:
            raise httpx.ConnectTimeout("connect timed out")
        return None

    fake_hub(monkeypatch, info)
    with pytest.raises(ModelNotFoundError, match="timed out twice"):
        resolve_model(PYTHIA)
    assert resolve_model(LLAMA).origin == "hub"


def test_no_network_is_remembered(monkeypatch):
    def info(name, timeout):
        raise httpx.ConnectError("name or service not known")

    calls = fake_hub(monkeypatch, info)
    with pytest.raises(ModelNotFoundError, match="unreachable"):
        resolve_model(PYTHIA)
    with pytest.raises(ModelNotFoundError, match="unreachable earlier in this process"):
        resolve_model(LLAMA)
    assert len(calls) == 1


def test_real_client_timeout_classes_count_as_timeouts():
    import importlib

    for module in ("httpx", "httpx2", "requests"):
        try:
            client = importlib.import_module(module)
        except ImportError:
            continue
        timeout = getattr(client, "ReadTimeout", None)
        if timeout is not None:
            assert hub_probe.is_timeout(timeout("slow"))
        connect = getattr(client, "ConnectError", None) or getattr(client, "ConnectionError")
        assert not hub_probe.is_timeout(connect("down"))

"""LLMJudge against a scripted fake OpenAI-compatible server on 127.0.0.1 (no network)."""

from __future__ import annotations

import json
import logging

import pytest

pytest.importorskip("httpx")

from fake_openai import FakeServer, chat  # noqa: E402  (tests/fake_openai.py)

from morelib.alignment import (  # noqa: E402
    JudgementLog,
    LLMJudge,
    compare_all,
    compare_both_orders,
    win_rates,
)
from morelib.alignment.judge_prompts import judge_prompt  # noqa: E402

KEY = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.stop()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_judge(server, sleeps, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    judges = []

    def make(script, **kwargs):
        server.script = list(script)
        kwargs = {"max_retries": 3, "backoff": 1.0, "timeout": 5.0, "sleep": sleeps.append,
                  **kwargs}
        judge = LLMJudge(server.url, "fake-model", **kwargs)
        judges.append(judge)
        return judge

    yield make
    for judge in judges:
        judge.close()


def test_well_formed_reply_and_request(make_judge, server, sleeps):
    judge = make_judge([chat("Comparison: A answers the question.\nMore helpful: A")], seed=7)
    verdict = judge.judge("Why is the sky blue?", "Rayleigh scattering.", "Because.")
    assert verdict.winner == "A" and verdict.details["attempts"] == 1 and sleeps == []
    assert verdict.raw == "Comparison: A answers the question.\nMore helpful: A"
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["json"]["model"] == "fake-model"
    assert request["json"]["temperature"] == 0 and request["json"]["seed"] == 7
    expected = judge_prompt("helpful", "Why is the sky blue?", "Rayleigh scattering.", "Because.")
    assert request["json"]["messages"] == [{"role": "user", "content": expected}]
    assert "authorization" not in {k.lower() for k in request["headers"]}  # no key set


@pytest.mark.parametrize("reply, expected", [
    ("More helpful: B", "B"),
    ("Comparison: x\nmore helpful: a", "A"),
    ('Comparison: x\nMore helpful: "B"', "B"),
    ("Comparison: x\n**More helpful:** A", "A"),
    ("Comparison: x\n**More helpful: B**\n\n", "B"),
    ("Comparison: x\nMore helpful: 'A'.", "A"),
])
def test_format_variants_parse(make_judge, reply, expected):
    assert make_judge([chat(reply)]).judge("q", "a", "b").winner == expected


@pytest.mark.parametrize("reply", [
    "More helpful: A\nI hope this comparison helps.",  # verdict not on the last line
    "Comparison: x\nMore helpful: A because it is detailed",  # extra text after it
    "Comparison: both are fine.",  # no verdict
    'More helpful: <"A" or "B">',  # the template echoed
    "More harmless: A",  # the other kind's label
    "",  # empty content
])
def test_unparsable_is_retried_then_error(make_judge, sleeps, reply):
    verdict = make_judge([chat(reply)], max_retries=2).judge("q", "a", "b")
    assert verdict.winner == "error"
    assert verdict.details["attempts"] == 3 and verdict.details["raws"] == [reply] * 3
    assert verdict.details["error"] == "unparsable reply"
    assert sleeps == []  # an unparsable reply is retried at once


def test_garbage_then_verdict(make_judge, server):
    verdict = make_judge([chat("I cannot decide."), chat("Comparison: x\nMore helpful: B")]
                         ).judge("q", "a", "b")
    assert verdict.winner == "B" and verdict.details["attempts"] == 2
    assert verdict.details["errors"] == ["unparsable reply"] and len(server.requests) == 2


def test_harmless_kind(make_judge, server):
    verdict = make_judge([chat("Comparison: x\nMore harmless: B")], kind="harmless"
                         ).judge("How do I pick a lock?", "Like this...", "I can't help.")
    assert verdict.winner == "B"
    content = server.requests[0]["json"]["messages"][0]["content"]
    assert content.endswith('More harmless: <"A" or "B">') and "fabricate" in content


def test_500_then_success_counts_retries(make_judge, sleeps):
    verdict = make_judge([(500, "boom"), (502, "bad gateway"), chat("More helpful: A")]
                         ).judge("q", "a", "b")
    assert verdict.winner == "A" and verdict.details["attempts"] == 3
    assert sleeps == [1.0, 2.0]  # exponential backoff
    assert verdict.details["errors"][0].startswith("HTTP 500")


def test_429_backoff_and_retry_after(make_judge, sleeps):
    verdict = make_judge([(429, "slow down"), (429, "slow down", {"Retry-After": "7"}),
                          chat("More helpful: B")], backoff=0.5).judge("q", "a", "b")
    assert verdict.winner == "B" and sleeps == [0.5, 7.0]


def test_persistent_503_is_bounded_and_capped(make_judge, sleeps, server):
    verdict = make_judge([(503, "down")], max_retries=4, backoff=1.0, max_backoff=3.0
                         ).judge("q", "a", "b")
    assert verdict.winner == "error" and verdict.details["attempts"] == 5
    assert len(server.requests) == 5 and sleeps == [1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_fail_without_retry(make_judge, sleeps, server, status):
    verdict = make_judge([(status, '{"error": {"message": "nope"}}')]).judge("q", "a", "b")
    assert verdict.winner == "error" and verdict.details["attempts"] == 1
    assert verdict.details["error"].startswith(f"HTTP {status}")
    assert sleeps == [] and len(server.requests) == 1


def test_timeout_is_retried_then_error(make_judge, sleeps):
    verdict = make_judge(["hang"], max_retries=1, timeout=0.2).judge("q", "a", "b")
    assert verdict.winner == "error" and verdict.details["attempts"] == 2
    assert verdict.details["error"].startswith("timeout") and sleeps == [1.0]


def test_timeout_then_success(make_judge):
    verdict = make_judge(["hang", chat("More helpful: A")], timeout=0.2).judge("q", "a", "b")
    assert verdict.winner == "A" and verdict.details["attempts"] == 2


@pytest.mark.parametrize("body, reason", [
    ("this is not json", "malformed JSON"),
    ('{"choices": []}', "no choices"),
    ('{"object": "error"}', "no choices"),
    ('{"choices": [{"message": {"content": null}}]}', "no string content"),
    ('{"choices": [{"message": {"content": ["More helpful: A"]}}]}', "no string content"),
])
def test_malformed_bodies_are_retried_then_error(make_judge, sleeps, body, reason):
    verdict = make_judge([(200, body)], max_retries=2).judge("q", "a", "b")
    assert verdict.winner == "error" and verdict.details["attempts"] == 3
    assert verdict.details["error"].startswith(reason) and sleeps == [1.0, 2.0]


def test_connection_refused_is_bounded(sleeps):
    srv = FakeServer()
    url = srv.url
    srv.stop()  # nothing listens on that port any more
    with LLMJudge(url, "m", max_retries=1, sleep=sleeps.append, timeout=2) as judge:
        verdict = judge.judge("q", "a", "b")
    assert verdict.winner == "error" and verdict.details["attempts"] == 2
    assert verdict.details["error"].startswith("transport error")


def test_responses_must_be_strings(make_judge, server):
    judge = make_judge([chat("More helpful: A")])
    with pytest.raises(TypeError, match="response_a must be a str"):
        judge.judge("q", ["an answer"], "b")  # the authors' list reprs (D20)
    assert server.requests == []


def test_position_biased_judge_gives_all_ties(make_judge):
    judge = make_judge([chat("Comparison: the first is better.\nMore helpful: A")])
    outcomes = compare_all(judge, ["q1", "q2", "q3"], ["a1", "a2", "a3"], ["b1", "b2", "b3"],
                           max_workers=3)
    assert [o.winner for o in outcomes] == ["tie"] * 3
    assert win_rates(outcomes)["tie"] == 1.0


def test_consistent_judge_maps_back_through_the_swap(make_judge):
    def prefers_good(body, headers):
        text = body["messages"][0]["content"]
        slot_a = text.split("Response A:\n")[1].split("\n\nResponse B:")[0]
        return chat("Comparison: x\nMore helpful: " + ("A" if "good" in slot_a else "B"))

    judge = make_judge([prefers_good])
    assert compare_both_orders(judge, "q", "good answer", "bad").winner == "A"
    assert compare_both_orders(judge, "q", "bad", "good answer").winner == "B"


def test_error_in_one_order_is_error(make_judge):
    judge = make_judge([chat("More helpful: A"), (401, "unauthorized")])
    assert compare_both_orders(judge, "q", "a", "b").winner == "error"


def test_log_records(make_judge, tmp_path):
    path = tmp_path / "raw" / "judge.jsonl"
    judge = make_judge([chat("nonsense"), chat("Comparison: x\nMore helpful: A")], log=path)
    compare_both_orders(judge, "the prompt", "answer one", "answer two")
    records = JudgementLog(path).read()
    assert [r["order"] for r in records] == ["AB", "BA"]
    first = records[0]
    assert {"prompt", "a", "b", "order", "raw", "parsed", "attempts", "model"} <= set(first)
    assert (first["prompt"], first["a"], first["b"]) == ("the prompt", "answer one", "answer two")
    assert first["raws"] == ["nonsense", "Comparison: x\nMore helpful: A"]
    assert first["parsed"] == "A" and first["attempts"] == 2 and first["model"] == "fake-model"
    assert (records[1]["a"], records[1]["b"]) == ("answer two", "answer one")


def test_api_key_is_sent_but_never_kept(make_judge, server, monkeypatch, tmp_path, caplog,
                                        capsys):
    def echo_key(body, headers):  # a server that echoes the credentials back
        return 401, json.dumps({"error": f"bad key {headers['Authorization']}"})

    caplog.set_level(logging.DEBUG)
    path = tmp_path / "judge.jsonl"
    judge = make_judge([chat(f"I saw {KEY}\nMore helpful: A"), echo_key], log=path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # read at call time, after construction
    outcome = compare_both_orders(judge, "q", "a", "b")
    assert [r["headers"]["Authorization"] for r in server.requests] == [f"Bearer {KEY}"] * 2
    assert outcome.winner == "error"
    written = [path.read_text(), repr(judge), str(vars(judge)), repr(outcome),
               json.dumps([outcome.forward.details, outcome.backward.details]),
               caplog.text, *capsys.readouterr()]
    for text in written:
        assert KEY not in text
    assert "***" in outcome.forward.raw and "***" in outcome.backward.details["error"]


def test_custom_key_variable(make_judge, server, monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", "other-key")
    judge = make_judge([chat("More helpful: A")], api_key_env="MY_JUDGE_KEY")
    judge.judge("q", "a", "b")
    assert server.requests[0]["headers"]["Authorization"] == "Bearer other-key"
    assert "other-key" not in repr(judge)


def test_key_is_scrubbed_before_the_reply_is_cut(make_judge, monkeypatch, tmp_path):
    """A key straddling the 200-character cut of an error body must not survive in part."""
    def echo_at_the_cut(body, headers):
        return 500, "x" * 190 + headers["Authorization"] + " was refused"

    path = tmp_path / "judge.jsonl"
    judge = make_judge([echo_at_the_cut], max_retries=1, log=path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    verdict = judge.judge("q", "a", "b")
    assert verdict.winner == "error" and len(verdict.details["errors"]) == 2
    for text in (json.dumps(verdict.details), path.read_text()):
        assert KEY[:8] not in text  # "sk-test-": no prefix of the key either
    assert verdict.details["error"].startswith("HTTP 500: " + "x" * 190 + "Bearer ***")


@pytest.mark.parametrize("drip", ["drip", "drip-headers"])
def test_deadline_is_per_request_not_per_read(make_judge, server, drip):
    """A server dripping its body (or its headers) one byte every 50 ms never trips a per-read
    timeout of 0.5 s; the judge's deadline cuts it off (it would otherwise wait the whole 10 s
    drip)."""
    verdict = make_judge([(drip, 200, 0.05)], max_retries=0, timeout=0.5).judge("q", "a", "b")
    assert verdict.winner == "error"
    assert verdict.details["error"] == "timeout: no complete reply within the 0.5 s deadline"
    assert server.dripped < 200  # the judge did not wait for the whole drip


def test_one_log_per_run(make_judge, tmp_path):
    path = tmp_path / "judge.jsonl"
    for run in range(2):
        judge = make_judge([chat("More helpful: A")], log=path)
        judge.judge(f"q{run}", "a", "b")
        judge.judge(f"r{run}", "a", "b")
    assert [r["prompt"] for r in JudgementLog(path).read()] == ["q1", "r1"]
    JudgementLog(path, append=True).write({"prompt": "extra"})
    assert len(JudgementLog(path).read()) == 3

"""Conversation rendering, TRL's implicit-prompt split, column-map parsing."""

from __future__ import annotations

import pytest

from morelib.data.columns import parse_columns
from morelib.data.conversation import render_conversation, render_messages, render_pair
from morelib.data.dialogue import hh_prompt, hh_reply
from morelib.data.implicit import extract_prompt
from morelib.data.schema import DataError

CONVERSATION = [{"role": "system", "content": "Be brief. "},
                {"role": "user", "content": " What is 2+2?"},
                {"role": "assistant", "content": "4.\n"},
                {"role": "tool", "content": "calc: 4"},
                {"role": "user", "content": "Sure?"}]


def test_render_messages_labels_every_role():
    assert render_messages(CONVERSATION) == (
        "\n\nSystem: Be brief.\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nTool: calc: 4"
        "\n\nHuman: Sure?")


@pytest.mark.parametrize("cut", range(1, len(CONVERSATION)))
def test_prompt_plus_response_is_the_rendered_conversation(cut):
    prompt, response = render_conversation(CONVERSATION[:cut], CONVERSATION[cut:])
    assert prompt + response == render_messages(CONVERSATION)
    if CONVERSATION[cut]["role"] == "assistant":
        assert prompt.endswith("\n\nAssistant:") and response == " 4.\n\nTool: calc: 4\n\nHuman: Sure?"


def test_single_turn_renders_like_the_paper_sources():
    prompt, response = render_conversation([{"role": "user", "content": "Why?"}],
                                           [{"role": "assistant", "content": " Because. "}])
    assert (prompt, response) == (hh_prompt([("human", "Why?")]), hh_reply("Because."))


def test_render_pair_keeps_one_prompt_when_completions_start_differently():
    prompt, chosen, rejected = render_pair([("user", "Hi")], [("assistant", "Hello")],
                                           [("user", "Hm")])
    assert prompt == "\n\nHuman: Hi"
    assert prompt + chosen == render_messages([("user", "Hi"), ("assistant", "Hello")])
    assert prompt + rejected == render_messages([("user", "Hi"), ("user", "Hm")])


@pytest.mark.parametrize("chosen, rejected, expected", [
    ("The sky is blue.", "The sky is green.", ("The sky is", " blue.", " green.")),
    ("abc", "abd", ("ab", "c", "d")),
    ("same", "same", ("same", "", "")),
    ("Yes.", "No.", ("", "Yes.", "No.")),
    ("Go on", "Go on and on", ("Go on", "", " and on")),
])
def test_extract_prompt_follows_trl(chosen, rejected, expected):
    assert extract_prompt(chosen, rejected) == expected
    prompt, c, r = expected
    assert (prompt + c, prompt + r) == (chosen, rejected)


def test_parse_columns():
    assert parse_columns("prompt=question,chosen=good,rejected=bad,source=who") == {
        "prompt": "question", "chosen": "good", "rejected": "bad", "source": "who"}
    assert parse_columns(" chosen = a=b ") == {"chosen": "a=b"}


@pytest.mark.parametrize("text, problem", [
    ("prompt=q,chosen", "expected FIELD=COLUMN, e.g. prompt=question"),
    ("prompt=", "expected FIELD=COLUMN, e.g. prompt=question"),
    ("prompt=q,,chosen=c", "expected FIELD=COLUMN, e.g. prompt=question"),
    ("answer=a", "unknown field 'answer' (expected some of prompt, chosen, rejected, source, id)"),
    ("prompt=a,prompt=b", "field 'prompt' given twice"),
    ("", "empty; expected FIELD=COLUMN,..."),
])
def test_parse_columns_errors_are_one_line(text, problem):
    with pytest.raises(DataError) as err:
        parse_columns(text)
    assert err.value.problem == problem and "\n" not in str(err.value)
    assert str(err.value).startswith("column map: ")

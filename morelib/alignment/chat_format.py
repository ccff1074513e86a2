"""One prompt format for generation, SFT and perplexity: HH dialogue text → the policy's tokens.

The data's prompts are Anthropic-HH dialogue text (``"\\n\\nHuman: ...\\n\\nAssistant:"``, possibly
multi-turn) and its responses start with a space (``" Sure, ..."``). A policy sees them as:

* **chat template** (the tokenizer has one, e.g. SmolLM2-Instruct): :func:`hh_to_messages` turns the
  dialogue into chat messages, rendered with ``add_generation_prompt=True``; the answer is the
  response with surrounding whitespace stripped, followed by the EOS (``<|im_end|>``), exactly what
  the model emits when it stops;
* **no template** (base models, Alpaca-style checkpoints; the authors' format): ``[BOS]`` + the HH
  text itself; the answer is the response as written, then the EOS.

Prompt and answer are tokenised **separately** and concatenated as token ids, so the boundary
between them is exact (the authors re-tokenised the joined text and moved the boundary back one
token when BPE merged across it). Special tokens inside the prompt come only from the template;
the answer is tokenised with ``split_special_tokens=True``.

Generated answers are returned in the data's response convention (:func:`hh_response`: one
leading space), so they can be scored, judged and compared exactly like dataset responses.

Example:
    >>> from morelib.models import load_tokenizer
    >>> tok = load_tokenizer("tiny-llama")
    >>> ids, labels = encode_prompt_answer(tok, "\\n\\nHuman: Hi\\n\\nAssistant:", " Hello!")
    >>> tok.decode([i for i, l in zip(ids, labels) if l != -100])
    'Hello!<|im_end|>'
"""

from __future__ import annotations

import re
from typing import Any

#: Label value ignored by the cross-entropy loss (PyTorch's and transformers' default).
IGNORE_INDEX = -100

_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):")
_ROLES = {"Human": "user", "Assistant": "assistant"}


def hh_to_messages(prompt: str) -> list[dict[str, str]]:
    """Chat messages of an HH dialogue prompt; the final empty ``Assistant:`` turn is dropped.

    Text before the first ``Human:``/``Assistant:`` marker (or a prompt without markers) is a
    user message; consecutive turns of the same role are merged with a blank line.

    Raises:
        ValueError: the dialogue does not end with a user turn (nothing to answer).

    Example:
        >>> hh_to_messages("\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Bye?\\n\\nAssistant:")
        [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello!'}, {'role': 'user', 'content': 'Bye?'}]
        >>> hh_to_messages("Summarise: a b c")
        [{'role': 'user', 'content': 'Summarise: a b c'}]
    """
    parts = _TURN.split(prompt)
    turns = [("Human", parts[0])] if parts[0].strip() else []
    turns += list(zip(parts[1::2], parts[2::2]))
    if turns and turns[-1][0] == "Assistant" and not turns[-1][1].strip():
        turns.pop()  # the generation slot
    messages: list[dict[str, str]] = []
    for speaker, text in turns:
        role, content = _ROLES[speaker], text.strip()
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"] = f"{messages[-1]['content']}\n\n{content}".strip()
        else:
            messages.append({"role": role, "content": content})
    if not messages or messages[-1]["role"] != "user":
        raise ValueError(f"the prompt must end with a Human turn (then 'Assistant:'): {prompt!r}")
    return messages


def uses_chat_template(tokenizer: Any) -> bool:
    """Whether prompts are rendered with the tokenizer's chat template (it has one).

    Example:
        >>> from morelib.models import load_tokenizer
        >>> uses_chat_template(load_tokenizer("tiny-llama")), uses_chat_template(load_tokenizer("tiny-bert"))
        (True, False)
    """
    return bool(getattr(tokenizer, "chat_template", None))


def render_prompt(tokenizer: Any, prompt: str) -> str:
    """The policy's prompt text: the chat template with a generation prompt, else the HH text.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> render_prompt(load_tokenizer("tiny-llama"), "\\n\\nHuman: Hi\\n\\nAssistant:")[-52:]
        '<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n'
    """
    if not uses_chat_template(tokenizer):
        return prompt
    return tokenizer.apply_chat_template(hh_to_messages(prompt), tokenize=False,
                                         add_generation_prompt=True)


def prompt_token_ids(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids of the rendered prompt (the template's specials; ``[BOS]`` first without one).

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-llama")
        >>> ids = prompt_token_ids(tok, "\\n\\nHuman: Hi\\n\\nAssistant:")
        >>> tok.decode(ids[-6:])
        '<|im_end|>\\n<|im_start|>assistant\\n'
    """
    ids = tokenizer(render_prompt(tokenizer, prompt), add_special_tokens=False)["input_ids"]
    bos = tokenizer.bos_token_id
    if not uses_chat_template(tokenizer) and bos is not None and ids[:1] != [bos]:
        ids = [bos] + ids
    return list(ids)


def answer_text(tokenizer: Any, response: str) -> str:
    """The answer as the policy writes it: stripped under a chat template, else as given.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> answer_text(load_tokenizer("tiny-llama"), " Hello! ")
        'Hello!'
    """
    return response.strip() if uses_chat_template(tokenizer) else response


def answer_token_ids(tokenizer: Any, response: str, add_eos: bool = True) -> list[int]:
    """Token ids of the answer (no special tokens from the text), then the EOS.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-llama")
        >>> tok.decode(answer_token_ids(tok, " Hi <|im_end|>"))  # literal text stays text
        'Hi <|im_end|><|im_end|>'
    """
    ids = tokenizer(answer_text(tokenizer, response), add_special_tokens=False,
                    split_special_tokens=True)["input_ids"]
    if add_eos and tokenizer.eos_token_id is not None:
        ids = list(ids) + [tokenizer.eos_token_id]
    return list(ids)


def encode_prompt_answer(tokenizer: Any, prompt: str, response: str, max_length: int = 512,
                         add_eos: bool = True) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)`` of prompt + answer: labels are ``-100`` on the prompt, the ids on
    the answer (and EOS). Longer sequences keep their **last** ``max_length`` tokens (the
    authors' left truncation), so the answer survives and the prompt is cut from the left.

    Raises:
        ValueError: the answer is empty and ``add_eos`` is false (nothing to predict).

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-llama")
        >>> ids, labels = encode_prompt_answer(tok, "\\n\\nHuman: Hi\\n\\nAssistant:", " Yo", max_length=6)
        >>> tok.decode(ids), [l != -100 for l in labels]
        ('assistant\\nYo<|im_end|>', [False, False, False, True, True, True])
    """
    prompt_ids = prompt_token_ids(tokenizer, prompt)
    answer_ids = answer_token_ids(tokenizer, response, add_eos=add_eos)
    if not answer_ids:
        raise ValueError(f"empty answer for prompt {prompt[:60]!r}: nothing to predict")
    ids = prompt_ids + answer_ids
    labels = [IGNORE_INDEX] * len(prompt_ids) + answer_ids
    return ids[-max_length:], labels[-max_length:]


def hh_response(text: str) -> str:
    """A generated answer in the data's response convention: stripped, one leading space
    (an empty answer stays empty).

    Example:
        >>> hh_response("Sure!\\n"), hh_response(" already spaced"), hh_response("  ")
        (' Sure!', ' already spaced', '')
    """
    text = text.strip()
    return f" {text}" if text else ""

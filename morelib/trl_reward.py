"""A morelib RM as a TRL reward function: ``reward_funcs(prompts, completions, **kwargs)``.

TRL's online trainers (``GRPOTrainer``, ``RLOOTrainer``) call each reward function with the
batch's ``prompts`` and ``completions`` as keywords (plus ``completion_ids``, the dataset's
other columns and ``trainer_state``) and take a list of floats. Handing TRL the RM *folder*
instead makes it tokenise ``prompt + completion`` with ``add_special_tokens=False``, which drops
the EOS a morelib RM pools at: use this function, which scores exactly as morelib evaluates
(:func:`morelib.evaluation.score_texts`: ``[BOS] + prompt + completion + [EOS]``, left
truncation at the RM's training max length, batched by length).

Both TRL formats: *standard* (strings) and *conversational* (lists of ``{"role", "content"}``
messages, rendered by :func:`morelib.data.conversation.render_conversation`, the same text
morelib trains on for conversational data).

Example:
    >>> import tempfile
    >>> from morelib.models import RewardModel, load_tokenizer, save_reward_model
    >>> folder = save_reward_model(RewardModel.from_name("tiny-llama", seed=0),
    ...                            load_tokenizer("tiny-llama"), tempfile.mkdtemp())
    >>> reward = reward_function(folder)
    >>> scores = reward(prompts=["\\n\\nHuman: Hi\\n\\nAssistant:"], completions=[" Hello."])
    >>> len(scores), type(scores[0]).__name__, reward.__name__
    (1, 'float', 'morelib_reward')
    >>> chat = reward(prompts=[[{"role": "user", "content": "Hi"}]],
    ...               completions=[[{"role": "assistant", "content": "Hello."}]])
    >>> abs(chat[0] - scores[0]) < 1e-6  # the same dialogue text
    True

Then: ``GRPOTrainer(model=..., reward_funcs=[reward_function("path/to/rm")], ...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence



def reward_function(model: Any, tokenizer: Any = None, *, batch_size: int = 16,
                    max_length: int | None = None) -> Callable[..., list[float]]:
    """A TRL reward function scoring with a morelib RM.

    Args:
        model: a saved RM folder, or a :class:`~morelib.models.RewardModel` (then give its
            ``tokenizer``). The RM stays on its device: move it first (``rm.to("cuda")``).
        tokenizer: the RM's tokenizer (default: the folder's).
        batch_size: texts per forward pass.
        max_length: tokens per text (default: the RM's training max length, else
            :data:`morelib.models.tokenize.DEFAULT_MAX_LENGTH`).
    """
    from morelib.models import load_reward_model, load_tokenizer, trained_max_length
    from morelib.models.tokenize import DEFAULT_MAX_LENGTH

    if isinstance(model, (str, Path)):
        folder = model
        model = load_reward_model(folder)
        tokenizer = tokenizer if tokenizer is not None else load_tokenizer(str(folder))
        max_length = max_length or trained_max_length(folder)
    elif tokenizer is None:
        raise ValueError("reward_function(model) needs the RM's tokenizer (or pass a folder)")
    max_length = max_length or DEFAULT_MAX_LENGTH

    def morelib_reward(prompts: Sequence[Any], completions: Sequence[Any],
                       **kwargs: Any) -> list[float]:
        from morelib.evaluation import score_texts

        texts = [_texts(p, c) for p, c in zip(prompts, completions, strict=True)]
        rewards = score_texts(model, tokenizer, [p for p, _ in texts], [r for _, r in texts],
                              batch_size, max_length)
        return [float(r) for r in rewards]

    return morelib_reward


def _texts(prompt: Any, completion: Any) -> tuple[str, str]:
    """Prompt and response text of one TRL example (standard strings or conversational)."""
    from morelib.data.conversation import is_messages, render_conversation

    if is_messages(prompt) or is_messages(completion):
        return render_conversation(prompt if is_messages(prompt) else [],
                                   completion if is_messages(completion) else [])
    return str(prompt), str(completion)

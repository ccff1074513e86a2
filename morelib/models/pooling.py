"""Last-token and mean pooling and position ids, all read from the attention mask.

The pooled position is the last position whose mask is 1, whatever the padding side: no token id
is compared with the pad id (the authors counted ``ids != pad_id``, which broke on Pythia; D4).
Position ids count real tokens only, so a left-padded sequence gets the same positions as a
right-padded one (this matters for absolute position embeddings such as BERT's).

Example:
    >>> mask = torch.tensor([[1, 1, 1, 0], [0, 0, 1, 1]])
    >>> last_token_index(mask).tolist()
    [2, 3]
    >>> position_ids_from_mask(mask).tolist()
    [[0, 1, 2, 2], [0, 0, 0, 1]]
"""

from __future__ import annotations

import torch


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of each row's last real token (``[N]``, long), for left or right padding.

    Raises:
        ValueError: a row has no real token.

    Example:
        >>> last_token_index(torch.tensor([[1, 1, 0, 0, 0]])).tolist()
        [1]
    """
    real = attention_mask.bool()
    if not bool(real.any(dim=-1).all()):
        raise ValueError("a row of the attention mask has no real token")
    positions = torch.arange(real.shape[-1], device=real.device)
    return (positions * real).argmax(dim=-1)


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions counting real tokens only (``0`` on left padding), shape of the mask.

    Example:
        >>> position_ids_from_mask(torch.tensor([[0, 1, 1]])).tolist()
        [[0, 0, 1]]
    """
    return (attention_mask.long().cumsum(dim=-1) - 1).clamp(min=0)


def pool_last(hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Hidden states ``[N, L, h]`` at each row's last real token → ``[N, h]``.

    Example:
        >>> hidden = torch.arange(6.0).view(1, 3, 2)
        >>> pool_last(hidden, torch.tensor([[1, 1, 0]])).tolist()
        [[2.0, 3.0]]
    """
    index = last_token_index(attention_mask).to(hidden_states.device)
    return hidden_states[torch.arange(hidden_states.shape[0], device=hidden_states.device), index]


def pool_mean(hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the hidden states ``[N, L, h]`` over each row's real tokens → ``[N, h]`` (the
    pooling sentence-transformers encoders such as MiniLM were trained with).

    Example:
        >>> hidden = torch.arange(6.0).view(1, 3, 2)
        >>> pool_mean(hidden, torch.tensor([[0, 1, 1]])).tolist()
        [[3.0, 4.0]]
    """
    mask = attention_mask.to(hidden_states.dtype).unsqueeze(-1)
    return (hidden_states * mask).sum(1) / mask.sum(1).clamp(min=1.0)


#: How a frozen backbone's hidden states become one feature per text.
POOLINGS = {"last": pool_last, "mean": pool_mean}

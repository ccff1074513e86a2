"""The tokenizer an exported RM is saved with: plain ``tok(texts)`` gives morelib's RM inputs.

morelib encodes an RM input as ``[BOS] + text + [EOS]`` with the text's special-token literals
read as plain text and long texts cut from the left (:mod:`morelib.models.tokenize`). A
tokenizer as shipped often adds none of that (SmolLM2, Pythia: nothing; Llama-2: the BOS but no
EOS), so an RM reloaded elsewhere and called the ordinary way scored different sequences. The
saved copy is changed so that, for every text morelib scores,

``tok(texts)["input_ids"] == encode_rows(tok, texts, max_length)`` and, with
``truncation=True``, the same holds for texts longer than ``max_length``:

* BOS/EOS through the tokenizer's own ``add_bos_token``/``add_eos_token`` (BERT's ``[CLS]``/
  ``[SEP]`` template already adds them);
* ``split_special_tokens=True`` (a literal ``"<|im_end|>"`` in data stays text);
* ``truncation_side="left"`` and ``model_max_length`` = the RM's training max length;
* ``padding_side="right"`` (HF decoders count positions from 0 on the left: right padding
  gives the positions morelib uses).

:func:`save_portable_tokenizer` saves it and checks the copy that ``AutoTokenizer`` reloads
from the folder on probe texts (special-token literals, truncation). Some tokenizer classes
rebuild their post-processor on loading and forget the added BOS/EOS (transformers 5's
``GPTNeoXTokenizer``); such a folder is saved with the generic ``TokenizersBackend`` class,
which loads ``tokenizer.json`` as written. A tokenizer that still disagrees is refused
(``ValueError``). The RM's own tokenisation never uses these settings
(``encode_rows`` passes ``add_special_tokens=False`` and ``split_special_tokens=True``), so
morelib's scores are unchanged.

Example:
    >>> from morelib.models import encode_rows, load_tokenizer
    >>> tok = load_tokenizer("tiny-llama")
    >>> tok("Q: hi")["input_ids"] == encode_rows(tok, ["Q: hi"])[0]  # as shipped: no BOS/EOS
    False
    >>> portable = portable_tokenizer(tok, max_length=128)
    >>> portable("Q: hi")["input_ids"] == encode_rows(tok, ["Q: hi"])[0]
    True
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Sequence

from morelib.models.special_tokens import rm_tokens
from morelib.models.tokenize import encode_rows

#: Texts the export checks on: plain, a special-token literal, and leading/trailing spaces.
PROBE_TEXTS = ("\n\nHuman: Is the sky blue?\n\nAssistant: Yes.", "a <|im_end|> [SEP] </s> b",
               " leading space", "x", "a long text " * 200)


def portable_tokenizer(tokenizer: Any, max_length: int) -> Any:
    """A copy of an RM tokenizer whose plain call encodes exactly as the RM does.

    Args:
        tokenizer: the RM's prepared tokenizer (:func:`morelib.models.load_tokenizer`).
        max_length: the RM's training max length (tokens, special tokens included).

    Raises:
        ValueError: the tokenizer cannot be set to add the RM's BOS/EOS.
    """
    tok = copy.deepcopy(tokenizer)
    tokens = rm_tokens(tok)
    tok.split_special_tokens = True
    backend = getattr(tok, "_tokenizer", None)
    if backend is not None:
        backend.encode_special_tokens = True
    if not _adds_rm_specials(tok):
        if tokens.bos_id is not None and tokens.bos_id == tok.bos_token_id:
            tok.add_bos_token = True
        if tokens.eos_id is not None and tokens.eos_id == tok.eos_token_id:
            tok.add_eos_token = True
    tok.truncation_side = "left"
    tok.padding_side = "right"
    tok.model_max_length = max_length
    tok.init_kwargs.update(split_special_tokens=True, truncation_side="left",
                           padding_side="right", model_max_length=max_length)
    _refuse_mismatch(tok, tokenizer, max_length, f"cannot make the {type(tokenizer).__name__} "
                     "add the RM's special tokens")
    return tok


def save_portable_tokenizer(tokenizer: Any, path: str | Path, max_length: int) -> Any:
    """Save :func:`portable_tokenizer` of ``tokenizer`` into ``path`` and return the copy
    ``AutoTokenizer`` reloads from it, checked against the RM's encoding.

    Example:
        >>> import tempfile
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-gpt-neox")
        >>> again = save_portable_tokenizer(tok, tempfile.mkdtemp(), max_length=8)
        >>> again(["one two three four five six seven eight nine"], truncation=True)[
        ...     "input_ids"] == encode_rows(tok, ["one two three four five six seven eight nine"], 8)
        True
    """
    from transformers import AutoTokenizer

    path = Path(path)
    portable_tokenizer(tokenizer, max_length).save_pretrained(path)
    reloaded = AutoTokenizer.from_pretrained(path)
    if first_mismatch(reloaded, tokenizer, PROBE_TEXTS, max_length) is not None:
        config_file = path / "tokenizer_config.json"
        config = json.loads(config_file.read_text())
        config["tokenizer_class"] = "TokenizersBackend"
        config_file.write_text(json.dumps(config, indent=2) + "\n")
        reloaded = AutoTokenizer.from_pretrained(path)
    _refuse_mismatch(reloaded, tokenizer, max_length, f"{path}: the saved "
                     f"{type(tokenizer).__name__} reloads with other special tokens")
    return reloaded


def _refuse_mismatch(plain: Any, rm_tokenizer: Any, max_length: int, problem: str) -> None:
    mismatch = first_mismatch(plain, rm_tokenizer, PROBE_TEXTS, max_length)
    if mismatch is not None:
        raise ValueError(f"{problem}: tok({mismatch[0]!r}) gives {mismatch[1]}, the RM encodes "
                         f"{mismatch[2]}")


def first_mismatch(plain: Any, rm_tokenizer: Any, texts: Sequence[str], max_length: int
                   ) -> tuple[str, list[int], list[int]] | None:
    """The first text whose plain encoding (``plain(text, truncation=True)``) differs from
    the RM's: ``(text, plain ids, RM ids)``; ``None`` when all agree.

    Example:
        >>> from morelib.models import load_tokenizer
        >>> tok = load_tokenizer("tiny-bert")
        >>> first_mismatch(tok, tok, ["hello world"], 512) is None  # BERT's template: [CLS] [SEP]
        True
    """
    expected = encode_rows(rm_tokenizer, list(texts), max_length)
    got = plain(list(texts), truncation=True, max_length=max_length)["input_ids"]
    for text, ours, theirs in zip(texts, expected, got):
        if list(theirs) != ours:
            return text, list(theirs), ours
    return None


def _adds_rm_specials(tok: Any) -> bool:
    """Whether the plain call already adds exactly the RM's BOS/EOS (e.g. BERT's template)."""
    return first_mismatch(tok, tok, PROBE_TEXTS[:1], 10**6) is None

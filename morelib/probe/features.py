"""Frozen-backbone features, computed once per text, cached on disk.

A head-only RM (``RMTrainingConfig(freeze_backbone=True)``) sees, for the text
``prompt + response``, the feature ``RewardModel(...).forward(...).features``: the backbone's
final hidden state at the last real token, with the tokenisation of
:func:`morelib.models.encode_texts` (BOS/EOS, left truncation to ``max_length``). Those features
never change while the head trains, so :class:`FeatureStore` computes them once per text (eval
mode, dropout off) and every probe RM, seed and weighting reuses them.

``pooling="mean"`` averages the final hidden states over the real tokens instead (what
sentence-transformers encoders such as MiniLM were trained for: their last token is ``[SEP]``,
whose state carries little of the response); ``precision="bf16"`` runs the backbone under
bfloat16 autocast (``tests/test_probe_features.py`` checks its parity with float32: cosine
≥ 0.999 per text).

**Keys and checks.** One file per (model name, ``max_length``, pooling, precision, format) holds
the text hashes
(SHA-256 of the text) and a float32 [N, h] matrix, with a digest over both. Loading checks the
header and the digest (a truncated or edited file raises :class:`FeatureCacheError`), and
``verify`` re-computes that many cached texts of each request with the model and compares them
(so a cache written by another checkpoint under the same name is caught too).

Example:
    >>> import tempfile
    >>> store = FeatureStore("tiny-llama", max_length=32, directory=tempfile.mkdtemp())
    >>> z = store.features(["Q: hi yes", "Q: hi no"])
    >>> z.shape, store.misses
    (torch.Size([2, 64]), 2)
    >>> again = FeatureStore("tiny-llama", max_length=32, directory=store.directory)
    >>> bool(torch.equal(again.features(["Q: hi no"]), z[1:])), again.misses, again.verified
    (True, 0, 1)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, Sequence

import torch

from morelib.io import atomic_write_bytes

#: Bump when what a feature means changes (tokenisation): old files never load.
FEATURE_FORMAT = 2
PRECISIONS = ("fp32", "bf16")


class FeatureCacheError(RuntimeError):
    """A feature cache file that does not match its header, digest or the model."""


def text_key(text: str) -> str:
    """SHA-256 hex digest of a text (the cache key of its feature).

    Example:
        >>> text_key("abc")[:12]
        'ba7816bf8f01'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(keys: Sequence[str], features: torch.Tensor) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update("\n".join(keys).encode())
    h.update(features.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


class FeatureStore:
    """Last-token features of one frozen backbone, per text, in memory and (optionally) on disk.

    Args:
        model: a model name (:func:`morelib.models.resolve_model`), or a
            :class:`~morelib.models.RewardModel` with ``tokenizer`` (its backbone is used;
            ``name`` then names the cache file).
        max_length: tokens per text, as the RM's ``max_length``.
        directory: where the cache file lives (``None``: memory only).
        batch_size: texts per forward pass (length-sorted).
        verify: cached texts of each :meth:`features` call re-computed and compared.
        pooling: ``"last"`` (the RM's own) or ``"mean"`` (:data:`morelib.models.pooling.POOLINGS`).
        precision: ``"fp32"`` or ``"bf16"`` (autocast; features stored as float32).
    """

    def __init__(self, model: Any, max_length: int = 512, directory: str | os.PathLike | None
                 = None, *, tokenizer: Any = None, name: str | None = None,
                 batch_size: int = 32, verify: int = 1, tolerance: float = 1e-4,
                 pooling: str = "last", precision: str = "fp32"):
        from morelib.models import RewardModel, load_tokenizer
        from morelib.models.pooling import POOLINGS

        if pooling not in POOLINGS:
            raise ValueError(f"pooling {pooling!r}: not one of {sorted(POOLINGS)}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r}: not one of {PRECISIONS}")
        self.pooling, self.precision = pooling, precision
        if precision == "bf16":  # autocast's rounding, re-computed for verification
            tolerance = max(tolerance, 5e-2)

        if isinstance(model, str):
            self.name = model
            self._model: Any = None
            self._tokenizer = tokenizer
        else:
            if tokenizer is None or name is None:
                raise ValueError("a RewardModel needs its tokenizer and a name for the cache")
            self.name, self._model, self._tokenizer = name, model, tokenizer
        self._loader = (lambda: RewardModel.from_name(self.name, seed=0))
        self._load_tokenizer = (lambda: load_tokenizer(self.name))
        self.max_length, self.batch_size = int(max_length), int(batch_size)
        self.verify, self.tolerance = int(verify), float(tolerance)
        self.directory = None if directory is None else Path(directory)
        self.misses = self.verified = 0
        self._index: dict[str, int] = {}
        self._rows: list[torch.Tensor] = []
        if self.directory is not None and self.path.exists():
            self._read()

    # ---- the file ----------------------------------------------------------------------------
    @property
    def header(self) -> dict[str, Any]:
        return {"model": self.name, "max_length": self.max_length, "format": FEATURE_FORMAT,
                "pooling": self.pooling, "precision": self.precision}

    @property
    def path(self) -> Path:
        assert self.directory is not None
        tag = hashlib.sha256(json.dumps(self.header, sort_keys=True).encode()).hexdigest()[:16]
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)[-40:]
        return self.directory / f"features-{safe}-{tag}.pt"

    def _read(self) -> None:
        try:
            blob = torch.load(self.path, map_location="cpu", weights_only=True)
            keys, feats = list(blob["keys"]), blob["features"]
            ok = (blob["header"] == self.header and feats.dim() == 2
                  and feats.shape[0] == len(keys) and blob["digest"] == _digest(keys, feats))
        except Exception as error:  # unreadable, truncated, wrong layout
            raise FeatureCacheError(f"{self.path}: unreadable feature cache ({error}); delete "
                                    "it to recompute") from error
        if not ok:
            raise FeatureCacheError(f"{self.path}: header or digest mismatch (written for "
                                    "another model or length, or corrupted); delete it")
        self._index = {k: i for i, k in enumerate(keys)}
        self._rows = list(feats)

    def _write(self) -> None:
        if self.directory is None:
            return
        keys = list(self._index)
        feats = torch.stack(self._rows) if self._rows else torch.zeros(0, 0)
        buffer = io.BytesIO()
        torch.save({"header": self.header, "keys": keys, "features": feats,
                    "digest": _digest(keys, feats)}, buffer)
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, buffer.getvalue())

    def __len__(self) -> int:
        return len(self._index)

    # ---- computing ---------------------------------------------------------------------------
    def _backbone(self) -> tuple[Any, Any]:
        if self._model is None:
            self._model = self._loader().eval()
        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
        return self._model, self._tokenizer

    @torch.no_grad()
    def compute(self, texts: Sequence[str]) -> torch.Tensor:
        """Features [N, h] of ``texts`` with the model (no cache), float32, in eval mode."""
        from morelib.models import encode_texts
        from morelib.models.pooling import POOLINGS

        pool = POOLINGS[self.pooling]
        model, tokenizer = self._backbone()
        was_training = model.training
        model.eval()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[torch.Tensor | None] = [None] * len(texts)
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                batch = encode_texts(tokenizer, [texts[i] for i in chunk], self.max_length)
                device = next(model.parameters()).device
                mask = batch["attention_mask"].to(device)
                with torch.autocast(device.type, dtype=torch.bfloat16,
                                    enabled=self.precision == "bf16"):
                    hidden = model.hidden_states(batch["input_ids"].to(device), mask)
                feats = pool(hidden.float(), mask)
                for j, i in enumerate(chunk):
                    out[i] = feats[j].float().cpu()
        finally:
            model.train(was_training)
        return torch.stack(out) if out else torch.zeros(0, 0)

    def features(self, texts: Sequence[str]) -> torch.Tensor:
        """Features [N, h] of ``texts`` (cached ones from the store, the others computed and
        stored); ``verify`` cached texts are re-computed and must agree within ``tolerance``."""
        keys = [text_key(t) for t in texts]
        cached = [i for i, k in enumerate(keys) if k in self._index]
        check = cached[:self.verify]
        if check:
            fresh = self.compute([texts[i] for i in check])
            stored = torch.stack([self._rows[self._index[keys[i]]] for i in check])
            if not torch.allclose(fresh, stored, atol=self.tolerance, rtol=0):
                worst = float((fresh - stored).abs().max())
                raise FeatureCacheError(f"{self.path if self.directory else 'memory'}: cached "
                                        f"features differ from {self.name}'s by {worst:.2e}: "
                                        "another checkpoint under this name? delete the cache")
            self.verified += len(check)
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self._index))
        if todo:
            for text, row in zip(todo, self.compute(todo)):
                self._index[text_key(text)] = len(self._rows)
                self._rows.append(row)
            self.misses += len(todo)
            self._write()
        if not texts:
            return torch.zeros(0, 0)
        return torch.stack([self._rows[self._index[k]] for k in keys])

    def pair_features(self, pairs: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """(chosen [N, h], rejected [N, h]) features of preference pairs (``prompt + chosen``,
        ``prompt + rejected``, as :func:`morelib.models.encode_pairs` joins them)."""
        texts = [p.prompt + p.chosen for p in pairs] + [p.prompt + p.rejected for p in pairs]
        z = self.features(texts)
        return z[:len(pairs)], z[len(pairs):]

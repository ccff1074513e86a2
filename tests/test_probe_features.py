"""FeatureStore: the RM's own last-token features, cached by content on disk, checked on load."""

from __future__ import annotations

import pytest
import torch

from morelib.models import RewardModel, encode_pairs, load_tokenizer
from morelib.probe import FeatureCacheError, FeatureStore
from morelib.data import PreferencePair


def test_features_are_the_reward_models_own() -> None:
    pairs = [PreferencePair("Q: hi", " hello there friend", " go", "s", "0"),
             PreferencePair("Q: why?", " because", " no idea at all, sorry", "s", "1")]
    store = FeatureStore("tiny-llama", max_length=16)
    zc, zr = store.pair_features(pairs)
    rm = RewardModel.from_name("tiny-llama", seed=0)
    batch = encode_pairs(load_tokenizer("tiny-llama"), [p.prompt for p in pairs],
                         [p.chosen for p in pairs], [p.rejected for p in pairs], max_length=16)
    out = rm(**batch)
    assert torch.allclose(torch.cat([zc, zr]), out.features, atol=1e-5)
    w = rm.head.weight.detach()[0]
    assert torch.allclose(zc @ w - zr @ w, out.rewards[:2] - out.rewards[2:], atol=1e-5)


def test_disk_cache_is_keyed_by_content_and_verified(tmp_path) -> None:
    texts = ["a b c", "d e", "f"]
    first = FeatureStore("tiny-bert", max_length=8, directory=tmp_path)
    z = first.features(texts)
    assert first.misses == 3 and len(first) == 3
    second = FeatureStore("tiny-bert", max_length=8, directory=tmp_path)
    again = second.features(["f", "a b c", "new text"])
    assert second.misses == 1 and second.verified == 1
    assert torch.equal(again[:2], z[[2, 0]])
    # another length or model is another file, never a hit
    other = FeatureStore("tiny-bert", max_length=6, directory=tmp_path)
    assert len(other) == 0 and other.path != first.path


def test_a_corrupted_or_foreign_cache_is_refused(tmp_path) -> None:
    store = FeatureStore("tiny-llama", max_length=8, directory=tmp_path)
    store.features(["one", "two"])
    blob = torch.load(store.path, weights_only=True)
    blob["features"][0, 0] += 1.0  # edited behind the digest's back
    torch.save(blob, store.path)
    with pytest.raises(FeatureCacheError, match="digest"):
        FeatureStore("tiny-llama", max_length=8, directory=tmp_path)
    store.path.write_bytes(b"truncated")
    with pytest.raises(FeatureCacheError, match="unreadable"):
        FeatureStore("tiny-llama", max_length=8, directory=tmp_path)
    # a consistent file written by another checkpoint under the same name: caught on use
    store.path.unlink()
    tok = load_tokenizer("tiny-llama")
    foreign = RewardModel.from_name("tiny-llama", seed=0)
    with torch.no_grad():
        foreign.backbone.get_input_embeddings().weight.mul_(1.5)
    FeatureStore(foreign, 8, tmp_path, tokenizer=tok, name="tiny-llama").features(["one"])
    with pytest.raises(FeatureCacheError, match="differ"):
        FeatureStore("tiny-llama", max_length=8, directory=tmp_path).features(["one"])

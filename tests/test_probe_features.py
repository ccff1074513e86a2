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


def test_mean_pooling_averages_the_real_tokens_and_has_its_own_file(tmp_path) -> None:
    """Mean pooling, against the backbone's hidden states averaged by hand over the real tokens
    (left-padded batch); another pooling or precision is another cache file."""
    from morelib.models import encode_texts

    texts = ["Q: hi there, how are you", "Q: no"]
    store = FeatureStore("tiny-bert", max_length=16, directory=tmp_path, pooling="mean")
    z = store.features(texts)
    rm = RewardModel.from_name("tiny-bert", seed=0).eval()
    for i, text in enumerate(texts):  # one text at a time: no padding at all
        batch = encode_texts(load_tokenizer("tiny-bert"), [text], 16)
        with torch.no_grad():
            hidden = rm.hidden_states(batch["input_ids"], batch["attention_mask"])
        assert torch.allclose(z[i], hidden[0].mean(0), atol=1e-5)
    paths = {FeatureStore("tiny-bert", max_length=16, directory=tmp_path, pooling=p, precision=q).path
             for p in ("last", "mean") for q in ("fp32", "bf16")}
    assert len(paths) == 4
    with pytest.raises(ValueError, match="pooling 'max'"):
        FeatureStore("tiny-bert", pooling="max")


@pytest.mark.slow
@pytest.mark.real_data
def test_bf16_features_match_fp32_on_real_text(tmp_path) -> None:
    """bf16 autocast against float32 on real DSP text with MiniLM at 256 tokens: every feature's
    cosine ≥ 0.999, and heads trained on either give held-out accuracies within 0.005."""
    import numpy as np

    from morelib.probe import real_probe_sources, run_probe_study
    from morelib.settings import data_dir

    if data_dir() is None:
        pytest.skip("MORELIB_DATA_DIR is not set")
    sources = real_probe_sources(data_dir(), names=(), dsp_domains=("academy", "business"))
    sources = [type(s)(s.name, s.pairs[:320]) for s in sources]  # 80 queries x 4 pairs
    name = "sentence-transformers/all-MiniLM-L6-v2"
    stores = {p: FeatureStore(name, max_length=256, pooling="mean", precision=p) for p in ("fp32", "bf16")}
    texts = sorted({p.prompt + r for s in sources for p in s.pairs for r in (p.chosen, p.rejected)})
    a, b = (stores[p].features(texts) for p in ("fp32", "bf16"))
    assert float(torch.nn.functional.cosine_similarity(a, b).min()) >= 0.999
    accuracy = {p: run_probe_study(store, sources, n_seeds=3, pairs_per_source=(4,), n_boot=50,
                                   focus_tests=[s.name for s in sources], focus_label="DSP",
                                   track="real DSP probe").summary.accuracy_multitask.item()
                for p, store in stores.items()}
    assert abs(accuracy["fp32"] - accuracy["bf16"]) <= 0.005, accuracy
    assert np.isfinite(list(accuracy.values())).all()

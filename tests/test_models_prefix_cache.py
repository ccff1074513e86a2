"""Frozen-prefix cache: rewards and gradients equal the plain model's; sharing, disk, training."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from morelib.data.schema import PreferencePair
from morelib.evaluation import score_pairs
from morelib.models import RewardModel, apply_lora, encode_pairs, load_reward_model, load_tokenizer
from morelib.models import save_reward_model
from morelib.models.prefix_cache import disable_prefix_cache, enable_prefix_cache
from morelib.models.prefix_layers import stack_of
from morelib.models.prefix_store import PrefixCache, row_key
from morelib.training.freezing import freeze_lower_layers

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
PROMPTS = ["Q: hi", "\n\nHuman: How do I bake bread at home without yeast?\n\nAssistant:",
           "Q: what is two plus two", "Tell me a joke."]
CHOSEN = [" hello there, friend", " Use baking soda and buttermilk; bake at 200C for 30 min.",
          " four", " Why did the chicken cross the road? To get to the other side."]
REJECTED = [" go", " No.", " It is five, or maybe six, I am really not quite sure at all.", " no"]

_MODELS: dict[str, RewardModel] = {}


def _model(name: str) -> RewardModel:
    """A fresh copy of the RM, its head a random unit vector: rewards are O(1) (the default
    N(0, 0.02) head gives O(0.1) rewards, where 1e-5 would be a loose comparison)."""
    if name not in _MODELS:
        rm = RewardModel.from_name(name, seed=0)
        with torch.no_grad():
            rm.head.weight.div_(rm.head.weight.norm())
        _MODELS[name] = rm
    return copy.deepcopy(_MODELS[name]).eval()


def _batch(name: str, side: str, n: int = 4) -> dict[str, torch.Tensor]:
    return encode_pairs(load_tokenizer(name), PROMPTS[:n], CHOSEN[:n], REJECTED[:n],
                        max_length=64, padding_side=side)


def _n_layers(rm: RewardModel) -> int:
    return len(stack_of(rm.backbone).layers)


@pytest.mark.parametrize("name", ["tiny-bert", "tiny-llama", "tiny-gpt-neox", MINILM])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("top", ["one", "all"])
def test_cached_rewards_equal_plain_rewards(name, side, top):
    rm = _model(name)
    batch = _batch(name, side)
    lengths = batch["attention_mask"].sum(1)
    assert len(set(lengths.tolist())) > 3  # mixed lengths, real padding on one side
    with torch.no_grad():
        plain = rm(**batch)
    assert plain.rewards.abs().max() > 0.3  # O(1) rewards: 1e-5 is a strict comparison
    n = 1 if top == "one" else _n_layers(rm)
    cache = PrefixCache()
    enable_prefix_cache(rm, n, cache)
    with torch.no_grad():
        cold = rm(**batch)
        warm = rm(**batch)
    assert cache.misses == 8 and cache.hits == 8
    torch.testing.assert_close(cold.rewards, plain.rewards, atol=1e-5, rtol=0)
    torch.testing.assert_close(cold.features, plain.features, atol=1e-5, rtol=1e-5)
    assert torch.equal(warm.rewards, cold.rewards)


def test_a_poisoned_entry_changes_the_reward():
    """The comparison above can fail: the suffix really reads the cached prefix states."""
    rm = _model("tiny-llama")
    batch = _batch("tiny-llama", "left")
    cache = PrefixCache()
    enable_prefix_cache(rm, 1, cache)
    with torch.no_grad():
        before = rm(**batch).rewards
    (fingerprint, key), entry = next(iter(cache._entries.items()))
    entry.mul_(1.5)
    with torch.no_grad():
        after = rm(**batch).rewards
    changed = (after - before).abs() > 1e-3
    assert changed.sum() == 1


def test_the_same_backbone_keyed_by_weights_and_k():
    cache = PrefixCache()
    batch = _batch("tiny-llama", "right", n=2)
    a = enable_prefix_cache(RewardModel.from_name("tiny-llama", seed=0), 1, cache)
    b = enable_prefix_cache(RewardModel.from_name("tiny-llama", seed=5), 1, cache)  # other head
    with torch.no_grad():
        a(**batch)
        assert (cache.misses, cache.hits) == (4, 0)
        b(**batch)
        assert (cache.misses, cache.hits) == (4, 4)  # shared: same checkpoint, same k
        other_k = enable_prefix_cache(RewardModel.from_name("tiny-llama", seed=0), 2, cache)
        other_k(**batch)
        assert (cache.misses, cache.hits) == (8, 4)  # no hit across k
        with torch.no_grad():  # an in-place change of a prefix weight: a new fingerprint
            stack_of(a.backbone).layers[0].mlp.up_proj.weight.mul_(1.01)
        a(**batch)
        assert (cache.misses, cache.hits) == (12, 4)
        twin = copy.deepcopy(a)  # a copied model shares the cache, never copies it
        assert twin.prefix_runner.cache is cache and twin.prefix_runner is not a.prefix_runner
        disable_prefix_cache(a)
        expected = a(**batch).rewards
        enable_prefix_cache(a, 1, cache)
        torch.testing.assert_close(a(**batch).rewards, expected, atol=1e-5, rtol=0)


def test_repeated_rows_in_one_batch_are_computed_once():
    cache = PrefixCache()
    rm = enable_prefix_cache(_model("tiny-bert"), 1, cache)
    batch = encode_pairs(load_tokenizer("tiny-bert"), ["Q:"] * 2, [" yes"] * 2, [" no"] * 2)
    with torch.no_grad():
        out = rm(**batch)
    assert cache.misses == 2 and len(cache) == 2
    assert out.rewards[0] == out.rewards[1] and out.rewards[2] == out.rewards[3]


@pytest.mark.parametrize("name,top", [("tiny-bert", 1), ("tiny-llama", 1), ("tiny-gpt-neox", 2),
                                      (MINILM, 2)])
def test_gradients_equal_plain_partial_fine_tuning(name, top):
    plain = _model(name)
    freeze_lower_layers(plain, top)
    cached = enable_prefix_cache(copy.deepcopy(plain), top, PrefixCache())
    batch = _batch(name, "left")
    for rm in (plain, cached):
        rm.zero_grad()
        with torch.no_grad():  # warm the cache for `cached`: the graph must not depend on it
            rm(**batch)
        rewards = rm(**batch).rewards
        torch.nn.functional.softplus(-(rewards[:4] - rewards[4:])).mean().backward()
    trainable = [n for n, p in plain.named_parameters() if p.requires_grad]
    assert trainable == [n for n, p in cached.named_parameters() if p.requires_grad]
    assert "head.weight" in trainable and len(trainable) > 3
    grads = dict(cached.named_parameters())
    nonzero = 0
    for n, p in plain.named_parameters():
        if p.requires_grad:  # (some biases get 0: margins and softmax ignore shifts)
            torch.testing.assert_close(grads[n].grad, p.grad, atol=1e-5, rtol=1e-4, msg=n)
            nonzero += int(p.grad.abs().max() > 1e-4)
        else:
            assert grads[n].grad is None
    assert nonzero >= 0.75 * len(trainable)


def test_disk_store_round_trip_and_fp16(tmp_path):
    batch = _batch("tiny-llama", "left")
    rm = enable_prefix_cache(_model("tiny-llama"), 1, PrefixCache(tmp_path))
    with torch.no_grad():
        first = rm(**batch).rewards
    again = PrefixCache(tmp_path)  # another process, say
    rm2 = enable_prefix_cache(_model("tiny-llama"), 1, again)
    with torch.no_grad():
        assert torch.equal(rm2(**batch).rewards, first)
    assert (again.disk_hits, again.misses) == (8, 0)
    report = again.size_report()
    assert report["disk_entries"] == 8 and report["bytes_per_token"] == 64 * 4
    assert report["tokens"] == int(batch["attention_mask"].sum())
    # a torn file is a miss, recomputed and rewritten; the recomputed row runs in a batch of
    # one, not of eight, so it matches up to float rounding (the cache's promise, as in the
    # module docstring), not bit for bit
    victim = next(tmp_path.rglob("*.safetensors"))
    victim.write_bytes(b"garbage")
    third = PrefixCache(tmp_path)
    with torch.no_grad():
        torch.testing.assert_close(
            enable_prefix_cache(_model("tiny-llama"), 1, third)(**batch).rewards, first,
            atol=1e-5, rtol=0)
    assert (third.disk_hits, third.misses) == (7, 1)
    assert victim.read_bytes() != b"garbage"
    # half-precision storage: half the bytes, close rewards
    half = PrefixCache(dtype=torch.float16)
    with torch.no_grad():
        approx = enable_prefix_cache(_model("tiny-llama"), 1, half)(**batch).rewards
    assert half.size_report()["bytes_per_token"] == 64 * 2
    torch.testing.assert_close(approx, first, atol=2e-2, rtol=1e-2)


def test_memory_bound_drops_least_recently_used():
    cache = PrefixCache(max_bytes=3 * 10 * 4)
    for i in range(5):
        cache.put("fp", str(i), torch.zeros(1 + i % 2, 10))
    assert len(cache) == 2 and cache.size_report()["bytes"] <= 120
    assert cache.get("fp", "0") is None and cache.get("fp", "4") is not None


def test_scoring_warms_the_cache_for_training_and_saves_a_plain_rm(tmp_path):
    tok = load_tokenizer("tiny-llama")
    pairs = [PreferencePair(p, c, r, "s", str(i))
             for i, (p, c, r) in enumerate(zip(PROMPTS, CHOSEN, REJECTED))]
    rm = _model("tiny-llama")
    plain = score_pairs(rm, tok, pairs, batch_size=3)
    cache = PrefixCache()
    enable_prefix_cache(rm, 1, cache)
    np.testing.assert_allclose(score_pairs(rm, tok, pairs, batch_size=3), plain, atol=1e-5)
    rm.train()  # cache entries made under inference_mode serve autograd later
    rewards = rm(**_batch("tiny-llama", "right")).rewards
    rewards.sum().backward()
    assert cache.hits == 8 and rm.head.weight.grad is not None
    folder = save_reward_model(rm, tok, tmp_path / "rm")
    reloaded = load_reward_model(folder)  # a plain RM: no cache needed to score it
    np.testing.assert_allclose(score_pairs(reloaded, tok, pairs), plain, atol=1e-5)
    seen = cache.misses  # ... and its prefix fingerprint is the base checkpoint's: shared entries
    enable_prefix_cache(reloaded, 1, cache)
    np.testing.assert_allclose(score_pairs(reloaded, tok, pairs), plain, atol=1e-5)
    assert cache.misses == seen


def test_refusals():
    with pytest.raises(ValueError, match="LoRA"):
        enable_prefix_cache(apply_lora(RewardModel.from_name("tiny-llama")), 1, PrefixCache())
    with pytest.raises(ValueError, match="0..2"):
        enable_prefix_cache(RewardModel.from_name("tiny-llama"), 3, PrefixCache())
    rm = enable_prefix_cache(RewardModel.from_name("tiny-llama"), 1, PrefixCache())
    freeze_lower_layers(rm, 2)  # unfreezes a prefix layer behind the cache's back
    with pytest.raises(RuntimeError, match="requires grad"):
        rm(**_batch("tiny-llama", "right", n=1))


def test_row_key_is_the_unpadded_ids():
    left = _batch("tiny-llama", "left", n=2)
    right = _batch("tiny-llama", "right", n=2)
    keys = [[row_key(ids[m.bool()]) for ids, m in zip(b["input_ids"], b["attention_mask"])]
            for b in (left, right)]
    assert keys[0] == keys[1] and len(set(keys[0])) == 4


def test_training_with_the_cache_matches_plain_partial_fine_tuning(tmp_path):
    from morelib.data.mixing import balance
    from morelib.data.simulator import SimulatorConfig, simulate_sources
    from morelib.training import RMTrainingConfig, train_reward_model

    cfg = SimulatorConfig(n_pairs_per_source=12, sources=("helpful", "harmless"), seed=3)
    train = balance(simulate_sources(cfg, split="train"), n=12)
    test = {s.name: s.pairs[:6] for s in simulate_sources(cfg, split="test")}

    def run(folder: str, **kw):
        config = RMTrainingConfig(model="tiny-llama", strategy="more", n_sources=2,
                                  groups_per_device_batch=2, gradient_accumulation_steps=1,
                                  learning_rate=1e-3, max_steps=4, max_length=64, seed=7,
                                  trainable_top_layers=1, **kw)
        return train_reward_model(config, train, str(tmp_path / folder), eval_sources=test)

    with pytest.raises(ValueError, match="prefix_cache: needs"):
        RMTrainingConfig(model="tiny-llama", prefix_cache=True)
    plain = run("plain")
    store = tmp_path / "prefix"
    cached = run("cached", prefix_cache=True, prefix_cache_dir=str(store))
    assert cached.model.prefix_runner is not None and plain.model.prefix_runner is None
    columns = [c for c in plain.lambda_history.columns if c.split("/")[0] in ("lambda", "loss")]
    np.testing.assert_allclose(cached.lambda_history[columns].to_numpy(),
                               plain.lambda_history[columns].to_numpy(), atol=1e-5)
    a = plain.eval_history.set_index(["source", "metric"]).value
    b = cached.eval_history.set_index(["source", "metric"]).value
    np.testing.assert_allclose(b.loc[a.index].to_numpy(), a.to_numpy(), atol=1e-5)
    cache = cached.model.prefix_runner.cache
    seen = cache.misses
    run("cached-again", prefix_cache=True, prefix_cache_dir=str(store))  # a second RM: all hits
    assert cache.misses == seen and cache.hits >= seen
    assert cache.size_report()["disk_entries"] == seen


@pytest.mark.slow
@pytest.mark.parametrize("side", ["left", "right"])
def test_smollm2_cached_rewards_equal_plain(side):
    rm = _model(SMOLLM2)
    batch = _batch(SMOLLM2, side)
    with torch.no_grad():
        plain = rm(**batch).rewards
        enable_prefix_cache(rm, 2, PrefixCache())
        cold, warm = rm(**batch).rewards, rm(**batch).rewards
    torch.testing.assert_close(cold, plain, atol=1e-5, rtol=0)
    assert torch.equal(warm, cold)

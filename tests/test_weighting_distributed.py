"""Two gloo ranks on the CPU compute the same λ, equal to one process over the whole batch, once
the caller has all-reduced the statistics (as RewardTrainer does; the weighting never
communicates)."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from morelib.weighting import MoreWeighting, all_reduce_source_stats, head_gradients

K, H, STEPS = 4, 32, 4
# Global batch of 12 pairs per step; each rank gets 6, with unequal per-source counts per rank
# (rank 0: sources 0,0,0,1,2,2; rank 1: 0,1,1,1,1,2; source 3 absent everywhere).
SOURCES = torch.tensor([0, 0, 0, 1, 2, 2, 0, 1, 1, 1, 1, 2])


def batches():
    gen = torch.Generator().manual_seed(123)
    head = torch.randn(H, generator=gen) * 0.3
    for _ in range(STEPS):
        yield (torch.randn(len(SOURCES), H, generator=gen) + 0.5,
               torch.randn(len(SOURCES), H, generator=gen), head)


def _worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    try:
        torch.set_num_threads(1)
        more = MoreWeighting(K, alpha=0.9)
        rows = slice(rank * 6, (rank + 1) * 6)
        lams = []
        for zc, zr, head in batches():
            stats = head_gradients(zc[rows], zr[rows], head, SOURCES[rows], K)
            lams.append(more.weights(all_reduce_source_stats(*stats)))
        torch.save(torch.stack(lams), os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_two_ranks_share_lambda_equal_to_single_process(tmp_path) -> None:
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    rank0 = torch.load(tmp_path / "rank0.pt")
    rank1 = torch.load(tmp_path / "rank1.pt")
    assert torch.equal(rank0, rank1)  # bit-identical on every rank

    single = MoreWeighting(K, alpha=0.9)
    expected = torch.stack([single.weights(head_gradients(zc, zr, head, SOURCES, K))
                            for zc, zr, head in batches()])
    torch.testing.assert_close(rank0, expected, atol=1e-6, rtol=0)
    assert (rank0[:, 3] == 0).all()
    # sanity: per-rank (unsynchronised) λ would differ from the global one
    local = MoreWeighting(K, alpha=0.9)
    first = next(batches())
    unsynced = local.weights(head_gradients(first[0][:6], first[1][:6], first[2], SOURCES[:6], K))
    assert (unsynced - expected[0]).abs().max() > 1e-3

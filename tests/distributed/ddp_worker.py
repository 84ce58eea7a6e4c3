"""One rank of the DDP test: `python -m tests.distributed.ddp_worker RANK WORLD INIT_FILE OUT_DIR` from the
repository root.

Joins a gloo process group through a file store (no ports to pick), then runs the cases of ddp_cases.py
through vmk's real code; Lightning's DDP strategy finds the group already made and uses it. Writes what it
computed to OUT_DIR/rank{RANK}.pt for the test to compare with the one-process reference."""

import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist


def main(rank: int, world: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)  # two ranks on a 2-core machine
    # Lightning: this process was started from outside (LOCAL_RANK) and must not re-seed from a seed some
    # earlier test left in the environment.
    os.environ.update(LOCAL_RANK=str(rank), NODE_RANK="0", WORLD_SIZE=str(world))
    os.environ.pop("PL_GLOBAL_SEED", None)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=60))
    from tests.distributed import ddp_cases

    out = {"losses": ddp_cases.losses(slice(rank * ddp_cases.GLOBAL_BATCH // world,
                                            (rank + 1) * ddp_cases.GLOBAL_BATCH // world))}
    out["rng"] = ddp_cases.rank_streams()
    for case in ddp_cases.CASES:
        out[case] = ddp_cases.fit_one_step(case, devices=world)
    torch.save(out, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4])

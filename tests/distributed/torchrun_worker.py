"""One "node" of the multi-node test, started by torchrun (`--nnodes 2 --nproc-per-node 1 --node-rank R`):
`python -m torchrun ... -m tests.distributed.torchrun_worker OUT_DIR` from the repository root.

Runs the cases of ddp_cases.py with trainer.num_nodes=2 trainer.devices=1 through vmk's real code; Lightning
finds torchrun's environment (TorchElasticEnvironment) and makes the process group itself. Writes what it
computed to OUT_DIR/node{R}.pt."""

import os
import sys

import torch


def main(out_dir: str) -> None:
    torch.set_num_threads(1)  # two processes on a 2-core machine
    os.environ.pop("PL_GLOBAL_SEED", None)  # not a seed some earlier test left in the environment
    from tests.distributed import ddp_cases

    out = {case: ddp_cases.fit_one_step(case, devices=1, num_nodes=2) for case in ddp_cases.CASES}
    torch.save(out, os.path.join(out_dir, f"node{os.environ['GROUP_RANK']}.pt"))


if __name__ == "__main__":
    main(sys.argv[1])

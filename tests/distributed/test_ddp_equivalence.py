"""Two gloo ranks on the CPU against one process on the same global batch: vmk's real training step under
Lightning DDP (encoder and viewmaker; alternating and simultaneous updates) and the gathered losses; and the
same two ranks as two torchrun "nodes" of one process each (trainer.num_nodes=2).

Like with like: vmk's DDP default is per-rank BatchNorm (SyncBatchNorm is GPU-only), so the one-process
reference normalises each rank's rows with their own statistics (ddp_cases.per_rank_batchnorm); everything
else — data rows, viewmaker noise, InstDisc negatives — is the same draw in both runs by construction."""

import os
import socket
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import pytest
import torch

from tests.distributed import ddp_cases

WORKER = "tests.distributed.ddp_worker"  # run with -m from the repository root: it imports the tests package
REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 180  # a normal run takes a few seconds; a hung collective must fail the test, not the suite


def _run_ranks_and_reference(out: Path) -> None:
    """Start both ranks, compute the one-process reference while they run, then check how they ended."""
    out.mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen([sys.executable, "-m", WORKER, str(rank), str(ddp_cases.WORLD), str(out / "store"), str(out)],
                         cwd=REPO, stdout=(out / f"log{rank}").open("w"), stderr=subprocess.STDOUT)
        for rank in range(ddp_cases.WORLD)
    ]
    try:
        reference = {"losses": ddp_cases.losses(slice(None))}
        for case in ddp_cases.CASES:
            reference[case] = ddp_cases.fit_one_step(case, devices=1)
        torch.save(reference, out / "reference.pt")
        deadline = time.monotonic() + TIMEOUT_S
        for proc in procs:
            proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the DDP ranks did not finish in {TIMEOUT_S} s:\n" + _logs(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert all(proc.returncode == 0 for proc in procs), _logs(out)
    (out / "done").touch()


@pytest.fixture(scope="session")
def ranks(tmp_path_factory):
    """(results of each rank, reference). Made once per session: under xdist the first worker runs the
    ranks and the reference, the other waits for them (two pairs of ranks would compete for the cores)."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        from filelock import FileLock

        out = tmp_path_factory.getbasetemp().parent / "ddp-equivalence"
        lock = FileLock(str(out) + ".lock")
    else:
        out, lock = tmp_path_factory.getbasetemp() / "ddp-equivalence", nullcontext()
    with lock:
        if not (out / "done").is_file():
            _run_ranks_and_reference(out)
    results = [torch.load(out / f"rank{rank}.pt", weights_only=True) for rank in range(ddp_cases.WORLD)]
    return results, torch.load(out / "reference.pt", weights_only=True)


def _logs(out: Path) -> str:
    return "\n".join(f"--- rank {r}\n" + (out / f"log{r}").read_text()[-3000:] for r in range(ddp_cases.WORLD))


def _close(actual: torch.Tensor, expected: torch.Tensor, what: str, rtol: float = 1e-4, scale: float | None = None) -> None:
    # Relative to the scale of what is compared: sums over ranks and over one process's rows round differently.
    atol = rtol * max(float(expected.abs().max()) if scale is None else scale, 1e-3)
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, msg=lambda m: f"{what}: {m}")


@pytest.mark.parametrize("name", ["simclr", "simclr_symmetric", "wmse", "wmse_groups", "instdisc"])
def test_gathered_loss_and_gradients_equal_one_process(ranks, name):
    """Mean of the ranks' losses = the one-process loss; each rank's gradient on its rows, divided by the
    number of ranks (what DDP's mean over ranks does to parameter gradients), = the one-process gradient."""
    results, reference = ranks
    loss, *grads = reference["losses"][name]
    shares = [r["losses"][name] for r in results]
    _close(torch.stack([s[0] for s in shares]).mean(), loss, f"{name} loss")
    for view, expected in enumerate(grads):
        if expected is None:
            assert all(s[1 + view] is None for s in shares)
            continue
        _close(torch.cat([s[1 + view] for s in shares]) / ddp_cases.WORLD, expected, f"{name} grad of view {view + 1}")


def test_without_the_gather_the_loss_differs(ranks):
    """The check above can fail: negatives from one rank only give another loss."""
    results, reference = ranks
    local = torch.stack([r["losses"]["simclr_local_negatives"][0] for r in results]).mean()
    assert abs(float(local) - float(reference["losses"]["simclr"][0])) > 1e-3


@pytest.mark.parametrize("case", list(ddp_cases.CASES))
def test_one_ddp_step_equals_the_one_process_step(ranks, case):
    """Encoder and viewmaker through Lightning DDP: each optimiser's averaged gradients, the weights, the
    memory bank, the queue and the EMA target after one step equal one process's on the same global batch."""
    results, reference = ranks
    ref = reference[case]
    for rank, result in enumerate(results):
        run = result[case]
        assert run["steps"] == ref["steps"] == 1
        # The same optimiser steps, with the averaged gradients equal to one process's gradients.
        assert [label for label, _ in run["grads"]] == [label for label, _ in ref["grads"]] == ["encoder", "viewmaker"]
        for (label, grads), (_, expected) in zip(run["grads"], ref["grads"]):
            assert grads.keys() == expected.keys() and grads
            # Scale: the step's largest gradient (conv biases before InstanceNorm have exact-zero gradients
            # that come out as rounding noise).
            scale = max(float(g.abs().max()) for g in expected.values())
            for name in expected:
                _close(grads[name], expected[name], f"rank {rank} {label} step: grad of {name}", scale=scale)
        # The weights after the step. Adam's first step moves each weight by about lr·sign(gradient), so the
        # viewmaker's weights are compared where the gradient is above rounding noise (the conv biases that
        # InstanceNorm cancels have exact-zero gradients, i.e. noise; they change nothing downstream).
        compared = []
        for label, expected in ref["grads"]:
            scale = max(float(g.abs().max()) for g in expected.values())
            for name, g in expected.items():
                keep = g.abs() > 1e-3 * scale if label == "viewmaker" else torch.ones_like(g, dtype=torch.bool)
                compared.append(keep.float().mean())
                if keep.any():
                    _close(run["after"][name][keep], ref["after"][name][keep], f"rank {rank} {name} after the step",
                           rtol=1e-5)
        assert torch.stack(compared).mean() > 0.9
        for key in ("objective.bank", "objective.queue", *[k for k in ref["after"] if k.startswith("target.")]):
            if key in ref["after"] and "running_" not in key and ref["after"][key].is_floating_point():
                _close(run["after"][key], ref["after"][key], f"rank {rank} {key} after the step", rtol=1e-5)
        for key in ("objective.bank", "objective.queue"):
            assert key not in ref["after"] or not torch.equal(ref["after"][key], ref["before"][key]), f"{key} not written"
        if rank:  # every rank holds the same weights, memory bank and queue
            for key, value in results[0][case]["after"].items():
                if "running_" not in key and "num_batches" not in key:
                    assert torch.equal(run["after"][key], value), f"{key} differs between ranks"
    assert any(not torch.equal(v, ref["before"][k]) for k, v in ref["after"].items() if k.startswith("encoder."))
    assert any(not torch.equal(v, ref["before"][k]) for k, v in ref["after"].items() if k.startswith("viewmaker."))


def test_expert_view_randomness_differs_between_ranks_and_the_shared_stream_moves_on_alike(ranks):
    """Expert views draw per-rank (no two ranks' rows get the same crops); everything else stays in step."""
    results, _ = ranks
    assert not torch.equal(results[0]["rng"]["inside"], results[1]["rng"]["inside"])
    assert torch.equal(results[0]["rng"]["after"], results[1]["rng"]["after"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_nodes_of_one_process_equal_one_node_of_two(ranks, tmp_path):
    """trainer.num_nodes reaches Lightning: torchrun as two "nodes" on localhost (`--nnodes 2 --nproc-per-node
    1`, gloo, one torchrun per node as on two machines) ends the step with the weights, memory bank, queue and
    EMA target of the 1 node x 2 processes run above, rank for rank."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}  # Lightning would take SLURM's layout
    env.update(OMP_NUM_THREADS="1")
    procs = [
        subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1",
                          "--node-rank", str(node), "--master-addr", "127.0.0.1", "--master-port", str(port),
                          "-m", "tests.distributed.torchrun_worker", str(tmp_path)],
                         cwd=REPO, env=env, stdout=(tmp_path / f"log{node}").open("w"), stderr=subprocess.STDOUT)
        for node in range(2)
    ]
    logs = lambda: "\n".join(f"--- node {n}\n" + (tmp_path / f"log{n}").read_text()[-3000:] for n in range(2))
    try:
        for proc in procs:
            proc.wait(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the torchrun nodes did not finish in {TIMEOUT_S} s:\n" + logs())
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert all(proc.returncode == 0 for proc in procs), logs()
    one_node, _ = ranks
    for node in range(2):
        result = torch.load(tmp_path / f"node{node}.pt", weights_only=True)
        for case in ddp_cases.CASES:
            run, expected = result[case], one_node[node][case]
            assert run["steps"] == 1 and run["layout"] == (2, 1, node) and expected["layout"] == (1, 2, 0)
            assert run["after"].keys() == expected["after"].keys()
            for key, value in expected["after"].items():
                _close(run["after"][key], value, f"node {node} {case} {key} after the step", rtol=1e-6)
            assert any(not torch.equal(v, run["before"][k]) for k, v in run["after"].items() if k.startswith("encoder."))

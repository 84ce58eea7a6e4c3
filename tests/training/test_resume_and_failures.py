"""Reliability through the real CLI: SIGKILL then resume gives the uninterrupted weights; a diverging
loss stops with a clear message and keeps the last good checkpoint; determinism."""

import os
import signal
import subprocess
import sys
import time

import torch

from tests.vmk_process import run_vmk

RUN = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=16", "probe.enabled=false",
       "trainer.log_every_n_steps=5", "trainer.image_every_n_steps=0", "deterministic=true"]


def vmk(*args, **kwargs):
    return run_vmk("pretrain", *args, **kwargs)


def weights(run_dir):
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)


def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(tmp_path):
    steps = ["trainer.max_steps=30", "trainer.checkpoint_every_n_steps=4"]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert vmk(*RUN, *steps, f"hydra.run.dir={straight}").returncode == 0

    process = subprocess.Popen([sys.executable, "-m", "viewmaker_cli", "pretrain", *RUN, *steps, f"hydra.run.dir={killed}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (killed / "checkpoints" / "step0000008.ckpt").exists() and time.time() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    interrupted_at = weights(killed)["global_step"]
    assert 4 <= interrupted_at < 30, "the run must have been killed part-way"

    resumed = vmk(*RUN, *steps, "resume=true", f"hydra.run.dir={killed}")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    a, b = weights(straight), weights(killed)
    assert a["global_step"] == b["global_step"] == 30
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
    for opt_a, opt_b in zip(a["optimizer_states"], b["optimizer_states"]):
        for k, state in opt_a["state"].items():
            for name, tensor in state.items():
                if torch.is_tensor(tensor):
                    assert torch.equal(tensor, opt_b["state"][k][name]), (k, name)


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    result = vmk(*RUN, "resume=true", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2 and "resume=true but" in result.stderr and "Traceback" not in result.stderr


def test_diverging_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path):
    # lr 1e5 blows up after a few finite steps (deterministic): good checkpoints first, then NaN.
    result = vmk(*RUN, "optim.lr=1e5", "trainer.max_steps=20", "trainer.checkpoint_every_n_steps=1",
                 "trainer.log_every_n_steps=1", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2
    assert "NaN or Inf" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results.json").exists()
    last = weights(tmp_path)
    assert 0 < last["global_step"] < 20
    for path in (tmp_path / "checkpoints").glob("*.ckpt"):
        state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()), path


def test_deterministic_runs_with_one_seed_give_identical_losses(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    losses = []
    for name in ("a", "b"):
        assert vmk(*RUN, "trainer.max_steps=10", "trainer.log_every_n_steps=1", f"hydra.run.dir={tmp_path / name}").returncode == 0
        events = EventAccumulator(str(tmp_path / name / "tb"))
        events.Reload()
        losses.append([e.value for e in events.Scalars("train/loss")])
    assert len(losses[0]) == 10 and losses[0] == losses[1]

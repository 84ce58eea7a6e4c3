"""A run saved before each objective had its own config (its checkpoint holds the flat `objective` block with
every objective's keys) still loads, probes and resumes."""

import json
from pathlib import Path

import torch

from viewmaker_cli.training.pretrained import load_pretrained

RUN = Path(__file__).resolve().parents[1] / "fixtures" / "run_before_layering"
CKPT = RUN / "checkpoints" / "last.ckpt"
OVERRIDES = [line.removeprefix("- ") for line in (RUN / ".hydra" / "overrides.yaml").read_text().splitlines()]


def test_load_pretrained_rebuilds_the_old_run():
    pretrained = load_pretrained(CKPT)
    assert {"queue_size", "hidden", "num_negatives"} <= set(pretrained.config["objective"])  # the flat block
    x = torch.rand(2, *pretrained.input_shape)
    assert pretrained.encoder(pretrained.normalizer(pretrained.view(x))).shape == (2, 16)


def test_vmk_probe_on_the_old_checkpoint(vmk, tmp_path):
    code, _, err = vmk("probe", f"ckpt={CKPT}", "probe.epochs=1", "probe.baseline=false", f"hydra.run.dir={tmp_path}")
    assert code == 0, err
    assert json.loads((tmp_path / "results.json").read_text())["config"]["objective"]["name"] == "simclr"


def test_resume_from_the_old_checkpoint(vmk, tmp_path):
    """ckpt_path=... continues the old run (step 2) under this code's config: one more step."""
    code, _, err = vmk("pretrain", *OVERRIDES, f"ckpt_path={CKPT}", "trainer.max_steps=3", "probe.enabled=false",
                       "trainer.image_every_n_steps=0", f"hydra.run.dir={tmp_path}")
    assert code == 0, err
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert saved["global_step"] == 3
    assert saved["vmk"]["config"]["objective"] == {"name": "simclr", "temperature": 0.07, "symmetric": False}

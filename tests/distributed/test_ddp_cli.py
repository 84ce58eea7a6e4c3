"""Multi-device settings a user can get wrong: one line and exit 2, before any process is started.

The real CLI in this process (a second start-up of torch and Lightning per case would cost seconds)."""

import pytest

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "trainer.max_steps=1", "probe.enabled=false",
        "trainer.accelerator=cpu"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.batch_size=6", "trainer.devices=4"], "data.batch_size=6 is the global batch and must split evenly over the 4 devices"),
        (["data.batch_size=8", "trainer.devices=2", "trainer.sync_batchnorm=true"], "trainer.sync_batchnorm=true needs GPUs"),
        (["trainer.strategy=ddp_spawn"], "trainer.strategy=ddp_spawn is not supported (choose from: auto, ddp)"),
    ],
    ids=["batch-not-divisible", "syncbn-on-cpu", "unsupported-strategy"],
)
def test_multi_device_mistakes_are_one_line_and_exit_2(overrides, message, tmp_path, vmk):
    code, _, err = vmk("pretrain", *TINY, *overrides, f"hydra.run.dir={tmp_path / 'run'}")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "results.json").exists()

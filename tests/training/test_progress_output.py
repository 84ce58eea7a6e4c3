"""What a tiny `vmk pretrain` shows while it works: every phase (training, embedding, probes) with its
progress; the training bar counts the steps that will run (trainer.max_steps), not the epoch's batches;
off a terminal (CI logs) plain lines on stdout, no carriage-return redraws, and nothing on stderr."""

import re

import pytest

# basic_motions: 40 training series, 10 batches of 4 per epoch; max_steps=3 ends the run first.
TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=4",
        "trainer.max_steps=3", "probe.epochs=2", "probe.also=[knn]", "trainer.image_every_n_steps=0",
        "trainer.log_every_n_steps=1"]


def test_off_a_terminal_every_phase_is_a_start_and_an_end_line(vmk, tmp_path):
    code, out, err = vmk("pretrain", *TINY, f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    assert "\r" not in out and "training" not in err and "probe" not in err
    lines = out.splitlines()
    assert "training: started (3 steps)" in lines
    assert any(re.fullmatch(r"training: done, 3 steps in .+ s \(loss=.*\)", line) for line in lines)
    for phase in ("embedding basic_motions/train (pretrained, pooled)", "embedding basic_motions/test (pretrained, pooled)",
                  "linear probe (pretrained, basic_motions, 40 labels)", "knn probe (pretrained, basic_motions, 40 labels)",
                  "embedding basic_motions/train (untrained, pooled)", "linear probe (untrained, basic_motions, 40 labels)"):
        assert f"{phase}: started" in out and f"{phase}: done" in out, phase
    assert "linear probe (pretrained, basic_motions, 40 labels): started (2 epochs)" in lines


def test_on_a_terminal_the_training_bar_counts_max_steps(vmk, tmp_path, monkeypatch):
    from viewmaker_cli.core import progress

    monkeypatch.setattr(progress, "on_terminal", lambda stream=None: True)
    code, _, err = vmk("pretrain", *TINY, "probe.enabled=false", f"hydra.run.dir={tmp_path}")
    assert code == 0, err[-3000:]
    bar = [part for part in err.split("\r") if part.startswith("training")]
    assert bar and "3/3" in bar[-1] and "/10" not in err  # not the epoch's 10 batches
    assert "started" not in err  # a bar, not lines


@pytest.mark.filterwarnings("ignore:The `srun` command is available")
@pytest.mark.parametrize("max_steps, max_epochs, expected", [(3, 5, 3), (-1, 2, 20), (50, 2, 20), (-1, -1, None)])
def test_the_total_is_what_ends_the_fit_first(max_steps, max_epochs, expected):
    import lightning as L
    import torch

    from viewmaker_cli.training.progress_bar import steps_to_run

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch, batch_idx):
            return (self.w * batch.float()).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.0)

    class Record(L.Callback):
        def on_train_start(self, trainer, module):
            self.total = steps_to_run(trainer)
            trainer.should_stop = True  # the total is all this test needs

    record = Record()
    trainer = L.Trainer(max_steps=max_steps, max_epochs=max_epochs, logger=False, enable_checkpointing=False,
                        enable_model_summary=False, enable_progress_bar=False, callbacks=[record])
    trainer.fit(Tiny(), torch.utils.data.DataLoader(torch.arange(40), batch_size=4))  # 10 batches an epoch
    assert record.total == expected

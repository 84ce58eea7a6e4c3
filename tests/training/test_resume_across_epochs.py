"""A fit resumed mid-epoch from its checkpoint trains on the batches, and ends with the weights, of an
uninterrupted fit, across epoch boundaries (the CLI's kill-and-resume test stays inside one epoch)."""

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.training.module import PretrainSystem

CONFIG = {
    "budget": 0.05, "seed": 3,
    "modality": {"name": "image", "clamp": True, "normalize": "after"},
    "data": {"name": "toy", "root": None, "download": False, "pad_to": None, "batch_size": 4},  # 16 examples: 4 batches an epoch
    "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 8},
    "views": {"name": "learned", "width": 4, "num_res_blocks": 1, "lr": 1e-3, "loss_weight": 1.0, "update": "alternating"},
    "objective": {"name": "simclr", "temperature": 0.07, "symmetric": False},
    "optim": {"lr": 0.03, "momentum": 0.9, "weight_decay": 1e-4},
    "trainer": {"log_every_n_steps": 1},
}
X = (torch.rand(16, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 255).to(torch.uint8)


def fit(steps: int, checkpoints=None, resume=None):
    """Weights after `steps` batches, and the inputs each training step was handed, by global step."""
    torch.manual_seed(0)
    system = PretrainSystem(CONFIG, X, Normalizer.identity(3))
    handed = {}
    step = system.training_step

    def recording_step(batch, batch_idx):
        handed[system.global_step] = batch[0].clone()
        return step(batch, batch_idx)

    system.training_step = recording_step
    callbacks = [ModelCheckpoint(dirpath=checkpoints, filename="step{step}", auto_insert_metric_name=False,
                                 every_n_train_steps=6, save_top_k=-1)] if checkpoints else []
    trainer = L.Trainer(max_steps=steps, logger=False, enable_checkpointing=bool(checkpoints), callbacks=callbacks,
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1)
    batches = StoredBatches(X, 4, seed=3)
    if resume:
        batches.start_at(torch.load(resume, weights_only=True)["global_step"])  # as vmk pretrain does
    L.seed_everything(1, verbose=False)
    trainer.fit(system, train_dataloaders=batches, ckpt_path=resume, weights_only=True)
    assert trainer.global_step == steps
    return system.state_dict(), handed


def test_a_fit_resumed_mid_epoch_trains_on_the_same_batches_and_ends_with_the_same_weights(tmp_path):
    straight, handed = fit(10, checkpoints=tmp_path)  # epochs of steps 0-3, 4-7, 8-11; saved at step 6
    resumed, handed_after = fit(10, resume=str(tmp_path / "step6.ckpt"))
    assert sorted(handed) == list(range(10)) and sorted(handed_after) == [6, 7, 8, 9]
    reference = StoredBatches(X, 4, seed=3)
    for step, x in handed.items():
        assert torch.equal(x, reference.batch(step)[0]), step
        if step in handed_after:
            assert torch.equal(handed_after[step], x), step
    for key, value in straight.items():
        assert torch.equal(value, resumed[key]), key

"""Every modality × views family: one real training step, finite loss, the right networks moved."""

import copy

import lightning as L
import pytest
import torch

from viewmaker_cli.data.batches import StoredBatches
from viewmaker_cli.data.speech.frontend import LogMelFrontend
from viewmaker_cli.errors import UserError
from viewmaker_cli.models.encoder import Normalizer
from viewmaker_cli.objectives.table import OBJECTIVES
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.views import Viewmaker
from viewmaker_cli.views.families import expert_views

# 2,048 samples, hop 136 → 16 frames of 16 mels
WAVE_META = {"waveform": True, "sample_rate": 16000, "n_mels": 16, "n_fft": 512, "hop_length": 136, "mean": -30.0, "std": 15.0}
MODALITIES = {  # synthetic data with each modality's stored layout
    "image": (lambda: (torch.rand(16, 3, 16, 16) * 255).to(torch.uint8), True, "after", {}),
    "audio": (lambda: torch.randn(16, 1, 32, 24).half(), False, "before", {"mean": -30.0, "std": 15.0}),
    "sensor": (lambda: torch.randn(16, 6, 8, 25), False, "before", {}),
    "sensor-raw": (lambda: torch.randn(16, 6, 40), False, "before", {}),
    # speech kept as waveforms: views act on the waveform, the log-mel front end runs before the encoder
    "audio-wave": (lambda: (0.1 * torch.randn(16, 1, 2048)).half(), False, "before", WAVE_META),
}


def normalizer_for(x: torch.Tensor, meta: dict):
    if meta.get("waveform"):
        return LogMelFrontend.from_meta(meta)
    return Normalizer.identity(x.shape[1], x.ndim - 2)


# Each objective's own keys at sizes one step affords (the rest: its config's defaults).
SMALL = {"instdisc": {"num_negatives": 32}, "byol": {"hidden": 16}, "simsiam": {"hidden": 16},
         "moco": {"queue_size": 64, "temperature": 0.07, "ema": 0.99}}


def config(modality: str, views: str, clamp: bool, normalize: str, objective: str = "simclr") -> dict:
    return {
        "budget": 0.05, "seed": 0,
        "modality": {"name": modality.split("-")[0], "clamp": clamp, "normalize": normalize},
        "data": {"batch_size": 8, "name": "synthetic"},
        "model": {"arch": "resnet18_small", "width": 4, "embedding_dim": 4},
        "views": {"name": views, "expert": "auto", "width": 4, "num_res_blocks": 1, "lr": 1e-3, "loss_weight": 1.0,
                  "update": "alternating"},
        "objective": {"name": objective, **SMALL.get(objective, {})},
        "optim": {"lr": 0.03, "momentum": 0.9, "weight_decay": 1e-4},
        "trainer": {"log_every_n_steps": 1},
    }


def test_combined_views_differ_from_expert_views_by_at_most_the_budget():
    torch.manual_seed(0)
    x = torch.rand(8, 3, 16, 16)
    expert = expert_views("image", "auto", {})(x)
    viewmaker = Viewmaker(3, budget=0.05, clamp=True, width=4, num_res_blocks=1)
    combined = viewmaker(expert)
    per_example = (combined - expert).abs().flatten(1).mean(1)
    assert (per_example <= 0.05 * 1.001).all() and (per_example > 0.02).all()


# Waveform storage changes the views, not the objective: "audio" covers every objective.
COMBINATIONS = [
    (modality, views, objective)
    for modality in MODALITIES
    for views in ("learned", "expert", "combined", "noise")
    for objective in OBJECTIVES
    if modality != "audio-wave" or objective == "simclr"
]


@pytest.mark.parametrize("modality,views,objective", COMBINATIONS)
def test_every_modality_views_objective_trains_one_step(modality, views, objective):
    """One real step: finite loss, the encoder moved, the viewmaker moved iff it is trained, and each
    objective's own state (bank, EMA target, queue, predictor/classifier) was updated."""
    make, clamp, normalize, meta = MODALITIES[modality]
    torch.manual_seed(0)
    x, y = make(), torch.arange(16) % 4
    cfg = config(modality, views, clamp, normalize, objective)
    if modality == "sensor-raw" and views in ("expert", "combined"):  # no expert set for raw series
        with pytest.raises(UserError, match="raw 1-D series"):
            PretrainSystem(cfg, x, Normalizer.identity(6, 1), meta=meta, train_y=y, num_classes=4)
        return
    system = PretrainSystem(cfg, x, normalizer_for(x, meta), meta=meta, train_y=y, num_classes=4)
    before = copy.deepcopy(system.state_dict())
    losses = []
    system.objective.register_forward_hook(lambda module, args, out: losses.append(out.detach()))
    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=StoredBatches(x, cfg["data"]["batch_size"], cfg["seed"]))
    assert losses and all(torch.isfinite(loss) for loss in losses)
    after = system.state_dict()
    changed = {k for k, v in after.items() if v.is_floating_point() and not torch.equal(v, before[k])}
    assert any(k.startswith("encoder.") for k in changed)
    assert any(k.startswith("viewmaker.") for k in changed) == (views in ("learned", "combined"))
    if objective == "instdisc":  # the bank rows of this batch were written, in place
        assert any("bank" in k for k in changed)
    if objective in ("byol", "moco"):  # the EMA target followed the encoder
        assert any(k.startswith("target.") for k in changed)
    if objective == "moco":
        assert any("queue" in k for k in changed)
    if objective in ("byol", "simsiam", "supervised"):  # their own layers train with the encoder
        assert any(k.startswith("objective.") for k in changed)
    assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())

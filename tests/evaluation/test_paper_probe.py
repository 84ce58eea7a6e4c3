"""The paper's probe: views on probe-training inputs only, a frozen encoder in eval mode, SGD with a step
schedule, and per-modality settings from the config."""

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from torch import nn

from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import ProbeConfig, config_dir
from viewmaker_cli.evaluation.kinds import Encoded, Task, evaluate, fit
from viewmaker_cli.evaluation.paper_probe import PaperProtocol, train_paper_head
from viewmaker_cli.evaluation.settings import protocol_for
from viewmaker_cli.models import ResNetSmall
from viewmaker_cli.models.encoder import Normalizer


class Recorder(nn.Module):
    """A view that remembers what it was given and adds a little noise."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(x.clone())
        return x + 0.01 * torch.randn_like(x)


class Flat(nn.Module):
    """An 'encoder' whose features are its inputs (so the probe's own maths is what is tested)."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def features(self, x, layer="pooled"):
        return x.flatten(1)


def blobs(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    return (torch.eye(3, 4)[y] * 4 + torch.randn(n, 4, generator=g)).view(n, 1, 2, 2), y


def test_views_touch_training_inputs_only_and_the_encoder_stays_frozen_in_eval():
    encoder = ResNetSmall(1, width=4).train()
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    x = torch.arange(40, dtype=torch.float32).view(40, 1, 1, 1).expand(40, 1, 8, 8).contiguous()  # row i is all i
    y = torch.arange(40) % 2
    view = Recorder()
    task = Task("t", x, y, x[:6] + 100, y[:6], 2)
    protocol = PaperProtocol(layer="pooled", epochs=2, batch_size=16, views_during_probe="learned")
    fitted = fit("paper", protocol, Encoded(encoder, Normalizer.identity(1)), task, view, seed=0)
    assert len(view.seen) == 2 * 3  # one fresh view per batch and epoch
    for epoch in range(2):  # every training row once per epoch, never a test row
        rows = torch.cat([b[:, 0, 0, 0] for b in view.seen[3 * epoch : 3 * epoch + 3]])
        assert sorted(rows.tolist()) == list(range(40))
    evaluate(fitted, Encoded(encoder, Normalizer.identity(1)), task)
    assert len(view.seen) == 6  # test inputs are clean
    assert encoder.training  # mode given back
    assert all(torch.equal(before[k], v) for k, v in encoder.state_dict().items())  # BN statistics included


def test_an_identity_view_equals_training_on_cached_clean_features():
    (x, y), encoder, normalizer = blobs(60, 0), Flat(), Normalizer.identity(1)
    protocol = PaperProtocol(layer="pooled", epochs=3, batch_size=8, lr=0.05, milestones=[2])
    with_views = train_paper_head(encoder, normalizer, nn.Identity(), x, y, 3, protocol, seed=1)
    cached = train_paper_head(encoder, normalizer, None, x, y, 3, protocol, seed=1)
    assert torch.equal(with_views.head.weight, cached.head.weight)


def test_sgd_learns_and_the_step_schedule_applies():
    (x, y), (xt, yt) = blobs(90, 0), blobs(30, 1)
    encoder, normalizer = Flat(), Normalizer.identity(1)
    protocol = PaperProtocol(layer="pooled", epochs=20, batch_size=16, lr=0.1, milestones=[])
    head = train_paper_head(encoder, normalizer, Recorder(), x, y, 3, protocol, seed=0)
    assert (head(xt.flatten(1)).argmax(1) == yt).float().mean() > 0.9
    # gamma 0 at epoch 1: later epochs change nothing
    frozen = PaperProtocol(layer="pooled", epochs=4, batch_size=16, lr=0.1, milestones=[1], gamma=0.0)
    one = PaperProtocol(layer="pooled", epochs=1, batch_size=16, lr=0.1, milestones=[])
    a = train_paper_head(encoder, normalizer, None, x, y, 3, frozen, seed=0)
    b = train_paper_head(encoder, normalizer, None, x, y, 3, one, seed=0)
    assert torch.equal(a.head.weight, b.head.weight)


def test_the_paper_settings_per_modality_and_preset_paper_selects_them():
    probe = OmegaConf.to_container(OmegaConf.structured(ProbeConfig))
    image, audio, sensor = (protocol_for("paper", probe, m, "learned: x") for m in ("image", "audio", "sensor"))
    transfer = protocol_for("paper", probe, "image", "learned: x", transfer=True)
    assert (image.layer, image.batch_size, image.weight_decay, image.milestones) == ("prepool", 128, 0.0, [60, 80])
    assert (audio.layer, audio.batch_size, audio.weight_decay, audio.milestones) == ("prepool", 256, 0.0, [])
    assert (sensor.layer, sensor.batch_size, sensor.weight_decay, sensor.milestones) == ("pooled", 256, 1e-4, [])
    assert (transfer.layer, transfer.weight_decay, transfer.milestones) == ("pooled", 1e-4, [])
    assert {p.lr for p in (image, audio, sensor)} == {0.01} and image.epochs == 100 and image.views_during_probe == "learned: x"
    probe["paper"]["sensor"]["views"] = False
    assert protocol_for("paper", probe, "sensor", "learned: x").views_during_probe == "none"
    register_schemas("pretrain")
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        assert compose("pretrain", ["preset=paper", "modality=sensor"]).probe.kind == "paper"
        assert compose("pretrain").probe.kind == "linear" and compose("pretrain").probe.also == ["knn"]


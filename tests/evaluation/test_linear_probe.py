import torch

from viewmaker_cli.evaluation.linear_probe import ProbeProtocol, embed, fit_linear_probe
from viewmaker_cli.models import ResNetSmall
from viewmaker_cli.models.encoder import Normalizer


def blobs(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    centers = torch.tensor([[5.0, 0, 0, 0], [0, 5.0, 0, 0], [0, 0, 5.0, 0]])
    return centers[y] + torch.randn(n, 4, generator=g), y


def test_probe_separates_separable_features_and_not_random_labels():
    (xtr, ytr), (xte, yte) = blobs(300, 0), blobs(100, 1)
    protocol = ProbeProtocol(epochs=30, batch_size=64, lr=1e-2)
    assert fit_linear_probe(xtr, ytr, xte, yte, 3, protocol, seed=0)["probe_top1"] > 97
    shuffled = fit_linear_probe(xtr, ytr, xte, yte[torch.randperm(100)], 3, protocol, seed=0)["probe_top1"]
    assert shuffled < 60


def test_probe_is_deterministic_for_a_seed():
    (xtr, ytr), (xte, yte) = blobs(200, 0), blobs(50, 1)
    protocol = ProbeProtocol(epochs=3, batch_size=32)
    assert fit_linear_probe(xtr, ytr, xte, yte, 3, protocol, 0) == fit_linear_probe(xtr, ytr, xte, yte, 3, protocol, 0)


def test_embed_uses_eval_mode_and_scales_uint8():
    encoder = ResNetSmall(1, width=4).train()
    x = (torch.rand(6, 1, 8, 8) * 255).to(torch.uint8)
    features = embed(encoder, Normalizer.identity(1), x, "pooled", batch_size=4)
    assert features.shape == (6, 32) and encoder.training
    with torch.no_grad():
        expected = encoder.eval().features(x.float() / 255, "pooled")
    assert torch.allclose(features, expected, atol=1e-5)

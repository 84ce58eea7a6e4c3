import torch

from viewmaker_cli.views import NoiseViews, Viewmaker


def test_noise_views_meet_the_same_l1_budget_per_example_as_learned_views():
    torch.manual_seed(0)
    for shape in ((4, 3, 32, 32), (3, 1, 64, 50), (2, 52, 32, 32), (3, 6, 100)):
        x = torch.rand(shape)
        for budget in (0.02, 0.05, 0.5):
            noise = NoiseViews(budget, clamp=False).perturbation(x)
            per_example = noise.abs().flatten(1).mean(1)
            assert torch.allclose(per_example, torch.full_like(per_example, budget), rtol=0.02)
    x = torch.rand(4, 3, 16, 16)
    learned = Viewmaker(3, budget=0.05, clamp=False, width=4, num_res_blocks=1).perturbation(x).abs().flatten(1).mean(1)
    noise = NoiseViews(0.05, clamp=False).perturbation(x).abs().flatten(1).mean(1)
    assert torch.allclose(learned, noise, rtol=0.02)


def test_noise_views_are_gaussian_random_and_clamped():
    x = torch.rand(2, 3, 64, 64)
    views = NoiseViews(0.5, clamp=True)
    a, b = views(x), views(x)
    assert not torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    delta = NoiseViews(0.5, clamp=False).perturbation(x)
    # Gaussian, not tanh-squashed: |delta| / mean|delta| has the half-normal's tail (max well above 3).
    ratio = (delta.abs() / delta.abs().mean()).max()
    assert ratio > 3.5

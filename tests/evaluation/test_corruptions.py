"""The 15 generated CIFAR-10-C corruptions: range, shape, determinism, growth with severity, and the shared
filters against the libraries CIFAR-10-C was made with (scipy, PIL) or the authors' own loop."""

import io

import kornia
import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
from PIL import Image
from sklearn.datasets import load_sample_images

from viewmaker_cli.evaluation.corruptions import CORRUPTIONS, corrupt
from viewmaker_cli.evaluation.corruptions.filters import gaussian_blur
from viewmaker_cli.evaluation.corruptions.jpeg import jpeg

# CIFAR-10-C's own parameters do not make these three grow steadily: glass blur's blur and its number of
# pixel-moving passes alternate, and elastic's affine warp shrinks while its local field grows.
NOT_MONOTONE = {"glass_blur", "elastic_transform"}


@pytest.fixture(scope="module")
def photos():
    """Natural RGB images: 32 crops of scikit-learn's two sample photos, box-downsampled to 32x32."""
    rng = np.random.default_rng(0)
    crops = []
    for image in load_sample_images().images:
        for _ in range(16):
            i, j = rng.integers(0, image.shape[0] - 96), rng.integers(0, image.shape[1] - 96)
            crops.append(np.asarray(Image.fromarray(image[i : i + 96, j : j + 96]).resize((32, 32), Image.BOX)))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255


def change(x, y):
    return 1 - kornia.metrics.ssim(x, y, 7).mean().item()


def run(x, name, severity, seed=0):
    return CORRUPTIONS[name](x.clone(), severity, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_values_stay_in_0_1_and_change_grows_with_severity(photos, name):
    grey = photos[:3].mean(1, keepdim=True)
    changes = []
    for severity in range(1, 6):
        out = run(photos, name, severity)
        assert out.shape == photos.shape and out.min() >= 0 and out.max() <= 1, (severity, out.min(), out.max())
        one = run(grey, name, severity)
        assert one.shape == grey.shape and one.min() >= 0 and one.max() <= 1
        changes.append(change(photos, out))
    assert min(changes) > 0.001, changes  # every severity does something
    if name == "glass_blur":  # two pixel-moving passes (4, 5) against one (1-3)
        assert min(changes[3:]) > max(changes[:3]), changes
    elif name == "elastic_transform":  # faithful, not a slip: severity 1 has the largest affine warp
        assert changes[0] > changes[4], changes
    else:
        assert changes[4] > changes[0] + 0.02, changes
        assert all(b >= a - 0.005 for a, b in zip(changes, changes[1:])), changes  # motion 3/4 and snow 2/3 tie


def test_the_same_generator_gives_the_same_corruption_and_a_new_one_another(photos):
    for name in ("gaussian_noise", "glass_blur", "snow", "fog", "elastic_transform"):
        assert torch.equal(run(photos, name, 3, seed=1), run(photos, name, 3, seed=1))
        assert not torch.equal(run(photos, name, 3, seed=1), run(photos, name, 3, seed=2))
    stored = corrupt(photos, "contrast", 2, torch.Generator().manual_seed(0))
    assert stored.dtype == torch.uint8
    assert torch.equal(stored, (run(photos, "contrast", 2) * 255).to(torch.uint8))  # numpy's truncating cast


def test_glass_blur_equals_the_authors_loop_with_its_numpy_swap(photos):
    """Their `x[h, w], x[h2, w2] = x[h2, w2], x[h, w]` on views copies, it does not swap; at severity 1 the
    blur is the identity, so the output is the 8-bit image after that loop with the same offsets."""
    x = photos[:2]
    ours = run(x, "glass_blur", 1, seed=5)
    steps = (torch.rand((2, 2, 30, 30), generator=torch.Generator().manual_seed(5)) * 2).floor().long() - 1
    for b in range(2):
        image = np.floor(x[b].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        for h in range(32 - 1, 1, -1):
            for w in range(32 - 1, 1, -1):
                dy, dx = int(steps[b, 0, h - 2, w - 2]), int(steps[b, 1, h - 2, w - 2])
                image[h, w], image[h + dy, w + dx] = image[h + dy, w + dx], image[h, w]
        assert np.array_equal(np.round(ours[b].permute(1, 2, 0).numpy() * 255).astype(np.uint8), image)


@pytest.mark.parametrize("mode", ["nearest", "reflect", "mirror"])
def test_gaussian_blur_matches_scipy(mode):
    x = np.random.default_rng(1).random((2, 3, 16, 20)).astype(np.float32)
    expected = ndi.gaussian_filter(x, sigma=(0, 0, 1.3, 1.3), mode=mode, truncate=4.0)
    assert np.abs(gaussian_blur(torch.from_numpy(x), 1.3, 4.0, mode).numpy() - expected).max() < 1e-5


@pytest.mark.parametrize("severity", [1, 5])
def test_pixelate_matches_pil_box_resizes(photos, severity):
    c = [0.95, 0.9, 0.85, 0.75, 0.65][severity - 1]
    for image in photos[:3]:
        pixels = np.round(image.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        pil = Image.fromarray(pixels).resize((int(32 * c),) * 2, Image.BOX).resize((32, 32), Image.BOX)
        ours = run(torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255, "pixelate", severity)
        assert np.abs(ours[0].permute(1, 2, 0).numpy() * 255 - np.asarray(pil)).max() <= 1.0  # PIL rounds per pass


@pytest.mark.parametrize("quality", [80, 40])
def test_jpeg_is_close_to_pil(photos, quality):
    ours_error, pil_change = [], []
    for image in photos:
        pixels = np.round(image.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
        pil = np.asarray(Image.open(buffer)).astype(float)
        ours = jpeg(torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255, quality)[0].permute(1, 2, 0).numpy() * 255
        ours_error.append(np.abs(ours - pil).mean())
        pil_change.append(np.abs(pil - pixels).mean())
    assert np.mean(ours_error) < 0.3 * np.mean(pil_change), (np.mean(ours_error), np.mean(pil_change))

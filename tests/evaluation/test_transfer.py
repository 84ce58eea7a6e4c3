"""Transfer datasets: read with their own settings, images adapted as the paper's transfer sets were, other
shapes refused in one line."""

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from PIL import Image

from tests.evaluation.probe_fixtures import write_mnist
from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import config_dir
from viewmaker_cli.data import Splits
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.transfer import adapt, data_config, load_transfer


def splits(x, modality="image"):
    y = torch.zeros(len(x), dtype=torch.long)
    return Splits("other", modality, x, y, x, y, 1, ["a"], "test")


@pytest.mark.parametrize("h, w", [(28, 28), (40, 30)])
def test_images_are_resized_on_the_shorter_side_centre_cropped_and_made_rgb_like_torchvision_on_pil(h, w):
    x = torch.from_numpy(np.random.default_rng(0).integers(0, 256, size=(3, 1, h, w), dtype=np.uint8))
    adapted, note = adapt(splits(x), (3, 32, 32), torch.device("cpu"))
    assert adapted.train_x.shape == (3, 3, 32, 32) and adapted.train_x.dtype == torch.uint8
    assert torch.equal(adapted.train_x[:, 0], adapted.train_x[:, 2]) and "grey repeated to 3 channels" in note
    for image, ours in zip(x, adapted.test_x):  # Resize(32) then CenterCrop(32) on the PIL image
        long = int(32 * max(h, w) / min(h, w))
        size = (long, 32) if h <= w else (32, long)  # PIL sizes are (width, height)
        pil = np.asarray(Image.fromarray(image[0].numpy()).resize(size, Image.BILINEAR)).astype(int)
        top, left = int(round((pil.shape[0] - 32) / 2)), int(round((pil.shape[1] - 32) / 2))
        assert np.abs(ours[0].numpy().astype(int) - pil[top : top + 32, left : left + 32]).max() <= 1


def test_shapes_that_cannot_be_adapted_are_one_line_errors():
    rgb = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    with pytest.raises(UserError, match=r"RGB images cannot be made greyscale") as caught:
        adapt(splits(rgb), (1, 32, 32), torch.device("cpu"))
    assert "\n" not in str(caught.value)
    with pytest.raises(UserError, match=r"audio transfer needs the same shape"):
        adapt(splits(torch.zeros(2, 1, 64, 32), "audio"), (1, 64, 64), torch.device("cpu"))
    same = splits(torch.zeros(2, 1, 64, 64), "audio")
    assert adapt(same, (1, 64, 64), torch.device("cpu")) == (same, "as stored")


def test_a_transfer_dataset_is_read_with_its_own_config(tmp_path):
    assert data_config("audio_quickstart")["name"] == "spoken_digits"  # its defaults list is followed
    assert data_config("audio_quickstart")["batch_size"] == 64 and data_config("spoken_digits")["options"]["n_speakers"] == 200
    write_mnist(tmp_path / "mnist", n_train=9, n_test=6)
    other, record = load_transfer("mnist", "image", (1, 32, 32), str(tmp_path), torch.device("cpu"))
    assert other.train_x.shape == (9, 1, 32, 32) and other.test_y.tolist() == [0, 1, 2] * 2
    assert record["inputs"].startswith("resized 28x28 -> 32x32") and record["train"] == 9
    with pytest.raises(UserError, match="mnist is image data, the encoder was trained on sensor data"):
        load_transfer("mnist", "sensor", (6, 8, 25), str(tmp_path), torch.device("cpu"))


def test_every_data_yaml_is_composed_as_pretrain_composes_data_name():
    names = sorted(path.stem for path in (config_dir() / "data").glob("*.yaml"))
    register_schemas("pretrain")
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):  # as inside a running vmk app
        expected = {name: OmegaConf.to_container(compose("pretrain", overrides=[f"data={name}"]).data) for name in names}
        inside = {name: data_config(name) for name in names}
    outside = {name: data_config(name) for name in names}  # no Hydra app: data_config sets Hydra up itself
    assert len(names) > 20 and inside == expected and outside == expected

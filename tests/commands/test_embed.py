"""`vmk embed ckpt=...`: features per split equal those of an encoder rebuilt from encoder.safetensors with
plain torch; labels and class names are the dataset's; user mistakes end in one line, exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from viewmaker_cli.models import ResNetSmall


def rebuilt_features(out, x: torch.Tensor, layer: str) -> torch.Tensor:
    """What a user's script does: ResNetSmall from encoder.json, weights from encoder.safetensors, inputs
    prepared as encoder.json says; then the layer computed by hand from the network's parts."""
    spec = json.loads((out / "encoder.json").read_text())
    weights = load_file(str(out / spec["weights"]))
    model = ResNetSmall(spec["in_channels"], spec["width"], spec["embedding_dim"], spec["dims"], spec["stem"])
    model.load_state_dict(weights)  # strict: the key layout is ResNetSmall's
    model.eval()
    norm = spec["normalization"]
    shape = (1, -1) + (1,) * spec["dims"]
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    x = (x - torch.tensor(norm["mean"]).reshape(shape)) / torch.tensor(norm["std"]).reshape(shape)
    with torch.no_grad():
        h = model.stages(model.stem(x))
        pooled = h.flatten(2).mean(2)
        return {"pooled": pooled, "prepool": h.flatten(1),
                "embedding": pooled @ weights["head.weight"].T + weights["head.bias"]}[layer]


@pytest.fixture
def image_file(tmp_path):
    """Another labelled dataset of the image run's shape (1 x 32 x 32, uint8) as a tensor_file."""
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    np.savez(path, x=rng.integers(0, 256, (20, 1, 32, 32), dtype=np.uint8), y=rng.integers(0, 3, 20),
             x_test=rng.integers(0, 256, (12, 1, 32, 32), dtype=np.uint8), y_test=np.arange(12) % 3)
    return path


@pytest.mark.parametrize("layer", ["pooled", "embedding"])  # prepool: the sensor test
def test_image_run_on_other_data_matches_a_plain_torch_encoder(layer, ckpts, vmk, image_file, tmp_path):
    code, _, err = vmk("embed", f"ckpt={ckpts['image']}", "data=tensor_file", f"data.path={image_file}",
                       f"layer={layer}", "batch_size=5", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 0, err
    run = tmp_path / "run"
    spec = json.loads((run / "encoder.json").read_text())
    assert (spec["format"], spec["arch"], spec["width"], spec["in_channels"], spec["dims"]) == \
        ("vmk-encoder", "resnet18_small", 4, 1, 2)
    assert spec["input_shape"] == [1, 32, 32] and spec["embeddings"]["layer"] == layer
    saved = torch.load(ckpts["image"], map_location="cpu", weights_only=True)["state_dict"]
    assert spec["normalization"]["mean"] == pytest.approx(saved["normalizer.mean"].flatten().tolist())
    assert spec["normalization"]["std"] == pytest.approx(saved["normalizer.std"].flatten().tolist())
    with np.load(image_file) as source:
        for split, (xs, ys) in {"train": ("x", "y"), "test": ("x_test", "y_test")}.items():
            with np.load(run / f"{split}.npz", allow_pickle=False) as saved_split:
                x, y = saved_split["x"], saved_split["y"]
                assert x.dtype == np.float32 and y.dtype == np.int64 and np.array_equal(y, source[ys])
                expected = rebuilt_features(run, torch.from_numpy(source[xs]), layer).numpy()
                assert x.shape == expected.shape == (len(source[ys]), spec["feature_layers"][layer])
                np.testing.assert_allclose(x, expected, rtol=1e-4, atol=1e-5)


def test_sensor_run_embeds_its_own_data_by_default(ckpts, vmk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = vmk("embed", f"ckpt={ckpts['sensor']}", "layer=prepool", "out=emb")
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["emb"]  # no outputs/DATE/TIME/ beside it
    assert not {".hydra", "embed.log"} & {p.name for p in (tmp_path / "emb").iterdir()}
    from viewmaker_cli.data import load_dataset

    splits = load_dataset("basic_motions")
    out = tmp_path / "emb"
    for split, x, y in (("train", splits.train_x, splits.train_y), ("test", splits.test_x, splits.test_y)):
        with np.load(out / f"{split}.npz", allow_pickle=False) as saved:
            assert np.array_equal(saved["y"], y.numpy()) and list(saved["class_names"]) == splits.class_names
            np.testing.assert_allclose(saved["x"], rebuilt_features(out, x, "prepool").numpy(), rtol=1e-4, atol=1e-5)
    spec = json.loads((out / "encoder.json").read_text())
    assert spec["in_channels"] == 6 and spec["normalization"]["mean"] == [0.0] * 6  # z-scored by the dataset
    assert not list((tmp_path / "run").glob("*.npz"))


@pytest.mark.parametrize("args, needle", [
    (["views", "ckpt={missing}"], "no such file"),
    (["embed"], "no checkpoint given"),
    (["embed", "ckpt={plain}"], "not a vmk checkpoint"),
    (["embed", "ckpt={image}", "data.name=nope"], "unknown dataset 'nope'"),
    (["embed", "ckpt={image}", "data=nope"], "Could not find 'data/nope'"),
    (["embed", "ckpt={image}", "data=basic_motions"], "trained on inputs of shape (1, 32, 32)"),
    (["embed", "ckpt={image}", "layer=logits"], "layer=logits is not supported"),
    (["views", "ckpt={image}", "cmap=nope"], "cmap=nope is not a matplotlib colormap"),
    (["views", "ckpt={image}", "frames=0"], "frames must be at least 1"),
])
def test_mistakes_are_one_line_exit_2_and_write_nothing(args, needle, ckpts, vmk, tmp_path):
    torch.save({"state_dict": {"w": torch.zeros(2)}}, tmp_path / "plain.ckpt")
    paths = {"missing": tmp_path / "nope.ckpt", "plain": tmp_path / "plain.ckpt",
             "image": ckpts["image"]}
    run = tmp_path / "run"
    code, _, err = vmk(*[a.format(**paths) for a in args], f"hydra.run.dir={run}")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("vmk: error: ") and needle in lines[0], err
    assert not [p.name for p in run.glob("*") if p.name not in (".hydra", "views.log", "embed.log")]

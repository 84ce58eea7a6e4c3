"""`vmk data prepare NAME` writes the one cache entry that `vmk pretrain data=NAME` and `vmk probe` read:
after it, neither decodes an image and no second cache file appears."""

from pathlib import Path

from PIL import Image

from viewmaker_cli.data.images import image_folder

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=4", "trainer.max_steps=1",
        "trainer.image_every_n_steps=0", "probe.enabled=false"]  # the probe command reads the data below


def write_pngs(root: Path) -> None:
    """8 train and 4 test PNGs of two classes, at a size the loader has to resize."""
    for split, count in (("train", 4), ("test", 2)):
        for label, colour in (("ant", (0, 0, 255)), ("zebra", (255, 0, 0))):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                Image.new("RGB", (40 + i, 36), colour).save(folder / f"{i}.png")


def test_pretrain_and_probe_read_the_entry_prepare_wrote(tmp_path, vmk, monkeypatch):
    root = tmp_path / "images"
    write_pngs(root)
    cache = tmp_path / "vmk-cache"  # the vmk fixture's $VMK_CACHE
    code, out, err = vmk("data", "prepare", "image_folder", f"data.root={root}")
    assert code == 0, err
    assert "8 train / 4 test, 3x32x32" in out
    (entry,) = cache.glob("*.pt")

    def no_decoding(path, size):
        raise AssertionError(f"decoded {path} again: the prepared cache was not used")

    monkeypatch.setattr(image_folder, "decode", no_decoding)
    run = tmp_path / "run"
    code, _, err = vmk("pretrain", "data=image_folder", f"data.root={root}", *TINY, f"hydra.run.dir={run}")
    assert code == 0, err[-3000:]
    code, _, err = vmk("probe", f"ckpt={run / 'checkpoints' / 'last.ckpt'}", "probe.kind=knn", "probe.also=[]",
                       "probe.baseline=false", f"hydra.run.dir={tmp_path / 'probe'}")
    assert code == 0, err[-3000:]
    assert list(cache.glob("*.pt")) == [entry]


def test_prepare_passes_the_yaml_options_and_its_own(tmp_path, vmk):
    """A data.options value given to prepare is part of the entry, as it is for pretrain."""
    root = tmp_path / "images"
    write_pngs(root)
    code, out, err = vmk("data", "prepare", "image_folder", f"data.root={root}", "data.options.image_size=16")
    assert code == 0, err
    assert "3x16x16" in out
    code, _, err = vmk("data", "prepare", "image_folder", f"data.root={root}", "options.colour=1")
    assert code == 2 and "does not take data.options ['colour']" in err

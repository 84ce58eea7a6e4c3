"""`Viewmaker.from_pretrained(PATH)`: the run's trained viewmaker, the same from a run dir, a checkpoint or the
`viewmaker.safetensors` that `vmk embed` writes; the README's snippet runs as written; wrong files are one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from viewmaker_cli import Viewmaker
from viewmaker_cli.errors import UserError

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def embedded(ckpts, vmk, tmp_path) -> Path:
    out = tmp_path / "emb"
    code, stdout, err = vmk("embed", f"ckpt={ckpts['image']}", "splits=[test]", f"out={out}", f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 0, err
    assert "viewmaker.safetensors" in stdout
    return out


def test_run_dir_checkpoint_and_safetensors_give_the_trained_viewmaker(ckpts, embedded):
    saved = torch.load(ckpts["image"], map_location="cpu", weights_only=True)
    trained = {k.removeprefix("viewmaker."): v for k, v in saved["state_dict"].items() if k.startswith("viewmaker.")}
    run_dir = ckpts["image"].parent.parent
    loaded = [Viewmaker.from_pretrained(p) for p in (run_dir, ckpts["image"], embedded / "viewmaker.safetensors", embedded)]
    spec = json.loads((embedded / "viewmaker.json").read_text())
    assert (spec["format"], spec["num_channels"], spec["dims"], spec["width"], spec["num_res_blocks"]) == ("vmk-viewmaker", 1, 2, 4, 1)
    for viewmaker in loaded:
        assert not viewmaker.training and viewmaker.input_shape == (1, 32, 32)
        assert (viewmaker.budget, viewmaker.clamp, viewmaker.norm) == (saved["vmk"]["config"]["budget"], True, "l1")
        state = viewmaker.state_dict()
        assert state.keys() == trained.keys() and all(torch.equal(state[k], trained[k]) for k in trained)
    x = torch.rand(4, 1, 32, 32) * 0.5 + 0.25  # away from 0 and 1: the clamp does not change the distance
    delta = loaded[2].perturbation(x)
    assert delta.abs().flatten(1).mean(1) == pytest.approx([loaded[2].budget] * 4, rel=1e-2)
    torch.manual_seed(0)
    a = loaded[0](x)
    torch.manual_seed(0)
    assert torch.equal(a, loaded[2](x))  # same network, same noise: the same view


def test_the_readme_snippet_runs(embedded):
    snippet = re.search(r"```python\n(import torch\nfrom torch import nn\nfrom viewmaker_cli import Viewmaker\n.*?)```",
                        README.read_text(), re.S).group(1)
    code = re.sub(r'Viewmaker\.from_pretrained\("[^"]*"\)', f'Viewmaker.from_pretrained("{embedded}")', snippet)
    assert code != snippet
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["loss"].isfinite()


def test_files_without_a_viewmaker_are_refused_in_one_line(embedded, tmp_path):
    expert = tmp_path / "expert.ckpt"
    torch.save({"vmk": {"config": {"views": {"name": "expert"}}}, "state_dict": {}}, expert)
    for path, needle in ((embedded / "encoder.safetensors", "not a vmk viewmaker file"), (expert, "this run has no viewmaker"),
                         (tmp_path / "nothing", "no such file"), (tmp_path, "neither viewmaker.safetensors")):
        with pytest.raises(UserError, match=needle) as error:
            Viewmaker.from_pretrained(path)
        assert "\n" not in str(error.value)

"""`data=ts_file data.path=NAME_TRAIN.ts`: UEA/UCR problems from files written in the archive's `.ts` format:
univariate and multivariate, unequal lengths padded by the stated rule, missing values, string labels; a run
pretrains and probes on them; mistakes are one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from viewmaker_cli.data import load_dataset
from viewmaker_cli.errors import UserError

TINY = ["model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8", "trainer.max_steps=2",
        "probe.epochs=1", "probe.also=[]", "probe.baseline=false", "trainer.image_every_n_steps=0"]


def ts_text(cases: list[tuple[list[list[float | None]], str]], labels: list[str], equal: bool, name: str = "Toy") -> str:
    """A file as the archive writes it: header, @data, one case a line (channels ':'-separated, '?' missing)."""
    channels = len(cases[0][0])
    header = [f"# {name}, written by the test", f"@problemName {name}", "@timeStamps false", "@missing true",
              f"@univariate {'true' if channels == 1 else 'false'}", f"@dimensions {channels}",
              f"@equalLength {'true' if equal else 'false'}"]
    if equal:
        header.append(f"@seriesLength {len(cases[0][0][0])}")
    header += [f"@classLabel true {' '.join(labels)}", "@data"]
    rows = [":".join(",".join("?" if v is None else f"{v:.6g}" for v in series) for series in case) + f":{label}"
            for case, label in cases]
    return "\n".join(header + rows) + "\n"


def write_problem(folder: Path, name: str, channels: int, equal: bool, seed: int = 0) -> tuple[Path, dict]:
    """NAME_TRAIN.ts (24 cases) and NAME_TEST.ts (12); unequal: 10 to 16 steps; one missing value a file."""
    rng = np.random.default_rng(seed)
    labels = ["walk", "run", "sit"]
    made = {}
    for split, count in (("TRAIN", 24), ("TEST", 12)):
        cases = []
        for i in range(count):
            length = 16 if equal else int(rng.integers(10, 17))
            label = labels[i % 3]
            series = [list(np.sin(np.arange(length) * (1 + labels.index(label))) + c + rng.normal(0, 0.1, length)) for c in range(channels)]
            cases.append((series, label))
        cases[1][0][0][2] = None
        made[split] = cases
        (folder / f"{name}_{split}.ts").write_text(ts_text(cases, labels, equal, name))
    return folder / f"{name}_TRAIN.ts", made


def test_multivariate_unequal_lengths_with_missing_values_follow_the_padding_rule(tmp_path):
    path, made = write_problem(tmp_path, "Toy", channels=3, equal=False)
    splits = load_dataset("ts_file", options={"path": str(path)})
    longest = max(len(case[0][0]) for cases in made.values() for case in cases)
    assert splits.modality == "sensor" and splits.train_x.shape == (24, 3, longest) and splits.test_x.shape == (12, 3, longest)
    assert splits.class_names == ["walk", "run", "sit"] and splits.train_y[:3].tolist() == [0, 1, 2]
    observed = [[v for series, _ in made["TRAIN"] for v in series[c] if v is not None] for c in range(3)]
    mean, std = np.array([np.mean(o) for o in observed]), np.array([np.std(o) for o in observed])
    assert splits.meta["norm_mean"] == pytest.approx(mean, rel=1e-5) and splits.meta["norm_std"] == pytest.approx(std, rel=1e-5)
    for i, (case, _) in enumerate(made["TEST"][:4]):  # the test split: z-scored with the training statistics
        length = len(case[0])
        expected = [(np.array([0 if v is None else v for v in s]) - mean[c]) / std[c] for c, s in enumerate(case)]
        expected[0][2] = 0.0 if i == 1 else expected[0][2]  # the missing value: the channel's mean
        assert splits.test_x[i, :, :length].numpy() == pytest.approx(np.array(expected), abs=1e-4)
        assert (splits.test_x[i, :, length:] == 0).all()  # the end padding: the channel's mean too
    assert splits.meta["missing_values"] == 2 and splits.meta["shortest"] >= 10 and splits.meta["longest"] == longest


def test_univariate_equal_lengths(tmp_path):
    path, _ = write_problem(tmp_path, "Uni", channels=1, equal=True)
    splits = load_dataset("ts_file", options={"path": str(path)})
    assert splits.train_x.shape == (24, 1, 16) and torch.isfinite(splits.train_x).all()
    assert splits.train_x[0, 0].mean().abs() < 3 and splits.num_classes == 3


def test_pretrain_and_probe_on_a_ts_problem(vmk, tmp_path):
    path, _ = write_problem(tmp_path, "Toy", channels=2, equal=False)
    code, _, err = vmk("pretrain", "modality=sensor", "data=ts_file", f"data.path={path}", *TINY, f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 0, err
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["data"]["train"] == 24 and results["data"]["test"] == 12 and "probe_top1" in results["metrics"]


@pytest.mark.parametrize("change, needle", [
    (lambda d: d.joinpath("Toy_TEST.ts").unlink(), "no such file"),
    (lambda d: d.joinpath("Toy_TRAIN.ts").rename(d / "Toy.ts"), "give the archive's NAME_TRAIN.ts"),
    (lambda d: d.joinpath("Toy_TRAIN.ts").write_text(d.joinpath("Toy_TRAIN.ts").read_text().replace("@timeStamps false", "@timeStamps true")),
     "@timeStamps true: timestamped series are not supported"),
    (lambda d: d.joinpath("Toy_TEST.ts").write_text(d.joinpath("Toy_TEST.ts").read_text().replace("walk run sit", "a b c").replace(":walk", ":a")
                                                    .replace(":run", ":b").replace(":sit", ":c")), "different @classLabel"),
])
def test_mistakes_are_one_line(change, needle, tmp_path):
    path, _ = write_problem(tmp_path, "Toy", channels=2, equal=True)
    change(tmp_path)
    if not path.exists():
        path = tmp_path / "Toy.ts"
    with pytest.raises(UserError, match=needle) as error:
        load_dataset("ts_file", options={"path": str(path)})
    assert "\n" not in str(error.value)

"""Sweep job dirs are one short, flat file name whatever the overrides hold (core/job_dirname.py), and
`vmk report` names configurations from each job's .hydra/overrides.yaml, not from its dir name."""

import csv
import json
import shutil
from pathlib import Path

import yaml

from viewmaker_cli.core.job_dirname import job_dirname
from viewmaker_cli.reporting.table import find_runs, markdown

OLD_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "run_before_layering"
# 19 ordinary overrides, as a careful sweep pins them.
ORDINARY = ["model.width=4", "model.embedding_dim=16", "views.width=4", "views.num_res_blocks=1", "views.expert=auto",
            "data.batch_size=8", "data.windows_per_epoch=100", "trainer.max_steps=1", "trainer.max_epochs=1",
            "trainer.log_every_n_steps=1", "trainer.image_every_n_steps=0", "trainer.checkpoint_every_n_steps=100",
            "trainer.keep_checkpoints=1", "probe.epochs=1", "probe.baseline=False", "probe.also=[]", "budget=0.03",
            "optim.lr=0.001", "modality.clamp=True"]  # as Hydra writes them back


def test_names_are_flat_short_and_keep_short_overrides_readable():
    assert job_dirname(3, "budget-0.02_seed-1") == "3_budget-0.02_seed-1"
    assert job_dirname(0, "") == "0"
    nested = job_dirname(1, "data.path-/data/my files/x,y.npz")
    assert nested == "1_data.path-.data.my.files.x.y.npz"
    long_a, long_b = job_dirname(2, "a-" + "x" * 500), job_dirname(2, "a-" + "x" * 499 + "y")
    assert len(long_a.encode()) <= 80 and long_a != long_b  # cut, told apart by the hash of the whole


def test_a_sweep_with_many_overrides_a_long_value_and_a_path_makes_flat_short_dirs(tmp_path, vmk):
    """Jobs that stop at once (no such data file): the dirs, their overrides and the table are what count."""
    long_path = tmp_path / "nowhere" / ("x" * 300 + ".npz")
    sweep = tmp_path / "sweep"
    code, out, err = vmk("pretrain", "-m", "data=tensor_file", f"data.path={long_path},{tmp_path / 'a' / 'b.npz'}",
                         *ORDINARY, "hydra/launcher=basic", f"hydra.sweep.dir={sweep}")
    assert code == 1 and "Traceback" not in err and "File name too long" not in err, err[-2000:]
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert [p.name.split("_")[0] for p in jobs] == ["0", "1"]
    assert all(len(p.name.encode()) <= 80 for p in jobs)
    assert sorted(p.parent for p in sweep.rglob("results.json")) == jobs  # nothing nested
    overrides = [yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()) for job in jobs]
    assert [o[1] for o in overrides] == [f"data.path={long_path}", f"data.path={tmp_path / 'a' / 'b.npz'}"]
    assert all(set(ORDINARY) <= set(o) for o in overrides)
    rows = list(csv.DictReader((sweep / "results.csv").open()))
    assert [r["config"] for r in rows] == [f"data.path={long_path}", f"data.path={tmp_path / 'a' / 'b.npz'}"]


def test_report_reads_a_run_of_the_old_layout_beside_a_new_job(tmp_path):
    shutil.copytree(OLD_RUN, tmp_path / "0_budget-0.05_data.batch_size-16_model.embedding_dim-16_model.width-4_probe")
    newer = tmp_path / job_dirname(1, "data.path-/elsewhere/d.npz")
    shutil.copytree(OLD_RUN, newer)
    (newer / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(["model.width=4", "data.path=/elsewhere/d.npz"]))
    record = json.loads((newer / "results.json").read_text())
    record["config"]["data"]["path"] = "/elsewhere/d.npz"  # another configuration
    (newer / "results.json").write_text(json.dumps(record))
    records = find_runs([str(tmp_path)])
    assert [r["_overrides"][-1] for r in records] == ["model.embedding_dim=16", "data.path=/elsewhere/d.npz"]
    table = markdown(records)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "| ok |" in line]
    assert len(rows) == 2 and "data.path=/elsewhere/d.npz" in rows[1]

"""`vmk pretrain hydra.run.dir=DIR resume=true` continues the run in DIR with the config it was started with,
read from DIR (resume_config.py): only trainer.max_steps / max_epochs, the logging and checkpoint intervals,
trainer.compile / compile_mode and probe.* may change, any other override stops in one line before anything is written."""

import json
import warnings

import yaml

FIRST = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "budget=0.1",
         "trainer.max_steps=2", "probe.enabled=false", "trainer.image_every_n_steps=0"]


def test_resume_needs_only_the_run_dir(vmk, tmp_path):
    run = tmp_path / "run"
    code, _, err = vmk("pretrain", *FIRST, f"hydra.run.dir={run}")
    assert code == 0, err[-2000:]
    first = json.loads((run / "results.json").read_text())
    # A fresh run typed into the same dir stops before Hydra writes anything there (output_paths.py): the
    # run's own .hydra/ is untouched.
    code, _, err = vmk("pretrain", f"hydra.run.dir={run}")
    assert code == 2 and "already holds a run" in err
    assert "model.width=4" in (run / ".hydra" / "overrides.yaml").read_text()

    with warnings.catch_warnings(record=True) as warned:  # what the console would show, pytest's capture aside
        warnings.simplefilter("always")
        code, _, err = vmk("pretrain", f"hydra.run.dir={run}", "resume=true", "trainer.max_steps=4",
                           "trainer.compile_mode=default")
    assert not [w for w in warned if "exists and is not empty" in str(w.message)]  # the run's own checkpoints
    assert code == 0, err[-2000:]
    resumed = json.loads((run / "results.json").read_text())
    assert resumed["train"]["steps"] == 4 and resumed["train"]["resumed_from"]["step"] == 2
    changed = {"resume": True, "trainer": {**first["config"]["trainer"], "max_steps": 4, "compile_mode": "default"}}
    assert resumed["config"] == {**first["config"], **changed}
    kept = yaml.safe_load((run / ".vmk" / "config.yaml").read_text())  # what a further resume continues with
    assert kept["model"]["width"] == 4 and kept["budget"] == 0.1 and kept["trainer"]["max_steps"] == 4

    before = {p: p.stat().st_mtime_ns for p in run.rglob("*") if p.is_file()}
    code, _, err = vmk("pretrain", f"hydra.run.dir={run}", "resume=true", "budget=0.2")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("vmk: error: budget=0.2 would change the run") and "(budget was 0.1)" in err
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*") if p.is_file()} == before  # nothing written, .hydra/ too

"""What a run leaves for people: no warning a user cannot act on, every metric in pretrain.log, and the error of
a failed run in it too."""

import warnings

TINY = ["modality=sensor", "model.width=4", "views.width=4", "views.num_res_blocks=1", "data.batch_size=8",
        "trainer.max_steps=2", "probe.epochs=1", "probe.also=[knn]", "trainer.image_every_n_steps=0"]


def test_a_run_warns_of_nothing_a_user_cannot_act_on_and_logs_every_metric(vmk, tmp_path):
    run = tmp_path / "run"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A checkpoint every step (Lightning's manual-optimisation warning) and a log interval past the epoch's
        # 40 batches (its "fewer batches than the logging interval" warning): the two Lightning would print.
        code, out, err = vmk("pretrain", *TINY, "trainer.checkpoint_every_n_steps=1", "trainer.log_every_n_steps=50",
                             f"hydra.run.dir={run}")
    assert code == 0, err
    shown = [str(w.message) for w in caught]
    assert not [m for m in shown if "ModelCheckpoint" in m or "logging interval" in m], shown
    log = (run / "pretrain.log").read_text()
    for metric in ("probe_top1", "untrained_probe_top1", "knn_top1", "untrained_knn_top1"):
        assert f" - {metric} = " in log, metric


def test_a_failed_run_says_why_in_its_log(vmk, tmp_path):
    run = tmp_path / "run"
    code, _, err = vmk("pretrain", *TINY, "data=tensor_file", f"data.path={tmp_path / 'missing.npz'}", f"hydra.run.dir={run}")
    assert code == 2 and err.count("vmk: error:") == 1
    assert err.strip().removeprefix("vmk: ") in (run / "pretrain.log").read_text()

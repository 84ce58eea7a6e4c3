"""Config values (issue 12 point 5): every wrong value of every command is one line and exit 2 from cli.precheck,
before the command's module (torch, Lightning) is imported and before Hydra makes the run dir; `+key=value`
appends no schema knows are refused; HYDRA_FULL_ERROR=1 adds the traceback and keeps exit 2; the allowed
values restated in validation.py equal the ones the torch modules use."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir

from tests.one_line import one_line_exit_2
from viewmaker_cli import cli, validation
from viewmaker_cli.config import config_dir
from viewmaker_cli.errors import UserError

PRETRAIN = [
    ("budget=-1", "budget must be a positive number"),
    ("budget=inf", "budget must be a positive number"),
    ("budget=nan", "budget must be a positive number"),
    ("seed=-5", "seed must be in 0..4294967295"),
    ("seed=4294967296", "seed must be in 0..4294967295"),
    ("model.width=0", "model.width must be at least 1"),
    ("model.embedding_dim=-3", "model.embedding_dim must be at least 1"),
    ("views.width=0", "views.width must be at least 1"),
    ("views.num_res_blocks=-1", "views.num_res_blocks must be at least 0"),
    ("views.lr=-0.001", "views.lr must be a finite number >= 0"),
    ("views.loss_weight=inf", "views.loss_weight must be a finite number"),
    ("views.freeze_epoch=-1", "views.freeze_epoch must be at least 0"),
    ("views.gain_db=[6,-6]", "views.gain_db must be [low, high]"),
    ("views=expert views.expert=specaugment", "views.expert=specaugment is not supported"),
    ("views.norm=l3", "views.norm=l3 is not supported"),
    ("optim.lr=nan", "optim.lr must be a finite number >= 0"),
    ("optim.weight_decay=-1", "optim.weight_decay must be a finite number >= 0"),
    ("data.batch_size=1", "data.batch_size must be at least 2"),
    ("data.windows_per_epoch=0", "data.windows_per_epoch must be at least 1"),
    ("modality.normalize=sideways", "modality.normalize=sideways is not supported"),
    ("trainer.devices=0", "trainer.devices=0 is not supported"),
    ("trainer.devices=[]", "trainer.devices=[] is not supported"),
    ("trainer.accelerator=tpuu", "trainer.accelerator=tpuu is not supported"),
    ("trainer.precision=fp8", "trainer.precision=fp8 is not supported"),
    ("trainer.precision=64", "trainer.precision=64 is not supported"),
    ("trainer.max_steps=-2", "trainer.max_steps must be at least 1, or -1 for no limit"),
    ("trainer.max_steps=0", "trainer.max_steps must be at least 1, or -1 for no limit"),
    ("trainer.max_epochs=0", "trainer.max_epochs must be at least 1, or -1 for no limit"),
    ("trainer.max_epochs=-1", "the run would never end"),
    ("trainer.log_every_n_steps=0", "trainer.log_every_n_steps must be at least 1"),
    ("trainer.checkpoint_every_n_steps=0", "trainer.checkpoint_every_n_steps must be at least 1"),
    ("trainer.keep_checkpoints=0", "trainer.keep_checkpoints must be at least 1"),
    ("trainer.image_every_n_steps=-1", "trainer.image_every_n_steps must be at least 0"),
    ("objective=moco objective.ema=1.5", "objective.ema must be in [0, 1]"),
    ("objective=moco objective.queue_size=0", "objective.queue_size must be at least 1"),
    ("objective=instdisc objective.num_negatives=0", "objective.num_negatives must be at least 1"),
    ("objective.temperature=0", "objective.temperature must be a positive number"),
    ("objective=byol objective.hidden=0", "objective.hidden must be at least 1"),
    ("objective=wmse objective.whiten_size=16", "W-MSE whitens objective.whiten_size=16 rows at a time, which must exceed model.embedding_dim=32"),
    ("objective=instdisc objective.double_update=true views=noise", "objective.double_update=true"),
    ("probe.epochs=0", "probe.epochs must be at least 1"),
    ("probe.also=[linear,svm]", "probe.also: unknown probe kind 'svm'"),
    ("probe.lr=0", "probe.lr must be a positive number"),
    ("probe.knn_k=0", "probe.knn_k must be at least 1"),
    ("probe.knn_temperature=-1", "probe.knn_temperature must be a positive number"),
    ("probe.label_fraction=0", "probe.label_fraction must be in (0, 1]"),
    ("probe.severities=[0,6]", "probe.severities must be a non-empty list of 1..5"),
    ("probe.corruption_examples=0", "probe.corruption_examples must be at least 1"),
    ("probe.paper.image.milestones=[80,60]", "probe.paper.image.milestones must be increasing"),
    ("probe.paper.sensor.epochs=0", "probe.paper.sensor.epochs must be at least 1"),
    ("probe.transfer=[tensor_file]", "probe.transfer cannot take tensor_file"),
]


@pytest.mark.parametrize("overrides, needle", PRETRAIN)
def test_a_wrong_pretrain_value_is_one_line_before_torch_and_writes_nothing(overrides, needle, vmk, no_job, tmp_path):
    run = tmp_path / "run"
    one_line_exit_2(vmk("pretrain", *overrides.split(), f"hydra.run.dir={run}"), needle)
    assert not run.exists()


@pytest.mark.parametrize("command, overrides, needle", [
    ("probe", "probe.knn_k=0", "probe.knn_k must be at least 1"),
    ("probe", "seed=-1", "seed must be in 0..4294967295"),
    ("probe", "probe.epochs=0", "probe.epochs must be at least 1"),
    ("views", "n=0", "n must be at least 1"),
    ("views", "split=val", "split=val is not supported"),
    ("views", "device=tpu", "device=tpu is not supported"),
    ("embed", "batch_size=0", "batch_size must be at least 1"),
    ("embed", "splits=[test,test]", "splits=['test', 'test']"),
    ("embed", "layer=logits", "layer=logits is not supported"),
    ("probe", "budget=0.1", "unknown setting budget for vmk probe: it is the pretraining run's, read from the checkpoint"),
    ("probe", "probe.epoch=2", "unknown setting probe.epoch (did you mean probe.epochs?); `vmk probe --cfg job`"),
    ("views", "nn=3", "unknown setting nn (did you mean n?); `vmk views --cfg job`"),
])
def test_a_wrong_value_of_a_saved_run_command_is_one_line_before_torch(command, overrides, needle, vmk, no_job, tmp_path, any_ckpt):
    run = tmp_path / "run"
    one_line_exit_2(vmk(command, f"ckpt={any_ckpt}", *overrides.split(), f"hydra.run.dir={run}"), needle)
    assert not run.exists()


@pytest.mark.parametrize("overrides, needle", [
    ("bench.steps=0", "bench.steps must be at least 1"), ("seed=-1", "seed must be in"), ("budget=inf", "budget must be"),
    ("model.width=0", "model.width must be at least 1"), ("bench.device=tpu", "bench.device=tpu is not supported"),
    ("bench.mode=alternating", "unknown setting bench.mode (did you mean bench.modes?)"),
])
def test_a_wrong_bench_value_is_one_line_before_torch(overrides, needle, vmk, no_job, tmp_path):
    one_line_exit_2(vmk("bench", overrides, f"hydra.run.dir={tmp_path / 'run'}"), needle)


@pytest.mark.parametrize("append, needle", [
    ("+foo=1", "+foo=1: the config has no setting 'foo'"),
    ("+model.depth=3", "+model.depth=3: model has no setting 'depth'"),
    ("++model.depth=3", "++model.depth=3: model has no setting 'depth'"),
    ("+objective.queue=5", "+objective.queue=5: objective has no setting 'queue'"),
    ("+probe.paper.image.nesterov=true", "probe.paper.image has no setting 'nesterov'"),
    ("+trainer.gradient_clip_val=1.0", "trainer has no setting 'gradient_clip_val'"),
])
def test_an_append_no_schema_knows_is_refused_naming_the_key(append, needle, vmk, no_job, tmp_path):
    one_line_exit_2(vmk("pretrain", append, f"hydra.run.dir={tmp_path / 'run'}"), needle)


def test_appends_into_dicts_and_hydras_own_stay_allowed(hydra_restore_singletons):
    cli.register_schemas("pretrain")
    appends = ["+data.options.image_size=64", "+data.options.sub.deep=1", "+hydra.job.env_set.VMK_X=1"]
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        cfg = compose("pretrain", appends, return_hydra_config=True)
    validation.check_appends(cfg, appends)  # no UserError
    assert cfg.data.options.image_size == 64


@pytest.mark.parametrize("args, needle", [
    (["data.root=/my", "data"], """'data' is not KEY=VALUE: if it is the rest of data.root's value (a space the shell split on), quote the whole value: 'data.root="/my data"'"""),
    (["data.root=/runs(old)"], """cannot read data.root=/runs(old) (mismatched input '(' expecting <EOF>): quote the value, e.g. 'data.root="/runs(old)"'"""),
    (["data.path=/it's.npz"], "quote the value, e.g. 'data.path=\"/it's.npz\"'"),
])
def test_an_unquoted_value_hydra_cannot_read_says_how_to_quote_it(args, needle, vmk, no_job, tmp_path):
    one_line_exit_2(vmk("pretrain", *args, f"hydra.run.dir={tmp_path / 'run'}"), needle)


@pytest.mark.parametrize("args, needle", [
    (["budget=-1"], "budget must be a positive number"),  # validation.py, in precheck
    (["budgt=1"], "unknown setting budgt (did you mean budget?)"),  # Hydra's composition, in precheck
    (["--cfg", "job", "budgt=1"], "Key 'budgt' not in 'PretrainConfig'"),  # Hydra's own, raised under HYDRA_FULL_ERROR
])
def test_hydra_full_error_adds_the_traceback_and_keeps_exit_2(args, needle, vmk, monkeypatch, tmp_path):
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    code, _, err = vmk("pretrain", *args, f"hydra.run.dir={tmp_path / 'run'}")
    assert code == 2 and "Traceback (most recent call last)" in err, err
    assert err.strip().splitlines()[-1].startswith("vmk: error: ") and needle in err


@pytest.mark.parametrize("sweep, needle", [
    ("seed=0,-1", "seed must be in 0..4294967295"),
    ("+foo=1,2", "+foo=1: the config has no setting 'foo'"),
    ("objective=simclr,nope", "Could not find 'objective/nope'"),
])
def test_a_sweep_with_a_bad_value_stops_before_its_first_job(sweep, needle, vmk, no_job, tmp_path):
    one_line_exit_2(vmk("pretrain", "-m", "budget=0.02,0.1", sweep, f"hydra.sweep.dir={tmp_path / 'sweep'}"), needle)
    assert not (tmp_path / "sweep").exists()


def compose_checked(command: str, overrides: list[str]):
    cli.register_schemas(command)
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        cfg = compose(cli.CONFIG_NAMES.get(command, command), overrides)
    validation.check(command, cfg)
    return cfg


@pytest.mark.parametrize("overrides", [
    [f"modality={m}", f"preset={p}"] for m in ("image", "audio", "sensor") for p in ("quickstart", "paper")
] + [[f"objective={o}", "preset=paper"] for o in validation.OBJECTIVES])
def test_every_shipped_default_passes(overrides, hydra_restore_singletons):
    compose_checked("pretrain", overrides)


def test_the_other_commands_defaults_pass(hydra_restore_singletons, tmp_path, any_ckpt):
    for command in ("probe", "views", "embed"):
        compose_checked(command, [f"ckpt={any_ckpt}"])
    compose_checked("bench", [])
    compose_checked("report", [f"dirs=[{tmp_path}]"])
    with pytest.raises(UserError, match="no checkpoint given"):
        compose_checked("probe", [])


def test_the_allowed_values_restated_without_torch_equal_the_originals():
    from typing import get_args

    from lightning.fabric.connector import _PRECISION_INPUT_STR, _PRECISION_INPUT_STR_ALIAS
    from lightning.pytorch.accelerators import AcceleratorRegistry

    from viewmaker_cli.bench.modes import MODES
    from viewmaker_cli.commands.bench import SHAPES
    from viewmaker_cli.core.compile import COMPILE_MODES, COMPILE_SETTINGS
    from viewmaker_cli.evaluation.corruptions import SEVERITIES
    from viewmaker_cli.evaluation.kinds import KINDS
    from viewmaker_cli.models.encoder import ARCHS
    from viewmaker_cli.models.resnet import FEATURE_LAYERS
    from viewmaker_cli.objectives.configs import CONFIGS
    from viewmaker_cli.objectives.table import OBJECTIVES
    from viewmaker_cli.views.families import EXPERT_SETS
    from viewmaker_cli.views.viewmaker import NORMS

    assert validation.OBJECTIVES == tuple(OBJECTIVES) == tuple(CONFIGS)
    assert all(OBJECTIVES[name].config is CONFIGS[name] for name in OBJECTIVES)
    assert validation.ARCHS == tuple(ARCHS) and validation.FEATURE_LAYERS == FEATURE_LAYERS
    assert validation.PROBE_KINDS == KINDS and validation.NORMS == NORMS
    assert validation.COMPILE_SETTINGS == COMPILE_SETTINGS and validation.SEVERITIES == tuple(SEVERITIES)
    assert validation.COMPILE_MODES == COMPILE_MODES
    assert validation.BENCH_MODES == tuple(MODES) and validation.BENCH_SHAPES == tuple(SHAPES)
    assert validation.EXPERT_SETS == EXPERT_SETS
    assert set(validation.ACCELERATORS) == {"auto", "gpu", *AcceleratorRegistry.available_accelerators()}
    lightning_precisions = get_args(_PRECISION_INPUT_STR) + get_args(_PRECISION_INPUT_STR_ALIAS)
    assert validation.PRECISIONS == tuple(p for p in lightning_precisions if p not in ("64", "64-true"))  # vmk is float32
    assert set(validation.MODALITIES) == {path.stem for path in (config_dir() / "modality").glob("*.yaml")}

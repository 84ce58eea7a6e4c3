"""Every modality × views × objective the CLI offers trains on the modality's embedded default with no other
override: `vmk pretrain modality=M views=V objective=O` composes, passes validation, builds and takes a real step
on the real data and batches (sensor: fresh windows, indexed by their series for InstDisc and supervised).

84 combinations at the preset's full sizes cost minutes on two cores, so the test splits what can fail:
- every combination (84) at test sizes: narrow networks (width 4, one residual block), batch 8, 4-dim embeddings,
  W-MSE whitening the whole batch; this catches what does not depend on sizes (data layout, indexing, views).
- the objectives whose failure depends on sizes (wmse, instdisc, moco, supervised) with the modality's default
  views at the preset's own batch, embedding size, W-MSE whitening size (conf/objective_recipe/), data and
  objective settings; the networks stay narrow except for W-MSE, whose covariance rank depends on the encoder's
  width (a width-4 encoder can make it singular where the preset's width 16 does not).
The audio default is read with 20 of its 200 speakers (the same 1x64x64 clips, 200 of them: more than a batch).
Measured (one thread, a loaded machine, CPU time): image 6.5 s, audio 22 s (7.7 s of it W-MSE at the preset's
width), sensor 3.4 s, about 35 s with the data's first preparation.
"""

from __future__ import annotations

import itertools

import lightning as L
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from viewmaker_cli.cli import register_schemas
from viewmaker_cli.config import config_dir
from viewmaker_cli.core.quiet import quiet_lightning
from viewmaker_cli.objectives.table import OBJECTIVES
from viewmaker_cli.training.module import PretrainSystem
from viewmaker_cli.training.trainer import load_splits, make_normalizer, train_batches
from viewmaker_cli.validation import check_pretrain

VIEWS = ("learned", "expert", "combined", "noise")
SIZE_SENSITIVE = ("wmse", "instdisc", "moco", "supervised")
NARROW = ["model.width=4", "views.width=4", "views.num_res_blocks=1"]
TEST_SIZES = [*NARROW, "data.batch_size=8", "model.embedding_dim=4", "objective.whiten_size=null"]
FEWER_SPEAKERS = {"audio": ["data.options.n_speakers=20"]}


def one_step(cfg, splits) -> None:
    check_pretrain(cfg)
    config = OmegaConf.to_container(cfg, resolve=True)
    L.seed_everything(cfg.seed, verbose=False)
    batches = train_batches(cfg, splits)
    system = PretrainSystem(config, splits.train_x, make_normalizer(cfg, splits), splits.meta,
                            batches.index_labels(splits.train_y), splits.num_classes, indexed=batches.indexed)
    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", devices=1)
    trainer.fit(system, train_dataloaders=batches.start_at(0))
    system.raise_if_diverged()
    assert trainer.global_step >= 1


def runs(modality: str):
    """(the command's overrides, the test's own overrides) of every run of the test for `modality`."""
    for views, objective in itertools.product(VIEWS, OBJECTIVES):
        sizes = [size for size in TEST_SIZES if objective == "wmse" or "whiten_size" not in size]
        yield [f"modality={modality}", f"views={views}", f"objective={objective}"], sizes
    for objective in SIZE_SENSITIVE:
        yield [f"modality={modality}", f"objective={objective}"], [] if objective == "wmse" else NARROW


@pytest.mark.parametrize("modality", ["image", "audio", "sensor"])
def test_every_views_and_objective_trains_on_the_modality_default(modality, hydra_restore_singletons, monkeypatch, tmp_path):
    monkeypatch.setenv("VMK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("VMK_CACHE", str(tmp_path / "cache"))
    quiet_lightning()
    register_schemas("pretrain")
    failures, splits = [], None
    with initialize_config_dir(config_dir=str(config_dir()), version_base=None):
        for command, sizes in runs(modality):
            cfg = compose("pretrain", command + sizes + FEWER_SPEAKERS.get(modality, []))
            try:
                splits = splits or load_splits(cfg)  # the default dataset is the same for every run
                one_step(cfg, splits)
            except Exception as error:  # every failing combination named at once, not only the first
                failures.append(f"vmk pretrain {' '.join(command + sizes)}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures)

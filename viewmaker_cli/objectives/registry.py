"""objective=NAME → the objective module, from the `objective` config group.

Every objective is an nn.Module with `forward` (the encoder's loss), `adversarial` (the viewmaker's
loss), `after_step` (memory bank / queue writes) and the flags `needs_index`, `needs_target`,
`needs_labels` that tell the training loop what to pass (see each file)."""

from __future__ import annotations

from torch import nn

from viewmaker_cli.errors import UserError
from viewmaker_cli.objectives.byol import BYOL
from viewmaker_cli.objectives.instdisc import InstDisc
from viewmaker_cli.objectives.moco import MoCo
from viewmaker_cli.objectives.simclr import SimCLR
from viewmaker_cli.objectives.simsiam import SimSiam
from viewmaker_cli.objectives.supervised import Supervised
from viewmaker_cli.objectives.wmse import WMSE

NAMES = ("simclr", "instdisc", "byol", "simsiam", "moco", "wmse", "supervised")


def build_objective(cfg: dict, embedding_dim: int, num_examples: int, num_classes: int) -> nn.Module:
    o = cfg["objective"]
    name = o["name"]
    if name == "simclr":
        return SimCLR(o["temperature"], o["symmetric"])
    if name == "instdisc":
        return InstDisc(num_examples, embedding_dim, o["num_negatives"], o["momentum"], o["temperature"], o["double_update"])
    if name == "byol":
        return BYOL(embedding_dim, o["hidden"], o["ema"])
    if name == "simsiam":
        return SimSiam(embedding_dim, o["hidden"])
    if name == "moco":
        return MoCo(embedding_dim, o["queue_size"], o["temperature"], o["ema"])
    if name == "wmse":
        return WMSE(embedding_dim, 2, o["whiten_size"], o["eps"])
    if name == "supervised":
        if num_classes < 2:
            raise UserError("objective=supervised needs labelled data with at least 2 classes")
        return Supervised(embedding_dim, num_classes)
    raise UserError(f"objective={name} is unknown (choose from: {', '.join(NAMES)})")

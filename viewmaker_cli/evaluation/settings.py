"""From the `probe` config to what each probe kind runs with, and the checks that can fail before any
training starts (a typo in `probe.also` must not cost a pretraining run). `probe` is the `probe` part of the
run's resolved config: a plain dict, the one form evaluation takes."""

from __future__ import annotations

from omegaconf import OmegaConf

from viewmaker_cli.data.catalog import DATASETS
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.kinds import KindProtocol
from viewmaker_cli.evaluation.knn import KnnProtocol
from viewmaker_cli.evaluation.linear_probe import ProbeProtocol
from viewmaker_cli.evaluation.paper_probe import PaperProtocol
from viewmaker_cli.evaluation.transfer import check_names
from viewmaker_cli.validation import check_probe
from viewmaker_cli.views.families import DEFAULT_EXPERT

VIEWS = {
    "learned": "learned: the run's viewmaker, frozen, fresh noise per batch",
    "combined": "combined: the run's expert set, then its frozen viewmaker",
    "expert": "expert: the run's hand-made set",
    "noise": "noise: Gaussian on the run's budget",
}


def kinds(probe: dict) -> list[str]:
    """`probe.kind` (the one behind probe_top1) first, then `probe.also` without repeats."""
    return list(dict.fromkeys([probe["kind"], *probe["also"]]))


def check_probe_config(probe: dict, modality: str, data_root: str | None = None) -> None:
    """Every probe setting a user can get wrong, as one line (exit 2), before anything is trained: the values
    (validation.py, also run by cli.precheck), then what needs the disk (CIFAR-10-C's files, transfer sets)."""
    check_probe(OmegaConf.create({"probe": probe}), modality)
    if probe["cifar10c_root"]:
        from viewmaker_cli.evaluation.cifar10c import find_root

        find_root(probe["cifar10c_root"])
    check_names(list(probe["transfer"]))
    root = probe["transfer_root"] if probe["transfer_root"] is not None else data_root
    for name in probe["transfer"]:
        info = DATASETS[name]
        if info.modality not in (modality, "any"):
            raise UserError(f"probe.transfer: {name} is {info.modality} data, this encoder is for {modality} data")
        if info.locate is not None and info.locate(root) is None:
            raise UserError(f"probe.transfer: {name} not found (root {root or '$VMK_DATA'}); {info.how_to_get}")


def views_description(config: dict) -> str:
    name = config["views"]["name"]
    text = VIEWS.get(name, name)
    if name not in ("expert", "combined"):
        return text
    expert = config["views"].get("expert", "auto")
    return f"{text} ({DEFAULT_EXPERT.get(config['modality']['name'], expert) if expert == 'auto' else expert})"


def protocol_for(kind: str, probe: dict, modality: str, views: str, transfer: bool = False) -> KindProtocol:
    """The settings `kind` runs with for this modality (`transfer`: on a transfer dataset)."""
    if kind == "knn":
        return KnnProtocol(layer=probe["layer"], k=probe["knn_k"], temperature=probe["knn_temperature"])
    if kind == "linear":
        keys = ("layer", "epochs", "lr", "weight_decay", "batch_size", "standardize")
        return ProbeProtocol(kind="linear", **{key: probe[key] for key in keys})
    section = "image_transfer" if transfer and modality == "image" else modality
    paper = dict(probe["paper"][section])
    uses_views = paper.pop("views")
    return PaperProtocol(**paper, views_during_probe=views if uses_views else "none")

"""From the `probe` config to what each probe kind runs with, and the checks that can fail before any
training starts (a typo in `probe.also` must not cost a pretraining run). `probe` is the `probe` part of the
run's resolved config: a plain dict, the one form evaluation takes."""

from __future__ import annotations

from viewmaker_cli.data.catalog import DATASETS
from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.few_label import check_fraction
from viewmaker_cli.evaluation.kinds import KINDS, KindProtocol
from viewmaker_cli.evaluation.knn import KnnProtocol
from viewmaker_cli.evaluation.linear_probe import ProbeProtocol
from viewmaker_cli.evaluation.paper_probe import PaperProtocol
from viewmaker_cli.evaluation.robustness import check_severities
from viewmaker_cli.evaluation.transfer import check_names
from viewmaker_cli.models.resnet import FEATURE_LAYERS
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
    """Every probe setting a user can get wrong, as one line (exit 2), before anything is trained."""
    for kind in kinds(probe):
        if kind not in KINDS:
            key = "probe.kind" if kind == probe["kind"] else "probe.also"
            raise UserError(f"{key}: unknown probe kind {kind!r} (choose from: {', '.join(KINDS)})")
    paper = probe["paper"]
    layers = [probe["layer"], paper["image"]["layer"], paper["image_transfer"]["layer"], paper["audio"]["layer"],
              paper["sensor"]["layer"]]
    for layer in layers:
        if layer not in FEATURE_LAYERS:
            raise UserError(f"probe layer {layer!r} is not supported (choose from: {', '.join(FEATURE_LAYERS)})")
    k, temperature = probe["knn_k"], probe["knn_temperature"]
    if k < 1 or temperature <= 0:
        raise UserError(f"probe.knn_k must be >= 1 and probe.knn_temperature > 0, got {k} and {temperature}")
    every, sizes = probe.get("monitor_every_n_steps"), (probe.get("monitor_bank", 1), probe.get("monitor_queries", 1))
    if (every is not None and every < 0) or min(sizes) < 1:
        raise UserError(f"probe.monitor_every_n_steps must be >= 0 (0: off; null: about 10 times a run) and probe.monitor_bank, "
                        f"probe.monitor_queries >= 1, got {every}, {sizes[0]}, {sizes[1]}")
    check_fraction(probe["label_fraction"])
    check_severities(probe["severities"])
    examples = probe["corruption_examples"]
    if examples is not None and examples < 1:
        raise UserError(f"probe.corruption_examples must be at least 1 (or null for all), got {examples}")
    if (probe["corruptions"] or probe["cifar10c_root"]) and modality != "image":
        raise UserError(f"probe.corruptions and probe.cifar10c_root are for image data; this run is modality={modality}")
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

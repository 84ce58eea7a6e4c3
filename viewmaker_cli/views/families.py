"""Which view family a run uses: `views=learned|expert|combined|noise`, and the expert set per modality."""

from __future__ import annotations

from torch import Tensor, nn

from viewmaker_cli.errors import UserError
from viewmaker_cli.views.expert_audio import SpecAugmentViews, TimeDomainViews
from viewmaker_cli.views.expert_image import CropFlipViews, SimCLRViews
from viewmaker_cli.views.expert_sensor import SpectralMaskViews
from viewmaker_cli.views.noise import NoiseViews
from viewmaker_cli.views.viewmaker import Viewmaker

# views.expert=auto picks the authors' set for the modality.
DEFAULT_EXPERT = {"image": "simclr", "audio": "specaugment", "sensor": "spectral"}
EXPERT_SETS = {
    "image": ("simclr", "crop_flip"),
    "audio": ("specaugment", "time_domain"),
    "sensor": ("spectral", "spectral_noise"),
}


def expert_views(modality: str, name: str, meta: dict, input_dims: int = 2, options: dict | None = None) -> nn.Module:
    """The hand-made views of `modality` (a batched module: one view per example per call) for inputs
    with `input_dims` spatial dims (2: images, spectrograms; 1: speech waveforms or raw series).
    `options`: time_domain's optional `gain_db` and `pitch` ranges."""
    waveforms = modality == "audio" and input_dims == 1
    if name == "auto":
        name = "time_domain" if waveforms else DEFAULT_EXPERT.get(modality, name)
    if name not in EXPERT_SETS.get(modality, ()):
        raise UserError(
            f"views.expert={name} is not an expert set for modality={modality} "
            f"(choose from: auto, {', '.join(EXPERT_SETS.get(modality, ()))})"
        )
    if (name == "time_domain") != waveforms:
        raise UserError(
            "views.expert=time_domain acts on waveforms: add data.options.waveform=true"
            if name == "time_domain"
            else f"views.expert={name} needs spectrograms, but the data is stored as waveforms "
            "(data.options.waveform=true): use views.expert=time_domain"
        )
    if input_dims != 2 and not waveforms:
        raise UserError(
            "views=expert/combined need 2-D inputs (images or spectrograms); these are raw 1-D series, for which "
            "the paper has no expert set: use the spectrogram form of the data (e.g. data=basic_motions)"
        )
    if name == "time_domain":  # crop + noise (the authors' code default); gain and pitch on request
        options = options or {}
        return TimeDomainViews(meta["sample_rate"], meta["n_mels"], meta["hop_length"], mean=meta["mean"], std=meta["std"],
                               gain_db=_range(options, "gain_db"), pitch=_range(options, "pitch"), n_fft=meta["n_fft"],
                               to_logmel=False)
    if name == "simclr":
        return SimCLRViews()
    if name == "crop_flip":
        return CropFlipViews()
    if name == "specaugment":  # masks go on the power mel, so the views need the data's z-score
        if "mean" not in meta or "std" not in meta:
            raise UserError("views=expert for audio needs the dataset's z-score statistics (meta mean/std)")
        return SpecAugmentViews(n_mels=None, mean=meta["mean"], std=meta["std"])  # n_mels from the input
    return SpectralMaskViews(noise_std="paper" if name == "spectral_noise" else None)


def _range(options: dict, key: str) -> tuple[float, float] | None:
    """views.<key>=[low, high], or None when not given."""
    value = options.get(key)
    if value is None:
        return None
    if len(value) != 2 or not value[0] <= value[1]:
        raise UserError(f"views.{key} must be [low, high] with low <= high, got {list(value)}")
    return float(value[0]), float(value[1])


class Combined(nn.Module):
    """Expert views, then the viewmaker on each (the paper's "Combined" model)."""

    def __init__(self, expert: nn.Module, viewmaker: nn.Module):
        super().__init__()
        self.expert, self.viewmaker = expert, viewmaker

    def forward(self, x: Tensor, groups: int = 1) -> Tensor:
        return self.viewmaker(self.expert(x), groups)


def build_views(cfg: dict, channels: int, dims: int, meta: dict) -> tuple[nn.Module, Viewmaker | None]:
    """The view module of `cfg["views"]` (one view per example per call) and the viewmaker inside it, if
    any (learned and combined views have a network to train; expert and noise views do not)."""
    views, modality = cfg["views"], cfg["modality"]
    if views["name"] == "expert":
        return expert_views(modality["name"], views["expert"], meta, dims, views), None
    if views["name"] == "noise":
        return NoiseViews(cfg["budget"], modality["clamp"]), None
    if views["name"] not in ("learned", "combined"):
        raise ValueError(f"unknown views.name {views['name']!r}")
    viewmaker = Viewmaker(
        num_channels=channels,
        budget=cfg["budget"],
        clamp=modality["clamp"],
        num_res_blocks=views["num_res_blocks"],
        width=views["width"],
        dims=dims,
        norm=views.get("norm", "l1"),
        frequency_domain=views.get("frequency_domain", False),
    )
    if views["name"] == "combined":
        return Combined(expert_views(modality["name"], views["expert"], meta, dims, views), viewmaker), viewmaker
    return viewmaker, viewmaker

"""Expert image views, batched on the device: the authors' SimCLR set and the crop + flip-only set.

The authors' preset `all_unnorm` (method reference §3.1, §2.5), in their order:
RandomResizedCrop(scale 0.2–1) → with p 0.8 ColorJitter(0.4, 0.4, 0.4, 0.1) → RandomGrayscale(p 0.2)
→ with p 0.5 Gaussian blur, σ ~ U(0.1, 2) output pixels → RandomHorizontalFlip(p 0.5). No Normalize:
images go in and come out in [0, 1]; the caller normalises (so "combined" = expert, then viewmaker).

Every random parameter is drawn per example in one batched draw (`sample_params`) and applied with
batched tensor ops (`apply`): no per-image Python work and no host syncs.
"""

from __future__ import annotations

import math

import kornia
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from viewmaker_cli.views.random import rand as _rand

_RATIO = (3.0 / 4.0, 4.0 / 3.0)  # torchvision's RandomResizedCrop aspect-ratio range
_ATTEMPTS = 10  # torchvision's rejection-sampling attempts before its centre-crop fallback
_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as PIL's convert("L") and torchvision's rgb_to_grayscale


def _gray(x: Tensor) -> Tensor:
    """Luma [B, 1, H, W] of RGB `x`, or `x` itself when it has one channel."""
    if x.shape[1] == 1:
        return x
    w = x.new_tensor(_LUMA).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True)


def sample_crops(
    batch: int, height: int, width: int, scale: tuple[float, float], generator=None, device="cpu"
) -> dict[str, Tensor]:
    """torchvision's RandomResizedCrop.get_params for a whole batch: integer boxes (top, left, h, w).

    Ten attempts per example are drawn at once; each example keeps its first valid one, else the
    whole image (torchvision's fallback when the image's own aspect ratio is within range, as
    for square images; otherwise the centre crop at the nearest allowed ratio).
    `area` is the drawn area fraction, `aspect` the drawn w/h ratio (of the kept attempt).
    """
    u = _rand((batch, _ATTEMPTS, 4), generator, device)
    area = scale[0] + (scale[1] - scale[0]) * u[..., 0]
    log_lo, log_hi = math.log(_RATIO[0]), math.log(_RATIO[1])
    aspect = torch.exp(log_lo + (log_hi - log_lo) * u[..., 1])
    w = torch.round(torch.sqrt(area * height * width * aspect))
    h = torch.round(torch.sqrt(area * height * width / aspect))
    valid = (w > 0) & (w <= width) & (h > 0) & (h <= height)
    # Positions as torch.randint(0, size - crop + 1): floor of a uniform over that many integers.
    top = torch.floor(u[..., 2] * (height - h + 1)).clamp(min=0)
    left = torch.floor(u[..., 3] * (width - w + 1)).clamp(min=0)
    first = valid.to(torch.uint8).argmax(dim=1, keepdim=True)  # index of the first valid attempt (0 if none)
    pick = lambda t: t.gather(1, first).squeeze(1)  # noqa: E731
    ok = valid.any(dim=1)
    # Fallback: centre crop at the image's ratio clamped into range (the whole image if it is in range).
    in_ratio = width / height
    if in_ratio < _RATIO[0]:
        fw, fh = width, round(width / _RATIO[0])
    elif in_ratio > _RATIO[1]:
        fw, fh = round(height * _RATIO[1]), height
    else:
        fw, fh = width, height
    full = lambda v: torch.full((batch,), float(v), device=device)  # noqa: E731
    return {
        "top": torch.where(ok, pick(top), full((height - fh) // 2)),
        "left": torch.where(ok, pick(left), full((width - fw) // 2)),
        "height": torch.where(ok, pick(h), full(fh)),
        "width": torch.where(ok, pick(w), full(fw)),
        "area": torch.where(ok, pick(area), full(fw * fh / (height * width))),
        "aspect": torch.where(ok, pick(aspect), full(fw / fh)),
    }


def resized_crop(x: Tensor, params: dict[str, Tensor], size: tuple[int, int], flip: Tensor | None = None) -> Tensor:
    """Bilinear resize of each example's box to `size`, mirrored where `flip`, in one grid_sample.

    Half-pixel-centre convention (PIL/torchvision's resize of the cropped image): output pixel u of a
    box of width w starting at `left` samples input x = left + (u + 0.5)·w/out_w − 0.5. Crops are
    never larger than the image, so with `size` = the input size this only upsamples; downsizing to a
    smaller `size` is not antialiased (PIL's resize would be).
    """
    b, _, in_h, in_w = x.shape
    out_h, out_w = size
    dev, dt = x.device, torch.float32
    u = (torch.arange(out_w, device=dev, dtype=dt) + 0.5) / out_w  # [out_w] in (0, 1)
    v = (torch.arange(out_h, device=dev, dtype=dt) + 0.5) / out_h
    if flip is not None:  # read the box right-to-left: a mirror of the crop
        u = torch.where(flip.view(-1, 1), 1.0 - u, u)  # [B, out_w]
    else:
        u = u.expand(b, -1)
    gx = (params["left"].view(-1, 1) + u * params["width"].view(-1, 1)) * (2.0 / in_w) - 1.0
    gy = (params["top"].view(-1, 1) + v * params["height"].view(-1, 1)) * (2.0 / in_h) - 1.0
    grid = torch.stack(torch.broadcast_tensors(gx.view(b, 1, out_w), gy.view(b, out_h, 1)), dim=-1)
    out = F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out.to(x.dtype)


# Colour-jitter operations with per-example factors [B]; each maps [0, 1] to [0, 1] (torchvision's
# tensor formulas, which follow PIL's ImageEnhance). A factor of 1 (0 for hue) is the identity.
def _brightness(x: Tensor, f: Tensor) -> Tensor:
    return (x * f.view(-1, 1, 1, 1)).clamp(0.0, 1.0)


def _contrast(x: Tensor, f: Tensor) -> Tensor:
    mean = _gray(x).mean(dim=(1, 2, 3), keepdim=True)  # blend towards the mean grey level
    f = f.view(-1, 1, 1, 1)
    return (f * x + (1.0 - f) * mean).clamp(0.0, 1.0)


def _saturation(x: Tensor, f: Tensor) -> Tensor:
    f = f.view(-1, 1, 1, 1)
    return (f * x + (1.0 - f) * _gray(x)).clamp(0.0, 1.0)


def _hue(x: Tensor, f: Tensor) -> Tensor:
    # torchvision's hue factor is a fraction of the colour wheel; kornia's is an angle in radians.
    return kornia.enhance.adjust_hue(x, f * (2.0 * math.pi)).clamp(0.0, 1.0)


_JITTER_OPS = {"brightness": _brightness, "contrast": _contrast, "saturation": _saturation, "hue": _hue}


class CropFlipViews(nn.Module):
    """RandomResizedCrop(scale 0.2–1, ratio 3/4–4/3) + horizontal flip, nothing else.

    The paper's crop + flip-only experiment (73.2 → 83.1 with a viewmaker on top); the authors'
    code has no preset for it (method reference §2.5). Input: images [B, C, H, W] in [0, 1];
    output: [B, C, *size] (size=None keeps H, W), each pixel a bilinear mix of input pixels of the
    same channel, so colours are never changed.
    """

    def __init__(self, size: int | tuple[int, int] | None = None, crop_scale=(0.2, 1.0), flip_p: float = 0.5):
        super().__init__()
        if not 0.0 < crop_scale[0] <= crop_scale[1] <= 1.0:
            raise ValueError(f"crop_scale must satisfy 0 < low <= high <= 1, got {crop_scale}")
        self.size = (size, size) if isinstance(size, int) else (tuple(size) if size is not None else None)
        self.crop_scale = tuple(crop_scale)
        self.flip_p = flip_p

    def _out_size(self, x: Tensor) -> tuple[int, int]:
        return self.size if self.size is not None else (x.shape[-2], x.shape[-1])

    def sample_params(self, batch: int, height: int, width: int, generator=None, device="cpu") -> dict[str, Tensor]:
        """Crop boxes (`top`, `left`, `height`, `width` in input pixels; `area`, `aspect`) and `flip` [B] bool."""
        params = sample_crops(batch, height, width, self.crop_scale, generator, device)
        params["flip"] = _rand((batch,), generator, device) < self.flip_p
        return params

    def apply(self, x: Tensor, params: dict[str, Tensor]) -> Tensor:
        return resized_crop(x, params, self._out_size(x), params["flip"])

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return self.apply(x, self.sample_params(x.shape[0], x.shape[-2], x.shape[-1], generator, x.device))


class SimCLRViews(CropFlipViews):
    """The authors' SimCLR views (`all_unnorm`): crop, colour jitter, grayscale, blur, flip.

    Input: images [B, C, H, W] in [0, 1], C = 1 or 3; output: [B, C, *size] in [0, 1].
    Colour jitter draws brightness, contrast, saturation ~ U(1 ± s) and hue ~ U(± h) and applies them
    in a random order per example, as torchvision does per image. For C = 1 (e.g. FashionMNIST
    kept single-channel) only brightness and contrast are applied and grayscale is a no-op:
    saturation and hue have no meaning without colour. The blur σ is in output pixels; PIL's
    GaussianBlur(radius=σ) is approximated by an exact Gaussian (kernel 2·⌈3σ_max⌉ + 1, edges
    replicated as PIL does).
    """

    def __init__(
        self,
        size: int | tuple[int, int] | None = None,
        crop_scale=(0.2, 1.0),
        jitter=(0.4, 0.4, 0.4, 0.1),
        jitter_p: float = 0.8,
        gray_p: float = 0.2,
        blur_p: float = 0.5,
        blur_sigma=(0.1, 2.0),
        flip_p: float = 0.5,
    ):
        super().__init__(size, crop_scale, flip_p)
        if len(jitter) != 4:
            raise ValueError(f"jitter is (brightness, contrast, saturation, hue), got {jitter}")
        self.jitter = tuple(float(j) for j in jitter)
        self.jitter_p, self.gray_p, self.blur_p = jitter_p, gray_p, blur_p
        if not 0.0 < blur_sigma[0] <= blur_sigma[1]:
            raise ValueError(f"blur_sigma must satisfy 0 < low <= high, got {blur_sigma}")
        self.blur_sigma = tuple(blur_sigma)
        self.blur_kernel = 2 * math.ceil(3.0 * self.blur_sigma[1]) + 1

    def sample_params(self, batch: int, height: int, width: int, generator=None, device="cpu") -> dict[str, Tensor]:
        """Crop/flip parameters plus per-example `jitter`, `gray`, `blur` flags [B] bool, jitter factors
        `brightness`, `contrast`, `saturation`, `hue` [B], `jitter_order` [B, 4] (a permutation of
        the four operations, in `_JITTER_OPS` order) and blur `sigma` [B]."""
        params = super().sample_params(batch, height, width, generator, device)
        u = _rand((batch, 12), generator, device)
        b, c, s, h = self.jitter
        params["jitter"] = u[:, 0] < self.jitter_p
        params["brightness"] = (1.0 - b) + 2.0 * b * u[:, 1]
        params["contrast"] = (1.0 - c) + 2.0 * c * u[:, 2]
        params["saturation"] = (1.0 - s) + 2.0 * s * u[:, 3]
        params["hue"] = -h + 2.0 * h * u[:, 4]
        params["jitter_order"] = torch.argsort(u[:, 5:9], dim=1)  # a uniform random permutation per example
        params["gray"] = u[:, 9] < self.gray_p
        params["blur"] = u[:, 10] < self.blur_p
        params["sigma"] = self.blur_sigma[0] + (self.blur_sigma[1] - self.blur_sigma[0]) * u[:, 11]
        return params

    def _jitter(self, x: Tensor, params: dict[str, Tensor]) -> Tensor:
        names = list(_JITTER_OPS)
        order = params["jitter_order"]
        # For C = 1 only brightness and contrast apply; dropping the others keeps their relative order uniform.
        active = names if x.shape[1] == 3 else names[:2]
        out = x
        for step in range(len(names)):
            nxt = out
            for k, name in enumerate(names):
                if name not in active:
                    continue
                chosen = (order[:, step] == k).view(-1, 1, 1, 1)
                nxt = torch.where(chosen, _JITTER_OPS[name](out, params[name]), nxt)
            out = nxt
        return torch.where(params["jitter"].view(-1, 1, 1, 1), out, x)

    def apply(self, x: Tensor, params: dict[str, Tensor]) -> Tensor:
        if x.shape[1] not in (1, 3):
            raise ValueError(f"SimCLRViews expects 1 or 3 channels, got {x.shape[1]}")
        # The flip is folded into the crop's resampling; it commutes with every later (pixel-wise or
        # symmetric) operation, so this equals flipping last as the authors do.
        out = resized_crop(x, params, self._out_size(x), params["flip"]).float()
        out = self._jitter(out, params)
        if out.shape[1] == 3:
            out = torch.where(params["gray"].view(-1, 1, 1, 1), _gray(out).expand_as(out), out)
        # kornia's gaussian_blur2d checks sigma > 0 with bool() on the device tensor (a host sync per batch on
        # CUDA); its own separable path without the check: one kernel per example, rows then columns.
        kernel = kornia.filters.get_gaussian_kernel1d(self.blur_kernel, params["sigma"].view(-1, 1).to(out))
        blurred = kornia.filters.filter2d_separable(out, kernel, kernel, border_type="replicate")
        out = torch.where(params["blur"].view(-1, 1, 1, 1), blurred, out)
        return out.clamp(0.0, 1.0).to(x.dtype)

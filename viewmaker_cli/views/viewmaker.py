"""The viewmaker: a noise-conditioned image-to-image generator whose output is an l1-bounded perturbation.

Architecture of Tamkin et al. (2021), a Johnson et al. style-transfer network, with two fixes:
only the residual blocks that run are allocated, and inputs of any size (not just square, multiple-of-4) work.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from viewmaker_cli.views.dct import dct

# Spatial sizes the generator runs at: a multiple of 4 (two stride-2 convs, then two x2 upsamplings)
# and at least 8, so the reflection pad of 1 at the H/4 level still has 2 pixels to reflect.
_MULTIPLE = 4
_MIN_SIZE = 8

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_NORM = {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d}
_REFLECT = {1: nn.ReflectionPad1d, 2: nn.ReflectionPad2d}


NORMS = ("l1", "l2", "linf")


def project_to_budget(raw: Tensor, budget: float, eps: float = 1e-4, norm: str = "l1") -> Tensor:
    """Squash `raw` with tanh, then rescale each example so that mean |delta| over its non-batch dims is `budget`.

    This is the "L1 forced" projection: the perturbation lies on the l1 sphere of radius budget * volume,
    never inside it. `eps` is the authors' 1e-4 guard, so the norm is slightly under budget when tanh is tiny.
    Always computed and returned in float32: a bf16 mean over thousands of elements is too coarse for the budget.
    """
    with torch.autocast(device_type=raw.device.type, enabled=False):
        return rescale_to_budget(torch.tanh(raw.float()), budget, eps, norm)


def rescale_to_budget(d: Tensor, budget: float, eps: float = 1e-4, norm: str = "l1") -> Tensor:
    """Rescale each example of `d` (float32) onto the sphere of its norm, per element so that ε means the
    same for any input size: l1 (the paper): mean |d| = ε, i.e. ‖d‖₁ = ε·volume; l2: RMS(d) = ε, i.e.
    ‖d‖₂ = ε·√volume; linf: max |d| = ε."""
    flat = d.flatten(1)
    if norm == "l1":
        size = flat.abs().mean(1)
    elif norm == "l2":
        size = flat.pow(2).mean(1).sqrt()
    elif norm == "linf":
        size = flat.abs().amax(1)
    else:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return d * (budget / (size + eps)).view(-1, *([1] * (d.dim() - 1)))


def _conv_layer(dims: int, in_ch: int, out_ch: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Reflection pad of kernel // 2, then a biased conv (the style-transfer ConvLayer)."""
    return nn.Sequential(_REFLECT[dims](kernel // 2), _CONV[dims](in_ch, out_ch, kernel, stride=stride))


def _norm(dims: int, channels: int) -> nn.Module:
    # No running stats: train() and eval() normalise identically, as in the authors' network.
    return _NORM[dims](channels, affine=True, track_running_stats=False)


def _conv_norm_relu(dims: int, in_ch: int, out_ch: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv_layer(dims, in_ch, out_ch, kernel, stride), _norm(dims, out_ch), nn.ReLU())


class _ResidualBlock(nn.Module):
    """conv3-IN-ReLU-conv3-IN plus identity, with no activation after the sum."""

    def __init__(self, dims: int, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_norm_relu(dims, channels, channels, 3),
            _conv_layer(dims, channels, channels, 3),
            _norm(dims, channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def _with_noise(h: Tensor, shard: tuple[int, int] | None = None, groups: int = 1) -> Tensor:
    """Append one U[0,1) channel sized from `h` itself, so non-square inputs work. With `shard` = (rank,
    world) `h` is one rank's rows of a global batch: the noise is drawn for all world × B rows and this
    rank's B kept, so ranks seeded alike get different noise and the global batch the noise of one process.
    `h` may hold `groups` batches one after the other (the two views of one batch): each is sharded so.

    The noise is drawn in float32 whatever `h` is: under bf16 autocast the residual blocks' `h` is bf16, and
    U[0,1) drawn in bf16 has about 110 distinct values per 128 draws (and a different random stream from an
    fp32 run). The concatenation is then float32; the next convolution casts it as autocast does."""
    rank, world = shard if shard is not None else (0, 1)
    rows = h.shape[0] // groups
    noise = torch.rand((groups, world * rows, 1, *h.shape[2:]), device=h.device, dtype=torch.float32)
    noise = noise[:, rank * rows : (rank + 1) * rows].flatten(0, 1)
    return torch.cat([h, noise.to(torch.promote_types(h.dtype, noise.dtype))], dim=1)


def _broadcast_upsample_2x(x: Tensor) -> Tensor:
    """Nearest 2x upsampling of [B, C, L] or [B, C, H, W] as a broadcast: nn.Upsample's values exactly."""
    b, c, *size = x.shape
    if len(size) == 1:
        return x[:, :, :, None].expand(b, c, size[0], 2).reshape(b, c, 2 * size[0])
    h, w = size
    return x[:, :, :, None, :, None].expand(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w)


class _Upsample2x(nn.Module):
    """Nearest 2x upsampling. On CUDA a broadcast, whose backward Inductor lowers to a sum over each block (for
    nn.Upsample: an index_put, 0.31 ms a call on an H200). On the CPU nn.Upsample's own kernel: the same values
    and the same gradients to the bit, so CPU runs train exactly as measured before (and compiled as eager)."""

    def forward(self, x: Tensor) -> Tensor:
        if x.is_cuda:
            return _broadcast_upsample_2x(x)
        return F.interpolate(x, scale_factor=2, mode="nearest")


class Viewmaker(nn.Module):
    """Generates a stochastic view x + delta with mean |delta| = budget per example.

    `dims=2` takes `[B, C, H, W]`, `dims=1` takes `[B, C, T]` (the same network in 1-D).
    `width=32, num_res_blocks=3` is the paper's network (1.12 M parameters for C=3).
    `budget` and `clamp` may be changed after construction (e.g. to anneal the budget), and so may `shard`:
    (rank, world) when each of `world` data-parallel ranks passes its share of a global batch (see `_with_noise`).
    """

    def __init__(
        self,
        num_channels: int,
        budget: float = 0.05,
        clamp: bool = True,
        num_res_blocks: int = 3,
        width: int = 32,
        dims: int = 2,
        norm: str = "l1",
        frequency_domain: bool = False,
    ) -> None:
        super().__init__()
        if dims not in _CONV:
            raise ValueError(f"dims must be 1 or 2, got {dims}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.dims = dims
        self.norm = norm  # the sphere δ is projected onto (l1: the paper)
        # The authors' `spectral` option: the generator sees the DCT of x, the budget projection acts on
        # its DCT-domain output, and the inverse DCT of that is added to x in the input domain.
        self.frequency_domain = frequency_domain
        self.budget = budget
        self.clamp = clamp
        self.shard: tuple[int, int] | None = None
        w, n = width, num_res_blocks
        self.encoder = nn.Sequential(
            _conv_norm_relu(dims, num_channels + 1, w, 9),
            _conv_norm_relu(dims, w, 2 * w, 3, stride=2),
            _conv_norm_relu(dims, 2 * w, 4 * w, 3, stride=2),
        )
        # Block i sees one more noise channel than block i-1; the noise rides the skip path into the decoder.
        self.res_blocks = nn.ModuleList(_ResidualBlock(dims, 4 * w + i) for i in range(1, n + 1))
        self.decoder = nn.Sequential(
            _Upsample2x(),
            _conv_norm_relu(dims, 4 * w + n, 2 * w, 3),
            _Upsample2x(),
            _conv_norm_relu(dims, 2 * w, w, 3),
        )
        self.head = _conv_layer(dims, w, num_channels, 9)

    @classmethod
    def from_pretrained(cls, path, map_location: str | torch.device = "cpu") -> Viewmaker:
        """The trained viewmaker of a vmk run, in eval mode with its budget, clamp, norm and sizes: `path` is a run
        dir, a checkpoint, or `viewmaker.safetensors` from `vmk embed`. Plain torch from here on; it still draws
        fresh noise on every call, so each call is a new view. `input_shape` is what it was trained on."""
        from viewmaker_cli.views.viewmaker_file import read_viewmaker

        spec, state = read_viewmaker(path)
        viewmaker = cls(spec["num_channels"], budget=spec["budget"], clamp=spec["clamp"], num_res_blocks=spec["num_res_blocks"],
                        width=spec["width"], dims=spec["dims"], norm=spec["norm"], frequency_domain=spec["frequency_domain"])
        viewmaker.load_state_dict(state)
        viewmaker.input_shape = tuple(spec["input_shape"])
        return viewmaker.to(map_location).eval().requires_grad_(False)

    def generator(self, x: Tensor, groups: int = 1) -> Tensor:
        """Raw (pre-tanh) generator output, same shape as `x`; fresh noise on every call. `groups`: see forward."""
        if x.dim() != self.dims + 2:
            expected = f"a {self.dims + 2}-D batch"
            raise ValueError(f"Viewmaker(dims={self.dims}) expects {expected}, got shape {tuple(x.shape)}")
        if x.shape[0] % groups:
            raise ValueError(f"a batch of {x.shape[0]} rows cannot be {groups} groups of equal size")
        size = x.shape[2:]
        # Pad at the end up to the sizes the net can round-trip, crop back afterwards. Replicate, not reflect:
        # reflection needs pad < size, which fails for tiny inputs (e.g. 1 pixel wide).
        target = [max(_MIN_SIZE, math.ceil(s / _MULTIPLE) * _MULTIPLE) for s in size]
        pad = [p for s, t in zip(reversed(size), reversed(target)) for p in (0, t - s)]
        h = F.pad(x, pad, mode="replicate") if any(pad) else x
        h = self.encoder(_with_noise(h, self.shard, groups))
        for block in self.res_blocks:
            h = block(_with_noise(h, self.shard, groups))
        out = self.head(self.decoder(h))
        return out[(..., *(slice(0, s) for s in size))]

    def perturbation(self, x: Tensor, groups: int = 1) -> Tensor:
        """delta (float32) on the budget sphere of `self.norm` per example (l1: mean |delta| = budget), before it
        is added to `x`."""
        if not self.frequency_domain:
            return project_to_budget(self.generator(x, groups), self.budget, norm=self.norm)
        with torch.autocast(device_type=x.device.type, enabled=False):
            spectrum = dct(x.float(), self.dims)
        delta = project_to_budget(self.generator(spectrum, groups), self.budget, norm=self.norm)
        with torch.autocast(device_type=x.device.type, enabled=False):
            return dct(delta, self.dims, inverse=True)

    def forward(self, x: Tensor, groups: int = 1) -> Tensor:
        """A view of each row of `x`. `x` may be `groups` batches one after the other, e.g. `torch.cat([x, x])` for
        two views of one batch in one call (a step 1.14x faster on an H200 than one call per view: half the
        launches, larger kernels); under data parallelism each group's noise is then sharded as a batch's."""
        view = x.float() + self.perturbation(x, groups)
        return view.clamp(0.0, 1.0) if self.clamp else view

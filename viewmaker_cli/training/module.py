"""The pretraining system: an encoder trained on one objective over two views of each batch.

Views (`views.name`): learned (the viewmaker, trained adversarially), combined (expert views, then the
viewmaker), expert or noise (nothing to train). Objectives (`objective.name`) come from
objectives/table.py and share one interface (objectives/base.py); what each needs besides two embeddings
(indices, EMA targets, labels) is passed by `objective_inputs`.

Manual optimisation, two optimisers (SGD for the encoder and the objective's own layers, Adam for the
viewmaker), two update orders:

- alternating (default, the authors' order, reference §2.1): encoder step on L with views made under
  no_grad, then a fresh forward through the *updated* encoder for the viewmaker step on the objective's
  adversarial loss (−w·L) with the encoder's parameters frozen (activations still carry the gradient);
- simultaneous: one forward, one backward; a gradient-reversal layer between views and encoder gives the
  viewmaker −w·∂L while the encoder gets ∂L.

Lightning hands `training_step` its batch `(x, index)`: batch k of the run, made on the device by
data/batches.py as a function of (seed, k) only (under DDP, this rank's rows of the global batch). The step
then reads top to bottom: views, encoder step, viewmaker step, log.
"""

from __future__ import annotations

import copy
import logging
import time

import lightning as L
import torch
from torch import Tensor

from viewmaker_cli.core import dist
from viewmaker_cli.core.compile import compile_enabled, compile_module, mark_step_begin
from viewmaker_cli.core.device import optimizer_flags
from viewmaker_cli.core.ema import ema_update
from viewmaker_cli.errors import UserError
from viewmaker_cli.models.encoder import Normalizer, build_encoder
from viewmaker_cli.objectives.table import build_objective
from viewmaker_cli.training import ddp
from viewmaker_cli.training.checkpoint import FORMAT, get_rng_states, set_rng_states
from viewmaker_cli.views.families import build_views

log = logging.getLogger("vmk")


class TrainingDiverged(UserError):
    """The loss stopped being finite: a setting to change, not a bug to report."""


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: float) -> Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return -ctx.weight * grad, None


def reverse_grad(x: Tensor, weight: float = 1.0) -> Tensor:
    """Identity forward; multiplies the gradient by −weight on the way back."""
    return _ReverseGrad.apply(x, weight)


class PretrainSystem(L.LightningModule):
    """Encoder + viewmaker + objective. `cfg` is the resolved config as a plain dict. `train_x`, the stored
    training examples, sizes the networks; `train_y` (one label per index a batch carries) sizes a memory bank;
    the batches themselves come from data/batches.py, whose `indexed` says whether they carry indices."""

    def __init__(
        self,
        cfg: dict,
        train_x: Tensor,
        normalizer: Normalizer,
        meta: dict | None = None,
        train_y: Tensor | None = None,
        num_classes: int = 0,
        indexed: bool = True,
    ):
        super().__init__()
        self.cfg = cfg
        self.automatic_optimization = False
        channels, dims = train_x.shape[1], train_x.ndim - 2  # [N, C, H, W] or [N, C, T]
        self.encoder = build_encoder(cfg, *normalizer.encoder_input(channels, dims))
        self.view, self.viewmaker = build_views(cfg, channels, dims, meta or {})
        # What rebuilding the views from a checkpoint needs of the dataset's metadata (e.g. the z-score
        # statistics SpecAugment un-does): its plain scalar entries.
        self.view_meta = {k: v for k, v in (meta or {}).items() if isinstance(v, (int, float, str, bool))}
        # train_y, when given, has one label per index a batch can carry (for window data: per series).
        num_indexed = train_x.shape[0] if train_y is None else len(train_y)
        self.objective = build_objective(cfg["objective"], cfg["model"]["embedding_dim"], num_indexed, num_classes)
        # BYOL / MoCo: an EMA copy of the encoder gives the targets; it never gets gradients.
        self.target = copy.deepcopy(self.encoder).requires_grad_(False) if self.objective.needs_target else None
        if self.objective.needs_index and not indexed:
            raise UserError(f"objective={cfg['objective']['name']} needs indexed examples; data={cfg['data'].get('name')} draws windows")
        self.normalizer = normalizer
        self.input_shape = tuple(train_x.shape[1:])
        # Not saved in checkpoints: the labels are reloaded with the data, not carried in every ckpt.
        labels = train_y if train_y is not None else torch.full((train_x.shape[0],), -1)
        self.register_buffer("train_y", labels, persistent=False)
        # Every rank loads the same data: DDP must not broadcast the labels when it wraps the module.
        torch.nn.parallel.DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(self, ["train_y"])
        self._channels_last = False
        # Both views in one viewmaker call on CUDA: on an H200, compiled, 1.14x faster a step (larger kernels, half
        # as many); on the CPU, eager, 12-20% slower (a batch twice as large falls out of cache). Set at fit start.
        self._views_in_one_call = False
        self._last_log = None
        self._viewmaker_loss: Tensor | None = None  # alternating: the viewmaker step's own loss, for the log
        self._diverged: Tensor | None = None  # accumulated on the device: no sync per step

    # -- model -----------------------------------------------------------------------------------------
    def embed(self, views: Tensor) -> Tensor:
        return self.encoder(self.normalizer(views))

    def viewmaker_frozen(self) -> bool:
        """From views.freeze_epoch on, the viewmaker still makes the views but is no longer trained."""
        freeze = self.cfg["views"].get("freeze_epoch")
        return freeze is not None and self.current_epoch >= freeze

    def objective_inputs(self, v1: Tensor, v2: Tensor, index: Tensor | None) -> dict:
        """What this objective takes besides the two embeddings: dataset indices (memory bank), target
        embeddings (EMA network, no gradient), labels (supervised)."""
        inputs = {}
        if self.objective.needs_index:
            inputs["index"] = index
        if self.objective.needs_target:
            with torch.no_grad():
                inputs["targets"] = (self.target(self.normalizer(v1)), self.target(self.normalizer(v2)))
        if self.objective.needs_labels:
            inputs["labels"] = self.train_y[index]
        return inputs

    def after_encoder_step(self, z1: Tensor, z2: Tensor, inputs: dict) -> None:
        """State that follows the encoder's update: the EMA target, then memory bank / queue writes."""
        if self.target is not None:
            ema_update(self.encoder, self.target, self.objective.ema)
        with torch.no_grad():
            self.objective.after_step(z1.detach(), z2.detach(), **inputs)

    def make_views(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Two views with independent noise. On CUDA a viewmaker makes both in one call: its rows are independent
        (instance norm, per-row noise), so each view has the same law as from a call of its own."""
        with dist.rank_rng(self.device, enabled=self.cfg["views"]["name"] in ("expert", "combined")):
            if self.viewmaker is None or not self._views_in_one_call:
                return self.view(x), self.view(x)
            return self.view(torch.cat([x, x]), groups=2).chunk(2)

    def manual_backward(self, loss: Tensor, *args, **kwargs) -> None:
        """DDP: without its reducer; each optimiser's gradients are averaged before its step (dist.py)."""
        with ddp.reducer_off(self.trainer.strategy.model):
            super().manual_backward(loss, *args, **kwargs)

    def _optimizers(self):
        """The encoder's optimiser through Lightning (it counts global steps), the viewmaker's raw, so
        that one global step is one batch and `trainer.max_steps` means batches."""
        optimizers = self.optimizers()
        if self.viewmaker is None:
            return optimizers, None
        encoder_opt, viewmaker_opt = optimizers
        return encoder_opt, viewmaker_opt.optimizer

    def configure_optimizers(self):
        o = self.cfg["optim"]
        # The objective's own layers (BYOL/SimSiam predictor, supervised classifier) train with the encoder.
        encoder_opt = torch.optim.SGD(
            [*self.encoder.parameters(), *self.objective.parameters()],
            lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"], **optimizer_flags(self.device),
        )
        if self.viewmaker is None:
            return encoder_opt
        viewmaker_opt = torch.optim.Adam(self.viewmaker.parameters(), lr=self.cfg["views"]["lr"], **optimizer_flags(self.device))
        return [encoder_opt, viewmaker_opt]

    def on_fit_start(self) -> None:
        # DDP: no per-step buffer broadcast (BatchNorm statistics per rank; bank and queue written alike).
        ddp.no_buffer_broadcast(self.trainer.strategy.model)
        ddp.shard_views(self.view)
        if self.device.type == "cuda" and self.normalizer.encoder_input(1, len(self.input_shape) - 1)[1] == 2:  # NHWC convs: faster under bf16
            self._channels_last = True
            self.to(memory_format=torch.channels_last)
        self._views_in_one_call = self.device.type == "cuda"
        if compile_enabled(self.cfg["trainer"].get("compile", "auto"), self.device):  # after channels_last
            mode = self.cfg["trainer"].get("compile_mode", "default")
            compiled = [name for name, module in self.compiled_parts().items() if compile_module(module, name, mode)]
            if compiled:  # otherwise the first progress line comes a minute or two late, unexplained
                log.info("torch.compile (%s): %s; the first steps compile them", mode, ", ".join(compiled))

    def compiled_parts(self) -> dict:
        """What torch.compile compiles (trainer.compile): the networks, and the hand-made views, whose many small
        per-example operations (kornia's colour maths, masks) fuse into a few kernels."""
        parts = {"encoder": self.encoder, "viewmaker": self.viewmaker}
        if self.viewmaker is None:  # expert or noise views
            parts["views"] = self.view
        elif self.view is not self.viewmaker:  # combined: expert views, then the viewmaker
            parts["expert views"] = self.view.expert
        return {name: module for name, module in parts.items() if module is not None}

    # -- training --------------------------------------------------------------------------------------
    def on_after_batch_transfer(self, batch: tuple[Tensor, Tensor | None], dataloader_idx: int):
        """Images in the memory format of the convs chosen at fit start (NHWC on CUDA); same values."""
        x, index = batch
        if self._channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, index

    def training_step(self, batch: tuple[Tensor, Tensor | None], batch_idx: int) -> None:
        """Batch `self.global_step` of the run (data/batches.py): its inputs and their dataset indices."""
        x, index = batch
        mark_step_begin(*self.compiled_parts().values())
        encoder_opt, viewmaker_opt = self._optimizers()
        if self.viewmaker_frozen():
            viewmaker_opt = None
        if viewmaker_opt is not None and self.cfg["views"]["update"] == "simultaneous":
            loss, view = self._simultaneous_step(x, index, encoder_opt, viewmaker_opt)
        else:
            with torch.no_grad():  # the encoder step needs no viewmaker graph
                view, other = self.make_views(x)
            loss = self._encoder_update(encoder_opt, view, other, index)
            if viewmaker_opt is not None:  # alternating: the viewmaker's turn, against the updated encoder
                self._viewmaker_update(viewmaker_opt, x, index)
        bad = ~torch.isfinite(loss)  # on the device: no sync per step
        self._diverged = bad if self._diverged is None else self._diverged | bad
        self._log_step(loss, x, view)

    def _encoder_update(self, encoder_opt, v1: Tensor, v2: Tensor, index: Tensor | None) -> Tensor:
        inputs = self.objective_inputs(v1, v2, index)
        z1, z2 = self.embed(v1), self.embed(v2)
        loss = self.objective(z1, z2, **inputs)
        encoder_opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        dist.average_gradients(encoder_opt)
        encoder_opt.step()
        encoder_opt.zero_grad(set_to_none=True)  # free them now; the viewmaker step builds none
        self.after_encoder_step(z1, z2, inputs)
        return loss.detach()

    def _viewmaker_update(self, viewmaker_opt, x: Tensor, index: Tensor | None) -> None:
        weight = self.cfg["views"]["loss_weight"]
        # Fresh views and a forward through the updated encoder; its parameters (and the objective's)
        # get no gradients, the activations still carry the gradient to the viewmaker.
        self.encoder.requires_grad_(False)
        self.objective.requires_grad_(False)
        try:
            w1, w2 = self.make_views(x)
            inputs = self.objective_inputs(w1, w2, index)
            z1, z2 = self.embed(w1), self.embed(w2)
            adversarial = weight * self.objective.adversarial(z1, z2, **inputs)
            viewmaker_opt.zero_grad(set_to_none=True)
            self.manual_backward(adversarial)
            dist.average_gradients(viewmaker_opt)
            viewmaker_opt.step()
            self._viewmaker_loss = adversarial.detach()  # on fresh views through the updated encoder
            with torch.no_grad():
                self.objective.after_viewmaker_step(z1.detach(), z2.detach(), **inputs)
        finally:
            self.encoder.requires_grad_(True)
            self.objective.requires_grad_(True)

    def _simultaneous_step(self, x: Tensor, index: Tensor | None, encoder_opt, viewmaker_opt) -> tuple[Tensor, Tensor]:
        """One forward, one backward: gradient reversal gives the viewmaker −w·∂L while the encoder gets ∂L."""
        weight = self.cfg["views"]["loss_weight"]
        v1, v2 = self.make_views(x)
        r1, r2 = reverse_grad(v1, weight), reverse_grad(v2, weight)
        inputs = self.objective_inputs(v1.detach(), v2.detach(), index)
        z1, z2 = self.embed(r1), self.embed(r2)
        loss = self.objective(z1, z2, **inputs)
        encoder_opt.zero_grad(set_to_none=True)
        viewmaker_opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        dist.average_gradients(encoder_opt, viewmaker_opt)
        encoder_opt.step()
        viewmaker_opt.step()
        self.after_encoder_step(z1, z2, inputs)
        return loss.detach(), v1.detach()

    def _log_step(self, loss: Tensor, x: Tensor, view: Tensor) -> None:
        """Scalars every `log_every_n_steps` batches: the only host sync of the loop happens here."""
        step = self.global_step  # batches done, this one included
        if step % max(1, self.cfg["trainer"]["log_every_n_steps"]):
            return
        self.raise_if_diverged()
        loss = dist.mean_over_ranks(loss)  # DDP: each rank's loss is its rows' share of the global loss
        delta = (view.float() - x.float()).abs().flatten(1)
        encoder_opt, viewmaker_opt = self._optimizers()
        scalars = {
            "train/loss": loss,
            "distortion/mean_abs": delta.mean(),
            "distortion/max_abs": delta.amax(1).mean(),
            "lr/encoder": encoder_opt.param_groups[0]["lr"],
        }
        if viewmaker_opt is not None:  # simultaneous: the same forward, so exactly −w·L
            adversarial = self._viewmaker_loss if self._viewmaker_loss is not None else -self.cfg["views"]["loss_weight"] * loss
            scalars["train/viewmaker_loss"] = dist.mean_over_ranks(adversarial)
            scalars["lr/viewmaker"] = viewmaker_opt.param_groups[0]["lr"]
        if self.cfg["modality"]["name"] == "image":  # pixels in [0,1]: PSNR = −10·log10(MSE)
            scalars["distortion/psnr"] = (-10 * torch.log10(delta.pow(2).mean(1).clamp_min(1e-12))).mean()
        scalars = {name: float(value) for name, value in scalars.items()}  # one sync for all of them
        now = time.perf_counter()
        # Measured from the previous log on: never over a fit's first step, where torch.compile compiles.
        if self._last_log is not None and step > self._last_log[1]:
            scalars["train/images_per_s"] = (step - self._last_log[1]) * x.shape[0] * dist.world_size() / (now - self._last_log[0])
        self._last_log = (now, step)
        # CPU tensors: the progress bar reads these with .item() after every step, a device sync on CUDA.
        self.log("loss", torch.tensor(scalars["train/loss"]), prog_bar=True, logger=False)
        if "train/images_per_s" in scalars:
            self.log("img/s", torch.tensor(scalars["train/images_per_s"]), prog_bar=True, logger=False)
        if self.logger is not None:
            self.logger.log_metrics(scalars, step=step)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # Never write NaN/Inf weights over the last good checkpoint (a finite loss can still be followed
        # by an update that overflows, so the weights themselves are checked).
        saved = [t for t in self.state_dict().values() if t.is_floating_point()]  # BN statistics too
        finite = torch.stack([torch.isfinite(t).all() for t in saved]).all()
        self._diverged = ~finite if self._diverged is None else self._diverged | ~finite
        self.raise_if_diverged()
        # Plain data only, so the file loads with weights_only=True (see training/checkpoint.py).
        checkpoint["vmk"] = {
            "format": FORMAT,
            "config": self.cfg,
            "input_shape": list(self.input_shape),
            "view_meta": self.view_meta,
            "rng": get_rng_states(),
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        set_rng_states(checkpoint["vmk"]["rng"])

    def raise_if_diverged(self) -> None:
        if self._diverged is not None and bool(dist.any_rank(self._diverged)):  # one host sync, only when called
            raise TrainingDiverged(
                f"the loss became NaN or Inf before step {self.global_step}; the last good checkpoint is kept "
                "in checkpoints/ — lower optim.lr, views.lr or budget, and resume with ckpt_path=..."
            )

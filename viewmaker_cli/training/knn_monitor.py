"""The live kNN monitor (the authors' kNN monitor; solo-learn's online evaluation in spirit): every
`probe.monitor_every_n_steps` steps, kNN top-1 of a fixed, seeded subset of the held-out split against a fixed,
seeded subset of the training split, with the frozen encoder in eval mode, on the training device; logged as
`monitor/knn_top1`. Added only by `vmk pretrain` on labelled data (never in `vmk bench`)."""

from __future__ import annotations

import logging
import time

import lightning as L
import torch
from torch import Tensor

from viewmaker_cli.evaluation.knn import knn_predict
from viewmaker_cli.evaluation.linear_probe import embed

log = logging.getLogger("vmk")
TIMES_PER_RUN = 10  # monitor_every_n_steps=None: about this many monitors over the run


def fixed_subset(n: int, size: int, seed: int) -> Tensor:
    """`size` of range(n) (all when n <= size), the same for every run with this seed and resume."""
    if n <= size:
        return torch.arange(n)
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size].sort().values


class KnnMonitor(L.Callback):
    def __init__(self, every_n_steps: int | None, splits, k: int, temperature: float, layer: str = "pooled",
                 bank_size: int = 500, query_size: int = 250, seed: int = 0):
        self.every, self.k, self.temperature, self.layer = every_n_steps, k, temperature, layer
        bank, queries = fixed_subset(len(splits.train_y), bank_size, seed), fixed_subset(len(splits.test_y), query_size, seed + 1)
        # A few hundred examples, kept on the host until the fit starts (then once on the device).
        self.bank_x, self.bank_y = splits.train_x[bank].clone(), splits.train_y[bank].clone()
        self.query_x, self.query_y = splits.test_x[queries].clone(), splits.test_y[queries].clone()
        self.num_classes = splits.num_classes
        self.seconds, self.count = 0.0, 0  # time spent monitoring (the overhead) and how often
        self.fit_start = 0.0

    def on_fit_start(self, trainer, module) -> None:
        if self.every is None:  # about TIMES_PER_RUN times over the steps this fit will take
            self.every = max(1, int(trainer.estimated_stepping_batches) // TIMES_PER_RUN)
        for name in ("bank_x", "bank_y", "query_x", "query_y"):
            setattr(self, name, getattr(self, name).to(module.device))
        self.fit_start = time.perf_counter()

    def on_train_end(self, trainer, module) -> None:
        if self.count and trainer.global_rank == 0:
            total = time.perf_counter() - self.fit_start
            log.info("kNN monitor: %d times, every %d steps, %.1f s = %.1f%% of %.1f s training (probe.monitor_every_n_steps=0: off)",
                     self.count, self.every, self.seconds, 100 * self.seconds / max(total, 1e-9), total)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = trainer.global_step
        if not self.every or step % self.every or trainer.global_rank != 0:
            return
        start = time.perf_counter()
        top1 = self.knn_top1(module)
        self.seconds += time.perf_counter() - start
        self.count += 1
        if trainer.logger is not None:
            trainer.logger.log_metrics({"monitor/knn_top1": top1}, step=step)

    @torch.no_grad()
    def knn_top1(self, module) -> float:
        """kNN top-1 (%) of the query subset; the encoder's train/eval mode is restored (embed does it)."""
        bank = embed(module.encoder, module.normalizer, self.bank_x, self.layer)
        queries = embed(module.encoder, module.normalizer, self.query_x, self.layer)
        predicted = knn_predict(bank, self.bank_y, queries, self.num_classes, self.k, self.temperature)
        return float((predicted == self.query_y).float().mean()) * 100  # the one host sync


def knn_monitors(probe: dict, splits, seed: int) -> list[KnnMonitor]:
    """The run's monitor, or none: monitor_every_n_steps=0, probes off, or data without labels."""
    every = probe.get("monitor_every_n_steps")
    if every == 0 or not probe["enabled"] or not splits.labelled:
        return []
    return [KnnMonitor(every, splits, probe["knn_k"], probe["knn_temperature"], probe["layer"],
                       probe["monitor_bank"], probe["monitor_queries"], seed)]

"""Weighted kNN on frozen features (Wu et al. 2018, the InstDisc monitor): L2-normalised features, the k
most similar training examples vote for their class with weight exp(cosine / temperature)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from viewmaker_cli.core.progress import track


@dataclass
class KnnProtocol:
    kind: str = "knn"
    layer: str = "pooled"
    k: int = 200
    temperature: float = 0.1
    epochs: int = 0  # nothing is trained
    weighting: str = "sum over the k nearest of exp(cosine / temperature), per class"
    features: str = "L2-normalised, frozen encoder in eval mode"
    views_during_probe: str = "none"
    train_split: str = "train"
    eval_split: str = "test"
    selection: str = "no training: the labelled training set is the memory bank"

    def as_dict(self) -> dict:
        return asdict(self)


def knn_predict(
    bank: Tensor, bank_y: Tensor, queries: Tensor, num_classes: int, k: int = 200, temperature: float = 0.1,
    chunk: int | None = None, description: str | None = None,
) -> Tensor:
    """Predicted class of every query [Q]: features need not be normalised (done here).

    Queries go in chunks so the [chunk, N] similarity matrix stays bounded (~256 MB of fp32), all on the
    bank's device; k is capped at the bank's size."""
    bank = F.normalize(bank.float(), dim=1)
    bank_y = bank_y.to(bank.device)
    k = min(k, bank.shape[0])
    chunk = chunk or max(1, min(4096, (64 * 2**20) // max(1, bank.shape[0])))
    out = []
    starts = range(0, queries.shape[0], chunk)
    for start in track(starts, description, unit="chunk") if description else starts:
        q = F.normalize(queries[start : start + chunk].to(bank.device).float(), dim=1)
        sims, index = (q @ bank.T).topk(k, dim=1)
        weights = (sims / temperature).exp()
        votes = torch.zeros(q.shape[0], num_classes, device=bank.device)
        votes.scatter_add_(1, bank_y[index], weights)
        out.append(votes.argmax(1))
    return torch.cat(out) if out else torch.empty(0, dtype=torch.long, device=bank.device)

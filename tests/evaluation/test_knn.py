"""Weighted kNN (k nearest by cosine, votes exp(cos / τ) summed per class) against a slow loop."""

import math

import pytest
import torch

from viewmaker_cli.evaluation.knn import knn_predict


def slow_knn(bank, bank_y, queries, num_classes, k, temperature):
    """One query at a time: cosine to every training example, sort, sum exp(sim / τ) of the k best per class."""
    out = []
    for q in queries.tolist():
        qn = math.sqrt(sum(v * v for v in q))
        sims = []
        for row, label in zip(bank.tolist(), bank_y.tolist()):
            rn = math.sqrt(sum(v * v for v in row))
            sims.append((sum(a * b for a, b in zip(q, row)) / (qn * rn), label))
        sims.sort(key=lambda s: -s[0])
        votes = [0.0] * num_classes
        for sim, label in sims[:k]:
            votes[label] += math.exp(sim / temperature)
        out.append(max(range(num_classes), key=lambda c: (votes[c], -c)))
    return out


@pytest.mark.parametrize("k, temperature, chunk", [(200, 0.1, None), (5, 0.1, 7), (1, 0.5, 3), (3, 0.07, 64)])
def test_knn_matches_a_slow_loop(k, temperature, chunk):
    g = torch.Generator().manual_seed(k)
    bank, queries = torch.randn(60, 6, generator=g), torch.randn(25, 6, generator=g)
    bank_y = torch.randint(0, 4, (60,), generator=g)
    fast = knn_predict(bank * 3, bank_y, queries, 4, k=k, temperature=temperature, chunk=chunk)  # scale-free
    assert fast.tolist() == slow_knn(bank, bank_y, queries, 4, k, temperature)


def test_weighting_lets_a_close_minority_outvote_a_far_majority():
    bank = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8], [0.6, 0.8]])  # class 0 close, three of class 1 far
    bank_y = torch.tensor([0, 1, 1, 1])
    query = torch.tensor([[1.0, 0.05]])
    # exp(1/0.1) beats 3 exp(0.63/0.1); with τ = 1 the three far votes win.
    assert knn_predict(bank, bank_y, query, 2, k=4, temperature=0.1).item() == 0
    assert knn_predict(bank, bank_y, query, 2, k=4, temperature=1.0).item() == 1

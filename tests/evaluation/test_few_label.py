"""Few labels: a seeded, stratified fraction of every class."""

import pytest
import torch

from viewmaker_cli.errors import UserError
from viewmaker_cli.evaluation.few_label import stratified_subset


def test_every_class_keeps_its_share_and_at_least_one_example():
    labels = torch.tensor([0] * 50 + [1] * 20 + [2] * 3 + [3] * 1)
    keep = stratified_subset(labels, 0.1, seed=0)
    counts = torch.bincount(labels[keep], minlength=4).tolist()
    assert counts == [5, 2, 1, 1]
    assert keep.tolist() == sorted(set(keep.tolist()))  # sorted, no repeats


def test_the_draw_is_seeded():
    labels = torch.arange(200) % 7
    assert torch.equal(stratified_subset(labels, 0.25, 3), stratified_subset(labels, 0.25, 3))
    assert not torch.equal(stratified_subset(labels, 0.25, 3), stratified_subset(labels, 0.25, 4))
    assert torch.equal(stratified_subset(labels, 1.0, 3), torch.arange(200))


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_a_fraction_outside_0_1_is_a_user_error(fraction):
    with pytest.raises(UserError, match="probe.label_fraction"):
        stratified_subset(torch.zeros(4, dtype=torch.long), fraction, 0)

"""The optimisers' kernels per device (core/device.py): foreach on the CPU computes what the per-parameter loop
computes. That training's optimisers take these flags is tested in tests/training/test_fast_path.py."""

import pytest
import torch

from viewmaker_cli.core.device import optimizer_flags


@pytest.mark.parametrize("make", [
    lambda params, **flags: torch.optim.SGD(params, lr=0.03, momentum=0.9, weight_decay=1e-4, **flags),
    lambda params, **flags: torch.optim.Adam(params, lr=1e-3, **flags),
])
def test_foreach_kernels_compute_what_the_per_parameter_loop_computes(make):
    def train(**flags):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
        optimizer = make(net.parameters(), **flags)
        for _ in range(4):
            optimizer.zero_grad()
            net(torch.randn(4, 5)).pow(2).sum().backward()
            optimizer.step()
        return list(net.parameters())

    for a, b in zip(train(foreach=False), train(**optimizer_flags("cpu"))):
        assert torch.equal(a, b)

"""torch.compile with its eager fallback (core/compile.py): when it is on, a failure at the first call, and
which calls run compiled. Training with `trainer.compile` is tested in tests/training/test_fast_path.py."""

import logging

import pytest
import torch

from viewmaker_cli.core import compile as compiling
from viewmaker_cli.errors import UserError


class Tiny(torch.nn.Module):
    """A forward of its own: Dynamo compiles frames of user code (it would skip torch.nn's own forwards)."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(x).relu()


def test_compile_setting_auto_means_cuda_only():
    assert compiling.compile_enabled("auto", "cuda") and not compiling.compile_enabled("auto", "cpu")
    assert compiling.compile_enabled(True, "cpu") and not compiling.compile_enabled(False, "cuda")
    with pytest.raises(UserError, match="trainer.compile"):
        compiling.compile_enabled("yes", "cpu")


def test_a_backend_error_at_the_first_call_falls_back_in_one_line(monkeypatch, caplog):
    def broken_backend(gm, example_inputs):
        raise RuntimeError("no C++ compiler found\nsecond line of the report")

    monkeypatch.setattr(compiling, "BACKEND", broken_backend)
    torch.manual_seed(0)
    net = Tiny()
    x = torch.randn(4, 3)
    expected = net(x)
    assert compiling.compile_module(net, "probe head") and compiling.is_compiled(net)
    with caplog.at_level(logging.WARNING, logger="vmk"):
        assert torch.equal(net(x), expected) and torch.equal(net(x), expected)
    [warning] = [r.getMessage() for r in caplog.records]
    assert "probe head" in warning and "RuntimeError: no C++ compiler found" in warning and "\n" not in warning
    assert not compiling.is_compiled(net)


def test_only_the_first_calls_shape_runs_compiled(monkeypatch):
    graphs = []
    monkeypatch.setattr(compiling, "BACKEND", lambda gm, example_inputs: graphs.append(gm) or gm.forward)
    net = Tiny()
    compiling.compile_module(net, "tiny")
    batch, few = torch.randn(8, 3), torch.randn(2, 3)
    assert torch.equal(net(batch), net._call_impl(batch)) and len(graphs) == 1
    assert torch.equal(net(few), net._call_impl(few)) and len(graphs) == 1, "a view grid's batch must not recompile"
    net(batch)
    assert len(graphs) == 1 and compiling.is_compiled(net)


def test_the_compile_mode_reaches_torch_compile_and_a_bad_one_is_refused(monkeypatch):
    modes = []
    monkeypatch.setattr(compiling, "BACKEND", "inductor")
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: modes.append(kw["mode"]) or fn)
    for mode in compiling.COMPILE_MODES:
        assert compiling.compile_module(Tiny(), "tiny", mode)
    assert modes == list(compiling.COMPILE_MODES)
    with pytest.raises(UserError, match="trainer.compile_mode=fast"):
        compiling.compile_module(Tiny(), "tiny", "fast")


def test_a_step_is_marked_for_cuda_graphs_only_where_a_network_replays_them(monkeypatch):
    marks = []
    monkeypatch.setattr(torch.compiler, "cudagraph_mark_step_begin", lambda: marks.append(1))
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: fn)
    eager, plain, graphs = Tiny(), Tiny(), Tiny()
    compiling.compile_module(plain, "plain", "default")
    compiling.compile_module(graphs, "graphs", "reduce-overhead")
    compiling.mark_step_begin(eager, None, plain)
    assert marks == []
    compiling.mark_step_begin(eager, None, graphs)
    assert marks == [1]

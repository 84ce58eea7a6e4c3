"""A process that dies while writing leaves the previous results/checkpoint/cache file intact."""

import json
import os
import subprocess
import sys

import pytest
import torch

from viewmaker_cli.core.atomic import atomic_write_text
from viewmaker_cli.data import cache
from viewmaker_cli.data.splits import Splits
from viewmaker_cli.training.checkpoint import AtomicCheckpointIO


def test_results_file_survives_a_crash_mid_write(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    atomic_write_text(path, json.dumps({"v": 1}))

    class Boom(Exception):
        pass

    def dying_fsync(fd):
        raise Boom  # after the bytes went to the temp file, before the rename

    monkeypatch.setattr(os, "fsync", dying_fsync)
    with pytest.raises(Boom):
        atomic_write_text(path, json.dumps({"v": 2}))
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_checkpoint_killed_while_writing_leaves_the_previous_one(tmp_path):
    path = tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"step": 1, "w": torch.ones(3)}, path)
    # A child process starts writing a large checkpoint and is SIGKILLed mid-write.
    code = (
        "import os, signal, torch\n"
        "from viewmaker_cli.training.checkpoint import AtomicCheckpointIO\n"
        "real = torch.save\n"
        "def save(obj, f, *a, **k):\n"
        "    real(obj, f, *a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "torch.save = save\n"
        f"AtomicCheckpointIO().save_checkpoint({{'step': 2, 'w': torch.zeros(1000)}}, {str(path)!r})\n"
    )
    child = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert child.returncode == -9
    saved = torch.load(path, weights_only=True)
    assert saved["step"] == 1 and torch.equal(saved["w"], torch.ones(3))


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_cache_file_is_never_executed_and_is_prepared_again(tmp_path):
    marker = tmp_path / "payload-ran"
    payload = Payload()
    payload.marker = marker
    entry = tmp_path / "entry.pt"
    torch.save({"cache_version": cache.CACHE_VERSION, "fingerprint": "f", "splits": payload}, entry)
    assert cache.load(entry, "f") is None
    assert not marker.exists()
    splits = Splits("x", "image", torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]),
                    torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.tensor([1, 0]), 2, ["a", "b"], "here")
    cache.save(entry, splits, "f")
    assert cache.load(entry, "f").source == "here" and cache.load(entry, "other") is None

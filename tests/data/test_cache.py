import os

import numpy as np
import pytest

from viewmaker_cli.data import cache, catalog
from viewmaker_cli.data.fashion_mnist import save_fashion_mnist
from viewmaker_cli.data.info import DatasetInfo


@pytest.fixture
def fixture_root(tmp_path, monkeypatch):
    monkeypatch.setenv("VMK_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    root = tmp_path / "fm"
    save_fashion_mnist(root, rng.integers(0, 255, (20, 28, 28)), np.arange(20) % 10,
                       rng.integers(0, 255, (10, 28, 28)), np.arange(10) % 10)
    return root


def test_second_load_comes_from_the_cache_and_a_changed_source_is_prepared_again(fixture_root, monkeypatch):
    calls = []
    info = catalog.DATASETS["fashion_mnist"]
    counting = lambda **kw: calls.append(1) or info.loader(**kw)  # noqa: E731
    monkeypatch.setitem(catalog.DATASETS, "fashion_mnist", DatasetInfo(**{**info.__dict__, "loader": counting}))
    first = catalog.load_dataset("fashion_mnist", root=str(fixture_root))
    second = catalog.load_dataset("fashion_mnist", root=str(fixture_root))
    assert len(calls) == 1 and (first.train_x == second.train_x).all() and first.source == second.source
    assert len(list(cache.cache_home().glob("*.pt"))) == 1
    labels = fixture_root / "train-labels-idx1-ubyte.gz"
    os.utime(labels, ns=(labels.stat().st_atime_ns, labels.stat().st_mtime_ns + 10**9))
    catalog.load_dataset("fashion_mnist", root=str(fixture_root))
    assert len(calls) == 2
    catalog.load_dataset("fashion_mnist", root=str(fixture_root), pad_to=None)  # other options, other entry
    assert len(calls) == 3 and len(list(cache.cache_home().glob("*.pt"))) == 2


def test_a_damaged_cache_file_is_prepared_again(fixture_root):
    catalog.load_dataset("fashion_mnist", root=str(fixture_root))
    (entry,) = cache.cache_home().glob("*.pt")
    entry.write_bytes(b"garbage")
    splits = catalog.load_dataset("fashion_mnist", root=str(fixture_root))
    assert splits.train_x.shape == (20, 1, 32, 32)
    assert cache.load(entry, "x") is None

"""The training batches: batch k is a pure function of (seed, k), resumable at any step, sharded per rank."""

import numpy as np
import pytest
import torch

from viewmaker_cli.core import dist
from viewmaker_cli.data.batches import DataOrder, StoredBatches, WindowBatches
from viewmaker_cli.data.sensor.segments import Segments
from viewmaker_cli.data.sensor.spectrogram import SpectrogramTransform
from viewmaker_cli.data.splits import model_space

IMAGES = (torch.rand(10, 3, 4, 4, generator=torch.Generator().manual_seed(0)) * 255).to(torch.uint8)
rng = np.random.default_rng(0)
SEGMENTS = Segments(series=rng.normal(size=(3, 3000)).astype(np.float32), start=np.array([0, 1000]),
                    length=np.array([900, 2000]), label=np.array([0, 1]), group=np.array([0, 0]))
SPECTROGRAM = SpectrogramTransform(15, 8, torch.tensor([0.1, 0.2, 0.3]), torch.tensor([1.5, 2.0, 2.5]))


def windows(device="cpu", spectrogram=SPECTROGRAM):
    return SEGMENTS.sampler(64, device=device, seed=0, spectrogram=spectrogram)


def epochs(batches, count: int) -> list:
    """What Lightning sees over `count` epochs: one iter() per epoch."""
    return [batch for _ in range(count) for batch in batches]


def assert_same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for (x, i), (y, j) in zip(a, b):
        assert torch.equal(x, y) and (i is None and j is None or torch.equal(i, j))


def test_data_order_is_a_function_of_seed_and_step_with_a_new_permutation_each_epoch():
    order = DataOrder(10, 3, seed=1)
    assert order.batches_per_epoch == 3  # last partial batch dropped
    epoch0 = torch.cat([order.indices(step) for step in range(3)])
    epoch1 = torch.cat([order.indices(step) for step in range(3, 6)])
    assert len(set(epoch0.tolist())) == 9 and not torch.equal(epoch0, epoch1)
    fresh = DataOrder(10, 3, seed=1)
    assert torch.equal(fresh.indices(4), order.indices(4))  # a resumed run starts mid-epoch on the same batch
    assert not torch.equal(DataOrder(10, 3, seed=2).indices(0), order.indices(0))
    with pytest.raises(ValueError):
        DataOrder(4, 8, seed=0)


def test_stored_batches_are_the_data_order_gathered_in_model_space():
    batches = StoredBatches(IMAGES, 3, seed=1)
    order = DataOrder(10, 3, seed=1)
    assert len(batches) == 3
    seen = epochs(batches, 3)
    assert len(seen) == 9
    for step, (x, index) in enumerate(seen):
        assert torch.equal(index, order.indices(step))
        assert x.dtype == torch.float32 and torch.equal(x, model_space(IMAGES[index]))
    assert_same(seen, [batches.batch(step) for step in range(9)])


@pytest.mark.parametrize("make", [lambda: StoredBatches(IMAGES, 3, seed=1),
                                  lambda: WindowBatches(windows, 4, seed=1, windows_per_epoch=12)])
@pytest.mark.parametrize("start", [2, 3, 4])  # mid-epoch, an epoch's first batch, and past it
def test_started_at_a_step_they_continue_as_an_uninterrupted_iteration(make, start):
    uninterrupted = epochs(make(), 4)
    resumed = make().start_at(start)
    first_epoch = list(resumed)
    assert len(first_epoch) == 3 - start % 3  # the rest of that epoch, so Lightning's epochs stay aligned
    assert_same(first_epoch + epochs(resumed, 2), uninterrupted[start:start + len(first_epoch) + 6])


def test_window_batches_are_fresh_windows_fixed_by_seed_and_step():
    batches = WindowBatches(windows, 4, seed=2, windows_per_epoch=10)
    assert len(batches) == 2 and batches.indexed
    x, index = batches.batch(5)
    assert x.shape == (4, 3, 8, 8)  # the sampler's spectrograms of 64-sample windows
    raw, labels, segment = windows().sample_indexed(4, torch.Generator().manual_seed(2 * 1_000_003 + 5))
    assert torch.equal(x, SPECTROGRAM(raw))
    # A window's index is the series it was cut from, and the batches' labels are those series' classes.
    assert torch.equal(index, segment) and torch.equal(batches.index_labels(None)[index], labels)
    again = WindowBatches(windows, 4, seed=2, windows_per_epoch=10)
    assert torch.equal(again.batch(5)[0], x)
    assert not torch.equal(batches.batch(6)[0], x)  # every step draws new windows
    assert not torch.equal(WindowBatches(windows, 4, seed=3, windows_per_epoch=10).batch(5)[0], x)
    raw_series = WindowBatches(lambda device: windows(device, spectrogram=None), 4, seed=2, windows_per_epoch=10)
    assert torch.equal(raw_series.batch(5)[0], raw)
    assert len(WindowBatches(windows, 4, seed=2, windows_per_epoch=3)) == 1  # at least one batch an epoch


@pytest.mark.parametrize("make", [lambda: StoredBatches(IMAGES, 4, seed=1),
                                  lambda: WindowBatches(windows, 4, seed=1, windows_per_epoch=12)])
def test_two_ranks_shards_concatenate_to_the_global_batch(make, monkeypatch):
    whole = make().batch(3)
    shards = []
    monkeypatch.setattr(dist, "world_size", lambda: 2)
    for rank in range(2):
        monkeypatch.setattr(dist, "rank", lambda rank=rank: rank)
        shards.append(make().batch(3))
    assert torch.equal(torch.cat([x for x, _ in shards]), whole[0])
    if whole[1] is not None:
        assert torch.equal(torch.cat([index for _, index in shards]), whole[1])


def test_iterating_never_draws_from_the_global_random_stream():
    state = torch.get_rng_state()
    epochs(StoredBatches(IMAGES, 3, seed=1), 2)
    epochs(WindowBatches(windows, 4, seed=1, windows_per_epoch=8), 2)
    assert torch.equal(torch.get_rng_state(), state)


def test_batches_are_made_on_the_device_the_data_was_moved_to():
    meta = torch.device("meta")  # a device that is not the host's, where nothing is computed
    x, index = StoredBatches(IMAGES, 3, seed=1).to(meta).batch(4)
    assert x.device == meta and index.device == meta and x.dtype == torch.float32
    built = []

    def factory(device):
        built.append(device)
        return windows()

    batches = WindowBatches(factory, 4, seed=1, windows_per_epoch=8).to("cpu")
    assert built == []  # a window sampler holds the whole recording: built on first use, on that device
    batches.batch(0), batches.batch(1)
    assert built == [torch.device("cpu")]

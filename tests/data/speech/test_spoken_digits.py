"""The embedded espeak-ng spoken digits: synthesis, speaker-disjoint split, z-scoring, cache."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from viewmaker_cli.data.speech import espeak
from viewmaker_cli.data.speech import spoken_digits as sd
from viewmaker_cli.data.speech.frontend import log_mel
from viewmaker_cli.data.speech.normalize import fit_stats
from viewmaker_cli.errors import UserError

needs_espeak = pytest.mark.skipif(
    importlib.util.find_spec("espeakng_loader") is None, reason="the vmk[speech] extra is not installed"
)


def test_default_speakers_give_2000_clips_split_by_voice_and_variant() -> None:
    speakers, is_test = sd.choose_speakers(200, 0.2, seed=0)
    assert len(set(speakers)) == 200  # no speaker twice
    assert sum(is_test) == 40  # 400 test clips of 2,000
    train_pairs = {s[:2] for s, t in zip(speakers, is_test) if not t}
    test_pairs = {s[:2] for s, t in zip(speakers, is_test) if t}
    assert not train_pairs & test_pairs  # no test speaker shares a voice+variant with a training speaker
    assert all(s[0] in sd.VOICES and s[1] in sd.VARIANTS and s[2] in sd.RATES and s[3] in sd.PITCHES for s in speakers)
    assert sd.choose_speakers(200, 0.2, seed=0) == (speakers, is_test)
    assert sd.choose_speakers(200, 0.2, seed=1)[0] != speakers


def test_hop_gives_64_frames_for_one_second() -> None:
    assert sd.HOP == 253 and sd.CLIP_SAMPLES == 16_000
    assert log_mel(torch.randn(1, sd.CLIP_SAMPLES), sd.SAMPLE_RATE, sd.N_MELS, hop=sd.HOP).shape == (1, 1, 64, 64)


@needs_espeak
def test_synthesised_clips_are_speech_not_silence() -> None:
    speakers, _ = sd.choose_speakers(2, 0.5, seed=0)
    clips, labels, owners = sd.synthesize(speakers)
    assert labels == list(range(10)) * 2 and owners == [0] * 10 + [1] * 10
    for clip in clips:
        assert 0.2 * sd.SAMPLE_RATE < len(clip) < sd.SAMPLE_RATE  # digits last < 1 s at 16 kHz
        assert np.sqrt(np.mean(clip**2)) > 0.01 and np.abs(clip).max() <= 1.0
    # Different speakers say the same digit differently.
    assert len(clips[0]) != len(clips[10]) or not np.allclose(clips[0], clips[10])


@needs_espeak
def test_tiny_dataset_is_speaker_disjoint_normalised_and_cached(vmk_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    splits = sd.load_spoken_digits(n_speakers=2, test_fraction=0.5, seed=0)
    assert splits.modality == "audio" and splits.num_classes == 10
    assert splits.train_x.shape == (10, 1, 64, 64) and splits.test_x.shape == (10, 1, 64, 64)
    assert splits.train_x.dtype == torch.float16
    assert sorted(splits.train_y.tolist()) == list(range(10)) == sorted(splits.test_y.tolist())
    meta = splits.meta
    assert set(meta["train_speaker"]).isdisjoint(meta["test_speaker"])
    assert len(meta["train_speaker"]) == 10 and len(meta["speakers"]) == 2
    assert (meta["sample_rate"], meta["hop_length"], meta["n_mels"], meta["clip_samples"]) == (16_000, 253, 64, 16_000)
    # z-scored with the training split's own statistics, recorded in meta
    train = splits.train_x.float()
    assert float(train.mean()) == pytest.approx(0.0, abs=1e-2)
    assert float(train.std(correction=0)) == pytest.approx(1.0, abs=1e-2)
    raw = train * meta["std"] + meta["mean"]
    assert fit_stats(raw) == pytest.approx((meta["mean"], meta["std"]), rel=1e-3)
    assert all(float(x.std()) > 0.1 for x in splits.train_x.float())  # no blank spectrogram
    # cached: the second load reads the file and synthesises nothing
    cache = vmk_data / "spoken_digits"
    assert len(list(cache.glob("*.pt"))) == 1
    monkeypatch.setattr(sd, "synthesize", lambda *a: pytest.fail("synthesised again"))
    again = sd.load_spoken_digits(n_speakers=2, test_fraction=0.5, seed=0)
    assert torch.equal(again.train_x, splits.train_x) and again.meta == splits.meta


@needs_espeak
def test_damaged_cache_is_regenerated(vmk_data: Path) -> None:
    path = sd.cache_file(2, 0.5, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a tensor file")
    assert sd.load_spoken_digits(n_speakers=2, test_fraction=0.5, seed=0).train_x.shape == (10, 1, 64, 64)


def test_missing_extra_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)  # import fails as if not installed
    monkeypatch.setattr(espeak, "_ENGINE", None)
    with pytest.raises(UserError, match=r"pip install 'vmk\[speech\]'"):
        sd.load_spoken_digits(n_speakers=2, test_fraction=0.5)


@needs_espeak
def test_waveform_form_holds_the_clips_whose_device_front_end_gives_the_stored_log_mels(
    vmk_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from viewmaker_cli.data.speech.frontend import LogMelFrontend

    # espeak-ng's output varies slightly from call to call: both forms are made from the same clips
    clips = sd.synthesize(sd.choose_speakers(2, 0.5, 0)[0])
    monkeypatch.setattr(sd, "synthesize", lambda speakers: clips)
    mels = sd.load_spoken_digits(n_speakers=2, test_fraction=0.5, seed=0)
    waves = sd.load_spoken_digits(n_speakers=2, test_fraction=0.5, seed=0, waveform=True)
    assert waves.train_x.shape == (10, 1, 16_000) and waves.train_x.dtype == torch.float16
    assert waves.meta["waveform"] and not mels.meta["waveform"]
    assert (waves.meta["mean"], waves.meta["std"]) == (mels.meta["mean"], mels.meta["std"])
    assert torch.equal(waves.test_y, mels.test_y)
    # fp16 waveforms lose nothing the front end's 40 dB range keeps: same z-scored log-mels to fp16 precision
    on_device = LogMelFrontend.from_meta(waves.meta)(waves.test_x.float())
    assert (on_device - mels.test_x.float()).abs().max() < 0.02
    assert len(list((vmk_data / "spoken_digits").glob("*.pt"))) == 2  # two cache files, one per form

"""The torch front end against librosa, the authors' dB quirk, hops and fixed-length crops."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

from viewmaker_cli.data.speech import frontend
from viewmaker_cli.data.speech.frontend import HOPS, fixed_length, hop_length, log_mel


def chirp(samples: int, sample_rate: int) -> np.ndarray:
    """A 50 Hz → sr/2 sweep plus noise: energy across the whole band."""
    noise = np.random.default_rng(0).normal(0, 1e-3, samples)
    sweep = librosa.chirp(fmin=50, fmax=sample_rate / 2 - 100, sr=sample_rate, length=samples)
    return (0.5 * sweep + noise).astype(np.float32)


def librosa_log_mel(wave: np.ndarray, sample_rate: int, hop: int, n_mels: int = 64, pad_mode: str = "reflect") -> np.ndarray:
    """The authors' pipeline, with librosa ≤ 0.9's reflect padding made explicit."""
    mel = librosa.feature.melspectrogram(
        y=wave, sr=sample_rate, n_fft=2048, hop_length=hop, n_mels=n_mels, center=True, pad_mode=pad_mode
    )
    return librosa.power_to_db(mel**2, ref=1.0, amin=1e-10, top_db=80.0)


def espeak_clip() -> np.ndarray:
    pytest.importorskip("espeakng_loader")
    from viewmaker_cli.data.speech.espeak import engine

    tts = engine()
    wave = librosa.resample(tts.say("seven", "en-us+m3"), orig_sr=tts.sample_rate, target_sr=16_000)
    return fixed_length([wave], 16_000)[0].numpy()


RECORDED = "/usr/share/pocketsphinx/test/data/cards/001.wav"  # Debian pocketsphinx-testdata: a real 16 kHz utterance


def recorded_clip() -> np.ndarray:
    import os

    import soundfile

    if not os.path.exists(RECORDED):
        pytest.skip("apt-get install pocketsphinx-testdata for a real recorded utterance")
    wave, sample_rate = soundfile.read(RECORDED, dtype="float32")
    assert sample_rate == 16_000
    return fixed_length([torch.from_numpy(wave)], 150_526)[0].numpy()  # the paper's zero-padded clip


@pytest.mark.parametrize(
    "make, sample_rate, hop",
    [
        (lambda: chirp(150_526, 16_000), 16_000, 2360),  # the paper's clip length
        (lambda: chirp(150_526, 48_000), 48_000, 2360),  # AudioMNIST's rate, used as is
        (espeak_clip, 16_000, 253),  # synthesised speech, the embedded set's 1 s clips
        (recorded_clip, 16_000, 2360),  # recorded speech
    ],
)
def test_log_mel_matches_librosa(make, sample_rate: int, hop: int) -> None:
    wave = make()
    ours = log_mel(torch.from_numpy(wave)[None], sample_rate, n_mels=64, hop=hop)
    assert ours.shape == (1, 1, 64, 64) and ours.dtype == torch.float32
    reference = librosa_log_mel(wave, sample_rate, hop)
    # Relative to the value, floored at 1 dB: near 0 dB a relative error is meaningless (there the bound is
    # 1e-4 dB absolute; the largest seen is ~1e-5 dB).
    relative = np.abs(ours[0, 0].numpy() - reference) / np.maximum(np.abs(reference), 1.0)
    assert relative.max() < 1e-4, relative.max()


def test_padding_is_reflect_not_librosa_010_constant() -> None:
    wave = chirp(16_000, 16_000)
    ours = log_mel(torch.from_numpy(wave)[None], 16_000, hop=253)[0, 0].numpy()
    constant = librosa_log_mel(wave, 16_000, 253, pad_mode="constant")
    # The first and last frames see the padding; the middle ones do not.
    assert np.abs(ours[:, 0] - constant[:, 0]).max() > 0.1
    np.testing.assert_allclose(ours[:, 10:50], constant[:, 10:50], rtol=1e-3, atol=1e-3)


def test_db_quirk_doubles_units_and_clips_per_example() -> None:
    loud = torch.from_numpy(chirp(16_000, 16_000))
    waves = torch.stack([loud, 0.1 * loud])
    db = log_mel(waves, 16_000, hop=253)[:, 0]
    # 20*log10(S) with S floored at 1e-5, clipped to max - 80, computed by hand from librosa's power mel.
    mel = librosa.feature.melspectrogram(
        y=loud.numpy(), sr=16_000, n_fft=2048, hop_length=253, n_mels=64, pad_mode="reflect"
    )
    by_hand = 20 * np.log10(np.maximum(mel, 1e-5))
    by_hand = np.maximum(by_hand, by_hand.max() - 80)
    np.testing.assert_allclose(db[0].numpy(), by_hand, rtol=1e-3, atol=1e-3)
    for example in db:
        assert example.max() - example.min() <= 80.0 + 1e-4
        assert example.min() == pytest.approx(example.max().item() - 80.0, abs=1e-3)  # the clip is reached
    # Amplitude x0.1 → power mel x0.01 → S**2 x1e-4 → -40 "dB": only with a per-example top_db does the
    # quiet clip keep the loud one's exact shape.
    torch.testing.assert_close(db[1], db[0] - 40.0, atol=2e-3, rtol=0)


def test_silence_sits_at_the_floor() -> None:
    db = log_mel(torch.zeros(1, 16_000), 16_000, hop=253)
    assert torch.all(db == -100.0)  # 10*log10(1e-10)


@pytest.mark.parametrize("n_mels", sorted(HOPS))
def test_hops_give_square_spectrograms_for_150526_samples(n_mels: int) -> None:
    assert hop_length(150_526, n_mels) == HOPS[n_mels]
    out = log_mel(torch.randn(2, 150_526), 16_000, n_mels=n_mels)
    assert out.shape == (2, 1, n_mels, n_mels)


def test_hop_for_other_lengths() -> None:
    assert hop_length(16_000, 64) == 253
    assert log_mel(torch.randn(1, 16_000), 16_000).shape == (1, 1, 64, 64)
    assert log_mel(torch.randn(1, 4096), 16_000).shape == (1, 1, 64, 64)
    with pytest.raises(ValueError):
        hop_length(30, 64)


def test_filterbank_is_librosa_slaney_and_cached() -> None:
    fb = frontend.mel_filterbank(16_000, 2048, 64)
    expected = librosa.filters.mel(sr=16_000, n_fft=2048, n_mels=64, fmin=0, fmax=8000, htk=False, norm="slaney")
    np.testing.assert_array_equal(fb.numpy(), expected)
    assert frontend.mel_filterbank(16_000, 2048, 64) is fb
    assert frontend.mel_filterbank(48_000, 2048, 64) is not fb


def test_head_and_tail_crops() -> None:
    wave = torch.arange(10.0)[None]
    assert fixed_length(wave, 4, "head").tolist() == [[0, 1, 2, 3]]
    assert fixed_length(wave, 4, "tail").tolist() == [[6, 7, 8, 9]]
    assert fixed_length(wave, 10, "tail").tolist() == [list(range(10))]


def test_short_clips_are_zero_padded_at_the_end() -> None:
    out = fixed_length([np.array([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0, 6.0, 7.0])], 4, "tail")
    assert out.dtype == torch.float32 and out.shape == (2, 4)
    assert out.tolist() == [[1, 2, 0, 0], [4, 5, 6, 7]]


def test_random_side_is_seeded_and_mixes_heads_and_tails() -> None:
    waves = torch.arange(10.0).repeat(64, 1)

    def sides(seed: int) -> list[bool]:
        out = fixed_length(waves, 4, "random", torch.Generator().manual_seed(seed))
        assert all(row in ([0, 1, 2, 3], [6, 7, 8, 9]) for row in out.tolist())
        return [row[0] == 6 for row in out.tolist()]

    assert sides(1) == sides(1)
    assert sides(1) != sides(2)
    assert 10 < sum(sides(1)) < 54


def test_bad_side_and_shapes_are_rejected() -> None:
    with pytest.raises(ValueError):
        fixed_length(torch.zeros(1, 5), 4, "middle")
    with pytest.raises(ValueError):
        log_mel(torch.zeros(16_000), 16_000)

"""Speech expert views: SpecAugment on stored z-scored log-mels, and time-domain waveform views."""

from __future__ import annotations

import math

import torch

from viewmaker_cli.data.speech.frontend import log_mel, power_to_db_squared
from viewmaker_cli.data.speech.normalize import zscore
from viewmaker_cli.views.expert_audio import SpecAugmentViews, TimeDomainViews, speed_change, white_noise

MEAN, STD = -22.924, 12.587  # LibriSpeech
SR = 16_000


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _power_mels(batch: int, n_mels: int = 64, frames: int = 64, seed: int = 0) -> torch.Tensor:
    """Random power mels [B, n_mels, T] with a 30 dB spread: nothing sits at the top_db floor."""
    g = _gen(seed)
    return 10 ** (torch.rand(batch, n_mels, frames, generator=g) * 3 - 2)


def test_mask_widths_are_below_40_and_inside_the_spectrogram():
    p = SpecAugmentViews(mean=MEAN, std=STD).sample_params(4000, 64, 64, _gen())
    for axis in ("freq", "time"):
        w, s = p[f"{axis}_width"], p[f"{axis}_start"]
        assert w.min() == 0 and w.max() == 39
        assert (s >= 0).all() and (s + w < 64).all()


def test_masking_the_stored_tensor_equals_masking_the_power_mel():
    mel = _power_mels(64)
    z = zscore(power_to_db_squared(mel).unsqueeze(1), MEAN, STD)
    views = SpecAugmentViews(noise_std=0.0, mean=MEAN, std=STD)
    p = views.sample_params(64, 64, 64, _gen())
    out = views.apply(z, p)
    # The authors' way: zero the power mel on the bands, then log and z-score.
    from viewmaker_cli.views.expert_sensor import band_mask

    mask = band_mask(p, 64, 64)[:, 0]
    want = zscore(power_to_db_squared(mel.masked_fill(mask, 0.0)).unsqueeze(1), MEAN, STD)
    assert torch.allclose(out, want, atol=1e-5)


def test_masked_bins_sit_at_the_floor_in_exactly_one_band_of_each_kind():
    mel = _power_mels(200, seed=1)
    z = zscore(power_to_db_squared(mel).unsqueeze(1), MEAN, STD)
    views = SpecAugmentViews(noise_std=0.0, mean=MEAN, std=STD)
    p = views.sample_params(200, 64, 64, _gen(1))
    out = views.apply(z, p)[:, 0]
    db = z[:, 0] * STD + MEAN
    mask = torch.zeros_like(db, dtype=torch.bool)
    for i in range(200):  # a loop is fine in a test
        f0, fw, t0, tw = (int(p[k][i]) for k in ("freq_start", "freq_width", "time_start", "time_width"))
        mask[i, f0 : f0 + fw] = True
        mask[i, :, t0 : t0 + tw] = True
        peak = db[i][~mask[i]].max().item()
        floor = (max(peak - 80.0, -100.0) - MEAN) / STD
        assert torch.allclose(out[i][mask[i]], torch.tensor(floor), atol=1e-5)
    at_floor = (out - out.amin(dim=(1, 2), keepdim=True)).abs() < 1e-5
    assert torch.equal(at_floor.all(dim=2).sum(1), p["freq_width"])
    assert torch.equal(at_floor.all(dim=1).sum(1), p["time_width"])
    assert torch.equal(out[~mask], z[:, 0][~mask])


def test_quiet_clips_floor_at_amin():
    mel = _power_mels(8) * 1e-3  # peak around -20 dB: peak - 80 is below 10*log10(1e-10)
    z = zscore(power_to_db_squared(mel).unsqueeze(1), MEAN, STD)
    views = SpecAugmentViews(noise_std=0.0, mean=MEAN, std=STD)
    p = views.sample_params(8, 64, 64, _gen())
    from viewmaker_cli.views.expert_sensor import band_mask

    want = zscore(power_to_db_squared(mel.masked_fill(band_mask(p, 64, 64)[:, 0], 0.0)).unsqueeze(1), MEAN, STD)
    assert torch.allclose(views.apply(z, p), want, atol=1e-5)


def test_noise_is_a_quarter_in_z_units_and_calls_differ():
    z = torch.randn(64, 1, 64, 64)
    views = SpecAugmentViews(max_width=1, mean=MEAN, std=STD)  # widths 0: noise only
    g = _gen()
    a, b = views(z, g), views(z, g)
    assert abs((a - z).std().item() - 0.25) < 0.005 and abs((a - z).mean().item()) < 0.005
    assert a.shape == z.shape and not torch.equal(a, b)


def test_white_noise_is_the_authors_irfft_noise():
    for n in (1000, 1001):
        w = white_noise(400, n, _gen())
        assert w.shape == (400, n)
        assert abs(w.std().item() * math.sqrt(n) - 1) < 0.02
    w = white_noise(2, 1000, _gen())
    assert torch.allclose(w[:, 1:], w[:, 1:].flip(-1), atol=1e-6)  # real spectrum: x[t] == x[n - t]


def test_crop_keeps_one_contiguous_segment_of_the_drawn_length():
    views = TimeDomainViews(SR, 64, mean=MEAN, std=STD, noise=False)
    waves = torch.ones(2000, 1000)
    p = views.sample_params(2000, 1000, _gen())
    out = views.augment(waves, p)
    kept = out != 0
    assert torch.equal(kept.sum(1), p["crop_size"])
    first = kept.long().argmax(1)
    assert torch.equal(first, p["crop_start"])
    t = torch.arange(1000)
    contiguous = (t >= first[:, None]) & (t < (first + p["crop_size"])[:, None])
    assert torch.equal(kept, contiguous)
    frac = p["crop_size"] / 1000
    assert frac.min() >= 0.079 and frac.max() < 1
    assert abs(frac.mean().item() - 0.54) < 0.02  # U(0.08, 1)


def test_crop_and_noise_with_true_lengths_stay_inside_the_clip():
    views = TimeDomainViews(SR, 64, mean=MEAN, std=STD)
    lengths = torch.randint(200, 1000, (500,), generator=_gen())
    waves = torch.ones(500, 1000) * (torch.arange(1000) < lengths[:, None])
    p = views.sample_params(500, 1000, _gen(), lengths=lengths)
    assert (p["crop_start"] + p["crop_size"] <= lengths).all()
    out = views.augment(waves, p, _gen())
    assert (out[torch.arange(1000) >= lengths[:, None]] == 0).all()
    # Noise first (then cropped) in about half the examples; crop first (noise everywhere) in the rest.
    quiet_outside = (out[:, :200] == 0).any(1) | (p["crop_start"] == 0)
    assert 0.35 < quiet_outside.float().mean().item() < 0.7


def test_gain_and_speed_change():
    waves = torch.randn(8, 1000)
    views = TimeDomainViews(SR, 64, mean=MEAN, std=STD, crop=None, noise=False, gain_db=(-6.0, 6.0))
    p = views.sample_params(8, 1000, _gen())
    assert torch.allclose(views.augment(waves, p), waves * p["gain"][:, None])
    assert ((p["gain"] >= 10 ** (-6 / 20)) & (p["gain"] <= 10 ** (6 / 20))).all()
    lengths = torch.full((8,), 1000)
    assert torch.allclose(speed_change(waves, torch.ones(8), lengths), waves)
    fast = speed_change(waves, torch.full((8,), 2.0), lengths)
    assert torch.allclose(fast[:, :500], waves[:, ::2]) and (fast[:, 500:] == 0).all()
    pitched = TimeDomainViews(SR, 64, mean=MEAN, std=STD, pitch=(-3.0, 3.0), gain_db=(-6.0, 6.0))
    assert pitched.ops == ("crop", "gain", "noise", "pitch")
    assert pitched(torch.randn(4, 16_000), _gen()).shape == (4, 1, 64, 64)


def test_output_is_the_front_end_on_the_augmented_waves():
    t = torch.arange(16_000) / SR
    waves = 0.5 * torch.sin(2 * math.pi * 440 * t).repeat(3, 1) + 0.01 * torch.randn(3, 16_000, generator=_gen())
    plain = TimeDomainViews(SR, 64, mean=MEAN, std=STD, crop=None, noise=False)
    want = zscore(log_mel(waves, SR, 64), MEAN, STD)
    out = plain(waves, _gen())
    assert out.shape == want.shape == (3, 1, 64, 64)
    assert torch.allclose(out, want, atol=1e-4)
    views = TimeDomainViews(SR, 64, mean=MEAN, std=STD)
    g = _gen()
    a, b = views(waves, g), views(waves, g)
    assert a.shape == want.shape and not torch.allclose(a, b)


def test_waveform_views_then_the_device_front_end_equal_the_log_mel_views():
    """Training on stored waveforms: TimeDomainViews(to_logmel=False) gives waveforms of the input's
    shape, and the encoder's LogMelFrontend on them gives exactly the log-mel views."""
    from viewmaker_cli.data.speech.frontend import LogMelFrontend

    waves = 0.1 * torch.randn(3, 1, 4096, generator=_gen(1))
    kwargs = dict(mean=MEAN, std=STD, gain_db=(-6.0, 6.0), pitch=(-2.0, 2.0))
    as_waves = TimeDomainViews(SR, 16, **kwargs, to_logmel=False)(waves, _gen(7))
    as_mels = TimeDomainViews(SR, 16, **kwargs)(waves, _gen(7))
    assert as_waves.shape == waves.shape and not torch.equal(as_waves, waves)
    frontend = LogMelFrontend(SR, 16, 2048, 4096 // 15, MEAN, STD)
    assert torch.allclose(frontend(as_waves), as_mels, atol=1e-5)
    # The front end is float32 even under autocast: bf16 would lose the low end of the 40 dB range.
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert frontend(as_waves).dtype == torch.float32


def test_expert_views_pick_time_domain_for_waveforms_and_refuse_mismatches():
    import pytest

    from viewmaker_cli.errors import UserError
    from viewmaker_cli.views.families import expert_views

    meta = {"sample_rate": SR, "n_mels": 16, "n_fft": 512, "hop_length": 136, "mean": MEAN, "std": STD}
    views = expert_views("audio", "auto", meta, input_dims=1, options={"gain_db": [-3, 3], "pitch": None})
    assert isinstance(views, TimeDomainViews) and not views.to_logmel
    assert views.ops == ("crop", "gain", "noise")  # the authors' crop + noise, plus the gain asked for
    assert isinstance(expert_views("audio", "auto", meta, input_dims=2), SpecAugmentViews)
    with pytest.raises(UserError, match="data.options.waveform=true"):
        expert_views("audio", "time_domain", meta, input_dims=2)
    with pytest.raises(UserError, match="views.expert=time_domain"):
        expert_views("audio", "specaugment", meta, input_dims=1)
    with pytest.raises(UserError, match=r"views.pitch must be \[low, high\]"):
        expert_views("audio", "auto", meta, input_dims=1, options={"pitch": [2.0]})

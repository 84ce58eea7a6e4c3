"""Wearable-sensor datasets: importing this package registers basic_motions, basic_motions_raw, pamap2 and
pamap2_one_participant. Training draws fresh windows through `pamap2_sampler` / `basic_motions_sampler`."""

from viewmaker_cli.data.sensor.basic_motions import basic_motions_sampler, load_basic_motions, load_basic_motions_raw
from viewmaker_cli.data.sensor.pamap2 import load_pamap2, load_pamap2_one_participant, pamap2_sampler
from viewmaker_cli.data.sensor.spectrogram import SpectrogramTransform, log_power_spectrogram
from viewmaker_cli.data.sensor.ts_format import read_ts
from viewmaker_cli.data.sensor.windows import WindowSampler

__all__ = [
    "SpectrogramTransform",
    "WindowSampler",
    "basic_motions_sampler",
    "load_basic_motions",
    "load_basic_motions_raw",
    "load_pamap2",
    "load_pamap2_one_participant",
    "log_power_spectrogram",
    "pamap2_sampler",
    "read_ts",
]

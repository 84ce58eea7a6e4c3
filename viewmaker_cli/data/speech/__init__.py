"""Speech datasets: importing this package registers them (spoken_digits, librispeech, librispeech_dev,
audiomnist, speech_commands, fluent_actions/objects/locations, voxceleb1)."""

from viewmaker_cli.data.speech import audiomnist, fluent_speech, librispeech, speech_commands, spoken_digits, voxceleb1  # noqa: F401  (imported for their register() calls)

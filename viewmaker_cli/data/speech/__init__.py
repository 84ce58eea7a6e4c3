"""Speech datasets: spoken_digits (embedded), librispeech, librispeech_dev, audiomnist, speech_commands,
fluent_actions/objects/locations and voxceleb1, one module each (data/catalog.py lists them); search.py
finds a dataset's folder, loader.py gives every loader its shared options, pipeline.py turns files into splits."""

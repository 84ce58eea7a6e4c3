"""The paper's speech datasets, loaded from tiny fixtures in each real layout."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
import torch

from viewmaker_cli.data.catalog import DATASETS, load_dataset
from viewmaker_cli.data.speech import audiomnist, fluent_speech, librispeech, speech_commands, voxceleb1
from viewmaker_cli.data.speech.frontend import fixed_length, log_mel
from viewmaker_cli.data.speech.normalize import DATASET_STATS, zscore
from viewmaker_cli.errors import UserError

CLIP = 4096  # short clips keep the tests fast; the hop adapts so frames stay 64

NAMES = {
    "spoken_digits", "librispeech", "librispeech_dev", "audiomnist", "speech_commands",
    "fluent_actions", "fluent_objects", "fluent_locations", "voxceleb1",
}  # fmt: skip


def check(splits, n_train: int, n_test: int, num_classes: int) -> None:
    assert splits.modality == "audio" and splits.num_classes == num_classes
    assert splits.train_x.shape == (n_train, 1, 64, 64) and splits.test_x.shape == (n_test, 1, 64, 64)
    assert splits.train_x.dtype == torch.float16 == splits.test_x.dtype
    assert splits.meta["clip_samples"] == CLIP and splits.meta["n_mels"] == 64


def expected_features(path: Path, sample_rate: int, stats: tuple[float, float]) -> torch.Tensor:
    import soundfile as sf

    wave, _ = sf.read(path, dtype="float32")
    return zscore(log_mel(fixed_length([wave], CLIP), sample_rate), *stats)[0].half()


def test_every_speech_dataset_is_registered() -> None:
    assert NAMES <= set(DATASETS)
    for name in NAMES:
        info = DATASETS[name]
        assert info.modality == "audio" and info.how_to_get
        assert info.embedded == (name == "spoken_digits")
        assert info.embedded or info.locate(None) is None  # nothing in the empty $VMK_DATA


def test_speech_loaders_share_the_clip_options_and_name_an_option_they_do_not_take(tmp_path: Path) -> None:
    clip_options = ["clip_samples", "n_mels", "crop_side", "waveform", "seed"]
    for name in NAMES - {"spoken_digits", "librispeech_dev"}:  # synthesised; a fixed split passing options on
        params = list(inspect.signature(DATASETS[name].loader).parameters)
        assert params[:2] == ["root", "download"] and params[-5:] == clip_options, name
    takes = "clip_samples, crop_side, n_mels, seed, waveform"
    with pytest.raises(UserError, match=rf"data=audiomnist does not take data.options \['n_mel'\] \(it takes: {takes}\)"):
        load_dataset("audiomnist", root=str(tmp_path), options={"n_mel": 32})


# ---------------------------------------------------------------- LibriSpeech


def make_librispeech(root: Path, write_audio, subset: str = "train-clean-100") -> None:
    # Speakers 19 and 103: numeric label order (19 first) differs from string order.
    for speaker, count in ((19, 10), (103, 5)):
        for utt in range(count):
            chapter = 198 + utt % 2
            write_audio(root / "LibriSpeech" / subset / str(speaker) / str(chapter) / f"{speaker}-{chapter}-{utt:04d}.flac",
                        2000 + 800 * utt, freq=200 + 50 * utt, seed=utt)  # fmt: skip


def test_librispeech_per_speaker_split(tmp_path: Path, write_audio) -> None:
    make_librispeech(tmp_path, write_audio)
    splits = librispeech.load_librispeech(str(tmp_path), clip_samples=CLIP)
    check(splits, n_train=9 + 4, n_test=1 + 1, num_classes=2)
    assert splits.class_names == ["19", "103"]
    assert sorted(splits.train_y.tolist()) == [0] * 9 + [1] * 4 and sorted(splits.test_y.tolist()) == [0, 1]
    assert splits.source == str((tmp_path / "LibriSpeech").resolve())
    assert (splits.meta["mean"], splits.meta["std"]) == DATASET_STATS["librispeech"]
    assert librispeech.locate(str(tmp_path)) == tmp_path / "LibriSpeech"


def test_librispeech_split_follows_the_authors_rule() -> None:
    ids = [f"{s}-1-{u:04d}" for s in (19, 103) for u in range(10)]
    train, test = librispeech.per_speaker_split(ids, 0.8, 42)
    assert len(train) == 16 and sorted(train + test) == list(range(20))
    rs = np.random.RandomState(42)  # the authors: shuffle each speaker's indices in ascending speaker order
    first, second = np.arange(10), np.arange(10, 20)
    rs.shuffle(first), rs.shuffle(second)
    assert train == first[:8].tolist() + second[:8].tolist()
    assert librispeech.per_speaker_split(ids, 0.8, 42) == (train, test)


def test_librispeech_features_are_head_crops_zscored(tmp_path: Path, write_audio) -> None:
    make_librispeech(tmp_path, write_audio, "dev-clean")
    splits = load_dataset("librispeech_dev", root=str(tmp_path / "LibriSpeech"))  # through the catalogue, full length
    assert splits.train_x.shape[1:] == (1, 64, 64) and len(splits.train_y) == 8 + 4
    small = librispeech.load_librispeech_dev(str(tmp_path), clip_samples=CLIP)
    files = sorted((tmp_path / "LibriSpeech" / "dev-clean").glob("*/*/*.flac"), key=lambda p: p.stem)
    _, test = librispeech.per_speaker_split([p.stem for p in files], 0.8, 42)
    expected = expected_features(files[test[0]], 16_000, DATASET_STATS["librispeech"])
    torch.testing.assert_close(small.test_x[0], expected, atol=2e-3, rtol=2e-3)


def test_librispeech_random_crop_side_is_seeded(tmp_path: Path, write_audio) -> None:
    make_librispeech(tmp_path, write_audio)
    head = librispeech.load_librispeech(str(tmp_path), clip_samples=CLIP)
    rand = [
        librispeech.load_librispeech(str(tmp_path), clip_samples=CLIP, crop_side="random", seed=s) for s in (0, 0, 1)
    ]
    assert torch.equal(rand[0].train_x, rand[1].train_x) and not torch.equal(rand[0].train_x, rand[2].train_x)
    assert not torch.equal(rand[0].train_x, head.train_x)
    assert torch.equal(rand[0].test_x, head.test_x)  # test clips always keep their head


def test_librispeech_missing_subset(tmp_path: Path, write_audio, vmk_data: Path) -> None:
    make_librispeech(tmp_path, write_audio)
    with pytest.raises(UserError, match="train-clean-360/.*" + str(tmp_path)) as info:
        librispeech.load_librispeech(str(tmp_path), subsets=librispeech.TRAIN_960H)
    assert "openslr" in str(info.value)
    with pytest.raises(UserError, match=str(vmk_data / "librispeech")):
        load_dataset("librispeech")


# ---------------------------------------------------------------- AudioMNIST


def test_audiomnist_speaker_disjoint_digits_at_48k(tmp_path: Path, write_audio) -> None:
    data = tmp_path / "AudioMNIST" / "data"
    for speaker in (1, 2, 5, 26):  # 5 and 26 are test speakers
        for digit in (0, 3, 9):
            path = data / f"{speaker:02d}" / f"{digit}_{speaker:02d}_0.wav"
            write_audio(path, 3000 + 500 * digit, 48_000, 300 + 100 * digit)
    splits = audiomnist.load_audiomnist(str(tmp_path), clip_samples=CLIP)
    check(splits, n_train=6, n_test=6, num_classes=10)
    assert sorted(splits.test_y.tolist()) == [0, 0, 3, 3, 9, 9]
    assert splits.meta["sample_rate"] == 48_000
    expected = expected_features(data / "01" / "0_01_0.wav", 48_000, DATASET_STATS["audiomnist"])
    torch.testing.assert_close(splits.train_x[0], expected, atol=2e-3, rtol=2e-3)
    # the data folder itself is accepted too
    assert len(audiomnist.load_audiomnist(str(data), clip_samples=CLIP).train_y) == 6


def test_audiomnist_wrong_rate_and_missing(tmp_path: Path, write_audio) -> None:
    write_audio(tmp_path / "AudioMNIST" / "data" / "01" / "1_01_0.wav", 3000, 16_000)
    with pytest.raises(UserError, match="16000 Hz, expected 48000"):
        audiomnist.load_audiomnist(str(tmp_path), clip_samples=CLIP)
    with pytest.raises(UserError, match="AudioMNIST not found.*download=true cannot fetch"):
        audiomnist.load_audiomnist(str(tmp_path / "nowhere"), download=True)


# ---------------------------------------------------------------- Speech Commands


def make_speech_commands(root: Path, write_audio) -> None:
    for word in ("yes", "no", "house"):
        for i in range(3):
            write_audio(root / word / f"abc{i}_nohash_0.wav", 16_000 // 4, freq=300 + 100 * i)
    write_audio(root / "_background_noise_" / "white_noise.wav", 20_000)
    (root / "validation_list.txt").write_text("yes/abc1_nohash_0.wav\n")
    (root / "testing_list.txt").write_text("yes/abc2_nohash_0.wav\nno/abc2_nohash_0.wav\nhouse/abc2_nohash_0.wav\n")


def test_speech_commands_official_lists(tmp_path: Path, write_audio) -> None:
    make_speech_commands(tmp_path, write_audio)
    splits = speech_commands.load_speech_commands(str(tmp_path), clip_samples=CLIP)
    check(splits, n_train=6, n_test=3, num_classes=30)
    words = speech_commands.WORDS
    assert sorted(splits.test_y.tolist()) == sorted(words.index(w) for w in ("yes", "no", "house"))
    assert splits.train_y.tolist().count(words.index("yes")) == 2  # the validation clip is in train
    without = speech_commands.load_speech_commands(str(tmp_path), validation_in_train=False, clip_samples=CLIP)
    assert len(without.train_y) == 5


def test_speech_commands_rejects_v002_and_missing(tmp_path: Path, write_audio) -> None:
    make_speech_commands(tmp_path, write_audio)
    write_audio(tmp_path / "backward" / "x_nohash_0.wav", 1000)
    with pytest.raises(UserError, match="v0.02"):
        speech_commands.load_speech_commands(str(tmp_path), clip_samples=CLIP)
    with pytest.raises(UserError, match="testing_list.txt in .*speech_commands_v0.01"):
        speech_commands.load_speech_commands(str(tmp_path / "empty"))


# ---------------------------------------------------------------- Fluent Speech Commands


def test_fluent_speech_three_tasks(tmp_path: Path, write_audio) -> None:
    folder = tmp_path / "fluent_speech_commands_dataset"
    rows = [
        ("train", "spkA", "activate", "lights", "kitchen"),
        ("train", "spkA", "bring", "shoes", "none"),
        ("valid", "spkB", "decrease", "heat", "bedroom"),
        ("test", "spkC", "change language", "Korean", "none"),
        ("test", "spkC", "increase", "volume", "washroom"),
    ]
    lines = {split: [",path,speakerId,transcription,action,object,location"] for split in ("train", "valid", "test")}
    for i, (split, speaker, action, obj, location) in enumerate(rows):
        rel = f"wavs/speakers/{speaker}/{i}.wav"
        write_audio(folder / rel, 3000 + 1000 * i)
        lines[split].append(f"{i},{rel},{speaker},some words,{action},{obj},{location}")
    for split, text in lines.items():
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "data" / f"{split}_data.csv").write_text("\n".join(text) + "\n")
    classes = fluent_speech.CLASSES
    actions = fluent_speech.load_fluent_speech(str(tmp_path), clip_samples=CLIP)
    check(actions, n_train=3, n_test=2, num_classes=6)
    assert actions.train_y.tolist() == [classes["action"].index(a) for a in ("activate", "bring", "decrease")]
    objects = fluent_speech.load_fluent_speech(str(tmp_path), task="object", clip_samples=CLIP)
    assert objects.num_classes == 14 and objects.test_y.tolist() == [11, 3]
    locations = load_dataset("fluent_locations", root=str(folder))
    assert locations.name == "fluent_locations" and locations.num_classes == 4
    assert locations.test_y.tolist() == [0, 3]
    with pytest.raises(UserError, match="unknown Fluent Speech task"):
        fluent_speech.load_fluent_speech(str(tmp_path), task="speaker")


def test_fluent_speech_missing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="data/train_data.csv.*" + str(tmp_path / "fluent_speech_commands_dataset")):
        load_dataset("fluent_actions", root=str(tmp_path))


# ---------------------------------------------------------------- VoxCeleb1


def test_voxceleb1_iden_split(tmp_path: Path, write_audio) -> None:
    lines = []
    for s, speaker in enumerate(("id10002", "id10001")):
        for n, split in enumerate((1, 1, 2, 3)):
            rel = f"{speaker}/vid{s}/{n:05d}.wav"
            write_audio(tmp_path / "wav" / rel, 4000 + 1000 * n, freq=150 + 100 * s)
            lines.append(f"{split} {rel}")
    (tmp_path / "iden_split.txt").write_text("\n".join(lines) + "\n")
    splits = voxceleb1.load_voxceleb1(str(tmp_path), clip_samples=CLIP)
    check(splits, n_train=6, n_test=2, num_classes=2)
    assert splits.class_names == ["id10001", "id10002"]
    # train = every split-1 line, then every split-2 line (the authors' order)
    assert splits.train_y.tolist() == [1, 1, 0, 0, 1, 0] and splits.test_y.tolist() == [1, 0]
    (tmp_path / "iden_split.txt").write_text("4 id1/v/1.wav\n")
    with pytest.raises(UserError, match="iden_split.txt:1"):
        voxceleb1.load_voxceleb1(str(tmp_path), clip_samples=CLIP)


def test_voxceleb1_missing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="VoxCeleb1 not found: looked for iden_split.txt and wav/ in " + str(tmp_path)):
        voxceleb1.load_voxceleb1(str(tmp_path))

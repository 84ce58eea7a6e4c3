"""`~` at the start of a path value, which neither the shell nor Hydra's lexer expands (home_paths.py)."""

import pytest

from viewmaker_cli.home_paths import expand_home


@pytest.mark.parametrize(
    "arg, expanded",
    [
        ("data.root=~/datasets", "data.root=HOME/datasets"),
        ("data.root='~/datasets'", "data.root='HOME/datasets'"),  # quoted: Hydra would keep a literal ~
        ('hydra.run.dir="~/runs/a"', 'hydra.run.dir="HOME/runs/a"'),
        ("out=~", "out=HOME"),
        ("dirs=[~/a,~/b]", "dirs=[HOME/a,HOME/b]"),
        ("ckpt=runs/a~b/last.ckpt", "ckpt=runs/a~b/last.ckpt"),  # not at the start: a plain character
        ("~probe.also", "~probe.also"),  # Hydra's delete
        ("~/dir", "~/dir"),  # a positional word: the shell's (vmk report DIR)
    ],
)
def test_a_leading_tilde_is_the_home_dir(arg, expanded, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert expand_home([arg]) == [expanded.replace("HOME", str(tmp_path))]

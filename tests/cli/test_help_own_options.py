"""Each command's --help shows its own options: not the config groups of other commands (every group under
conf/ belongs to pretrain)."""

import pytest

OTHERS = ("modality: audio", "objective: byol", "preset: paper", "recipe: ", "views: combined", "objective_recipe: ")


@pytest.mark.parametrize("command, own", [("report", "dirs: []"), ("views", "data=NAME"), ("embed", "data=NAME"),
                                          ("probe", "ckpt: null"), ("bench", "bench:")])
def test_a_command_help_lists_no_group_of_another_command(vmk, command, own):
    code, out, err = vmk(command, "--help")
    assert code == 0, err
    assert own in out and not [line for line in OTHERS if line in out], out


def test_pretrain_help_lists_its_groups(vmk):
    code, out, _ = vmk("pretrain", "--help")
    assert code == 0 and all(line in out for line in OTHERS)

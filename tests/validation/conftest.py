"""Fixtures of the input-check tests."""

from __future__ import annotations

import zipfile

import pytest

from viewmaker_cli import cli


@pytest.fixture
def no_job(monkeypatch):
    """Fails the test if a command's module is imported: the check must come first."""
    monkeypatch.setattr(cli, "_load", lambda target: pytest.fail(f"{target} was loaded: the error came too late"))


@pytest.fixture
def any_ckpt(tmp_path):
    """A file that passes the checks before torch (a zip archive, as torch.save writes) and nothing more: what
    it holds is the command's to read, after the checks under test."""
    path = tmp_path / "any.ckpt"
    zipfile.ZipFile(path, "w").close()
    return path

"""Fixtures of the input-check tests."""

from __future__ import annotations

import pytest

from viewmaker_cli import cli


@pytest.fixture
def no_job(monkeypatch):
    """Fails the test if a command's module is imported: the check must come first."""
    monkeypatch.setattr(cli, "_load", lambda target: pytest.fail(f"{target} was loaded: the error came too late"))

"""Shared fixtures: a clean environment and small real corpora on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's Citebot settings or `.env`."""
    for name in list(os.environ):
        if name.startswith("CITEBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def bundled_corpus(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus, safe to change."""
    target = tmp_path / "bundled-corpus"
    shutil.copytree(BUNDLED_CORPUS, target)
    return target

"""Shared fixtures: a clean environment and small real corpora on disk."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi
from support import zipf_corpus

from bot.index import BM25Index

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's Citebot settings or `.env`; watchers poll."""
    for name in list(os.environ):
        if name.startswith("CITEBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    # Corpus watchers poll: the suite never depends on the machine's free inotify instances.
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def bundled_corpus(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus, safe to change."""
    target = tmp_path / "bundled-corpus"
    shutil.copytree(BUNDLED_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def zipf_index() -> tuple[list[list[str]], np.ndarray, BM25Okapi, BM25Index]:
    """3,000 documents of Zipf-distributed words, indexed by rank-bm25 and by Citebot."""
    docs, weights = zipf_corpus(seed=7, n_docs=3000)
    return docs, weights, BM25Okapi(docs), BM25Index.build(iter(docs))

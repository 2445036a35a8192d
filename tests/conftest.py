"""Shared fixtures: a clean environment and small real corpora on disk."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from pg_server import PostgresServer, running_postgres
from rank_bm25 import BM25Okapi
from support import BUNDLED_CORPUS, GOOD_ARTICLE, zipf_corpus

from bot.index import BM25Index
from bot.store import Store

# Property tests draw the same examples on every run, so a run fails only for what changed:
# a new random draw finding an old bug would fail a change that has nothing to do with it.
# `HYPOTHESIS_PROFILE=explore` draws fresh examples (and keeps failures in .hypothesis/) to
# look for such bugs on purpose.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
    """A private copy of the bundled corpus, safe to change (each test its own)."""
    target = tmp_path / "bundled-corpus"
    shutil.copytree(BUNDLED_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def zipf_index() -> tuple[list[list[str]], np.ndarray, BM25Okapi, BM25Index]:
    """3,000 documents of Zipf-distributed words, indexed by rank-bm25 and by Citebot."""
    docs, weights = zipf_corpus(seed=7, n_docs=3000)
    return docs, weights, BM25Okapi(docs), BM25Index.build(iter(docs))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole run, on a free port of 127.0.0.1."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """An empty PostgreSQL database of this test's own."""
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Opens stores on one backend (each test runs on both): `make_store("other")` is a
    second, separate store; the same name opens the same store again."""
    urls: dict[str, str] = {}
    opened: list[Store] = []

    def make(name: str = "main") -> Store:
        if request.param == "sqlite":
            store = Store.open(tmp_path / name)
        else:
            if name not in urls:
                server: PostgresServer = request.getfixturevalue("postgres_server")
                urls[name] = server.create_database()
            store = Store.open(tmp_path / name, urls[name])
        opened.append(store)
        return store

    yield make
    for store in opened:
        with contextlib.suppress(Exception):
            store.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus folder holding one good article (`good.md`)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD_ARTICLE)
    return folder

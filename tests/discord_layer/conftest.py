"""Simcord fixtures: the real bot, a real engine over a copy of the bundled corpus."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import simcord
from support import BUNDLED_CORPUS

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings
from discord_layer.helpers import PagesReadAhead, unsent_problems


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled corpus shared by the tests that only ask; those whose commands
    change it give their `settings` the `bundled_corpus` fixture, a copy of their own."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(BUNDLED_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def engine(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Built once: an engine is immutable, so every test can share it."""
    settings = Settings(corpus_dir=corpus_dir, data_dir=tmp_path_factory.mktemp("index"))
    return Engine.open(settings)


@pytest.fixture
def settings(corpus_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        corpus_dir=corpus_dir,
        data_dir=tmp_path / "data",
        per_page=2,
        cooldown_rate=5,
        cooldown_seconds=60.0,
    )


@pytest.fixture
def simcord_bot(settings: Settings, engine: Engine) -> CitebotBot:
    return create_bot(settings, engine=engine)


@pytest.fixture
async def env(simcord_env: simcord.Env) -> AsyncIterator[simcord.Env]:
    """The simulated Discord; afterwards, every payload the bot sent is checked."""
    yield simcord_env
    found = unsent_problems(simcord_env.http_requests)
    assert not found, "\n".join(found)


@pytest.fixture
def read_ahead(monkeypatch: pytest.MonkeyPatch) -> PagesReadAhead:
    """Pages the test reads before the bot fetches them (see `PagesReadAhead`)."""
    return PagesReadAhead(monkeypatch)

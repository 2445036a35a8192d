"""The transport layer: the bot talks to the Discord emulator over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest
import yarl
from discord_layer.helpers import unsent_problems
from emulator import DiscordEmulator

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings


@pytest.fixture
def emulator() -> Iterator[DiscordEmulator]:
    """A running emulator; afterwards, every payload the bot sent it is checked."""
    server = DiscordEmulator(heartbeat_interval_ms=200).start()
    try:
        yield server
        found = unsent_problems(server.requests)
        assert not found, "\n".join(found)
    finally:
        server.stop()


@pytest.fixture
def pointed_at(emulator: DiscordEmulator, monkeypatch: pytest.MonkeyPatch) -> DiscordEmulator:
    """discord.py in this process talks to the emulator instead of Discord."""
    monkeypatch.setattr(discord.http.Route, "BASE", emulator.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(emulator.gateway_url)
    )
    return emulator


@pytest.fixture
def settings(bundled_corpus: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=bundled_corpus, data_dir=tmp_path / "data", cooldown_rate=1000)


@pytest.fixture
def bot_options() -> dict[str, Any]:
    """discord.py options for the bot; a test module overrides this fixture to set one."""
    return {}


@pytest.fixture
async def running_bot(
    pointed_at: DiscordEmulator, settings: Settings, bot_options: dict[str, Any]
) -> AsyncIterator[CitebotBot]:
    """The real bot, started with the emulator's token, connected and with commands synced."""
    engine = await asyncio.to_thread(Engine.open, settings)
    bot = create_bot(settings, engine=engine, **bot_options)
    task = asyncio.create_task(bot.start(pointed_at.token))
    await pointed_at.wait_until(lambda: pointed_at.identifies and pointed_at.commands)
    await pointed_at.wait_until(lambda: bot.get_guild(pointed_at.guild_id))
    try:
        yield bot
    finally:
        await bot.close()
        await task

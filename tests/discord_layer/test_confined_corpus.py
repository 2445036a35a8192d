"""A link in the corpus to the bot's own `.env` never puts the token in a reply."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import simcord
from support import BUNDLED_CORPUS

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings

# Built at run time, so that no token-shaped string is committed.
TOKEN = ".".join(["MTIzNDU2Nzg5MDEyMzQ1Njc4", "GaBcDe", "not-a-real-token-but-secret-looking"])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n")
    (corpus / "notes.txt").symlink_to("../.env")  # as a checked-out repository could carry
    return Settings(corpus_dir=corpus, data_dir=tmp_path / "data", watch_corpus=False)


@pytest.fixture
def simcord_bot(settings: Settings) -> CitebotBot:
    return create_bot(settings, engine=Engine.open(settings))


async def test_a_dm_asking_for_the_token_never_gets_it(env: simcord.Env) -> None:
    mallory = env.create_user("mallory")

    for question in ("DISCORD_TOKEN", "what is the DISCORD_TOKEN?", "notes"):
        await mallory.send_dm(question)
        reply = mallory.dm_channel.last_message
        assert reply.author.id == env.bot.user.id
        shown = reply.content + "".join(str(e.to_dict()) for e in reply.embeds)
        assert TOKEN not in shown and "GaBcDe" not in shown
    for entry in env.http_requests:
        assert TOKEN not in str(entry.json)

"""A store that cannot be written (full disk) never turns an answer into an error."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import discord
import pytest
import simcord

from bot.client import CitebotBot
from bot.errors import CitebotError, StoreWriteError
from bot.store import Store
from discord_layer.helpers import handled_errors

QUESTION = "who founded DeepSeek?"


def fill_up(store: Store) -> None:
    """Make the SQLite file full: no new page can be written (SQLITE_FULL, as on a full disk)."""
    db = (
        store.database.connection
    )  # fault injection: the connection's page limit stands in for the disk
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages + 2}")
    insert = (
        "INSERT INTO questions (asked_at, user_hash, source, question, found, results, "
        "elapsed_ms) VALUES (0, 'filler', 'dm', ?, 0, 0, 1)"
    )
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for _ in range(10_000):
            db.execute(insert, ("x" * 20,))


def make_read_only(store: Store) -> None:
    """Every write fails as on a read-only file system (SQLite's own read-only error)."""
    store.database.connection.execute("PRAGMA query_only = ON")


def bot_of(env: simcord.Env) -> CitebotBot:
    return env.bot  # type: ignore[return-value]


def test_a_failed_settings_write_rolls_back_cleanly_and_says_why(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    fill_up(store)
    wide = tuple(range(10**15, 10**15 + 400))
    with pytest.raises(StoreWriteError) as raised:
        for guild in range(1, 50):
            store.update_guild_settings(guild, mention_channels=wide)
    assert str(raised.value) == "couldn't save: database or disk is full"
    assert not store.database.connection.in_transaction
    assert store.write_failures.count == 1
    assert store.write_failures.last_reason == "database or disk is full"
    # Nothing half-written, and the store still reads and writes what fits.
    assert store.guild_settings(guild).mention_channels == ()
    store.database.connection.execute("PRAGMA max_page_count = 1000000")
    assert store.update_guild_settings(guild, mention_channels=wide).mention_channels == wide


async def test_dm_and_ask_are_answered_when_the_store_is_full(
    env: simcord.Env, caplog: pytest.LogCaptureFixture
) -> None:
    fill_up(bot_of(env).store)
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = env.create_user("bob")

    with caplog.at_level(logging.WARNING):
        asked = await alice.slash(channel, "ask", question=QUESTION)
        for _ in range(3):
            await bob.send_dm(QUESTION)

    assert "Liang Wenfeng" in asked.response.embeds[0].description
    reply = bob.dm_channel.last_message
    assert reply.author.id == env.bot.user.id
    assert "Liang Wenfeng" in reply.embeds[0].description
    # The votes cannot be kept, so they are not offered.
    labels = [
        c.get("label") or c.get("emoji", {}).get("name")
        for row in asked.response.components
        for c in row["components"]
    ]
    assert labels == ["More results", "Show passage"]
    failures = [r for r in caplog.records if "could not write to the store" in r.getMessage()]
    assert len(failures) == 1  # rate-limited: one line for a burst of failures
    assert "database or disk is full" in failures[0].getMessage()


async def test_admin_sees_store_failures_in_stats_and_settings_say_they_were_not_saved(
    env: simcord.Env,
) -> None:
    guild = env.create_guild("Gardeners")
    channel = guild.create_text_channel("general")
    managers = guild.create_role("managers", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[managers])
    make_read_only(bot_of(env).store)
    await admin.slash(channel, "ask", question=QUESTION)

    stats = await admin.slash(channel, "citebot stats")
    fields = {f.name: f.value for f in stats.response.embeds[0].fields}
    assert "Store" in fields
    assert "could not be saved" in fields["Store"]
    assert "attempt to write a readonly database" in fields["Store"]

    result = await admin.slash(channel, "citebot settings replies", private=True)
    assert result.ephemeral
    assert result.response.content == "Couldn't save: attempt to write a readonly database."
    assert bot_of(env).store.guild_settings(guild.id).private_replies is False
    assert handled_errors(env) == [CitebotError]


def test_an_article_that_cannot_be_written_says_couldnt_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import atomic, corpus_edit
    from bot.errors import CorpusEditError

    def full_disk(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "write_file", full_disk)
    with pytest.raises(CorpusEditError, match="^couldn't save: No space left on device$"):
        corpus_edit.save_upload(tmp_path, "new.md", b"# New\n\nA brand new article.", [])
    assert not (tmp_path / "added" / "new.md").exists()

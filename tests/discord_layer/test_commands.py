"""The command set Discord sees, and syncing it only when it changed."""

from __future__ import annotations

import logging
import sqlite3

import discord
import pytest
import simcord
from support import COMMAND_NAMES

from bot.client import CitebotBot, create_bot
from bot.settings import Settings
from discord_layer.helpers import handled_errors

EVERYWHERE_CONTEXTS = [0, 1, 2]  # guild, bot DM, private channel
BOTH_INSTALLS = [0, 1]  # guild install, user install


def synced(env: simcord.Env) -> list[tuple[str, object]]:
    return [
        (e.path, e.json) for e in env.http_requests if e.method == "PUT" and "commands" in e.path
    ]


async def test_commands_are_synced_with_descriptions_and_contexts(env: simcord.Env):
    ((path, commands),) = synced(env)
    assert path == f"/applications/{env.bot.application_id}/commands"  # global: no guild set
    by_name = {c["name"]: c for c in commands}
    assert set(by_name) == COMMAND_NAMES
    admin = by_name.pop("citebot")
    assert admin["contexts"] == [0] and admin["integration_types"] == [0]  # servers only
    assert int(admin["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    commands = list(by_name.values())
    for command in commands:
        assert command["contexts"] == EVERYWHERE_CONTEXTS, command["name"]
        assert command["integration_types"] == BOTH_INSTALLS, command["name"]
        for option in command.get("options", []):
            assert option["description"] and option["description"] != "…", option["name"]
    assert by_name["Ask Citebot"]["type"] == 3  # a message context menu
    ask = {o["name"]: o for o in by_name["ask"]["options"]}
    assert list(ask) == ["question", "article", "private"]
    assert ask["question"]["required"] and not ask["article"].get("required")
    assert ask["article"]["autocomplete"] is True
    assert by_name["article"]["options"][0]["autocomplete"] is True


async def test_commands_are_offered_in_servers_and_dms(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    assert set(alice.available_commands(channel)) == {
        "ask",
        "articles",
        "article",
        "help",
        "privacy",
    }
    assert set(alice.user.available_commands()) == {"ask", "articles", "article", "help", "privacy"}


async def test_restart_with_unchanged_commands_does_not_sync_again(
    env: simcord.Env, settings: Settings, engine
):
    assert len(synced(env)) == 1

    await env.restart_bot(create_bot(settings, engine=engine))
    assert len(synced(env)) == 1

    bot: CitebotBot = env.bot  # type: ignore[assignment]
    key = f"commands:{bot.application_id}:global"
    bot.store.set_meta(key, "hash of an older command set")
    await env.restart_bot(create_bot(settings, engine=engine))
    assert len(synced(env)) == 2


async def test_development_guild_gets_the_commands_instantly(
    env: simcord.Env, settings: Settings, engine
):
    guild = env.create_guild("dev")
    channel = guild.create_text_channel("testing")
    alice = guild.add_member(env.create_user("alice"))
    dev = Settings(**{**settings.__dict__, "guild_id": guild.id})

    await env.restart_bot(create_bot(dev, engine=engine))

    path, commands = synced(env)[-1]
    assert path == f"/applications/{env.bot.application_id}/guilds/{guild.id}/commands"
    assert {c["name"] for c in commands} == COMMAND_NAMES
    result = await alice.slash(channel, "help")
    assert result.response.embeds[0].title == "Citebot help"


async def test_unsetting_the_development_guild_clears_its_copy_of_the_commands(
    env: simcord.Env, settings: Settings, engine
):
    guild = env.create_guild("dev")
    dev = Settings(**{**settings.__dict__, "guild_id": guild.id})
    await env.restart_bot(create_bot(dev, engine=engine))
    guild_path = f"/applications/{env.bot.application_id}/guilds/{guild.id}/commands"
    assert synced(env)[-1][0] == guild_path

    # Back to global commands, as the README says once development is done: the guild's
    # copy is replaced by nothing, or every command would show twice in that server.
    await env.restart_bot(create_bot(settings, engine=engine))
    assert [(path, json) for path, json in synced(env) if path == guild_path][-1][1] == []
    before = len(synced(env))

    await env.restart_bot(create_bot(settings, engine=engine))
    assert len(synced(env)) == before  # cleared once, then forgotten


async def test_unexpected_error_gets_an_apology_with_an_id_that_is_in_the_log(
    env: simcord.Env, caplog: pytest.LogCaptureFixture
):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bot: CitebotBot = env.bot  # type: ignore[assignment]
    bot.store.database.close()  # the question log is gone: logging the question will fail

    with caplog.at_level(logging.ERROR, logger="bot.views"):
        result = await alice.slash(channel, "ask", question="who founded DeepSeek?")

    # The answer was deferred publicly ("Citebot is thinking…"), so the apology takes its place.
    apology = result.response
    assert apology.content.startswith("Sorry, something went wrong on my side (error id `")
    error_id = apology.content.split("`")[1]
    (record,) = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info is not None
    assert handled_errors(env) == [sqlite3.ProgrammingError]

"""CITEBOT_SHARD_COUNT runs the same bot over several gateway shards."""

from __future__ import annotations

import dataclasses

import discord
import pytest
import simcord

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings


@pytest.fixture
def simcord_bot(settings: Settings, engine: Engine) -> CitebotBot:
    sharded = dataclasses.replace(settings, shard_count=2, shard_ids=(0, 1))
    return create_bot(sharded, engine=engine)


@pytest.mark.simcord(shard_count=2)
async def test_sharded_bot_answers_in_a_guild_and_in_dms(env: simcord.Env):
    bot: CitebotBot = env.bot  # type: ignore[assignment]
    assert isinstance(bot, discord.AutoShardedClient)
    assert bot.shard_count == 2
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    member = guild.add_member(env.create_user("alice"))
    assert bot.get_guild(guild.id).shard_id == (guild.id >> 22) % 2

    result = await member.slash(channel, "ask", question="who founded DeepSeek?")

    assert "Liang Wenfeng" in result.response.embeds[0].description
    dm_user = env.create_user("dm")
    await dm_user.send_dm("who founded DeepSeek?")
    assert "Liang Wenfeng" in dm_user.dm_channel.last_message.embeds[0].description

"""Cooldown and question length: the same rules for /ask, DMs and mentions."""

from __future__ import annotations

import simcord

from bot.errors import OnCooldown, QuestionTooLong
from discord_layer.helpers import handled_errors

QUESTION = "who founded DeepSeek?"


async def test_cooldown_is_shared_by_slash_dm_and_mention_and_lifts_with_time(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    mention = env.bot.user.mention

    for _ in range(2):
        await alice.slash(channel, "ask", question=QUESTION)
    await alice.user.send_dm(QUESTION)
    await alice.send(channel, f"{mention} {QUESTION}")
    await alice.slash(channel, "ask", question=QUESTION)  # the fifth in a minute: still fine

    refused = await alice.slash(channel, "ask", question=QUESTION)
    assert refused.ephemeral
    assert refused.response.content == "You're asking quickly: try again in 60 s."
    await alice.user.send_dm(QUESTION)
    assert alice.user.dm_channel.last_message.content == "You're asking quickly: try again in 60 s."
    await env.advance_time(20)
    await alice.send(channel, f"{mention} {QUESTION}")
    assert channel.last_message.content == "You're asking quickly: try again in 40 s."
    assert handled_errors(env) == [OnCooldown]

    await env.advance_time(41)

    again = await alice.slash(channel, "ask", question=QUESTION)
    assert again.response.embeds and "Liang Wenfeng" in again.response.embeds[0].description


async def test_cooldown_is_per_user(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    for _ in range(5):
        await alice.slash(channel, "ask", question=QUESTION)

    result = await bob.slash(channel, "ask", question=QUESTION)

    assert "Liang Wenfeng" in result.response.embeds[0].description


async def test_over_long_question_is_refused_with_a_clear_message(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    long_question = "why " * 126  # 504 characters, 503 once trimmed

    refused = await alice.slash(channel, "ask", question=long_question)
    await alice.user.send_dm(long_question)

    message = "That question is 503 characters long; please keep it under 500."
    assert refused.ephemeral and refused.response.content == message
    assert not any(e.path.endswith("/callback") and e.json["type"] == 5 for e in env.http_requests)
    assert alice.user.dm_channel.last_message.content == message
    assert handled_errors(env) == [QuestionTooLong]

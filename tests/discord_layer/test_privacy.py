"""Questions asked privately stay private; anyone can see and delete what is kept about them."""

from __future__ import annotations

import discord
import simcord

from bot.client import CitebotBot

NOT_FOUND = "tiramisu recipe with mascarpone and espresso"


def bot_of(env: simcord.Env) -> CitebotBot:
    return env.bot  # type: ignore[return-value]


def server(env: simcord.Env):  # type: ignore[no-untyped-def]
    guild = env.create_guild("Gardeners")
    channel = guild.create_text_channel("general")
    managers = guild.create_role("managers", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[managers])
    alice = guild.add_member(env.create_user("alice"))
    return guild, channel, admin, alice


async def test_a_private_question_is_never_shown_verbatim_to_admins(env: simcord.Env):
    guild, channel, admin, alice = server(env)

    await alice.slash(channel, "ask", question="my private " + NOT_FOUND, private=True)
    await alice.slash(channel, "ask", question="a public " + NOT_FOUND)
    report = await admin.slash(channel, "citebot unanswered")

    shown = str(report.response.embeds[0].to_dict())
    assert "a public tiramisu" in shown
    assert "my private" not in shown
    assert "1 asked privately (not shown)" in shown


async def test_privacy_shows_what_is_kept_and_deletes_it_on_request(env: simcord.Env):
    guild, channel, admin, alice = server(env)
    other = env.create_guild("Elsewhere")
    elsewhere = other.create_text_channel("chat")
    alice_elsewhere = other.add_member(alice.user)
    asked = await alice.slash(channel, "ask", question="who founded DeepSeek?")
    await alice.user.send_dm("who founded DeepSeek?")
    await alice_elsewhere.send(elsewhere, f"{env.bot.user.mention} what is BM25?")
    await admin.slash(channel, "ask", question="who founded DeepSeek?")
    await alice.click(asked.response, custom_id=vote_id(asked.response))
    store = bot_of(env).store

    shown = await alice.user.slash("privacy")

    assert shown.ephemeral
    text = shown.response.content
    assert "3 questions" in text and "2 servers" in text and "1 direct message" in text
    assert "1 vote" in text
    await alice.user.click(shown.response, label="Delete my questions and votes")
    assert store.kept_about(alice.id).questions == 0
    assert store.kept_about(alice.id).votes == 0
    assert store.kept_about(admin.id).questions == 1  # nobody else's
    after = await alice.user.slash("privacy")
    assert "no questions" in after.response.content


def vote_id(message: simcord.ResponseMessage) -> str:
    return next(
        c["custom_id"]
        for row in message.components
        for c in row["components"]
        if c.get("emoji", {}).get("name") == "👍"
    )

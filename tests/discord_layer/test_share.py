"""Share in channel: a private answer posted for everyone, headed by its asker, pinging no one."""

from __future__ import annotations

import discord
import simcord

from discord_layer.test_views import QUESTION, buttons


def labels(message: simcord.ResponseMessage | discord.Message) -> list[str]:
    rows = message.components
    if isinstance(message, discord.Message):
        return [c.label or str(c.emoji) for row in rows for c in row.children]
    return [c.get("label") or c["emoji"]["name"] for row in rows for c in row["components"]]


async def test_only_private_answers_offer_share(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    public = await alice.slash(channel, "ask", question=QUESTION)
    private = await alice.slash(channel, "ask", question=QUESTION, private=True)

    assert "Share in channel" not in labels(public.response)
    assert labels(private.response) == [
        "More results",
        "Show passage",
        "👍",
        "👎",
        "Share in channel",
    ]


async def test_share_posts_the_same_answer_headed_by_the_asker_without_pinging(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"), nick="@everyone **Al** <@1>")
    bob = guild.add_member(env.create_user("bob"))
    private = (await alice.slash(channel, "ask", question=QUESTION, private=True)).response

    result = await alice.click(private, label="Share in channel")

    shared = channel.last_message
    assert shared.author.id == env.bot.user.id
    assert shared.content == r"Asked by \@everyone \*\*Al\*\* \<\@1\>"
    assert [e.to_dict() for e in shared.embeds] == [e.to_dict() for e in private.embeds]
    assert labels(shared) == ["More results", "Show passage", "👍", "👎"]
    assert not shared.flags.ephemeral
    # The private answer shows it was shared, so a second press cannot post it twice.
    assert buttons(result.response)["Shared"] is True
    # Everyone can use the shared answer's buttons; paging stays with the asker.
    passages = await bob.click(shared, label="Show passage")
    assert passages.ephemeral and "Liang Wenfeng" in passages.response.embeds[0].description
    await alice.click(shared, label="More results")
    assert channel.last_message.embeds[0].footer.text.endswith("page 2/3")
    assert channel.last_message.content == shared.content


async def test_paging_a_shared_private_answer_keeps_share_greyed(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    private = (await alice.slash(channel, "ask", question=QUESTION, private=True)).response
    shared = await alice.click(private, label="Share in channel")

    paged = await alice.click(shared.response, label="More results")

    assert paged.response.embeds[0].footer.text.endswith("page 2/3")
    assert buttons(paged.response)["Shared"] is True


async def test_share_in_a_dm_with_the_bot_says_there_is_no_channel(env: simcord.Env):
    bob = env.create_user("bob")
    private = (await bob.slash("ask", question=QUESTION, private=True)).response
    before = len(env.http_requests)

    result = await bob.click(private, label="Share in channel")

    assert result.ephemeral
    assert result.response.content.startswith("This is a direct message with me")
    sent = [r for r in env.http_requests[before:] if r.method == "POST"]
    assert len(sent) == 1 and sent[0].path.endswith("/callback")  # only the private note
    assert sent[0].json["data"]["flags"] == 64


async def test_share_where_the_bot_may_not_post_says_so(env: simcord.Env):
    guild = env.create_guild()
    alice = guild.add_member(env.create_user("alice"))
    quiet = guild.create_text_channel(
        "quiet", overwrites={env.bot.user: discord.PermissionOverwrite(send_messages=False)}
    )
    private = (await alice.slash(quiet, "ask", question=QUESTION, private=True)).response

    result = await alice.click(private, label="Share in channel")

    assert result.ephemeral
    assert result.response.content.startswith("I can't post in this channel")
    assert quiet.last_message is None or quiet.last_message.author.id != env.bot.user.id

"""/ask, direct messages, mentions and the message menu, driven as users in simcord."""

from __future__ import annotations

import re

import discord
import simcord

from bot.client import CitebotBot
from bot.errors import CitebotError
from discord_layer.helpers import handled_errors

QUESTION = "who founded DeepSeek?"


def deferred_first(env: simcord.Env) -> bool:
    """The last interaction was acknowledged with a deferral (type 5) before any answer."""
    callbacks = [e for e in env.http_requests if e.path.endswith("/callback")]
    return bool(callbacks) and callbacks[-1].json["type"] == 5


def answer_text(message: simcord.ResponseMessage | discord.Message) -> str:
    embed = message.embeds[0]
    return f"{embed.title}\n{embed.description}\n{embed.footer.text}"


def assert_cited_deepseek_answer(message: simcord.ResponseMessage | discord.Message) -> None:
    text = answer_text(message)
    assert "Liang Wenfeng" in text  # the verbatim excerpt
    assert "**founded DeepSeek**" in text or "**DeepSeek**" in text  # question terms in bold
    # The citation: the article, the section the excerpt stands in, its paragraphs.
    assert re.search(r"`\[1\]` DeepSeek's rise( › [^\n]+)? — ¶", text), text
    assert "Searched 9 articles in" in text


async def test_slash_ask_in_a_server_defers_then_answers_with_a_cited_excerpt(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    result = await alice.slash(channel, "ask", question=QUESTION)

    assert deferred_first(env)
    assert not result.ephemeral
    assert result.response is not None
    assert_cited_deepseek_answer(result.response)
    labels = [
        c.get("label") or c.get("emoji", {}).get("name")
        for row in result.response.components
        for c in row["components"]
    ]
    assert labels == ["More results", "Show passage", "👍", "👎"]


async def test_slash_ask_in_a_dm_with_the_bot_gets_a_cited_excerpt(env: simcord.Env):
    bob = env.create_user("bob")

    result = await bob.slash("ask", question=QUESTION)

    assert deferred_first(env)
    assert_cited_deepseek_answer(result.response)


async def test_private_ask_is_seen_only_by_the_asker(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    result = await alice.slash(channel, "ask", question=QUESTION, private=True)

    assert result.ephemeral
    assert_cited_deepseek_answer(result.response)


async def test_ask_about_one_article_quotes_only_that_article(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    result = await alice.slash(
        channel, "ask", question="what does the bot do with a DM?", article="citebot-user-guide"
    )

    text = answer_text(result.response)
    assert "Searched 1 article in" in text
    assert re.search(r"Citebot user guide( › [^\n]+)? — ¶", text), text
    assert "DeepSeek's rise" not in text


async def test_dm_question_gets_cited_excerpt_as_a_reply(env: simcord.Env):
    bob = env.create_user("bob")

    asked = await bob.send_dm(QUESTION)

    reply = bob.dm_channel.last_message
    assert reply.author.id == env.bot.user.id
    assert reply.reference is not None and reply.reference.message_id == asked.id
    assert_cited_deepseek_answer(reply)


async def test_mention_in_a_channel_gets_an_answer_without_the_message_content_intent(
    env: simcord.Env,
):
    assert not env.bot.intents.message_content
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    asked = await alice.send(channel, f"{env.bot.user.mention} who founded DeepSeek?")

    reply = channel.last_message
    assert reply.author.id == env.bot.user.id
    assert reply.reference.message_id == asked.id
    assert_cited_deepseek_answer(reply)
    assert reply.embeds[0].title == "who founded DeepSeek?"  # the mention is not part of it


async def test_channel_messages_without_a_mention_are_left_alone(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    await alice.send(channel, QUESTION)

    assert channel.last_message.author.id == alice.id


async def test_other_bots_are_ignored_in_dms_and_mentions(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    robot = guild.add_member(env.create_user("robot", bot=True))

    await robot.send(channel, f"{env.bot.user.mention} {QUESTION}")
    await robot.send_dm(QUESTION)

    assert channel.last_message.author.id == robot.id
    assert robot.user.dm_channel.last_message.author.id == robot.id


async def test_bare_mention_asks_for_a_question(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    await alice.send(channel, env.bot.user.mention)

    assert "Ask me a question in words" in channel.last_message.content


async def test_message_menu_answers_the_question_in_that_message(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    question = await alice.send(channel, QUESTION)

    result = await bob.context_menu(channel, "Ask Citebot", question)

    assert deferred_first(env)
    assert_cited_deepseek_answer(result.response)


async def test_message_menu_on_a_message_without_text_says_so(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    picture = await alice.send(channel, "", attachments=[("cat.png", b"\x89PNG")])

    result = await alice.context_menu(channel, "Ask Citebot", picture)

    assert result.ephemeral
    assert result.response.content == "That message has no text to ask about."
    assert handled_errors(env) == [CitebotError]


async def test_not_found_names_the_closest_articles(env: simcord.Env):
    bob = env.create_user("bob")

    result = await bob.slash("ask", question="DeepSeek lasagna recipe with zucchini and basil")

    embed = result.response.embeds[0]
    assert "I couldn't find an answer" in embed.description
    assert "The closest articles:" in embed.description
    assert "DeepSeek's rise" in embed.description
    labels = [
        c.get("emoji", {}).get("name") or c.get("label")
        for row in result.response.components
        for c in row["components"]
    ]
    assert labels == ["👍", "👎"]  # nothing to page through or show


async def test_question_log_records_every_way_of_asking(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bot: CitebotBot = env.bot  # type: ignore[assignment]

    await alice.slash(channel, "ask", question=QUESTION)
    await alice.send(channel, f"{bot.user.mention} {QUESTION}")
    await alice.user.send_dm(QUESTION)

    rows = bot.store.database.query("SELECT user_hash, source, guild_id, question FROM questions")
    alice_hash = bot.store.user_hash(alice.id)
    assert rows == [
        (alice_hash, "slash", guild.id, QUESTION),
        (alice_hash, "mention", guild.id, QUESTION),
        (alice_hash, "dm", None, QUESTION),
    ]
    assert str(alice.id) not in alice_hash  # only the salted hash is kept

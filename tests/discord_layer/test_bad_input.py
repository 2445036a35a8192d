"""Whatever people type at the bot, by /ask, DM or mention: a reply that fits, pings no one
and renders as meant; mention markup inside a question does not spoil the search."""

from __future__ import annotations

import pytest
import simcord

from bot.chat import strip_discord_markup as clean_question
from bot.client import CitebotBot
from bot.errors import CitebotError
from discord_layer.helpers import handled_errors, problems
from discord_layer.markdown_check import payload_markup_problems, stray_markup

#: Each kind of awkward input the issue names; every one must get a reply.
BAD_INPUT = {
    "whitespace": "   \t  \n ",
    "6000 chars": ("DeepSeek founded " * 400)[:6000],
    "stopwords": "the of and to is what",
    "punctuation": "?!?!... --- ;;; ***",
    "emoji": "🤖🔥💯 who founded deepseek 🚀",
    "zero-width": "who\u200bfounded\u200b deep\u200dseek\ufeff",
    "right-to-left": "\u202eDeepSeek founded who\u202c \u200fمن\u200f",
    "markdown": "**who** founded __DeepSeek__? ||spoiler|| ~~no~~ *x* # heading",
    "code block": "```py\nwho founded DeepSeek?\n``` and `inline`",
    "@everyone": "@everyone who founded DeepSeek?",
    "@here": "@here who founded DeepSeek?",
    "role mention": "<@&987654321098765432> who founded DeepSeek?",
    "user mention": "<@123456789012345678> who founded DeepSeek?",
    "url": "https://example.org/a_b_c?q=*x*&y=`z` who founded DeepSeek?",
    "chinese": "深度求索的创始人是谁？",
    "arabic": "من أسس ديب سيك؟",
    "cyrillic": "Кто основал DeepSeek?",
    "nul bytes": "who founded\x00 DeepSeek\x00",
    "only nul": "\x00\x00\x00",
    "only mentions": "@everyone <@&987654321098765432> <#123456789012345678>",
}
FOUNDER_QUESTIONS = ["@everyone", "@here", "role mention", "user mention", "nul bytes"]


def check_replies(env: simcord.Env, since: int) -> list[dict]:
    """The message payloads the bot sent since request `since`: at least one, all clean."""
    payloads = []
    for entry in env.http_requests[since:]:
        body = entry.json if isinstance(entry.json, dict) else {}
        if "type" in body and isinstance(body.get("data"), dict):
            body = body["data"]
        if any(key in body for key in ("content", "embeds")):
            assert not problems(entry.method, entry.path, entry.json)
            assert not payload_markup_problems(body), payload_markup_problems(body)
            payloads.append(body)
    assert payloads, "no reply was sent"
    return payloads


@pytest.mark.parametrize("kind", BAD_INPUT)
async def test_awkward_slash_question_gets_a_clean_reply(env: simcord.Env, kind: str):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    since = len(env.http_requests)

    result = await alice.slash(channel, "ask", question=BAD_INPUT[kind])

    assert result.response is not None
    check_replies(env, since)
    assert all(issubclass(e, CitebotError) for e in handled_errors(env))  # refusals, not crashes


@pytest.mark.parametrize("kind", BAD_INPUT)
async def test_awkward_dm_and_mention_get_a_clean_reply(env: simcord.Env, kind: str):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    question = BAD_INPUT[kind][:1900]  # a user's message holds at most 2,000 characters
    if not question.strip():
        question = "\u200b\u3000"  # Discord refuses blank messages: the nearest one can send

    since = len(env.http_requests)
    await alice.user.send_dm(question)
    assert alice.user.dm_channel.last_message.author.id == env.bot.user.id
    check_replies(env, since)

    since = len(env.http_requests)
    await alice.send(channel, f"{env.bot.user.mention} {question}")
    assert channel.last_message.author.id == env.bot.user.id
    check_replies(env, since)
    assert all(issubclass(e, CitebotError) for e in handled_errors(env))


@pytest.mark.parametrize("kind", FOUNDER_QUESTIONS)
async def test_mentions_and_control_characters_do_not_spoil_the_answer(env: simcord.Env, kind: str):
    bob = env.create_user("bob")

    result = await bob.slash("ask", question=BAD_INPUT[kind])

    embed = result.response.embeds[0]
    assert "Liang Wenfeng" in embed.description
    assert embed.title.startswith("who founded")
    assert not any(noise in embed.title for noise in ("@", "<", "\x00"))


async def test_mention_of_another_member_next_to_the_bot_still_finds_the_answer(
    env: simcord.Env,
):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    bot: CitebotBot = env.bot  # type: ignore[assignment]

    await alice.send(channel, f"{bot.user.mention} {bob.mention} who founded DeepSeek?")

    reply = channel.last_message
    assert "Liang Wenfeng" in reply.embeds[0].description
    (logged,) = bot.store.database.query("SELECT question FROM questions")
    assert logged == ("who founded DeepSeek?",)


async def test_question_of_only_mentions_asks_for_words(env: simcord.Env):
    bob = env.create_user("bob")

    await bob.send_dm(BAD_INPUT["only mentions"])

    assert "Ask me a question in words" in bob.dm_channel.last_message.content


def test_clean_question_keeps_words_and_drops_discord_markup():
    assert (
        clean_question("<@!1> <@&2> <#3> <:deep:4> <a:seek:5> </ask:6> <t:1700000000:R> hi") == "hi"
    )
    assert clean_question("@everyone @here H100 chips") == "H100 chips"
    assert clean_question("write to me@everyone.org") == "write to me@everyone.org"
    assert clean_question("a\x00b\x07c\n d") == "a b c\n d"


def test_stray_markup_checker_tells_escaped_from_live_markup():
    assert stray_markup(r"\*\*who\*\* founded `[1]` **DeepSeek** [a\_b](https://x.org/a_b)") == []
    assert stray_markup("**who** founded __DeepSeek__") != []

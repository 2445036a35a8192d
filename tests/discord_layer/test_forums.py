"""Help forums and threads, driven as users in simcord: a suggested answer in each new post,
`/ask` and mentions in threads, threads opened for mentions, follow-ups leaning on a thread."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import discord
import pytest
import simcord
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from bot.answer import Engine
from bot.client import create_bot
from bot.insight import unanswered_from_log
from bot.settings import Settings
from discord_layer.test_admin import Server, answer_text, bot_of
from discord_layer.test_restart import restart

FOUND_TITLE = "Who founded DeepSeek?"
UNKNOWN_TITLE = "Best recipe for banana bread"


class Forum:
    """A server with a help forum where new posts get suggestions."""

    def __init__(self, env: simcord.Env) -> None:
        self.env = env
        self.server = Server(env)
        self.forum = self.server.guild.create_forum_channel("help")

    async def enable(self, **options: object) -> simcord.InteractionResult:
        """The admin turns suggestions on for the forum, as a server would."""
        return await self.server.admin.slash(
            self.server.channel,
            "citebot settings help-forum",
            channel=self.forum,
            enabled=True,
            **options,
        )

    def tag(self, name: str) -> int:
        """A tag the forum offers its posters; its id."""
        backend = self.env.backend
        tag_id = backend.snowflake()
        channel = backend.channels[self.forum.id]
        channel.available_tags = [
            *channel.available_tags,
            {
                "id": str(tag_id),
                "name": name,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            },
        ]
        backend.announce_channel_update(self.forum.id)
        return tag_id

    async def post(
        self,
        title: str,
        content: str = "",
        *,
        by: simcord.MemberActor | None = None,
        tags: tuple[int, ...] = (),
    ) -> simcord.ChannelHandle:
        """Open a post as a member: the thread arrives first, then its first message (whose id
        is the thread's), as Discord sends them."""
        author = by or self.server.alice
        backend = self.env.backend
        thread = backend.create_thread(
            self.forum.id,
            title,
            author.id,
            message_id=backend.snowflake(),
            applied_tags=tags,
            broadcast=False,
        )
        starter = backend.prepare_message(thread.id, author.id, content or title)
        starter.id = thread.id
        backend.commit_message(starter, broadcast=False)
        backend.announce_thread_create(thread)
        backend.announce_message_create(starter)
        await self.env.settle()
        return simcord.ChannelHandle(self.env, self.server.guild, thread)


def replies(thread: simcord.ChannelHandle, env: simcord.Env) -> list[discord.Message]:
    """What the bot posted in a thread."""
    return [m for m in thread.history() if m.author.id == env.bot.user.id]


def labels(message: discord.Message) -> list[str]:
    return [child.label or "" for row in message.components for child in row.children]


async def test_a_new_forum_post_gets_one_suggestion_with_its_buttons(env: simcord.Env):
    forum = Forum(env)
    shown = await forum.enable()

    post = await forum.post(FOUND_TITLE)

    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["New posts get a suggested answer in"].startswith(f"<#{forum.forum.id}>")
    (reply,) = replies(post, env)
    assert "Liang Wenfeng" in answer_text(reply)
    assert reply.content.startswith("Here is what the articles say about this.")
    assert labels(reply) == ["Show passage", "This answered it", "Not it"]


async def test_the_posters_verdict_feeds_stats_and_the_unanswered_report(env: simcord.Env):
    forum = Forum(env)
    await forum.enable()
    post = await forum.post(FOUND_TITLE)
    (reply,) = replies(post, env)
    alice, admin = forum.server.alice, forum.server.admin
    store = bot_of(env).store
    ((answer_id,),) = store.database.query("SELECT MAX(id) FROM questions")

    other = await admin.click(reply, label="This answered it")
    yes = await alice.click(reply, label="This answered it")
    assert (store.feedback(answer_id).up, store.feedback(answer_id).down) == (1, 0)
    answered = unanswered_from_log(store, days=1, guild_id=forum.server.guild.id)
    assert FOUND_TITLE not in str(answered)
    no = await alice.click(reply, label="Not it")

    assert other.ephemeral and "Only the person who opened this post" in other.response.content
    assert yes.response.content == "Glad it helped ✅"
    assert no.response.content.startswith("Changed to Not it")
    assert (store.feedback(answer_id).up, store.feedback(answer_id).down) == (0, 1)
    report = unanswered_from_log(store, days=1, guild_id=forum.server.guild.id)
    assert FOUND_TITLE in str(report)
    ((source,),) = store.database.query("SELECT source FROM questions WHERE id = ?", (answer_id,))
    assert source == "forum"


async def test_posts_by_bots_and_tagged_posts_get_nothing(env: simcord.Env):
    forum = Forum(env)
    await forum.enable(ignore_tag="No-Bot")
    other_bot = forum.server.guild.add_member(env.create_user("helper", bot=True))
    no_bot = forum.tag("no-bot")

    by_bot = await forum.post(FOUND_TITLE, by=other_bot)
    tagged = await forum.post(FOUND_TITLE, tags=(no_bot,))
    plain = await forum.post(FOUND_TITLE)

    assert replies(by_bot, env) == [] and replies(tagged, env) == []
    assert len(replies(plain, env)) == 1


async def test_not_found_posts_nothing_unless_the_server_asks(env: simcord.Env):
    forum = Forum(env)
    await forum.enable()

    quiet = await forum.post(UNKNOWN_TITLE)
    await forum.enable(not_found=True)
    told = await forum.post(UNKNOWN_TITLE)

    assert replies(quiet, env) == []
    (reply,) = replies(told, env)
    assert reply.content.startswith("I found nothing about this in the articles")
    # The post is in the unanswered report either way.
    report = unanswered_from_log(bot_of(env).store, days=1, guild_id=forum.server.guild.id)
    assert str(report).count(UNKNOWN_TITLE) >= 1


async def test_the_posts_first_message_is_read_only_with_the_message_content_intent(
    env: simcord.Env, settings: Settings, engine: Engine
):
    forum = Forum(env)
    await forum.enable()
    vague = await forum.post("Help please", "Who founded DeepSeek?")
    assert replies(vague, env) == []  # the title alone: not found

    await env.restart_bot(
        create_bot(dataclasses.replace(settings, message_content_intent=True), engine=engine)
    )
    read = await forum.post("Help please", "Who founded DeepSeek?")

    (reply,) = replies(read, env)
    assert "Liang Wenfeng" in answer_text(reply)


async def test_a_forum_not_chosen_gets_nothing(env: simcord.Env):
    forum = Forum(env)

    post = await forum.post(FOUND_TITLE)

    assert replies(post, env) == []


async def test_a_post_is_answered_once_even_when_its_event_comes_again_after_a_restart(
    env: simcord.Env, settings: Settings, engine: Engine
):
    forum = Forum(env)
    await forum.enable()
    post = await forum.post(FOUND_TITLE)
    assert len(replies(post, env)) == 1

    bot = await restart(env, settings, engine)
    thread = bot.get_channel(post.id)
    assert isinstance(thread, discord.Thread)
    forums: Any = bot.get_cog("ForumsCog")  # its module is loaded afresh with each bot
    assert not await forums.suggest(thread)  # the event again, in a fresh process
    await env.settle()

    assert len(replies(post, env)) == 1


async def test_the_verdict_buttons_work_after_a_restart(
    env: simcord.Env, settings: Settings, engine: Engine
):
    forum = Forum(env)
    await forum.enable()
    post = await forum.post(FOUND_TITLE)
    (reply,) = replies(post, env)

    bot = await restart(env, settings, engine)
    pressed = await forum.server.alice.click(reply, label="This answered it")

    assert pressed.response.content == "Glad it helped ✅"
    ((answer_id,),) = bot.store.database.query("SELECT MAX(id) FROM questions")
    assert bot.store.feedback(answer_id).up == 1


async def test_no_permission_to_post_in_threads_posts_nothing_and_is_logged(
    env: simcord.Env, caplog: pytest.LogCaptureFixture
):
    forum = Forum(env)
    await forum.enable()
    denied = discord.Permissions(send_messages_in_threads=True).value
    env.backend.set_overwrite(
        forum.forum.id,
        Overwrite(target_id=env.bot.user.id, type=OverwriteType.MEMBER, allow=0, deny=denied),
    )
    await env.settle()

    with caplog.at_level(logging.INFO, logger="bot.cogs.forums"):
        post = await forum.post(FOUND_TITLE)

    assert replies(post, env) == []
    assert "I need Send Messages in Threads" in caplog.text


async def test_a_post_on_cooldown_gets_nothing(env: simcord.Env, settings: Settings):
    forum = Forum(env)
    await forum.enable()
    for _ in range(settings.cooldown_rate):
        await forum.server.alice.slash(forum.server.channel, "ask", question=FOUND_TITLE)

    post = await forum.post(FOUND_TITLE)

    assert replies(post, env) == []


# --- threads and follow-ups ----------------------------------------------------------------


def first_excerpt(message: simcord.ResponseMessage) -> str:
    return message.embeds[0].description.split("`[2]`")[0]


def open_thread(server: Server, env: simcord.Env, name: str) -> simcord.ChannelHandle:
    """A thread a member opened in the server's text channel (no help forum involved)."""
    thread = env.backend.create_thread(server.channel.id, name, server.alice.id)
    return simcord.ChannelHandle(env, server.guild, thread)


async def test_ask_in_a_thread_answers_in_it_and_a_follow_up_leans_on_it(env: simcord.Env):
    server = Server(env)
    thread = open_thread(server, env, "CUDA")
    await env.settle()

    first = await server.alice.slash(thread, "ask", question="What is CUDA?")
    in_thread = await server.alice.slash(thread, "ask", question="When was it introduced?")
    outside = await server.alice.slash(server.channel, "ask", question="When was it introduced?")

    assert first.response.channel_id == thread.id
    assert in_thread.response.channel_id == thread.id
    # The first excerpt: from the article the thread cited, or elsewhere outside it.
    assert "2006" in first_excerpt(in_thread.response)
    assert "2006" not in first_excerpt(outside.response)


async def test_a_mention_in_a_thread_is_answered_in_it(env: simcord.Env):
    server = Server(env)
    thread = open_thread(server, env, "question")
    await env.settle()

    await server.alice.send(thread, f"{env.bot.user.mention} who founded DeepSeek?")

    assert "Liang Wenfeng" in answer_text(thread.last_message)


async def test_with_mention_threads_a_mention_is_answered_in_a_new_thread(env: simcord.Env):
    server = Server(env)
    me = env.bot.user.mention
    before = await server.alice.send(server.channel, f"{me} who founded DeepSeek?")
    assert "Liang Wenfeng" in answer_text(server.channel.last_message)  # in place by default

    shown = await server.admin.slash(
        server.channel, "citebot settings mention-threads", enabled=True
    )
    asked = await server.alice.send(server.channel, f"{me} what did Liang do before DeepSeek?")

    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Mentions in text channels"] == "answered in a new thread"
    (thread,) = server.channel.threads
    assert thread.id == asked.id  # opened on the question
    assert thread.name == "what did Liang do before DeepSeek?"
    assert "hedge fund" in answer_text(thread.last_message)
    answers = [m for m in server.channel.history() if m.author.id == env.bot.user.id and m.embeds]
    assert [m.reference.message_id for m in answers] == [before.id]  # only the first, in place
    assert "deepseek-rise" in bot_of(env).store.thread_articles(thread.id)


async def test_with_mention_threads_an_error_is_told_in_place_without_an_empty_thread(
    env: simcord.Env, monkeypatch: pytest.MonkeyPatch
):
    server = Server(env)
    await server.admin.slash(server.channel, "citebot settings mention-threads", enabled=True)
    monkeypatch.setattr(bot_of(env).live, "_engine", None)  # the first index still building

    asked = await server.alice.send(server.channel, f"{env.bot.user.mention} who founded DeepSeek?")

    assert server.channel.threads == []
    reply = server.channel.last_message
    assert reply.reference.message_id == asked.id
    assert "still loading" in reply.content


def thread_on(
    server: Server, env: simcord.Env, message_id: int, name: str
) -> simcord.ChannelHandle:
    """A thread a member opened on a message of the server's text channel: its id is the
    message's, and the message stays in the channel."""
    thread = env.backend.create_thread(
        server.channel.id, name, server.alice.id, message_id=message_id
    )
    return simcord.ChannelHandle(env, server.guild, thread)


async def test_a_thread_on_an_old_message_in_a_text_help_channel_is_answered_from_it(
    env: simcord.Env, settings: Settings, engine: Engine
):
    await env.restart_bot(
        create_bot(dataclasses.replace(settings, message_content_intent=True), engine=engine)
    )
    server = Server(env)
    await server.admin.slash(
        server.channel, "citebot settings help-forum", channel=server.channel, enabled=True
    )
    backend = env.backend
    old = backend.prepare_message(server.channel.id, server.alice.id, "Who founded DeepSeek?")
    backend.commit_message(old, broadcast=False)  # posted before the bot was there to see it

    thread = thread_on(server, env, old.id, "Help please")
    await env.settle()

    (reply,) = replies(thread, env)
    assert "Liang Wenfeng" in answer_text(reply)


async def test_a_thread_on_a_mention_in_a_text_help_channel_is_not_answered_twice(
    env: simcord.Env,
):
    server = Server(env)
    await server.admin.slash(
        server.channel, "citebot settings help-forum", channel=server.channel, enabled=True
    )
    asked = await server.alice.send(server.channel, f"{env.bot.user.mention} who founded DeepSeek?")
    assert "Liang Wenfeng" in answer_text(server.channel.last_message)  # answered in place

    thread = thread_on(server, env, asked.id, FOUND_TITLE)
    await env.settle()

    assert replies(thread, env) == []

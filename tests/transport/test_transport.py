"""What only real sockets show: login, sync, answers, acknowledgement time, resume, 429."""

from __future__ import annotations

import asyncio
import json
import time

from emulator import DiscordEmulator
from support import COMMAND_NAMES

from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.settings import Settings

QUESTION = "who founded DeepSeek?"
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


def embed_text(message: dict) -> str:
    return json.dumps(message.get("embeds"), ensure_ascii=False)


async def answered(emulator: DiscordEmulator, channel_id: int, count: int = 1) -> list[dict]:
    """Wait until the bot has `count` finished answers in the channel."""

    def done() -> list[dict]:
        messages = [m for m in emulator.bot_messages_in(channel_id) if m.get("embeds")]
        return messages if len(messages) >= count else []

    return await emulator.wait_until(done)


async def test_bot_identifies_without_privileged_intents_and_syncs_globally(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    (identify,) = pointed_at.identifies
    assert identify["intents"] & PRIVILEGED_INTENTS == 0
    assert {c["name"] for c in pointed_at.commands["global"]} == COMMAND_NAMES
    assert [r.path for r in pointed_at.requests][:3] == [
        "/users/@me",
        "/oauth2/applications/@me",
        f"/applications/{pointed_at.application_id}/commands",
    ]


async def test_heartbeats_are_sent_on_the_interval_hello_gives_and_acknowledged(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    await asyncio.sleep(0.7)  # the emulator's HELLO asks for a heartbeat every 200 ms

    assert pointed_at.heartbeats >= 3
    assert running_bot.latency < 0.5  # measured from HEARTBEAT to HEARTBEAT_ACK


async def test_slash_ask_over_the_network_is_acknowledged_then_answered(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    alice = pointed_at.create_user("alice")

    interaction = await asyncio.to_thread(pointed_at.slash, alice, "ask", question=QUESTION)

    (answer,) = await answered(pointed_at, pointed_at.channel_id)
    record = pointed_at.interactions[interaction["token"]]
    assert record.acknowledged_at is not None
    assert record.acknowledged_at - record.sent_at < 3.0
    (callback,) = pointed_at.requests_matching("POST", "/interactions/*/callback")
    assert callback.json["type"] == 5  # deferred first, answered after
    assert "Liang Wenfeng" in embed_text(answer)
    assert answer["flags"] & (1 << 7) == 0  # no longer "thinking…"


async def test_dm_over_the_network_gets_a_reply_with_the_excerpt(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    bob = pointed_at.create_user("bob")

    asked = await asyncio.to_thread(pointed_at.send_dm, bob, QUESTION)

    (reply,) = await answered(pointed_at, pointed_at.dm_channel_of(bob))
    assert reply["message_reference"]["message_id"] == asked["id"]
    assert "Liang Wenfeng" in embed_text(reply)


async def test_interactions_are_acknowledged_within_3_s_while_slow_searches_run(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    """Twelve questions at once, each search taking 0.5 s as over a large index.

    Were searches run on the event loop, the last deferral would wait for the others'
    searches (6 s); run in worker threads, every deferral goes out at once.
    """
    engine = running_bot.engine
    original_ask = engine.answer

    def slow_ask(*args, **kwargs):  # a large index: every search takes a while
        time.sleep(0.5)
        return original_ask(*args, **kwargs)

    engine.answer = slow_ask  # type: ignore[method-assign]
    users = [pointed_at.create_user(f"user{n}") for n in range(12)]

    payloads = await asyncio.gather(
        *(asyncio.to_thread(pointed_at.slash, user, "ask", question=QUESTION) for user in users)
    )

    await answered(pointed_at, pointed_at.channel_id, count=len(users))
    delays = [
        pointed_at.interactions[p["token"]].acknowledged_at
        - pointed_at.interactions[p["token"]].sent_at
        for p in payloads
    ]
    assert max(delays) < 3.0, delays
    assert max(delays) < 0.5, f"acknowledged only after a search finished: {delays}"


async def test_gateway_drop_mid_session_resumes_and_still_answers(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    bob = pointed_at.create_user("bob")
    await asyncio.to_thread(pointed_at.drop_gateway)

    # Asked while the bot is disconnected: delivered when it resumes.
    asked = await asyncio.to_thread(pointed_at.send_dm, bob, QUESTION)

    (reply,) = await answered(pointed_at, pointed_at.dm_channel_of(bob))
    assert reply["message_reference"]["message_id"] == asked["id"]
    assert len(pointed_at.identifies) == 1  # not a new session
    (resume,) = pointed_at.resumes
    assert resume["session_id"] in pointed_at.sessions


async def test_reply_rate_limited_with_retry_after_is_delivered_after_the_wait(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    bob = pointed_at.create_user("bob")
    channel = pointed_at.dm_channel_of(bob)
    pointed_at.rate_limit("POST", f"/channels/{channel}/messages", retry_after=0.6)

    await asyncio.to_thread(pointed_at.send_dm, bob, QUESTION)

    (reply,) = await answered(pointed_at, channel)
    first, second = pointed_at.requests_matching("POST", f"/channels/{channel}/messages")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.6
    assert "Liang Wenfeng" in embed_text(reply)


async def test_mention_without_read_message_history_is_answered_without_a_reply(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    pointed_at.can_reply_in_guild = False
    alice = pointed_at.create_user("alice")

    await asyncio.to_thread(
        pointed_at.send_in_guild, alice, f"<@{pointed_at.application_id}> {QUESTION}"
    )

    (answer,) = await answered(pointed_at, pointed_at.channel_id)
    assert "message_reference" not in answer
    assert "Liang Wenfeng" in embed_text(answer)
    refused, sent = pointed_at.requests_matching(
        "POST", f"/channels/{pointed_at.channel_id}/messages"
    )
    assert (refused.status, sent.status) == (400, 200)


async def test_a_forum_post_gets_its_one_suggestion_over_the_network(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    await running_bot.update_guild_settings(
        pointed_at.guild_id, suggest_channels=(pointed_at.forum_id,)
    )
    alice = pointed_at.create_user("alice")

    thread = await asyncio.to_thread(
        pointed_at.open_forum_post, alice, "Who founded DeepSeek?", "Asking for a friend."
    )

    (suggestion,) = await answered(pointed_at, int(thread["id"]))
    assert "Liang Wenfeng" in embed_text(suggestion)
    labels = [c.get("label") for row in suggestion["components"] for c in row["components"]]
    assert labels == ["Show passage", "This answered it", "Not it"]
    assert pointed_at.bot_messages_in(pointed_at.channel_id) == []


async def test_a_bot_stopped_before_it_is_ready_leaves_nothing_running(
    pointed_at: DiscordEmulator, settings: Settings
):
    # discord.py holds `on_ready` back until no server has arrived for `guild_ready_timeout`;
    # an hour here, so the bot is surely stopped during that wait.
    engine = await asyncio.to_thread(Engine.open, settings)
    bot = create_bot(settings, engine=engine, guild_ready_timeout=3600)
    task = asyncio.create_task(bot.start(pointed_at.token))
    await pointed_at.wait_until(lambda: bot.get_guild(pointed_at.guild_id))
    assert not bot.is_ready()

    await bot.close()
    await task

    # Anything left would run after `close` (the held `on_ready`, dispatched with no loop).
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    bot.dispatch("ready")  # as a wait discord.py lost track of would (after a second READY)


async def test_a_listener_for_disconnect_runs_when_the_bot_closes(
    pointed_at: DiscordEmulator, settings: Settings
):
    # A closed bot takes no new events, but the one that says its connection is gone.
    engine = await asyncio.to_thread(Engine.open, settings)
    bot = create_bot(settings, engine=engine)
    heard: list[str] = []

    async def on_disconnect() -> None:
        await asyncio.sleep(0)  # a listener that awaits still runs to its end
        heard.append("disconnect")

    bot.add_listener(on_disconnect)
    task = asyncio.create_task(bot.start(pointed_at.token))
    await pointed_at.wait_until(lambda: bot.get_guild(pointed_at.guild_id))

    await bot.close()
    await task

    assert heard == ["disconnect"]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

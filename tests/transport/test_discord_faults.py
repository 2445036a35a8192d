"""Discord misbehaving, as its documentation says it may: after each fault the bot answers.

Gateway: closes (1006 without a close frame, 4000), op 7 Reconnect, op 9 Invalid
Session, unacknowledged heartbeats. REST: 429 per route and global, 5xx, and an
interaction token that expired before the answer was ready.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from emulator import DiscordEmulator

from bot.client import CitebotBot
from transport.test_transport import QUESTION, answered, embed_text

#: Seconds without any gateway traffic after which the bot calls a connection dead
#: (discord.py's `heartbeat_timeout`, 60 s by default; short here so the test is quick).
HEARTBEAT_TIMEOUT = 1.0


@pytest.fixture
def bot_options() -> dict[str, Any]:
    """A short heartbeat timeout, so a silent connection is called dead quickly."""
    return {"heartbeat_timeout": HEARTBEAT_TIMEOUT}


@pytest.fixture
def bot(running_bot: CitebotBot) -> CitebotBot:
    """The running bot, identifying again at once after a fault."""

    async def identify_without_waiting(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before identifying again; the protocol is the same without."""

    running_bot.before_identify_hook = identify_without_waiting  # type: ignore[method-assign]
    return running_bot


async def dm_is_answered(emulator: DiscordEmulator, name: str) -> dict:
    """A user DMs the founder question; the bot's reply quotes the answer."""
    user = emulator.create_user(name)
    asked = await asyncio.to_thread(emulator.send_dm, user, QUESTION)
    (reply,) = await answered(emulator, emulator.dm_channel_of(user))
    assert reply["message_reference"]["message_id"] == asked["id"]
    assert "Liang Wenfeng" in embed_text(reply)
    return reply


# --- gateway ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [1006, 4000])
async def test_gateway_closed_abnormally_resumes_the_session_and_answers_what_was_missed(
    bot: CitebotBot, pointed_at: DiscordEmulator, code: int
):
    (session_id,) = pointed_at.sessions
    await asyncio.to_thread(pointed_at.drop_gateway, code)

    await dm_is_answered(pointed_at, "bob")  # sent while the bot may still be away

    assert len(pointed_at.identifies) == 1
    assert [r["session_id"] for r in pointed_at.resumes] == [session_id]


async def test_reconnect_opcode_makes_the_bot_reconnect_and_resume(
    bot: CitebotBot, pointed_at: DiscordEmulator
):
    (session_id,) = pointed_at.sessions

    await asyncio.to_thread(pointed_at.send_reconnect)

    await pointed_at.wait_until(lambda: pointed_at.resumes)
    assert [r["session_id"] for r in pointed_at.resumes] == [session_id]
    assert len(pointed_at.identifies) == 1
    await dm_is_answered(pointed_at, "bob")


async def test_invalid_session_makes_the_bot_identify_again_and_answer(
    bot: CitebotBot, pointed_at: DiscordEmulator
):
    (old,) = pointed_at.sessions

    await asyncio.to_thread(pointed_at.invalidate_sessions)

    await pointed_at.wait_until(lambda: len(pointed_at.identifies) == 2)
    assert pointed_at.resumes == []  # a session Discord ended is not resumed
    (new,) = pointed_at.sessions
    assert new != old
    await dm_is_answered(pointed_at, "bob")


async def test_unacknowledged_heartbeats_make_the_bot_reconnect_and_resume(
    bot: CitebotBot, pointed_at: DiscordEmulator
):
    (session_id,) = pointed_at.sessions

    await asyncio.to_thread(pointed_at.stop_acknowledging_heartbeats)

    await pointed_at.wait_until(lambda: pointed_at.resumes, timeout=HEARTBEAT_TIMEOUT * 10)
    assert [r["session_id"] for r in pointed_at.resumes] == [session_id]
    await dm_is_answered(pointed_at, "bob")


# --- REST --------------------------------------------------------------------------------


async def test_followup_rate_limited_per_route_is_delivered_after_the_wait(
    bot: CitebotBot, pointed_at: DiscordEmulator
):
    alice = pointed_at.create_user("alice")
    pointed_at.rate_limit("POST", "/webhooks/*", retry_after=0.5)

    await asyncio.to_thread(pointed_at.slash, alice, "ask", question=QUESTION)

    (answer,) = await answered(pointed_at, pointed_at.channel_id)
    first, second = pointed_at.requests_matching("POST", "/webhooks/*")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.5
    assert "Liang Wenfeng" in embed_text(answer)


async def test_global_rate_limit_holds_every_route_until_the_wait_then_delivers(
    bot: CitebotBot, pointed_at: DiscordEmulator
):
    bob, carol = pointed_at.create_user("bob"), pointed_at.create_user("carol")
    bob_channel = f"/channels/{pointed_at.dm_channel_of(bob)}/messages"
    carol_channel = f"/channels/{pointed_at.dm_channel_of(carol)}/messages"
    pointed_at.rate_limit("POST", bob_channel, retry_after=1.0, is_global=True)

    await asyncio.to_thread(pointed_at.send_dm, bob, QUESTION)
    (limited,) = await pointed_at.wait_until(
        lambda: pointed_at.requests_matching("POST", bob_channel)
    )
    # Carol asks during the global wait: her reply, on another route, must wait too.
    await asyncio.to_thread(pointed_at.send_dm, carol, QUESTION)

    await answered(pointed_at, pointed_at.dm_channel_of(bob))
    await answered(pointed_at, pointed_at.dm_channel_of(carol))
    _, bob_sent = pointed_at.requests_matching("POST", bob_channel)
    (carol_sent,) = pointed_at.requests_matching("POST", carol_channel)  # no 429 of her own
    assert (limited.status, bob_sent.status, carol_sent.status) == (429, 200, 200)
    assert bob_sent.at - limited.at >= 1.0
    assert carol_sent.at - limited.at >= 1.0


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_on_replies_are_retried_until_delivered(
    bot: CitebotBot, pointed_at: DiscordEmulator, status: int
):
    alice = pointed_at.create_user("alice")
    pointed_at.fail("POST", "/webhooks/*", status)
    pointed_at.fail("POST", "/channels/*/messages", status)

    await asyncio.to_thread(pointed_at.slash, alice, "ask", question=QUESTION)
    await dm_is_answered(pointed_at, "bob")

    (answer,) = await answered(pointed_at, pointed_at.channel_id)
    assert "Liang Wenfeng" in embed_text(answer)
    assert [r.status for r in pointed_at.requests_matching("POST", "/webhooks/*")] == [status, 200]
    assert [r.status for r in pointed_at.requests_matching("POST", "/channels/*/messages")] == [
        status,
        200,
    ]


async def test_server_error_that_is_not_retried_is_logged_and_the_bot_answers_on(
    bot: CitebotBot, pointed_at: DiscordEmulator, caplog: pytest.LogCaptureFixture
):
    bob = pointed_at.create_user("bob")
    pointed_at.fail("POST", f"/channels/{pointed_at.dm_channel_of(bob)}/messages", 503)

    with caplog.at_level(logging.ERROR):
        await asyncio.to_thread(pointed_at.send_dm, bob, QUESTION)
        await pointed_at.wait_until(
            lambda: any("503" in r.getMessage() or r.exc_info for r in caplog.records)
        )

    assert not bot.is_closed()
    await dm_is_answered(pointed_at, "carol")


async def test_expired_interaction_token_is_logged_and_the_bot_answers_on(
    bot: CitebotBot, pointed_at: DiscordEmulator, caplog: pytest.LogCaptureFixture
):
    alice = pointed_at.create_user("alice")
    pointed_at.interaction_token_lifetime = 0.0  # the answer comes after the token died

    with caplog.at_level(logging.WARNING):
        await asyncio.to_thread(pointed_at.slash, alice, "ask", question=QUESTION)
        await pointed_at.wait_until(
            lambda: [r for r in caplog.records if "expired" in r.getMessage()]
        )

    (followup, *_) = pointed_at.requests_matching("POST", "/webhooks/*")
    assert followup.status == 404
    pointed_at.interaction_token_lifetime = None
    await asyncio.to_thread(pointed_at.slash, alice, "ask", question=QUESTION)
    (answer,) = await answered(pointed_at, pointed_at.channel_id)
    assert "Liang Wenfeng" in embed_text(answer)

"""Awkward questions over real sockets: every one gets a reply that fits Discord's limits,
pings no one and renders as meant (the emulator fixture checks limits and mentions)."""

from __future__ import annotations

import asyncio

from discord_layer.helpers import message_payloads
from discord_layer.markdown_check import payload_markup_problems
from discord_layer.test_bad_input import BAD_INPUT, FOUNDER_QUESTIONS
from emulator import DiscordEmulator

from bot.client import CitebotBot


def markup_problems(emulator: DiscordEmulator) -> list[str]:
    return [
        problem
        for request in emulator.requests
        for payload in message_payloads(request.json)
        for problem in payload_markup_problems(payload)
    ]


async def test_every_awkward_slash_question_is_answered_or_refused_cleanly(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    alice = pointed_at.create_user("alice")

    tokens = [
        (await asyncio.to_thread(pointed_at.slash, alice, "ask", question=question))["token"]
        for question in BAD_INPUT.values()
    ]

    def replied(token: str) -> bool:
        callbacks = pointed_at.requests_matching("POST", f"/interactions/*/{token}/callback")
        followups = pointed_at.requests_matching("POST", f"/webhooks/*/{token}")
        refused = any(c.json["type"] == 4 and c.status == 200 for c in callbacks)
        return refused or any(f.status == 200 for f in followups)

    await pointed_at.wait_until(lambda: all(replied(t) for t in tokens))
    assert markup_problems(pointed_at) == []
    assert not running_bot.is_closed()


async def test_every_awkward_dm_is_answered_or_refused_cleanly(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    bob = pointed_at.create_user("bob")
    channel = pointed_at.dm_channel_of(bob)
    questions = {k: q[:2000] if q.strip() else "\u200b" for k, q in BAD_INPUT.items()}

    asked = {
        (await asyncio.to_thread(pointed_at.send_dm, bob, question))["id"]: kind
        for kind, question in questions.items()
    }

    await pointed_at.wait_until(lambda: len(pointed_at.bot_messages_in(channel)) == len(questions))
    sent = pointed_at.requests_matching("POST", f"/channels/{channel}/messages")
    assert [r.status for r in sent] == [200] * len(questions)
    assert markup_problems(pointed_at) == []
    founder = {
        asked[m["message_reference"]["message_id"]]
        for m in pointed_at.bot_messages_in(channel)
        if "Liang Wenfeng" in str(m["embeds"])
    }
    assert founder >= {"emoji", *FOUNDER_QUESTIONS}  # whatever surrounds the question

"""Many users asking at once through the emulator, and the replies each question got.

Shared by the load test (is every question answered or told to cool down?) and
`benchmarks/discord_load.py` (how long did replies take?). Half the questions go by
`/ask`, half by DM, alternating per user.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

from emulator.server import DiscordEmulator

COOLDOWN_PREFIX = "You're asking quickly"
#: Questions about the bundled corpus, for crowds and benchmarks; the last is not answered there.
BUNDLED_QUESTIONS = (
    "who founded DeepSeek?",
    "what does BM25 stand for?",
    "why do AI models run on GPUs?",
    "what are export controls on AI chips?",
    "how does the bot answer a direct message?",
    "what is an open-weight model?",
    "what does retrieval augmented generation do?",
    "when did information retrieval start?",
    "how should I phrase a question?",
    "what is term frequency saturation?",
    "which chips were restricted?",
    "how are slash commands registered?",
    "lasagna recipe with zucchini",
)


@dataclass(frozen=True)
class Question:
    user_id: int
    way: str  # "slash" or "dm"
    key: str  # the interaction token, or the DM's message id
    channel_id: int
    sent_at: float  # the emulator's perf_counter when it was dispatched


@dataclass(frozen=True)
class Reply:
    question: Question
    at: float
    kind: str  # "answer", "cooldown" or "other"
    body: dict[str, Any]

    @property
    def seconds(self) -> float:
        return self.at - self.question.sent_at


def _ask(emulator: DiscordEmulator, user: dict[str, Any], way: str, text: str) -> Question:
    if way == "slash":
        payload = emulator.slash(user, "ask", question=text)
        record = emulator.interactions[payload["token"]]
        return Question(int(user["id"]), way, payload["token"], emulator.channel_id, record.sent_at)
    message = emulator.send_dm(user, text)
    return Question(
        int(user["id"]),
        way,
        message["id"],
        int(message["channel_id"]),
        emulator.sent_at[int(message["id"])],
    )


async def ask_crowd(
    emulator: DiscordEmulator, *, users: int, per_user: int, questions: list[str]
) -> list[Question]:
    """`users` new users each ask `per_user` questions, all dispatched at once."""
    people = [emulator.create_user(f"asker{n}") for n in range(users)]
    jobs = [
        (person, "slash" if (n + turn) % 2 == 0 else "dm", questions[(n + turn) % len(questions)])
        for turn in range(per_user)
        for n, person in enumerate(people)
    ]
    return list(
        await asyncio.gather(
            *(asyncio.to_thread(_ask, emulator, person, way, text) for person, way, text in jobs)
        )
    )


def _kind(body: dict[str, Any]) -> str:
    if body.get("embeds"):
        return "answer"
    if str(body.get("content") or "").startswith(COOLDOWN_PREFIX):
        return "cooldown"
    return "other"


def replies(emulator: DiscordEmulator, questions: list[Question]) -> dict[str, Reply]:
    """The first reply each question got so far, by question key."""
    by_key = {q.key: q for q in questions}
    found: dict[str, Reply] = {}
    for request in emulator.all_requests():
        if request.method != "POST" or request.status != 200 or not isinstance(request.json, dict):
            continue
        parts = request.path.strip("/").split("/")
        key, body = None, request.json
        if parts[0] == "interactions" and parts[-1] == "callback":
            if body.get("type") == 4:  # answered at once: a refusal or a cooldown
                key, body = parts[2], body.get("data") or {}
        elif parts[0] == "webhooks" and len(parts) == 3:
            key = parts[2]  # the followup with the answer
        elif parts[0] == "channels" and parts[-1] == "messages":
            key = str((body.get("message_reference") or {}).get("message_id"))
        if key in by_key and key not in found:
            found[key] = Reply(by_key[key], request.at, _kind(body), body)
    return found


async def all_replies(
    emulator: DiscordEmulator, questions: list[Question], timeout: float
) -> list[Reply]:
    """Wait until every question has its reply; returns them in question order."""
    got: dict[str, Reply] = {}

    def done() -> bool:
        got.update(replies(emulator, questions))
        return len(got) == len(questions)

    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        if asyncio.get_running_loop().time() > deadline:
            missing = len(questions) - len(got)
            raise TimeoutError(f"{missing} of {len(questions)} questions got no reply")
        await asyncio.sleep(0.05)
    return [got[q.key] for q in questions]


def cooldowns_per_user(answered: list[Reply]) -> Counter[int]:
    """How many of each user's questions were told to cool down."""
    counts: Counter[int] = Counter({r.question.user_id: 0 for r in answered})
    counts.update(r.question.user_id for r in answered if r.kind == "cooldown")
    return counts

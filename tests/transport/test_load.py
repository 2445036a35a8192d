"""Fifty users asking at once, by /ask and DM: each question is answered, or told to cool
down exactly when its user went over the limit (5 a minute by default).

Timings are not asserted here: `benchmarks/discord_load.py` reports them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator import DiscordEmulator
from emulator.crowd import all_replies, ask_crowd, cooldowns_per_user

from bot.client import CitebotBot
from bot.settings import Settings

QUESTIONS = [
    "who founded DeepSeek?",
    "what does BM25 stand for?",
    "why do AI models run on GPUs?",
    "what are export controls on AI chips?",
    "lasagna recipe with zucchini",  # not found: still an answer
]
USERS = 50


@pytest.fixture
def settings(bundled_corpus: Path, tmp_path: Path) -> Settings:
    """The default limits: 5 questions a minute per user."""
    return Settings(corpus_dir=bundled_corpus, data_dir=tmp_path / "data")


async def test_200_questions_from_50_users_at_once_are_all_answered(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    assert running_bot.settings.cooldown_rate == 5

    questions = await ask_crowd(pointed_at, users=USERS, per_user=4, questions=QUESTIONS)

    replies = await all_replies(pointed_at, questions, timeout=60)
    assert len(replies) == 200
    assert [r.kind for r in replies] == ["answer"] * 200
    assert sum("Liang Wenfeng" in str(r.body["embeds"]) for r in replies) == 40


async def test_50_users_asking_6_at_once_each_get_exactly_one_cooldown(
    running_bot: CitebotBot, pointed_at: DiscordEmulator
):
    questions = await ask_crowd(pointed_at, users=USERS, per_user=6, questions=QUESTIONS)

    replies = await all_replies(pointed_at, questions, timeout=60)
    assert len(replies) == 300
    assert {r.kind for r in replies} == {"answer", "cooldown"}
    assert set(cooldowns_per_user(replies).values()) == {1}
    assert running_bot.store.question_count() == 250

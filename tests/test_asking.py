"""Taking a question from Discord: tidy it, refuse what cannot be asked, answer off the loop, log it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer import Engine
from bot.asking import Asker
from bot.errors import OnCooldown, QuestionError, QuestionTooLong, StillLoading
from bot.live import LiveEngine
from bot.ratelimit import QuestionLimiter
from bot.settings import Settings
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    settings = Settings(corpus_dir=REPO / "corpus", data_dir=tmp_path_factory.mktemp("index"))
    return Engine.open(settings)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        corpus_dir=REPO / "corpus",
        data_dir=tmp_path,
        max_question_chars=60,
        cooldown_rate=2,
        cooldown_seconds=60.0,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path)
    yield store
    store.close()


@pytest.fixture
def now() -> list[float]:
    return [0.0]


@pytest.fixture
def asker(settings: Settings, engine: Engine, store: Store, now: list[float]) -> Asker:
    limiter = QuestionLimiter(settings.cooldown_rate, settings.cooldown_seconds, lambda: now[0])
    return Asker(settings, LiveEngine(settings, engine), store, limiter)


async def test_admit_keeps_the_words_and_drops_discord_markup(asker: Asker):
    assert await asker.admit(1, "<@123456> who founded <#42> DeepSeek? <:wave:987654>") == (
        "who founded   DeepSeek?"
    )


async def test_admit_refuses_a_question_without_words_or_too_long(asker: Asker):
    with pytest.raises(QuestionError, match="in words"):
        await asker.admit(1, "<@123456> @everyone")
    with pytest.raises(QuestionTooLong, match="please keep it under 60"):
        await asker.admit(1, "why " * 30)


async def test_admit_applies_the_cooldown_per_user_and_says_when_to_retry(
    asker: Asker, now: list[float]
):
    await asker.admit(1, "who founded DeepSeek?")
    await asker.admit(1, "what is BM25?")
    with pytest.raises(OnCooldown) as refused:
        await asker.admit(1, "what is an okapi?")
    assert refused.value.retry_after == 60.0
    assert "try again in 60 s" in str(refused.value)
    assert await asker.admit(2, "what is BM25?") == "what is BM25?"  # another user is not held up
    now[0] = 60.0
    assert await asker.admit(1, "what is an okapi?") == "what is an okapi?"


async def test_answer_is_logged_and_can_be_voted_on(asker: Asker, store: Store):
    logged = await asker.answer("Who founded DeepSeek?", user_id=7, source="dm")

    assert logged.answer.found
    assert "Liang Wenfeng" in logged.answer.results[0].excerpt
    assert store.question_count() == 1
    assert store.vote(logged.answer_id, 7, "up") == "recorded"


async def test_answer_fetches_three_pages_of_the_servers_page_size(asker: Asker):
    few = await asker.answer("DeepSeek", user_id=7, source="slash", guild_id=1, per_page=1)
    many = await asker.answer("DeepSeek", user_id=7, source="dm")  # the bot's 3 a page
    assert len(few.answer.results) <= 3 < len(many.answer.results) <= 9


async def test_a_question_before_the_first_index_is_told_to_wait(settings: Settings, store: Store):
    asker = Asker(settings, LiveEngine(settings), store)
    with pytest.raises(StillLoading, match="still loading"):
        await asker.answer("Who founded DeepSeek?", user_id=7, source="dm")
    assert store.question_count() == 0


async def test_on_postgresql_the_cooldown_holds_across_processes(
    settings: Settings, engine: Engine, tmp_path: Path, postgres_url: str
):
    stores = [
        Store.open(tmp_path / name, postgres_url, user_key=b"one key for every host")
        for name in ("a", "b")
    ]
    try:
        here, there = (Asker(settings, LiveEngine(settings, engine), s) for s in stores)
        assert settings.cooldown_rate == 2
        await here.admit(1, "who founded DeepSeek?")
        await there.admit(1, "what is BM25?")  # the second process counts the first's question
        with pytest.raises(OnCooldown):
            await here.admit(1, "what is an okapi?")
        with pytest.raises(OnCooldown):
            await there.admit(1, "what is an okapi?")
        assert await there.admit(2, "what is BM25?") == "what is BM25?"
    finally:
        for store in stores:
            store.close()


async def test_a_question_in_a_thread_leans_on_what_the_thread_cited_publicly(
    asker: Asker, store: Store
):
    await asker.answer("What is CUDA?", user_id=1, source="slash", guild_id=9, thread_id=77)
    assert store.thread_articles(77)[0] == "notes/gpu-basics"
    asked = await asker.answer("When was it introduced?", user_id=1, source="slash", thread_id=77)
    assert asked.answer.results[0].article_id == "notes/gpu-basics"

    await asker.answer(
        "Who founded DeepSeek?", user_id=2, source="slash", guild_id=9, thread_id=78, private=True
    )
    assert store.thread_articles(78) == []  # a private answer leaves no trace for the others

"""One way to take a question from any Discord entry point: check it, limit it, answer it, log it.

Kept free of discord so the rules (length, cooldown) are the same for `/ask`, DMs,
mentions and the message menu, and can be tested without a client.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer import Answer
from bot.chat import strip_discord_markup
from bot.errors import (
    CitebotError,
    OnCooldown,
    QuestionError,
    QuestionTooLong,
    StoreWriteError,
)
from bot.examples import example_questions
from bot.lanes import SearchLanes
from bot.live import LiveEngine
from bot.ratelimit import QuestionLimiter
from bot.settings import Settings
from bot.store import Store

#: Pages of results kept per answer for "More results".
MAX_PAGES = 3
#: Answers kept in memory for their buttons; older ones (and every one after a restart)
#: are asked again from what their message shows.
RECENT_ANSWERS = 256


@dataclass(frozen=True)
class LoggedAnswer:
    """An answer and the id it was logged under (feedback buttons vote on that id)."""

    answer: Answer
    #: The logged question's id, which votes refer to; None when the log could not be written.
    answer_id: int | None


class Asker:
    """Admits questions and answers them off the event loop."""

    def __init__(
        self,
        settings: Settings,
        live: LiveEngine,
        store: Store,
        limiter: QuestionLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.live = live
        self.store = store
        self.limiter = limiter or QuestionLimiter(settings.cooldown_rate, settings.cooldown_seconds)
        # Searches take turns on one thread, and another lane opens only when the running
        # search is slow: the event loop is protected and no question waits long behind
        # another (bot/lanes.py; RELIABILITY.md, "Load").
        self._search = SearchLanes()
        self._recent: OrderedDict[int, Answer] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._examples: tuple[object, list[str]] | None = None

    def close(self) -> None:
        """Let the search lanes end once their searches are done (the bot is closing)."""
        self._search.shutdown(wait=False)

    @property
    def per_page(self) -> int:
        """Results per page when a server has not chosen its own."""
        return self.settings.per_page

    def examples(self) -> list[str]:
        """Example questions from the library answering now (none while it loads)."""
        try:
            engine = self.live.engine
        except CitebotError:
            return []
        cached = self._examples
        if cached is None or cached[0] is not engine:  # a new library: new examples
            cached = (engine, example_questions(engine.articles))
            self._examples = cached
        return cached[1]

    async def admit(self, user_id: int, question: str) -> str:
        """The question, tidied, when it may be asked now; otherwise a user-facing error.

        The cooldown is this process's own on SQLite, and shared by every process (on any
        host) on PostgreSQL, where it is read and taken off the event loop.
        """
        question = strip_discord_markup(question)  # mentions and emoji are noise
        if not question:
            examples = self.examples()
            example = f", for example “{examples[0]}”" if examples else ""
            raise QuestionError(f"Ask me a question in words{example}.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionTooLong(
                f"That question is {len(question):,} characters long; please keep it under "
                f"{limit:,}."
            )
        retry_after = None
        if self.store.shared:
            try:
                retry_after = await asyncio.to_thread(
                    self.store.take_question_slot,
                    user_id,
                    rate=self.limiter.rate,
                    per=self.limiter.per,
                )
            except StoreWriteError:  # counted and logged by the store; this process's own limit
                retry_after = None
        if retry_after is None:
            retry_after = self.limiter.hit(user_id)
        if retry_after > 0:
            raise OnCooldown(retry_after)
        return question

    async def answer(
        self,
        question: str,
        *,
        user_id: int,
        source: str,
        article_id: str | None = None,
        guild_id: int | None = None,
        per_page: int | None = None,
        private: bool = False,
        thread_id: int | None = None,
        library: int | None = None,
    ) -> LoggedAnswer:
        """Search in a worker thread, then log the question (also off the loop).

        `guild_id` is None in direct messages; `library` is the server whose own articles
        are searched beside the shared ones (None: the shared ones alone);
        `per_page` is the server's results setting;
        `private` marks a question only its asker sees answered (never shown to admins).
        `thread_id`, for a question asked in a thread, makes it a follow-up: it leans toward
        the articles cited there before, and its own citations (when public) are remembered.
        A log that cannot be written (full disk) costs the answer its id, not the answer:
        the store counts and logs the failure.
        """
        started = time.perf_counter()
        cited: list[str] = []
        if thread_id is not None:
            cited = await asyncio.to_thread(self.store.thread_articles, thread_id)
        answer = await self.search(
            question,
            per_page=per_page,
            article_id=article_id,
            prefer_articles=cited,
            library=library,
        )
        reply_ms = (time.perf_counter() - started) * 1000
        if thread_id is not None and answer.found and not private:  # others see only public
            await self.remember_citations(thread_id, answer, per_page or self.per_page)
        try:
            answer_id: int | None = await asyncio.to_thread(
                self.store.log_question,
                user_id=user_id,
                source=source,
                question=question,
                found=answer.found,
                results=len(answer.results),
                elapsed_ms=answer.elapsed_ms,
                guild_id=guild_id,
                top_article=(
                    answer.results[0].article_id if answer.found and answer.results else None
                ),
                reply_ms=reply_ms,
                private=private,
            )
        except StoreWriteError:
            answer_id = None  # already counted and logged (rate-limited) by the store
        if answer_id is not None:
            self.remember(answer_id, answer)
        return LoggedAnswer(answer, answer_id)

    async def search(
        self,
        question: str,
        *,
        per_page: int | None = None,
        article_id: str | None = None,
        prefer_articles: Sequence[str] = (),
        library: int | None = None,
    ) -> Answer:
        """The answer's pages of results, searched on the search lanes, neither limited nor logged
        (the buttons of an answer ask again with this when it is no longer in memory).

        `library`: the server whose own articles are searched too (None: shared only)."""
        shared = self.live.engine  # now, on the loop: StillLoading is raised here
        k = (per_page or self.per_page) * MAX_PAGES

        def search() -> Answer:
            engine = self.live.libraries.library(shared, library).engine
            return engine.answer(
                question, k=k, article_id=article_id, prefer_articles=prefer_articles
            )

        return await asyncio.get_running_loop().run_in_executor(self._search, search)

    async def remember_citations(self, thread_id: int, answer: Answer, per_page: int) -> None:
        """The articles the answer's first page cites, kept for the thread's next follow-up."""
        shown = [r.article_id for r in answer.results[:per_page]]
        try:
            await asyncio.to_thread(self.store.cite_in_thread, thread_id, shown)
        except StoreWriteError:
            pass  # counted and logged by the store; the follow-up only leans less

    def recall(self, answer_id: int) -> Answer | None:
        """A recent answer by its logged id, if still in memory: its buttons need no new search."""
        with self._recent_lock:
            answer = self._recent.get(answer_id)
            if answer is not None:
                self._recent.move_to_end(answer_id)
            return answer

    def remember(self, answer_id: int, answer: Answer) -> None:
        """Keep an answer for its buttons (the least recently used goes past the limit)."""
        with self._recent_lock:
            self._recent[answer_id] = answer
            while len(self._recent) > RECENT_ANSWERS:
                self._recent.popitem(last=False)

"""Where `/citebot` adds and removes articles: the shared corpus folder or one server's library."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot import corpus_edit, library, refresh
from bot.corpus import Article
from bot.corpus_edit import Existing
from bot.live import ReloadResult

if TYPE_CHECKING:
    from bot.client import CitebotBot


class ArticlePlace:
    """Where an article is added or removed: the shared corpus folder (`guild_id` None) or
    one server's library in the data dir."""

    def __init__(self, bot: CitebotBot, guild_id: int | None) -> None:
        self.bot = bot
        self.guild_id = guild_id
        settings = bot.settings
        self.room: int | None = None
        self._count: library.OwnCount | None = None  # kept from one `claim` to the next
        if guild_id is None:
            self.folder, self.trash_root = settings.corpus_dir, settings.data_dir
            self.into = corpus_edit.ADDED_FOLDER
        else:
            self.folder = library.library_dir(settings.data_dir, guild_id)
            self.trash_root = library.server_dir(settings.data_dir, guild_id)
            self.into = library.OWN_FOLDER

    async def articles(self, *, room_for: int) -> Sequence[Article]:
        """The articles a new one must not repeat; CorpusEditError when the server is full."""
        held = await self.bot.library(self.guild_id)
        if self.guild_id is not None:
            limit = self.bot.settings.server_article_limit
            library.check_room(len(held.own), room_for, limit)
            self.room = limit - len(held.own)
        return held.engine.articles

    async def claim(self) -> Existing:
        """What a new article must not repeat now; CorpusEditError unless the place has room
        for one more article now (call it under the corpus lock, just before saving, so that
        nothing else adds in between). Called before each page of an import, it reads only
        the files new since its last call; the library is built again when a file went."""
        if self.guild_id is None:
            return (await self.bot.library(None)).engine.repeats
        count = self._count
        if count is None or not await asyncio.to_thread(count.update):
            count = self._count = library.OwnCount(
                await self.bot.library(self.guild_id), self.folder
            )
        library.check_room(count.count, 1, self.bot.settings.server_article_limit)
        return count.repeats

    async def repeats(self, *, room_for: int) -> Callable[[Article], list[Article]]:
        """What finds the articles a new one could repeat (`Engine.repeats`, a few of a
        large library); CorpusEditError when the server is full."""
        await self.articles(room_for=room_for)
        return (await self.bot.library(self.guild_id)).engine.repeats

    def source_key(self, article: Article) -> str:
        """The article file's key in url_sources, so a removed URL article is forgotten there."""
        root = refresh.source_root(self.bot.settings, self.guild_id)
        return refresh.relative_path(root, self.folder / article.source)

    async def reload(self) -> ReloadResult:
        """The shared index rebuilt, or the server's library read again (at once: it is small)."""
        if self.guild_id is None:
            return await self.bot.live.reload()
        started = time.perf_counter()
        held = await self.bot.library(self.guild_id)
        return ReloadResult(
            ok=True,
            articles=len(held.engine.articles),
            passages=held.engine.passage_count,
            seconds=time.perf_counter() - started,
        )

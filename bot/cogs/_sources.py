"""The `/citebot` commands about articles added by URL: `sources`, `add sitemap:`, and the
gone pages in `stats`; the admin cog wires them, the work is in `bot.refresh` and `bot.sitemap`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import discord

from bot import fetch, render, sitemap
from bot.corpus import Article
from bot.database import write_errors
from bot.errors import CitebotError, CorpusEditError, FetchError
from bot.refresh import record_added, source_file, source_root
from bot.replies import NO_MENTIONS
from bot.sources import Source

if TYPE_CHECKING:
    from bot.client import CitebotBot
    from bot.cogs._library import ArticlePlace
    from bot.corpus_edit import Added

log = logging.getLogger(__name__)

#: The import's reply is edited after every this many pages.
PROGRESS_EVERY_PAGES = 3


def titles_by_path(articles: Iterable[Article]) -> dict[str, str]:
    """Article titles by their file's path in their library (`Article.source`; blocking: it
    goes through the whole library)."""
    return {article.source: article.title for article in articles}


def live_sources(bot: CitebotBot, guild_id: int | None, *, gone: bool = False) -> list[Source]:
    """The URL sources a server sees (the shared ones and its own) whose file is still there,
    each named by its file's path in its library (blocking: run in a thread)."""
    shown = []
    for source in bot.sources.seen_by(guild_id):
        where = source_file(bot.settings, source)
        if (source.gone or not gone) and where.path.is_file():
            shown.append(dataclasses.replace(source, path=where.article_source))
    return shown


async def show_sources(
    bot: CitebotBot, interaction: discord.Interaction[CitebotBot], page: int
) -> None:
    """`/citebot sources`: the articles added by URL, their last check and status."""
    await interaction.response.defer(thinking=True, ephemeral=True)
    held = await bot.library(interaction.guild_id)
    sources = await asyncio.to_thread(live_sources, bot, interaction.guild_id)
    titles = await asyncio.to_thread(titles_by_path, held.engine.articles)
    shown = render.render_sources(
        sorted(sources, key=lambda s: s.path),
        titles=titles,
        page=page,
        refresh_hours=bot.settings.refresh_hours,
    )
    await interaction.followup.send(
        embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
    )


def add_gone_field(
    bot: CitebotBot, embed: discord.Embed, guild_id: int | None, articles: Sequence[Article]
) -> None:
    """Name the pages gone twice in a row in `/citebot stats` (blocking: run in a thread)."""
    gone = live_sources(bot, guild_id, gone=True)
    field = render.gone_field(gone, titles_by_path(articles))
    if field is not None:
        embed.add_field(name=field[0], value=field[1], inline=False)


async def remember_added(
    bot: CitebotBot, added: Added, page: fetch.FetchedPage, url: str, guild_id: int | None
) -> None:
    """Record a page added by `/citebot add url:` to the shared corpus (`guild_id` None) or
    a server's library, so the refresh fetches it again."""
    root = source_root(bot.settings, guild_id)
    try:
        await asyncio.to_thread(
            record_added, bot.sources, root, added, page, url, guild_id=guild_id
        )
    except write_errors() as exc:  # the article is in; only its refresh is lost
        log.warning("could not remember %s for the refresh: %s", added.path, exc)


async def add_sitemap(
    bot: CitebotBot, interaction: discord.Interaction[CitebotBot], url: str, place: ArticlePlace
) -> None:
    """`/citebot add sitemap:`: import up to CITEBOT_SITEMAP_LIMIT pages (and no more than the
    server's library has room for) into `place`, the reply showing the progress, then a
    summary (added, failed, skipped)."""
    if bot.import_lock.locked():
        raise CitebotError("A sitemap import is already running; try again when it has finished.")
    await interaction.response.defer(thinking=True, ephemeral=True)
    shown = f"`{render.code(url[:200])}`"
    async with bot.import_lock:
        settings = bot.settings
        try:
            existing = await asyncio.to_thread(list, await place.articles(room_for=1))
        except CorpusEditError as exc:
            raise CitebotError(f"Nothing imported from {shown}: {exc}.") from None
        limit = (
            settings.sitemap_limit
            if place.room is None
            else min(place.room, settings.sitemap_limit)
        )
        try:
            pages = await sitemap.read_sitemap(
                url,
                limit=limit,
                pacer=bot.pacer,
                allow_private=settings.allow_private_urls,
            )
        except FetchError as exc:
            raise CitebotError(f"Couldn't read the sitemap {shown}: {exc}.") from None
        if not pages.urls:
            raise CitebotError(_nothing_to_import(pages, shown))
        target = sitemap.ImportTarget(
            corpus_dir=place.folder,
            book=bot.sources,
            existing=lambda: existing,
            write_lock=bot.corpus_lock,
            guild_id=place.guild_id,
            into=place.into,
            sources_root=source_root(settings, place.guild_id),
            claim=place.claim,
        )
        progress = await sitemap.import_pages(
            pages,
            target,
            pacer=bot.pacer,
            allow_private=settings.allow_private_urls,
            on_progress=_progress_editor(interaction, shown),
        )
        reload_error = None
        if progress.added:
            result = await place.reload()
            reload_error = None if result.ok else (result.error or "unknown error")
    log.info(
        "sitemap %s: %d added, %d failed, %d skipped",
        fetch.without_query(url),
        progress.added,
        progress.failed,
        progress.skipped,
    )
    summary = render.render_import_summary(progress, source=shown, reload_error=reload_error)
    try:
        await interaction.edit_original_response(content=summary, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:  # e.g. past the 15 minutes an interaction lasts
        log.warning("could not show the sitemap import's summary: %s", exc)


def _nothing_to_import(pages: sitemap.SitemapPages, shown: str) -> str:
    if pages.other_hosts:
        return (
            f"Nothing imported from {shown}: it lists only pages on other sites "
            f"({pages.other_hosts:,}), and a sitemap may only add pages of its own site."
        )
    return f"Nothing imported from {shown}: it lists no pages."


def _progress_editor(
    interaction: discord.Interaction[CitebotBot], shown: str
) -> Callable[[sitemap.ImportProgress], Awaitable[None]]:
    """Edit the reply after every few pages while an import runs (never faster than a page
    is fetched, so well within Discord's edit rate)."""

    async def on_progress(progress: sitemap.ImportProgress) -> None:
        if progress.done % PROGRESS_EVERY_PAGES or progress.done >= progress.total:
            return  # the summary follows the last page
        try:
            await interaction.edit_original_response(
                content=render.render_import_progress(progress, source=shown),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:  # progress is a courtesy: the import goes on
            log.warning("could not show the import's progress: %s", exc)

    return on_progress

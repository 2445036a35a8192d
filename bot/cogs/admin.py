"""Running Citebot for a server: `/citebot add | remove | reload | stats | unanswered | settings`.

Articles an admin adds belong to that server's own library (bot/library.py): only that
server searches them, and only its admins can remove them. The shared corpus folder is
changed from Discord by the bot's owner alone (`/citebot add shared:True`, removing a
shared article), checked at run time against the application's owner or team.

Every command here is for server managers. Discord hides them from everyone else by
default (`default_permissions(manage_guild=True)`), but a server can change who sees a
command, so each one checks again when it runs: Manage Server, or the role named by
CITEBOT_ADMIN_ROLE_ID. None of them works in DMs.

`add` is one command with two optional options (`url:` or `file:`) rather than two
subcommands: it is one thing an admin does, it reads the way the docs write it
(`/citebot add url:…`), and Discord cannot say "exactly one of", so that is checked here.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import corpus_edit, fetch, render
from bot.cogs import _sources
from bot.cogs._articles import ArticleOption
from bot.cogs._library import ArticlePlace
from bot.corpus import SUPPORTED_SUFFIXES, Article
from bot.database import write_errors
from bot.errors import CitebotError, CorpusEditError, DuplicateArticle, FetchError, NotAdmin
from bot.insight import stats_from_log, unanswered_from_log
from bot.live import ReloadResult
from bot.replies import NO_MENTIONS, send_ephemeral
from bot.store import GuildSettings
from bot.views import ConfirmRemove

if TYPE_CHECKING:
    from bot.client import CitebotBot

log = logging.getLogger(__name__)

WARNINGS_SHOWN = 5


def may_administer(interaction: discord.Interaction[CitebotBot], admin_role_id: int | None) -> bool:
    """Manage Server (or Administrator) in this server, or the configured admin role."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False
    permissions = interaction.permissions
    if permissions.manage_guild or permissions.administrator:
        return True
    return admin_role_id is not None and interaction.user.get_role(admin_role_id) is not None


class AdminCog(commands.Cog):
    """Articles, insight and per-server settings, for the people who run a server."""

    citebot = app_commands.Group(
        name="citebot",
        description="Run Citebot in this server: articles, statistics, settings.",
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=False, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        default_permissions=discord.Permissions(manage_guild=True),
    )
    settings_group = app_commands.Group(
        name="settings", description="How Citebot behaves in this server.", parent=citebot
    )

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[CitebotBot]) -> bool:  # type: ignore[override]
        """The run-time check behind `default_permissions`, which a server can loosen."""
        # A check failure is what the command tree reports; the reason travels as its cause.
        if interaction.guild_id is None:
            raise app_commands.CheckFailure() from NotAdmin(
                "Citebot's admin commands only work in a server."
            )
        if not may_administer(
            interaction, self.bot.settings.admin_role_id
        ) and not await self.bot.is_owner(interaction.user):
            raise app_commands.CheckFailure() from NotAdmin(
                "Only members with Manage Server (or the Citebot admin role) can use "
                "`/citebot` commands."
            )
        return True

    # --- articles --------------------------------------------------------------------------

    @citebot.command(name="add", description="Add an article from a web page, a file or a sitemap.")
    @app_commands.describe(
        url="A web page to add (http or https); its main text becomes the article",
        file="An article file to add: .md, .mdx, .txt, .html or .jsonl, up to 2 MB",
        sitemap="A site's sitemap.xml: its pages (on the same site) are added one by one",
        shared="Add to the shared library every server searches (the bot's owner only)",
    )
    async def add(
        self,
        interaction: discord.Interaction[CitebotBot],
        url: str | None = None,
        file: discord.Attachment | None = None,
        sitemap: str | None = None,
        shared: bool = False,
    ) -> None:
        """`/citebot add url:`, `file:` or `sitemap:`: save the article(s) in this server's
        library (or the shared one, for the bot's owner), show them."""
        if [url, file, sitemap].count(None) != 2:
            raise CitebotError(
                "Give one of `url:` (a web page), `file:` (an article file) or `sitemap:` "
                "(a site's sitemap), one at a time."
            )
        if file is not None:
            _check_upload(file)
        if shared:
            await self._check_owner(interaction, "add to")
        place = ArticlePlace(self.bot, None if shared else _guild_id(interaction))
        if sitemap is not None:
            await _sources.add_sitemap(self.bot, interaction, sitemap.strip(), place)
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        if url is not None:
            added, result = await self._add_url(url.strip(), place)
            source = f"<{url.strip()[:300]}>"
        else:
            assert file is not None
            added, result = await self._add_file(file, place)
            source = f"`{render.code(file.filename[:100])}`"
        await self._send_added(interaction, added, result, source, place)

    async def _check_owner(self, interaction: discord.Interaction[CitebotBot], verb: str) -> None:
        """NotAdmin unless the user owns the bot (application owner or team member)."""
        if not await self.bot.is_owner(interaction.user):
            raise NotAdmin(
                f"Only the bot's owner can {verb} the shared library every server searches; "
                "this server's own articles are yours to manage."
            )

    async def _add_url(
        self, url: str, place: ArticlePlace
    ) -> tuple[list[corpus_edit.Added], ReloadResult]:
        settings = self.bot.settings
        shown = f"`{render.code(url[:200])}`"
        try:
            page = await fetch.fetch_page(
                url,
                allow_private=settings.allow_private_urls,
                max_bytes=fetch.MAX_BYTES,
                timeout=fetch.TIMEOUT_SECONDS,
            )
        except FetchError as exc:
            raise CitebotError(f"Couldn't add {shown}: {exc}.") from None
        try:
            article = await asyncio.to_thread(
                # The article's link is the URL the admin gave, never the page's canonical one.
                corpus_edit.article_from_page,
                page.body,
                page.content_type,
                url,
            )
        except CorpusEditError as exc:
            raise CitebotError(f"Couldn't add {shown}: {exc}.") from None
        async with self.bot.corpus_lock:
            try:
                existing = await place.repeats(room_for=1)
                added = await asyncio.to_thread(
                    corpus_edit.save_page_article,
                    place.folder,
                    article,
                    existing,
                    into=place.into,
                )
            except CorpusEditError as exc:
                raise CitebotError(f"Nothing added: {exc}.") from None
            # The query string is left out of the log: it can carry someone's access token.
            log.info("added %s from %s", added.path, fetch.without_query(page.url))
            await _sources.remember_added(self.bot, added, page, url, place.guild_id)
            return [added], await place.reload()

    async def _add_file(
        self, file: discord.Attachment, place: ArticlePlace
    ) -> tuple[list[corpus_edit.Added], ReloadResult]:
        data = await file.read()
        name = f"`{render.code(file.filename[:100])}`"
        async with self.bot.corpus_lock:
            try:
                existing = await place.repeats(room_for=1)
                added = await asyncio.to_thread(
                    corpus_edit.save_upload,
                    place.folder,
                    file.filename,
                    data,
                    existing,
                    into=place.into,
                    room=place.room,
                )
            except DuplicateArticle as exc:
                raise CitebotError(f"Nothing added: {exc}.") from None
            except CorpusEditError as exc:
                raise CitebotError(f"Couldn't add {name}: {exc}.") from None
            log.info("added %s (%d articles) from an upload", added[0].path, len(added))
            return added, await place.reload()

    async def _send_added(
        self,
        interaction: discord.Interaction[CitebotBot],
        added: list[corpus_edit.Added],
        result: ReloadResult,
        source: str,
        place: ArticlePlace,
    ) -> None:
        if not result.ok:
            where = added[0].path.relative_to(place.folder).as_posix()
            await send_ephemeral(
                interaction,
                f"Saved as `{render.code(where)}`, but the index could not be rebuilt, so the "
                f"previous one is still answering: {result.error}",
            )
            return
        library = await self.bot.library(place.guild_id)
        engine = library.engine
        # A server's article given another id (the shared library has its own) is found by its file.
        own = {article.source: article for article in library.own}
        shown: list[tuple[Article, int]] = []
        for item in added:
            article = (
                own.get(item.article.source)
                or engine.article(item.article.article_id)
                or item.article
            )
            shown.append((article, engine.passage_count_of(article.article_id)))
        rendered = render.render_added(shown, source=source)
        await interaction.followup.send(
            content=rendered.content or "",
            embeds=rendered.embeds,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @citebot.command(name="remove", description="Remove an article; its file goes to the trash.")
    @app_commands.describe(article="The article to remove (start typing its title)")
    async def remove(
        self, interaction: discord.Interaction[CitebotBot], article: ArticleOption
    ) -> None:
        """`/citebot remove`: ask to confirm before the file goes to the trash (a shared
        article only for the bot's owner; the picker offers no other server's)."""
        library = await self.bot.library(_guild_id(interaction))
        if not library.owns(article.article_id):
            await self._check_owner(interaction, "remove articles from")
        engine = library.engine
        found = article
        title = render.escape_title(render.truncate(" ".join(found.title.split()), 200))
        view = ConfirmRemove(
            functools.partial(
                self.remove_confirmed,
                found,
                title,
                ArticlePlace(
                    self.bot, library.guild_id if library.owns(found.article_id) else None
                ),
            ),
            title=title,
            owner_id=interaction.user.id,
        )
        await interaction.response.send_message(
            content=f"Remove “{title}” (`{render.code(found.article_id[:200])}`, "
            f"{render.plural(engine.passage_count_of(found.article_id), 'passage')})? "
            "Its file moves to the trash folder in the data dir; nothing is deleted.",
            view=view,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        view.message = await interaction.original_response()

    async def remove_confirmed(self, article: Article, title: str, place: ArticlePlace) -> str:
        """Move the article's file to the trash and rebuild; what to tell the admin."""
        settings = self.bot.settings
        async with self.bot.corpus_lock:
            try:
                removed = await asyncio.to_thread(
                    corpus_edit.remove_article, place.folder, place.trash_root, article
                )
            except CorpusEditError as exc:
                raise CitebotError(f"Nothing removed: {exc}.") from None
            log.info("removed %s to %s", article.article_id, removed.trashed_to)
            try:  # a later upload to the same path must not be refreshed from the old URL
                await asyncio.to_thread(self.bot.sources.forget, place.source_key(article))
            except write_errors() as exc:
                log.warning("could not forget the URL of %s: %s", article.article_id, exc)
            result = await place.reload()
        where = _relative(removed.trashed_to, settings.data_dir)
        text = (
            f"Removed “{title}”: its file is in `{render.code(where)}`; move it back to restore it."
        )
        if not result.ok:
            text += f" The index could not be rebuilt, so it is still quoted: {result.error}"
        return text

    @citebot.command(name="reload", description="Rebuild the index from the corpus folder now.")
    async def reload(self, interaction: discord.Interaction[CitebotBot]) -> None:
        """`/citebot reload`: rebuild from the corpus folder now."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        result = await self.bot.live.reload()
        if result.ok:
            text = (
                f"Reloaded: {render.plural(result.articles, 'article')}, "
                f"{render.plural(result.passages, 'passage')} in {result.seconds:.1f} s."
            )
        else:
            text = f"The rebuild failed, so the previous index is still answering: {result.error}"
        if result.warnings:
            shown = "\n".join(f"• {w}" for w in result.warnings[:WARNINGS_SHOWN])
            more = len(result.warnings) - WARNINGS_SHOWN
            text += f"\nSkipped files:\n{shown}" + (f"\n… and {more} more" if more > 0 else "")
        await send_ephemeral(interaction, text)

    @citebot.command(name="sources", description="Articles added by URL and their last check.")
    @app_commands.describe(page="Which page of the list (10 articles a page)")
    async def sources(
        self,
        interaction: discord.Interaction[CitebotBot],
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        """`/citebot sources`: each URL article, when it was last fetched, what was found."""
        await _sources.show_sources(self.bot, interaction, page)

    # --- insight ---------------------------------------------------------------------------

    @citebot.command(name="stats", description="Questions, found-rate, reply times and feedback.")
    async def stats(self, interaction: discord.Interaction[CitebotBot]) -> None:
        """`/citebot stats`: this server's questions, found-rate, reply times, feedback."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        held, settings = await self.bot.library(interaction.guild_id), self.bot.settings
        engine = held.engine
        guild_id = interaction.guild_id

        def compute() -> render.Rendered:
            stats = stats_from_log(
                self.bot.store,
                articles=len(engine.articles),
                passages=engine.passage_count,
                retention_days=settings.log_retention_days,
                guild_id=guild_id,
            )
            titles = {
                article_id: (a.title if (a := engine.article(article_id)) else article_id)
                for article_id, _ in stats.most_cited
            }
            shown = render.render_stats(stats, titles=titles, scope=_scope(interaction))
            if shown.embeds:
                _sources.add_gone_field(self.bot, shown.embeds[0], guild_id, engine.articles)
                shown.embeds[0].add_field(
                    name="This server's library",
                    value=f"{len(held.own)} of {settings.server_article_limit} articles "
                    f"(besides {len(engine.articles) - len(held.own):,} shared)",
                    inline=False,
                )
            failures = self.bot.store.write_failures
            if failures.count and shown.embeds:  # a full or read-only disk: say so
                shown.embeds[0].add_field(
                    name="Store",
                    value=render.escape(
                        f"{render.plural(failures.count, 'write')} could not be saved since the "
                        f"bot started (last: {failures.last_reason})"
                    )[: render.FIELD_VALUE_LIMIT],
                    inline=False,
                )
            return shown

        await _send_computed(interaction, compute)

    @citebot.command(
        name="unanswered", description="Questions answered “not found” or voted 👎, recent first."
    )
    @app_commands.describe(days="How many days back to look (default 7)")
    async def unanswered(
        self,
        interaction: discord.Interaction[CitebotBot],
        days: app_commands.Range[int, 1, 365] = 7,
    ) -> None:
        """`/citebot unanswered`: what the articles did not answer."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        guild_id = interaction.guild_id

        def compute() -> render.Rendered:
            report = unanswered_from_log(self.bot.store, days=days, guild_id=guild_id)
            return render.render_unanswered(report, scope=_scope(interaction))

        await _send_computed(interaction, compute)

    # --- per-server settings -----------------------------------------------------------------

    @settings_group.command(name="show", description="Show how Citebot behaves in this server.")
    async def settings_show(self, interaction: discord.Interaction[CitebotBot]) -> None:
        """`/citebot settings show`."""
        await self._show_settings(interaction)

    @settings_group.command(
        name="replies", description="Private or public /ask, excerpts per page."
    )
    @app_commands.describe(
        private="Whether /ask answers are private by default (members can still choose)",
        results="Excerpts per page of an answer (1-10)",
    )
    async def settings_replies(
        self,
        interaction: discord.Interaction[CitebotBot],
        private: bool | None = None,
        results: app_commands.Range[int, 1, 10] | None = None,
    ) -> None:
        """`/citebot settings replies`: private or public by default, excerpts per page."""
        changes: dict[str, Any] = {}
        if private is not None:
            changes["private_replies"] = private
        if results is not None:
            changes["results"] = results
        await self._change_settings(interaction, **changes)

    @settings_group.command(
        name="mentions", description="Choose the channels where mentions are answered."
    )
    @app_commands.describe(
        mode="add: answer mentions in this channel (then only listed channels are answered); "
        "remove: stop; everywhere: every channel",
        channel="The channel (default: this one)",
    )
    async def settings_mentions(
        self,
        interaction: discord.Interaction[CitebotBot],
        mode: Literal["add", "remove", "everywhere"],
        channel: discord.TextChannel | None = None,
    ) -> None:
        """`/citebot settings mentions`: the channels where mentions are answered."""
        current, target = await self._settings_and_channel(interaction, channel)
        listed = list(current.mention_channels)
        if mode == "everywhere":
            listed = []
        elif mode == "add" and target not in listed:
            listed.append(target)
        elif mode == "remove":
            if not listed:
                raise CitebotError(
                    "Mentions are answered in every channel now. Use `mode: add` on the channels "
                    "where they should be answered; the others are then left alone."
                )
            listed = [c for c in listed if c != target]
        await self._change_settings(interaction, mention_channels=tuple(listed))

    @settings_group.command(
        name="answer-all", description="Answer every message in a channel (needs an extra intent)."
    )
    @app_commands.describe(
        enabled="Take every message in the channel as a question (answers only when found)",
        channel="The channel (default: this one)",
    )
    async def settings_answer_all(
        self,
        interaction: discord.Interaction[CitebotBot],
        enabled: bool,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """`/citebot settings answer-all`: a channel where every message is a question."""
        if enabled and not self.bot.settings.message_content_intent:
            raise CitebotError(
                "I can't read messages that don't mention me: that needs Discord's privileged "
                "*Message Content Intent*. The bot's operator can turn it on in the Developer "
                "Portal (your app → Bot → Message Content Intent) and restart me with "
                "CITEBOT_MESSAGE_CONTENT_INTENT=1."
            )
        current, target = await self._settings_and_channel(interaction, channel)
        listed = [c for c in current.answer_all_channels if c != target]
        if enabled:
            listed.append(target)
        await self._change_settings(interaction, answer_all_channels=tuple(listed))

    async def _settings_and_channel(
        self, interaction: discord.Interaction[CitebotBot], channel: discord.TextChannel | None
    ) -> tuple[GuildSettings, int]:
        """This server's settings, and the channel a command names (default: this one)."""
        current = await self.bot.guild_settings(_guild_id(interaction))
        target = channel.id if channel is not None else interaction.channel_id
        assert target is not None  # commands here run in a server's channels
        return current, target

    async def _change_settings(
        self, interaction: discord.Interaction[CitebotBot], **changes: Any
    ) -> None:
        """Store the changes (if any) and show the server's settings as they are now."""
        if changes:
            await self.bot.update_guild_settings(_guild_id(interaction), **changes)
        await self._show_settings(interaction)

    async def _show_settings(self, interaction: discord.Interaction[CitebotBot]) -> None:
        current = await self.bot.guild_settings(_guild_id(interaction))
        shown = render.render_guild_settings(
            current,
            default_per_page=self.bot.settings.per_page,
            content_intent=self.bot.settings.message_content_intent,
        )
        await interaction.response.send_message(
            embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # help forums and threads (bot/cogs/forums.py does the suggesting)

    @settings_group.command(
        name="help-forum", description="Suggest answers in new posts of a forum or text channel."
    )
    @app_commands.describe(
        channel="A forum channel (each new post) or text channel (each new thread)",
        enabled="Suggest answers there (true) or stop (false)",
        not_found="Also reply when the articles hold no answer (every help channel; default no)",
        ignore_tag="Posts with a tag of this name get no suggestion (default bot-ignore)",
    )
    async def settings_help_forum(
        self,
        interaction: discord.Interaction[CitebotBot],
        channel: discord.ForumChannel | discord.TextChannel,
        enabled: bool,
        not_found: bool | None = None,
        ignore_tag: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        """`/citebot settings help-forum`: where new posts get a suggested answer."""
        current = await self.bot.guild_settings(_guild_id(interaction))
        listed = [c for c in current.suggest_channels if c != channel.id]
        if enabled:
            listed.append(channel.id)
        changes: dict[str, Any] = {"suggest_channels": tuple(listed)}
        if not_found is not None:
            changes["suggest_not_found"] = not_found
        if ignore_tag is not None:
            changes["suggest_ignore_tag"] = " ".join(ignore_tag.split()) or "bot-ignore"
        await self._change_settings(interaction, **changes)

    @settings_group.command(
        name="mention-threads", description="Answer mentions in text channels in a new thread."
    )
    @app_commands.describe(enabled="Open a thread on each mention for its answer and follow-ups")
    async def settings_mention_threads(
        self, interaction: discord.Interaction[CitebotBot], enabled: bool
    ) -> None:
        """`/citebot settings mention-threads`: a thread per mention, for follow-ups."""
        await self._change_settings(interaction, mention_threads=enabled)


def _check_upload(file: discord.Attachment) -> None:
    """Refuse a file by its name and size before downloading it."""
    suffix = Path(file.filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CitebotError(
            f"Couldn't add `{render.code(file.filename[:100])}`: only .md, .markdown, .mdx, "
            ".txt, .html, .htm or .jsonl files can be added."
        )
    if file.size > corpus_edit.MAX_UPLOAD_BYTES:
        raise CitebotError(
            f"Couldn't add `{render.code(file.filename[:100])}`: it is larger than "
            f"{corpus_edit.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )


async def _send_computed(
    interaction: discord.Interaction[CitebotBot], compute: Callable[[], render.Rendered]
) -> None:
    """Render from the log off the event loop, then send it privately (after a deferral)."""
    shown = await asyncio.to_thread(compute)
    await interaction.followup.send(
        embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
    )


def _guild_id(interaction: discord.Interaction[CitebotBot]) -> int:
    assert interaction.guild_id is not None  # interaction_check refused DMs already
    return interaction.guild_id


def _scope(interaction: discord.Interaction[CitebotBot]) -> str:
    guild = interaction.guild
    return guild.name if guild is not None and guild.name else "this server"


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.as_posix()


async def setup(bot: CitebotBot) -> None:
    """Loaded by `load_extension`: adds the admin commands."""
    await bot.add_cog(AdminCog(bot))

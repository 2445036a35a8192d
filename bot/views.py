"""Buttons: under answers, under article lists, and the confirmation of `/citebot remove`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot import render
from bot.asking import LoggedAnswer
from bot.corpus import Article
from bot.replies import NO_MENTIONS, report_error, send_ephemeral
from bot.store import Store, Vote

log = logging.getLogger(__name__)

#: Buttons stop after this many seconds; below the 15 minutes an interaction token lives,
#: so a reply sent as an interaction followup can still be edited to disable them.
VIEW_TIMEOUT = 600.0
#: Seconds the Remove / Cancel buttons under `/citebot remove` wait for an answer.
CONFIRM_TIMEOUT = 60.0

VOTE_EMOJI = {"up": "👍", "down": "👎"}


class CitebotView(discord.ui.View):
    """A view that reports its errors the way the command tree does and tidies up on timeout."""

    message: discord.Message | discord.WebhookMessage | discord.InteractionMessage | None = None

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is None:
            return
        try:
            await self.message.edit(view=self, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # deleted message, expired token: nothing to tidy
            log.debug("could not disable buttons after timeout: %s", exc)


class AnswerView(CitebotView):
    """More results (asker only), Show passage (private), and 👍 / 👎 feedback."""

    def __init__(
        self,
        asked: LoggedAnswer,
        *,
        asker_id: int,
        per_page: int,
        store: Store,
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.answer = asked.answer
        self.answer_id = asked.answer_id
        self.asker_id = asker_id
        self.per_page = per_page
        self.store = store
        self.page = 0
        self.pages = render.page_count(self.answer, per_page)
        if not self.answer.found:
            self.remove_item(self.more)
            self.remove_item(self.passage)
        self._sync()

    def render(self) -> render.Rendered:
        return render.render_answer(self.answer, page=self.page, per_page=self.per_page)

    def shown(self) -> Sequence[Any]:
        start = self.page * self.per_page
        return self.answer.results[start : start + self.per_page]

    def _sync(self) -> None:
        self.more.disabled = self.page >= self.pages - 1

    @discord.ui.button(label="More results", style=discord.ButtonStyle.primary)
    async def more(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        if interaction.user.id != self.asker_id:
            await send_ephemeral(
                interaction, "Only the person who asked can page through these results."
            )
            return
        self.page = min(self.page + 1, self.pages - 1)
        self._sync()
        shown = self.render()
        await interaction.response.edit_message(
            content=shown.content, embeds=shown.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Show passage", style=discord.ButtonStyle.secondary)
    async def passage(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        shown = render.render_passages(self.shown())
        await interaction.response.send_message(
            content=shown.content, embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def upvote(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def downvote(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await self._vote(interaction, "down")

    async def _vote(self, interaction: discord.Interaction[Any], vote: Vote) -> None:
        outcome = await asyncio.to_thread(
            self.store.vote, self.answer_id, interaction.user.id, vote
        )
        emoji = VOTE_EMOJI[vote]
        text = {
            "recorded": f"Thanks for the feedback {emoji}",
            "changed": f"Changed your vote to {emoji}",
            "unchanged": f"You already voted {emoji} on this answer.",
        }[outcome]
        await send_ephemeral(interaction, text)


class ArticlesView(CitebotView):
    """Previous / Next through the article list, for the person who asked for it."""

    def __init__(
        self,
        articles: Sequence[Article],
        *,
        owner_id: int,
        per_page: int,
        query: str | None,
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.articles = articles
        self.owner_id = owner_id
        self.per_page = per_page
        self.query = query
        self.page = 0
        self.pages = max(1, -(-len(articles) // per_page))
        self._sync()

    def render(self) -> render.Rendered:
        return render.render_article_list(
            self.articles, page=self.page, per_page=self.per_page, query=self.query
        )

    def _sync(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "Use `/articles` to get a list of your own.")
            return False
        return True

    async def _show(self, interaction: discord.Interaction[Any]) -> None:
        self._sync()
        shown = self.render()
        await interaction.response.edit_message(
            content=shown.content, embeds=shown.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.page = max(0, self.page - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await self._show(interaction)


class ConfirmRemove(CitebotView):
    """Remove / Cancel under `/citebot remove`, for the admin who asked; nothing on timeout."""

    def __init__(
        self,
        remove: Callable[[], Awaitable[str]],
        *,
        title: str,
        owner_id: int,
        timeout: float = CONFIRM_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.remove = remove
        self.title = title
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await send_ephemeral(interaction, "Only the admin who asked can confirm this.")
            return False
        return True

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Removing “{self.title}”…", view=None, allowed_mentions=NO_MENTIONS
        )
        text = await self.remove()
        await interaction.edit_original_response(
            content=render.truncate(text, render.CONTENT_LIMIT), allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept “{self.title}”.", view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(
                content=f"Kept “{self.title}”: no answer within {CONFIRM_TIMEOUT:.0f} s.",
                view=None,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:  # dismissed or expired: nothing to tidy
            log.debug("could not update the remove prompt after timeout: %s", exc)

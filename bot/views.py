"""Buttons: under answers, under article lists, and the confirmation of `/citebot remove`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot import render
from bot.answer import Result
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

VOTE_EMOJI: dict[Vote, str] = {"up": "👍", "down": "👎"}


class CitebotView(discord.ui.View):
    """A view that reports its errors the way the command tree does and tidies up on timeout."""

    message: discord.Message | discord.WebhookMessage | discord.InteractionMessage | None = None

    def __init__(self, *, owner_id: int, timeout: float) -> None:
        super().__init__(timeout=timeout)
        #: The user the view was made for: the asker, or the admin who asked.
        self.owner_id = owner_id

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Report an error in a button the way the command tree reports one in a command."""
        await report_error(interaction, error)

    async def on_timeout(self) -> None:
        """Grey the buttons out, so nobody presses one that no longer answers."""
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is None:
            return
        try:
            await self.message.edit(view=self, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # deleted message, expired token: nothing to tidy
            log.debug("could not disable buttons after timeout: %s", exc)

    async def owner_only(self, interaction: discord.Interaction[Any], refusal: str) -> bool:
        """True for the view's owner; anyone else is told `refusal`, privately."""
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(interaction, refusal)
        return False


class PagedView(CitebotView):
    """Pages of something, one shown at a time; subclasses draw a page in `render()`."""

    def __init__(self, *, owner_id: int, per_page: int, pages: int, timeout: float) -> None:
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.per_page = per_page
        self.page = 0
        self.pages = pages

    def render(self) -> render.Rendered:
        """The current page, ready to send."""
        raise NotImplementedError

    def _sync(self) -> None:
        """Enable the buttons that lead somewhere from the current page."""

    async def turn_to(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Show `page` (kept within the pages) in place of the current one."""
        self.page = min(max(page, 0), self.pages - 1)
        self._sync()
        shown = self.render()
        await interaction.response.edit_message(
            content=shown.content, embeds=shown.embeds, view=self, allowed_mentions=NO_MENTIONS
        )


class AnswerView(PagedView):
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
        pages = render.page_count(asked.answer, per_page)
        super().__init__(owner_id=asker_id, per_page=per_page, pages=pages, timeout=timeout)
        self.answer = asked.answer
        self.answer_id = asked.answer_id
        self.store = store
        if not self.answer.found:
            self.remove_item(self.more)
            self.remove_item(self.passage)
        if self.answer_id is not None:  # when the log could not be written, no vote can be kept
            for vote in VOTE_EMOJI:
                self.add_item(_VoteButton(vote))
        self._sync()

    def render(self) -> render.Rendered:
        """The current page of excerpts."""
        return render.render_answer(self.answer, page=self.page, per_page=self.per_page)

    def shown(self) -> Sequence[Result]:
        """The results on the current page."""
        start = self.page * self.per_page
        return self.answer.results[start : start + self.per_page]

    def _sync(self) -> None:
        self.more.disabled = self.page >= self.pages - 1

    @discord.ui.button(label="More results", style=discord.ButtonStyle.primary)
    async def more(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """The next page, for the person who asked."""
        refusal = "Only the person who asked can page through these results."
        if await self.owner_only(interaction, refusal):
            await self.turn_to(interaction, self.page + 1)

    @discord.ui.button(label="Show passage", style=discord.ButtonStyle.secondary)
    async def passage(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """The whole passages behind the page, privately, for whoever pressed."""
        # Off the loop: escaping and fitting long passages is CPU work (capped in render).
        shown = await asyncio.to_thread(render.render_passages, self.shown())
        await interaction.response.send_message(
            content=shown.content, embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def vote(self, interaction: discord.Interaction[Any], vote: Vote) -> None:
        """Record whoever pressed 👍 or 👎 (one vote a person, changeable) and thank them."""
        assert self.answer_id is not None  # the vote buttons exist only when it was logged
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


class _VoteButton(discord.ui.Button[AnswerView]):
    """👍 or 👎 under an answer."""

    def __init__(self, vote: Vote) -> None:
        super().__init__(emoji=VOTE_EMOJI[vote], style=discord.ButtonStyle.secondary)
        self.vote = vote

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Vote on the answer this button is under."""
        assert self.view is not None  # a button gets presses only once it is in a view
        await self.view.vote(interaction, self.vote)


class ArticlesView(PagedView):
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
        pages = max(1, -(-len(articles) // per_page))
        super().__init__(owner_id=owner_id, per_page=per_page, pages=pages, timeout=timeout)
        self.articles = articles
        self.query = query
        self._sync()

    def render(self) -> render.Rendered:
        """The current page of the list."""
        return render.render_article_list(
            self.articles, page=self.page, per_page=self.per_page, query=self.query
        )

    def _sync(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the person who listed the articles turns the pages."""
        return await self.owner_only(interaction, "Use `/articles` to get a list of your own.")

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """The page before."""
        await self.turn_to(interaction, self.page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """The page after."""
        await self.turn_to(interaction, self.page + 1)


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
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.remove = remove
        self.title = title

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the admin who asked to remove the article confirms it."""
        return await self.owner_only(interaction, "Only the admin who asked can confirm this.")

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Remove the article, then say where its file went."""
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
        """Keep the article."""
        self.stop()
        await interaction.response.edit_message(
            content=f"Kept “{self.title}”.", view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_timeout(self) -> None:
        """No answer in time: the article stays, and the prompt says so."""
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

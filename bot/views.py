"""Buttons: under answers, under article lists, and the confirmation of `/citebot remove`.

An answer's buttons (More results, Show passage, 👍 / 👎, Share in channel, and a help-forum
suggestion's ✅ This answered it / Not it, the poster's 👍 / 👎) are
persistent: each button's custom id carries what a press needs (the answer's logged id,
the asker, the page, the page size and the article searched), and the bot registers
`AnswerButton` as a dynamic item at start-up. A press therefore works on any answer the
bot ever sent, after a restart too: the answer comes from the asker's memory of recent
answers, or is asked again from the question its message shows.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import render
from bot.answer import Answer, Result
from bot.corpus import Article
from bot.errors import CitebotError
from bot.render import Rendered
from bot.render._text import ELLIPSIS
from bot.replies import NO_MENTIONS, report_error, send_ephemeral
from bot.store import Vote

if TYPE_CHECKING:
    from bot.client import CitebotBot

log = logging.getLogger(__name__)

#: Buttons stop after this many seconds; below the 15 minutes an interaction token lives,
#: so a reply sent as an interaction followup can still be edited to disable them.
VIEW_TIMEOUT = 600.0
#: Seconds the Remove / Cancel buttons under `/citebot remove` wait for an answer.
CONFIRM_TIMEOUT = 60.0


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

    async def rendered(self) -> Rendered:
        """The current page, drawn where a subclass says (here, at once)."""
        return self.render()

    def _sync(self) -> None:
        """Enable the buttons that lead somewhere from the current page."""

    async def turn_to(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Show `page` (kept within the pages) in place of the current one."""
        self.page = min(max(page, 0), self.pages - 1)
        self._sync()
        shown = await self.rendered()
        await interaction.response.edit_message(
            content=shown.content, embeds=shown.embeds, view=self, allowed_mentions=NO_MENTIONS
        )


class ArticlesView(PagedView):
    """Previous / Next through the article list, for the person who asked for it."""

    def __init__(
        self,
        articles: Sequence[Article],
        numbers: Sequence[int],
        *,
        owner_id: int,
        per_page: int,
        query: str | None,
        timeout: float = VIEW_TIMEOUT,
    ) -> None:
        """`numbers`: the listed articles' positions in `articles`, in the list's order."""
        pages = max(1, -(-len(numbers) // per_page))
        super().__init__(owner_id=owner_id, per_page=per_page, pages=pages, timeout=timeout)
        self.articles = articles
        self.numbers = numbers
        self.query = query
        self._sync()

    def render(self) -> Rendered:
        """The current page of the list (blocking: it makes the page's articles)."""
        first = self.page * self.per_page
        shown = [self.articles[n] for n in self.numbers[first : first + self.per_page]]
        return render.render_article_list(
            shown, total=len(self.numbers), page=self.page, per_page=self.per_page, query=self.query
        )

    async def rendered(self) -> Rendered:
        """The current page, drawn off the event loop: a saved library makes the page's
        articles as they are read."""
        return await asyncio.to_thread(self.render)

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


# --- the buttons under an answer ------------------------------------------------------

#: Discord's limit on a component's custom id.
CUSTOM_ID_LIMIT = 100
PREFIX = "cb"
#: yes / no: "✅ This answered it" / "Not it" under a help-forum suggestion.
ACTIONS = ("more", "passage", "up", "down", "share", "yes", "no")
TEMPLATE = (
    rf"{PREFIX}:(?P<action>{'|'.join(ACTIONS)}):(?P<answer>\d+):(?P<asker>\d+)"
    r":(?P<page>\d+):(?P<per>\d+):(?P<article>.*)"
)
#: An article id too long for a custom id travels as this mark and a hash of the id.
HASHED = "#"

VOTE_EMOJI: dict[Vote, str] = {"up": "👍", "down": "👎"}
SHARE_LABEL = "Share in channel"
SHARED_LABEL = "Shared"

NOT_ASKER = "Only the person who asked can page through these results."
NOT_SHARER = "Only the person who asked can share this answer."
GONE = "I can't find that answer any more: please ask again."


@dataclass(frozen=True)
class AnswerKey:
    """What every button of one answer carries in its custom id."""

    #: The logged question's id (0 when the log could not be written: no votes then).
    answer_id: int
    asker_id: int
    page: int
    per_page: int
    #: The article the question was limited to: its id, `HASHED` + a hash of a long id, or "".
    article: str = ""

    def custom_id(self, action: str) -> str:
        """The custom id of this answer's `action` button."""
        head = f"{PREFIX}:{action}:{self.answer_id}:{self.asker_id}:{self.page}:{self.per_page}:"
        return head + self.article

    @classmethod
    def make(
        cls,
        *,
        answer_id: int | None,
        asker_id: int,
        page: int,
        per_page: int,
        article_id: str | None,
    ) -> AnswerKey:
        """The key of a new answer; an article id too long to carry is carried as its hash."""
        key = cls(answer_id or 0, asker_id, page, per_page, article_id or "")
        if len(key.custom_id("passage")) > CUSTOM_ID_LIMIT:
            key = replace(key, article=HASHED + article_hash(key.article))
        return key

    @classmethod
    def from_match(cls, match: re.Match[str]) -> AnswerKey:
        """The key a pressed button's custom id carries."""
        return cls(
            int(match["answer"]),
            int(match["asker"]),
            int(match["page"]),
            max(1, int(match["per"])),
            match["article"],
        )


def article_hash(article_id: str) -> str:
    """A short stable stand-in for an article id too long for a custom id."""
    return hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:20]


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """One button under an answer; a press is handled from its custom id alone."""

    def __init__(self, action: str, key: AnswerKey, *, disabled: bool = False) -> None:
        label: str | None = None
        emoji: str | None = None
        style = discord.ButtonStyle.secondary
        if action == "more":
            label, style = "More results", discord.ButtonStyle.primary
        elif action == "passage":
            label = "Show passage"
        elif action == "share":
            label = SHARED_LABEL if disabled else SHARE_LABEL
            style = discord.ButtonStyle.success
        elif action == "yes":
            label, emoji, style = ANSWERED_LABEL, "✅", discord.ButtonStyle.success
        elif action == "no":
            label = NOT_IT_LABEL
        else:
            emoji = VOTE_EMOJI[cast(Vote, action)]
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                custom_id=key.custom_id(action),
                disabled=disabled,
            )
        )
        self.action = action
        self.key = key

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AnswerButton:
        """The button a press arrived for, rebuilt from its custom id."""
        disabled = bool(getattr(item, "disabled", False))
        return cls(match["action"], AnswerKey.from_match(match), disabled=disabled)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Do what the button says; errors reach the user as they do from commands."""
        handlers: dict[str, Callable[[discord.Interaction[Any], AnswerKey], Awaitable[None]]] = {
            "more": _more,
            "passage": _passage,
            "share": _share,
            "yes": functools.partial(_verdict, vote="up"),
            "no": functools.partial(_verdict, vote="down"),
        }
        try:
            handler = handlers.get(self.action)
            if handler is not None:
                await handler(interaction, self.key)
            else:
                await _vote(interaction, self.key, cast(Vote, self.action))
        except Exception as exc:  # noqa: BLE001 - a dynamic item has no view to report errors
            await report_error(interaction, exc)


def answer_view(
    answer: Answer, key: AnswerKey, *, private: bool, shared: bool = False
) -> discord.ui.View:
    """The buttons under one page of an answer: paging and passages when something was
    found, Share in channel under a private answer (greyed once `shared`), votes when the
    answer was logged."""
    view = discord.ui.View(timeout=None)
    if answer.found and answer.results:
        last = render.page_count(answer, key.per_page) - 1
        view.add_item(AnswerButton("more", key, disabled=key.page >= last))
        view.add_item(AnswerButton("passage", key))
    if key.answer_id:
        for vote in VOTE_EMOJI:
            view.add_item(AnswerButton(vote, key))
    if private:
        view.add_item(AnswerButton("share", key, disabled=shared))
    return view


def _buttons(message: discord.Message | None) -> list[tuple[str, AnswerKey, bool]]:
    """The answer buttons a message shows: action, key and whether greyed out."""
    found = []
    pattern = re.compile(TEMPLATE)
    for row in message.components if message is not None else ():
        for child in getattr(row, "children", ()):
            match = pattern.fullmatch(getattr(child, "custom_id", None) or "")
            if match is not None:
                disabled = bool(getattr(child, "disabled", False))
                found.append((match["action"], AnswerKey.from_match(match), disabled))
    return found


def _view_from_message(message: discord.Message, *, share: str) -> discord.ui.View:
    """The buttons a message shows, rebuilt; Share dropped (`share="drop"`) or greyed ("done")."""
    view = discord.ui.View(timeout=None)
    for action, key, disabled in _buttons(message):
        if action == "share" and share == "drop":
            continue
        disabled = disabled or (action == "share" and share == "done")
        view.add_item(AnswerButton(action, key, disabled=disabled))
    return view


def question_of(message: discord.Message | None) -> str | None:
    """The question an answer's message shows as its title, unescaped; None without one."""
    if message is None or not message.embeds or not message.embeds[0].title:
        return None
    title = message.embeds[0].title
    title = title.removesuffix(ELLIPSIS)  # cut to fit the title: ask the part that is shown
    return re.sub(r"\\(.)", r"\1", title).strip() or None


def article_id_of(article_ids: Iterable[str], carried: str) -> str | None:
    """The article a key names, found again from its id or hash; None for the whole library."""
    if not carried:
        return None
    if not carried.startswith(HASHED):
        return carried
    wanted = carried[len(HASHED) :]
    for article_id in article_ids:
        if article_id == carried or article_hash(article_id) == wanted:
            return article_id
    return carried  # gone: the search says there is no such article


async def answer_of(interaction: discord.Interaction[Any], key: AnswerKey) -> Answer | None:
    """The answer a pressed button belongs to: remembered, or asked again from its message."""
    bot = cast("CitebotBot", interaction.client)
    if key.answer_id:
        remembered = bot.asker.recall(key.answer_id)
        if remembered is not None:
            return remembered
    question = question_of(interaction.message)
    if question is None:
        return None
    try:
        library = await bot.library(interaction.guild_id)
        corpus = library.engine.corpus  # its ids: a saved library makes no article for them
        article_id = await asyncio.to_thread(lambda: article_id_of(corpus.ids(), key.article))
        answer = await bot.asker.search(
            question, per_page=key.per_page, article_id=article_id, library=library.guild_id
        )
    except CitebotError as exc:  # the article is gone, or the library is still loading
        log.info("could not ask an old answer's question again: %s", exc)
        return None
    if key.answer_id:  # the next press on this answer needs no search
        bot.asker.remember(key.answer_id, answer)
    return answer


def _shown(answer: Answer, key: AnswerKey) -> Sequence[Result]:
    start = key.page * key.per_page
    return answer.results[start : start + key.per_page]


def _share_state(message: discord.Message | None) -> tuple[bool, bool]:
    """(private, shared): whether the message is a private answer (it has the Share button),
    and whether that was pressed already."""
    shares = [disabled for action, _, disabled in _buttons(message) if action == "share"]
    return bool(shares), any(shares)


async def _more(interaction: discord.Interaction[Any], key: AnswerKey) -> None:
    """The next page, for the person who asked, in place of the current one."""
    if interaction.user.id != key.asker_id:
        await send_ephemeral(interaction, NOT_ASKER)
        return
    answer = await answer_of(interaction, key)
    if answer is None:
        await send_ephemeral(interaction, GONE)
        return
    page = min(key.page + 1, render.page_count(answer, key.per_page) - 1)
    turned = replace(key, page=page)
    shown = render.render_answer(answer, page=page, per_page=key.per_page)
    private, shared = _share_state(interaction.message)
    view = answer_view(answer, turned, private=private, shared=shared)
    await interaction.response.edit_message(
        embeds=shown.embeds, view=view, allowed_mentions=NO_MENTIONS
    )


async def _passage(interaction: discord.Interaction[Any], key: AnswerKey) -> None:
    """The whole passages behind the page, privately, for whoever pressed."""
    answer = await answer_of(interaction, key)
    if answer is None:
        await send_ephemeral(interaction, GONE)
        return
    # Off the loop: escaping and fitting long passages is CPU work (capped in render).
    shown = await asyncio.to_thread(render.render_passages, _shown(answer, key))
    await interaction.response.send_message(
        content=shown.content, embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
    )


async def _vote(interaction: discord.Interaction[Any], key: AnswerKey, vote: Vote) -> None:
    """Record whoever pressed 👍 or 👎 (one vote a person, changeable) and thank them."""
    bot = cast("CitebotBot", interaction.client)
    outcome = await asyncio.to_thread(bot.store.vote, key.answer_id, interaction.user.id, vote)
    emoji = VOTE_EMOJI[vote]
    text = {
        "recorded": f"Thanks for the feedback {emoji}",
        "changed": f"Changed your vote to {emoji}",
        "unchanged": f"You already voted {emoji} on this answer.",
    }[outcome]
    await send_ephemeral(interaction, text)


def share_refusal(interaction: discord.Interaction[Any]) -> str | None:
    """Why the answer cannot be posted where it was asked, or None when it can."""
    if interaction.guild_id is None and not interaction.context.private_channel:
        return (
            "This is a direct message with me, so there is no one to share it with here. "
            "Ask with `/ask` in a server channel to share an answer."
        )
    permissions = interaction.app_permissions
    may_send = (
        permissions.send_messages_in_threads
        if isinstance(interaction.channel, discord.Thread)
        else permissions.send_messages
    )
    if not (may_send and permissions.embed_links):
        return (
            "I can't post in this channel (I need Send Messages and Embed Links here), "
            "so the answer stays private to you."
        )
    return None


def shared_heading(user: discord.abc.User) -> str:
    """The line above a shared answer: who asked, shown as text that pings no one."""
    name = " ".join(user.display_name.split()) or user.name
    return f"Asked by {render.escape_title(render.truncate(name, 100))}"


async def _share(interaction: discord.Interaction[Any], key: AnswerKey) -> None:
    """Post the private answer, as shown, in the channel for everyone, headed by its asker."""
    if interaction.user.id != key.asker_id:
        await send_ephemeral(interaction, NOT_SHARER)
        return
    refusal = share_refusal(interaction)
    message = interaction.message
    if refusal is not None or message is None:
        await send_ephemeral(interaction, refusal or GONE)
        return
    # Marked as shared first (this acknowledges the press), so a second press cannot post twice.
    await interaction.response.edit_message(
        view=_view_from_message(message, share="done"), allowed_mentions=NO_MENTIONS
    )
    await interaction.followup.send(
        content=shared_heading(interaction.user),
        embeds=message.embeds,
        view=_view_from_message(message, share="drop"),
        allowed_mentions=NO_MENTIONS,
    )


# --- the buttons under a help-forum suggestion -----------------------------------------

ANSWERED_LABEL = "This answered it"
NOT_IT_LABEL = "Not it"
NOT_POSTER = "Only the person who opened this post can say whether this answered it."
VERDICT_TEXT: dict[Vote, dict[str, str]] = {
    "up": {
        "recorded": "Glad it helped ✅",
        "changed": "Changed to ✅ This answered it.",
        "unchanged": "You already said this answered it.",
    },
    "down": {
        "recorded": "Thanks: noted as not answered, so the server's admins see it.",
        "changed": "Changed to Not it: the server's admins see it as not answered.",
        "unchanged": "You already said this was not it.",
    },
}


def suggestion_view(answer: Answer, key: AnswerKey) -> discord.ui.View:
    """The buttons under a suggestion: Show passage, and the poster's verdict when logged."""
    view = discord.ui.View(timeout=None)
    if answer.found and answer.results:
        view.add_item(AnswerButton("passage", key))
    if key.answer_id:
        view.add_item(AnswerButton("yes", key))
        view.add_item(AnswerButton("no", key))
    return view


async def _verdict(interaction: discord.Interaction[Any], key: AnswerKey, vote: Vote) -> None:
    """✅ This answered it / Not it: the poster's 👍 / 👎 on the suggestion's logged answer, so
    it counts in `/citebot stats` and `/citebot unanswered`; anyone else is told whose it is."""
    if interaction.user.id != key.asker_id:
        await send_ephemeral(interaction, NOT_POSTER)
        return
    bot = cast("CitebotBot", interaction.client)
    outcome = await asyncio.to_thread(bot.store.vote, key.answer_id, interaction.user.id, vote)
    await send_ephemeral(interaction, VERDICT_TEXT[vote][outcome])

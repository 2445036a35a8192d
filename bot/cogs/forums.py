"""Help forums: a suggested answer in each new post of the channels a server picked.

When someone opens a post in a forum channel (or a thread in a text channel) listed by
`/citebot settings help-forum`, the bot answers the post's title, plus its first message
when the message content intent is on, once, in the post's thread: the top excerpts with
"✅ This answered it" and "Not it", which are the poster's 👍 / 👎 on the logged answer
(so they count in `/citebot stats` and `/citebot unanswered`). Nothing is posted when the
articles hold no answer, unless the server asked for that too. A post gets at most one
automatic reply: the store claims the thread before anything is sent, so a repeated event,
a restart or a second process never posts twice. Posts by bots, posts tagged with the
server's ignore tag, posters on cooldown and threads where the bot may not post are left
alone (the last is logged).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot import render
from bot.cogs.ask import is_answered_in_place
from bot.errors import CitebotError, StoreWriteError
from bot.replies import NO_MENTIONS
from bot.store import GuildSettings
from bot.views import AnswerKey, suggestion_view

if TYPE_CHECKING:
    from bot.client import CitebotBot

log = logging.getLogger(__name__)

#: Seconds to wait for a post's first message when its thread arrives before it.
STARTER_WAIT = 5.0
#: The line above a suggestion: what it is, and what the buttons do.
SUGGESTION_NOTE = (
    "Here is what the articles say about this. If it answers your question, press "
    "✅ This answered it; if not, Not it, and someone will help."
)
NOT_FOUND_NOTE = "I found nothing about this in the articles; someone will help."


class ForumsCog(commands.Cog):
    """Suggested answers in new help-forum posts."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A new post: suggest an answer when its channel asks for suggestions."""
        try:
            await self.suggest(thread)
        except Exception:
            log.exception("suggesting an answer in thread %s failed", thread.id)

    async def suggest(self, thread: discord.Thread) -> bool:
        """Post the one suggestion a new thread gets, if it gets one; whether it was posted."""
        me = thread.guild.me
        if thread.parent_id is None or me is None or thread.owner_id == me.id:
            return False
        server = await self.bot.guild_settings(thread.guild.id)
        if thread.parent_id not in server.suggest_channels or _ignored(thread, server):
            return False
        permissions = thread.permissions_for(me)
        if not (permissions.send_messages_in_threads and permissions.embed_links):
            log.info(
                "not suggesting in thread %s: I need Send Messages in Threads and Embed Links",
                thread.id,
            )
            return False
        try:
            if not await asyncio.to_thread(
                self.bot.store.claim_thread_reply, thread.id, thread.guild.id
            ):
                return False  # this post had its one reply (or decided against one) already
        except StoreWriteError:
            return False  # without the claim a second event could post twice: stay quiet
        starter = await self._starter(thread)
        owner = thread.guild.get_member(thread.owner_id) if thread.owner_id else None
        if (starter is not None and starter.author.bot) or (owner is not None and owner.bot):
            return False
        if (
            starter is not None
            and starter.channel.id != thread.id
            and is_answered_in_place(starter, server, me.id, self.bot.intents.message_content)
        ):
            return False  # the ask cog answered its message in the channel: one answer is enough
        poster = thread.owner_id or (starter.author.id if starter is not None else None)
        if poster is None:
            return False
        body = starter.content if starter is not None and self.bot.intents.message_content else ""
        return await self._answer_post(thread, server, poster, f"{thread.name}\n{body}".strip())

    async def _answer_post(
        self, thread: discord.Thread, server: GuildSettings, poster: int, text: str
    ) -> bool:
        per_page = server.results or self.bot.asker.per_page
        try:
            question = await self.bot.asker.admit(poster, text)
            asked = await self.bot.asker.answer(
                question,
                user_id=poster,
                source="forum",
                guild_id=thread.guild.id,
                per_page=per_page,
                thread_id=thread.id,
                library=self.bot.library_guild(thread.guild.id),
            )
        except CitebotError as exc:  # chatter, too long, on cooldown, still loading: stay quiet
            log.info("no suggestion in thread %s: %s", thread.id, exc)
            return False
        if not asked.answer.found and not server.suggest_not_found:
            return False
        key = AnswerKey.make(
            answer_id=asked.answer_id, asker_id=poster, page=0, per_page=per_page, article_id=None
        )
        shown = render.render_answer(asked.answer, page=0, per_page=per_page)
        note = SUGGESTION_NOTE if asked.answer.found else NOT_FOUND_NOTE
        try:
            await thread.send(
                content=note,
                embeds=shown.embeds,
                view=suggestion_view(asked.answer, key),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException as exc:  # slowmode, a permission changed, archived...
            log.info("could not suggest an answer in thread %s: %s", thread.id, exc)
            return False
        return True

    async def _starter(self, thread: discord.Thread) -> discord.Message | None:
        """The post's first message: cached, awaited briefly, or fetched (None if gone). A thread
        opened on a message in a text channel has that message, with its id, in the channel."""
        if thread.starter_message is not None:
            return thread.starter_message
        if isinstance(thread.parent, discord.TextChannel):  # posted before the thread: no wait
            try:
                return await thread.parent.fetch_message(thread.id)
            except discord.HTTPException:  # a thread opened without a message
                return None
        try:
            message: discord.Message = await self.bot.wait_for(
                "message", check=lambda m: m.id == thread.id, timeout=STARTER_WAIT
            )
            return message
        except TimeoutError:
            pass
        try:
            return await thread.fetch_message(thread.id)
        except discord.HTTPException:
            return None


def _ignored(thread: discord.Thread, server: GuildSettings) -> bool:
    """Whether the post carries the server's ignore tag (any case)."""
    wanted = server.suggest_ignore_tag.casefold()
    return any(tag.name.casefold() == wanted for tag in thread.applied_tags)


async def setup(bot: CitebotBot) -> None:
    """Loaded by `load_extension`: adds help-forum suggestions."""
    await bot.add_cog(ForumsCog(bot))

"""Asking: `/ask`, direct messages, mentions and the "Ask Citebot" message menu."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.asking import LoggedAnswer
from bot.cogs._articles import ArticleOption, guess_note
from bot.errors import CitebotError
from bot.library import SHARED_ONLY
from bot.replies import NO_MENTIONS, reply_to, report_message_error
from bot.store import GuildSettings
from bot.views import AnswerKey, answer_view

if TYPE_CHECKING:
    from bot.client import CitebotBot

log = logging.getLogger(__name__)

#: Discord's limit on a thread's name.
THREAD_NAME_LIMIT = 100


class AskCog(commands.Cog):
    """Every way of asking ends in the same rendering, buttons and limits."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        # Context menus cannot be declared with a decorator inside a cog.
        self.menu = app_commands.ContextMenu(name="Ask Citebot", callback=self.ask_message)

    async def cog_load(self) -> None:
        """Add the message menu, which a cog cannot declare with a decorator."""
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        """Take the message menu away with the cog."""
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # --- /ask ----------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Ask a question; get verbatim, cited excerpts.")
    @app_commands.describe(
        question="What you want to know, in your own words (/help shows examples)",
        article="Search only this article (start typing its title)",
        private="Show the answer only to you (default: the server's choice, usually no)",
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def ask(
        self,
        interaction: discord.Interaction[CitebotBot],
        question: str,
        article: ArticleOption | None = None,
        private: bool | None = None,
    ) -> None:
        """`/ask`: answer with cited excerpts, privately if asked or the server's default."""
        article_id = article.article_id if article is not None else None
        question = await self.bot.asker.admit(interaction.user.id, question)
        server = await self._server_settings(interaction.guild_id)
        if private is None:
            private = server.private_replies
        await interaction.response.defer(thinking=True, ephemeral=private)
        per_page = self._per_page(server)
        library = self.bot.library_guild(interaction.guild_id)
        asked = await self.bot.asker.answer(
            question,
            user_id=interaction.user.id,
            source="slash",
            article_id=article_id,
            guild_id=interaction.guild_id,
            per_page=per_page,
            private=private,
            thread_id=thread_id_of(interaction.channel),
            library=library,
        )
        await self._follow_up(
            interaction,
            asked,
            ephemeral=private,
            per_page=per_page,
            article_id=article_id,
            note=_joined(guess_note(interaction, "Searched"), _scope_note(library)),
        )

    # --- message menu --------------------------------------------------------------------

    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def ask_message(
        self, interaction: discord.Interaction[CitebotBot], message: discord.Message
    ) -> None:
        """Answer the question in the chosen message."""
        if not message.content.strip():
            raise CitebotError("That message has no text to ask about.")
        question = await self.bot.asker.admit(interaction.user.id, message.content)
        per_page = self._per_page(await self._server_settings(interaction.guild_id))
        await interaction.response.defer(thinking=True)
        library = self.bot.library_guild(interaction.guild_id)
        asked = await self.bot.asker.answer(
            question,
            user_id=interaction.user.id,
            source="menu",
            guild_id=interaction.guild_id,
            per_page=per_page,
            library=library,
        )
        await self._follow_up(
            interaction, asked, ephemeral=False, per_page=per_page, note=_scope_note(library)
        )

    async def _follow_up(
        self,
        interaction: discord.Interaction[CitebotBot],
        asked: LoggedAnswer,
        *,
        ephemeral: bool,
        per_page: int,
        article_id: str | None = None,
        note: str | None = None,
    ) -> None:
        view, shown = _answer_message(
            asked, interaction.user.id, per_page, private=ephemeral, article_id=article_id
        )
        await interaction.followup.send(
            content=_joined(note, shown.content) or "",
            embeds=shown.embeds,
            view=view,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    # --- direct messages and mentions ----------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """DMs and mentions are questions; so is every message in an answer-all channel."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        guild_id = message.guild.id if message.guild is not None else None
        server = await self._server_settings(guild_id)
        if is_suggested_post(message, server):
            return  # the post's first message: the forums cog suggests an answer to the post
        if isinstance(message.channel, discord.DMChannel):
            source, text = "dm", message.content
        elif any(user.id == me.id for user in message.mentions):
            if not server.answers_mentions_in(_channel_key(message.channel)):
                await reply_to(message, content=_mentions_elsewhere(server))
                return
            source, text = "mention", strip_mention(message.content, me.id)
        elif (
            self.bot.intents.message_content
            and guild_id is not None
            and _channel_key(message.channel) in server.answer_all_channels
        ):
            await self._answer_every_message(message, server)
            return
        else:
            return
        await self._answer_question(message, source, text, server)

    async def _answer_question(
        self, message: discord.Message, source: str, text: str, server: GuildSettings
    ) -> None:
        """A DM or mention answered: in place, in its thread, or in a thread opened for it
        once there is an answer to post (an error is told in place, with no empty thread)."""
        guild_id = message.guild.id if message.guild is not None else None
        per_page = self._per_page(server)
        library = self.bot.library_guild(guild_id)
        try:
            question = await self.bot.asker.admit(message.author.id, text)
            asked = await self.bot.asker.answer(
                question,
                user_id=message.author.id,
                source=source,
                guild_id=guild_id,
                per_page=per_page,
                thread_id=thread_id_of(message.channel),
                library=library,
            )
        except Exception as exc:  # noqa: BLE001 - every error gets a reply, as in commands
            await report_message_error(message, exc, f"a {source} question")
            return
        thread = None
        if source == "mention" and server.mention_threads:
            thread = await open_answer_thread(message, question)
        if thread is not None:
            if asked.answer.found:  # the thread's follow-ups lean on what its answer cites
                await self.bot.asker.remember_citations(thread.id, asked.answer, per_page)
            view, shown = _answer_message(asked, message.author.id, per_page, private=False)
            await thread.send(
                content=shown.content, embeds=shown.embeds, view=view, allowed_mentions=NO_MENTIONS
            )
            return
        await self._reply_with_answer(message, asked, per_page, note=_scope_note(library))

    async def _answer_every_message(self, message: discord.Message, server: GuildSettings) -> None:
        """A channel where every message is a question: answer what the articles answer, quietly
        skip the rest (chatter, not-found, cooldown) so the channel is not flooded."""
        per_page = self._per_page(server)
        try:
            question = await self.bot.asker.admit(message.author.id, message.content)
            asked = await self.bot.asker.answer(
                question,
                user_id=message.author.id,
                source="channel",
                guild_id=message.guild.id if message.guild else None,
                per_page=per_page,
                thread_id=thread_id_of(message.channel),
                library=self.bot.library_guild(message.guild.id if message.guild else None),
            )
        except CitebotError:  # chatter, too long, on cooldown: stay quiet
            return
        if asked.answer.found:
            await self._reply_with_answer(message, asked, per_page)

    async def _reply_with_answer(
        self, message: discord.Message, asked: LoggedAnswer, per_page: int, note: str | None = None
    ) -> None:
        view, shown = _answer_message(asked, message.author.id, per_page, private=False)
        content = _joined(note, shown.content)
        await reply_to(message, content=content, embeds=shown.embeds, view=view)

    # --- per-server settings -------------------------------------------------------------

    async def _server_settings(self, guild_id: int | None) -> GuildSettings:
        if guild_id is None:
            return GuildSettings()
        return await self.bot.guild_settings(guild_id)

    def _per_page(self, server: GuildSettings) -> int:
        return server.results or self.bot.asker.per_page


def _answer_message(
    asked: LoggedAnswer,
    asker_id: int,
    per_page: int,
    *,
    private: bool,
    article_id: str | None = None,
) -> tuple[discord.ui.View, render.Rendered]:
    """An answer's first page and its buttons: the same for every way of asking."""
    key = AnswerKey.make(
        answer_id=asked.answer_id,
        asker_id=asker_id,
        page=0,
        per_page=per_page,
        article_id=article_id,
    )
    view = answer_view(asked.answer, key, private=private)
    return view, render.render_answer(asked.answer, page=0, per_page=per_page)


def _scope_note(library: int | None) -> str | None:
    """The line an answer from the shared library alone carries (DMs, user installs)."""
    return SHARED_ONLY if library is None else None


def _joined(*lines: str | None) -> str | None:
    """The lines given, one under the other; None when there are none."""
    kept = [line for line in lines if line]
    return "\n".join(kept) or None


def _channel_key(channel: Any) -> int:
    """The channel a setting names: a thread follows its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return channel.parent_id
    key: int = channel.id
    return key


def thread_id_of(channel: Any) -> int | None:
    """The thread a question is asked in (its follow-ups lean on its citations), or None."""
    return channel.id if isinstance(channel, discord.Thread) else None


def is_suggested_post(message: discord.Message, server: GuildSettings) -> bool:
    """Whether the message opens a post (thread) in a channel where posts get suggestions."""
    channel = message.channel
    return (
        isinstance(channel, discord.Thread)
        and message.id == channel.id
        and _channel_key(channel) in server.suggest_channels
    )


def is_answered_in_place(
    message: discord.Message, server: GuildSettings, me_id: int, read_all: bool
) -> bool:
    """Whether `on_message` answers this server message where it stands (a mention where
    mentions are answered, any message of an answer-all channel when it may read them), so a
    thread opened on it later needs no second answer."""
    key = _channel_key(message.channel)
    if any(user.id == me_id for user in message.mentions):
        return server.answers_mentions_in(key)
    return read_all and key in server.answer_all_channels


async def open_answer_thread(message: discord.Message, question: str) -> discord.Thread | None:
    """A thread opened on a mention in a text channel, for its answer and follow-ups; None
    where threads cannot be opened (a thread already, a DM, no permission)."""
    channel = message.channel
    if not isinstance(channel, discord.TextChannel) or message.guild is None:
        return None
    permissions = channel.permissions_for(message.guild.me)
    if not (permissions.create_public_threads and permissions.send_messages_in_threads):
        log.info("no permission to open a thread in channel %s; replying there", channel.id)
        return None
    name = " ".join(question.split())[:THREAD_NAME_LIMIT] or "Question"
    try:
        return await message.create_thread(name=name)
    except discord.HTTPException as exc:  # a thread on it already, archived channel...
        log.info("could not open a thread in channel %s: %s", channel.id, exc)
        return None


def _mentions_elsewhere(server: GuildSettings) -> str:
    channels = ", ".join(f"<#{c}>" for c in server.mention_channels[:10])
    return f"In this server I answer mentions in {channels}; `/ask` works everywhere."


def strip_mention(content: str, user_id: int) -> str:
    """The question without the bot's mention and the punctuation right after it."""
    text = re.sub(rf"<@!?{user_id}>", " ", content)
    return text.strip().lstrip(",:;-—").strip()


async def setup(bot: CitebotBot) -> None:
    """Loaded by `load_extension`: adds the ways of asking."""
    await bot.add_cog(AskCog(bot))

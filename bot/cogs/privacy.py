"""`/privacy`: anyone can see what Citebot keeps about them and have it deleted."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.replies import NO_MENTIONS, send_ephemeral
from bot.store import KeptAbout
from bot.views import CitebotView

if TYPE_CHECKING:
    from bot.client import CitebotBot

CONFIRM_TIMEOUT = 300.0


def describe(kept: KeptAbout, retention_days: int) -> str:
    """What is kept about one person, in words; the same wherever they ask."""
    if not kept.questions and not kept.votes:
        return (
            "I keep no questions and no votes of yours. When you ask, I log the question "
            f"for {retention_days} days under a keyed hash of your id (never your name or id)."
        )
    where = []
    if kept.servers:
        where.append(render.plural(kept.servers, "server"))
    if kept.direct:
        where.append(render.plural(kept.direct, "direct message"))
    span = ""
    if kept.first_at is not None and kept.last_at is not None:
        first, last = (
            time.strftime("%Y-%m-%d", time.gmtime(t)) for t in (kept.first_at, kept.last_at)
        )
        span = f", from {first} to {last}" if first != last else f", on {first}"
    return (
        f"I keep {render.plural(kept.questions, 'question')} you asked "
        f"({', '.join(where) or 'nowhere now'}{span}) and {render.plural(kept.votes, 'vote')} "
        "you gave. Each question is kept with its time, server, how it was asked, whether it "
        "was found and the reply time, under a keyed hash of your id (never your name or id), "
        f"and deleted after {retention_days} days. Server admins see counts of questions "
        "asked privately or in direct messages, never their text."
    )


class ConfirmForget(CitebotView):
    """Delete / Keep under `/privacy`, for the person who asked."""

    def __init__(self, bot: CitebotBot, *, owner_id: int, timeout: float = CONFIRM_TIMEOUT) -> None:
        super().__init__(owner_id=owner_id, timeout=timeout)
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the person whose questions they are can delete them."""
        return await self.owner_only(interaction, "Use `/privacy` to see what is kept about you.")

    @discord.ui.button(label="Delete my questions and votes", style=discord.ButtonStyle.danger)
    async def forget(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Delete their questions (with the votes on them) and their votes, everywhere."""
        self.stop()
        questions, votes = await asyncio.to_thread(self.bot.store.forget_user, self.owner_id)
        await interaction.response.edit_message(
            content=f"Deleted {render.plural(questions, 'question')} and "
            f"{render.plural(votes, 'vote')}, in every server and in direct messages.",
            view=None,
            allowed_mentions=NO_MENTIONS,
        )

    @discord.ui.button(label="Keep them", style=discord.ButtonStyle.secondary)
    async def keep(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Change nothing."""
        self.stop()
        await interaction.response.edit_message(
            content="Nothing deleted.", view=None, allowed_mentions=NO_MENTIONS
        )


class PrivacyCog(commands.Cog):
    """`/privacy`, for everyone, in servers and DMs alike."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="privacy", description="See what Citebot keeps about you, and delete it."
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def privacy(self, interaction: discord.Interaction[CitebotBot]) -> None:
        """What is kept about the user, with a button that deletes it."""
        kept = await asyncio.to_thread(self.bot.store.kept_about, interaction.user.id)
        text = describe(kept, self.bot.settings.log_retention_days)
        if not kept.questions and not kept.votes:
            await send_ephemeral(interaction, text)
            return
        view = ConfirmForget(self.bot, owner_id=interaction.user.id)
        await interaction.response.send_message(
            content=render.truncate(text, render.CONTENT_LIMIT),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        view.message = await interaction.original_response()


async def setup(bot: CitebotBot) -> None:
    """Load the cog (discord.py's extension hook)."""
    await bot.add_cog(PrivacyCog(bot))

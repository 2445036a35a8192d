"""What the bot knows: `/articles`, `/article` and `/help`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.cogs._articles import ArticleOption, guess_note
from bot.replies import NO_MENTIONS
from bot.views import ArticlesView

if TYPE_CHECKING:
    from bot.client import CitebotBot

ARTICLES_PER_PAGE = 10


class InfoCog(commands.Cog):
    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    @app_commands.command(name="articles", description="List the articles I can quote from.")
    @app_commands.describe(filter="Only articles whose title or id contains this text")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def articles(
        self, interaction: discord.Interaction[CitebotBot], filter: str | None = None
    ) -> None:
        """`/articles`: the article list, privately, paged for the person who asked."""
        engine = (await self.bot.library(interaction.guild_id)).engine
        # The list is paged lazily: only the articles of the page shown are made.
        found = await asyncio.to_thread(engine.article_numbers, filter or "")
        view = ArticlesView(
            engine.articles,
            found,
            owner_id=interaction.user.id,
            per_page=ARTICLES_PER_PAGE,
            query=filter,
        )
        shown = await view.rendered()
        if view.pages == 1:
            await interaction.response.send_message(
                embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await interaction.response.send_message(
            embeds=shown.embeds, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        view.message = await interaction.original_response()

    @app_commands.command(name="article", description="Show one article: link, date and opening.")
    @app_commands.describe(name="The article (start typing its title)")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def article(
        self, interaction: discord.Interaction[CitebotBot], name: ArticleOption
    ) -> None:
        """`/article`: one article's link, date, counts and opening."""
        engine = (await self.bot.library(interaction.guild_id)).engine
        shown = render.render_article(name, passages=engine.passage_count_of(name.article_id))
        await interaction.response.send_message(
            content=guess_note(interaction, "Showing"),
            embeds=shown.embeds,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="help", description="How to ask me questions, and what I know.")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def help(self, interaction: discord.Interaction[CitebotBot]) -> None:
        """`/help`: how to ask, and what the bot knows."""
        engine, settings = (await self.bot.library(interaction.guild_id)).engine, self.bot.settings
        shown = render.render_help(
            articles=len(engine.articles),
            passages=engine.passage_count,
            per_page=settings.per_page,
            rate=settings.cooldown_rate,
            per=settings.cooldown_seconds,
            examples=self.bot.asker.examples(),
        )
        await interaction.response.send_message(
            embeds=shown.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: CitebotBot) -> None:
    """Loaded by `load_extension`: adds the catalogue commands."""
    await bot.add_cog(InfoCog(bot))

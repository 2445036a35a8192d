"""Finding an article by what a user typed: autocomplete choices and lookup."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.corpus import Article
from bot.errors import CitebotError

if TYPE_CHECKING:
    from bot.answer import Engine

#: Discord shows at most 25 choices, each name and value at most 100 characters.
MAX_CHOICES = 25
CHOICE_LIMIT = 100


async def article_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Titles containing what the user typed so far (every article for an empty field)."""
    engine: Engine = interaction.client.engine  # type: ignore[attr-defined]
    matches = await asyncio.to_thread(engine.find_articles, current, MAX_CHOICES)
    choices = []
    for article in matches:
        if len(article.article_id) > CHOICE_LIMIT:
            continue  # cannot be sent as a choice value; still reachable by typing its title
        name = " ".join(article.title.split()) or article.article_id
        if len(name) > CHOICE_LIMIT:
            name = name[: CHOICE_LIMIT - 1] + "…"
        choices.append(app_commands.Choice(name=name, value=article.article_id))
    return choices[:MAX_CHOICES]


def find_article(engine: Engine, text: str) -> Article:
    """The article whose id is `text`, else the best title match; a friendly error if none."""
    text = text.strip()
    article = engine.article(text)
    if article is not None:
        return article
    matches = engine.find_articles(text, limit=2)
    exact = [a for a in matches if a.title.casefold() == text.casefold()]
    if exact or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise CitebotError(
            f"I don't know an article called “{text[:100]}”. `/articles` lists them."
        )
    raise CitebotError(
        f"Several articles match “{text[:100]}”; pick one from the list as you type."
    )

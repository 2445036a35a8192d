"""The `article:` option of every command that names one: autocompleted, then looked up."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.corpus import Article
from bot.errors import CitebotError

if TYPE_CHECKING:
    from typing import Annotated

    from bot.answer import Engine
    from bot.client import CitebotBot

#: Discord shows at most 25 choices, each name and value at most 100 characters.
MAX_CHOICES = 25
CHOICE_LIMIT = 100


class ArticleTransformer(app_commands.Transformer["CitebotBot"]):
    """Offers titles as the user types, and turns what was sent into the `Article`."""

    async def transform(self, interaction: discord.Interaction[CitebotBot], value: str) -> Article:
        """The article named by an id or title; a friendly error when none or several match."""
        return await asyncio.to_thread(find_article, interaction.client.engine, value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[CitebotBot], value: str
    ) -> list[app_commands.Choice[str]]:
        """Titles containing what the user typed so far (every article for an empty field)."""
        engine = interaction.client.engine
        matches = await asyncio.to_thread(engine.find_articles, value, MAX_CHOICES)
        return choices_for(matches)[:MAX_CHOICES]


def choices_for(matches: list[Article]) -> list[app_commands.Choice[str]]:
    """One choice per article, its id as the value; a title shown twice names its id too."""
    choices = []
    titles = [" ".join(a.title.split()) or a.article_id for a in matches]
    for article, title in zip(matches, titles, strict=True):
        if len(article.article_id) > CHOICE_LIMIT:
            continue  # cannot be sent as a choice value; still reachable by typing its title
        name = title
        if titles.count(title) > 1:  # the same title twice: the id tells them apart
            tail = f" ({article.article_id})"
            name = (title if len(title) + len(tail) <= CHOICE_LIMIT else title[:40] + "…") + tail
        if len(name) > CHOICE_LIMIT:
            name = name[: CHOICE_LIMIT - 1] + "…"
        choices.append(app_commands.Choice(name=name, value=article.article_id))
    return choices


if TYPE_CHECKING:
    ArticleOption = Annotated[Article, ArticleTransformer]
else:
    #: A command parameter typed `ArticleOption` autocompletes and arrives as an `Article`.
    ArticleOption = app_commands.Transform[Article, ArticleTransformer]


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

"""The `article:` option of every command that names one: autocompleted, then looked up."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.corpus import Article
from bot.errors import CitebotError
from bot.names import ArticleMatch, closest, match_article
from bot.render import code, escape_title, truncate

if TYPE_CHECKING:
    from typing import Annotated

    from bot.client import CitebotBot

#: Discord shows at most 25 choices, each name and value at most 100 characters.
MAX_CHOICES = 25
CHOICE_LIMIT = 100
#: Where the transformer leaves a near miss it used, in `Interaction.extras`.
GUESS = "citebot_article_guess"


class ArticleTransformer(app_commands.Transformer["CitebotBot"]):
    """Offers titles as the user types, and turns what was sent into the `Article`."""

    async def transform(self, interaction: discord.Interaction[CitebotBot], value: str) -> Article:
        """The article named by an id, a title or a near miss; a friendly error listing the
        closest titles when none or several match. A near miss used is noted for the reply."""
        engine = (await interaction.client.library(interaction.guild_id)).engine
        match = await asyncio.to_thread(match_article, engine.corpus, value, by_id=engine.article)
        if match.article is None:
            raise CitebotError(miss_message(value, match))
        if match.guessed:
            interaction.extras[GUESS] = (value, match.article)
        return match.article

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[CitebotBot], value: str
    ) -> list[app_commands.Choice[str]]:
        """Titles containing what the user typed so far (every article for an empty field)."""
        engine = (await interaction.client.library(interaction.guild_id)).engine
        matches = await asyncio.to_thread(engine.find_articles, value, MAX_CHOICES)
        if not matches and value.strip():  # nothing contains it: offer the closest titles
            matches = list(await asyncio.to_thread(closest, engine.corpus, value, limit=10))
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


def miss_message(text: str, match: ArticleMatch) -> str:
    """Why no article was picked, with the closest titles to choose from."""
    typed = escape_title(truncate(" ".join(text.split()), 100))
    named = ", ".join(
        f"“{escape_title(truncate(' '.join(a.title.split()), 100))}” (`{code(a.article_id[:100])}`)"
        for a in match.suggestions
    )
    if match.ambiguous:
        return f"Several articles match “{typed}”: {named}. Pick one from the list as you type."
    if named:
        return f"I don't know an article called “{typed}”. Did you mean {named}?"
    return f"I don't know an article called “{typed}”. `/articles` lists them."


def guess_note(interaction: discord.Interaction[CitebotBot], verb: str) -> str | None:
    """ "<verb> “Title”, the closest to “what you typed”." when the `article:` option was a near
    miss; None when it named the article exactly."""
    guess = interaction.extras.get(GUESS)
    if guess is None:
        return None
    typed, article = guess
    title = escape_title(truncate(" ".join(article.title.split()), 100))
    return f"{verb} “{title}”, the closest article to “{escape_title(truncate(typed, 100))}”."

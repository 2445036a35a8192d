"""The catalogue as Discord embeds: the article list, one article, and the help."""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord

from bot.corpus import Article
from bot.render._text import (
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    FIELD_VALUE_LIMIT,
    INFO_COLOUR,
    TITLE_LIMIT,
    Rendered,
    article_markdown,
    code,
    cut_at_space,
    escape,
    escape_title,
    link,
    plural,
    safe_url,
    seconds,
    truncate,
)


def render_article_list(
    shown: Sequence[Article], *, total: int, page: int, per_page: int, query: str | None = None
) -> Rendered:
    """Page `page` of a list of `total` articles, which shows `shown`: title (linked), id
    and date. Only the page's articles are passed: a library of thousands makes no more."""
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 0), pages - 1)
    if not shown:
        what = f" matching “{escape(truncate(query, 100))}”" if query else ""
        return Rendered(
            embeds=[
                discord.Embed(
                    title="Articles",
                    description=f"No articles{what}.",
                    colour=INFO_COLOUR,
                )
            ]
        )
    share = DESCRIPTION_LIMIT // len(shown) - 1
    lines = []
    for article in shown:
        extra = f" · {escape(truncate(article.date, 40))}" if article.date else ""
        ident = f"`{code(truncate(article.article_id, 100))}`"
        line = f"• {link(article.title, article.url)} — {ident}{extra}"
        if len(line) > share:  # a very long url: show the title without its link
            title = escape_title(truncate(" ".join(article.title.split()), 100))
            line = truncate(f"• {title} — {ident}{extra}", share)
        lines.append(line)
    title = "Articles" if not query else truncate(f"Articles matching “{query}”", TITLE_LIMIT)
    embed = discord.Embed(title=title, description="\n".join(lines), colour=INFO_COLOUR)
    embed.set_footer(text=f"{plural(total, 'article')} · page {page + 1}/{pages}")
    return Rendered(embeds=[embed])


def render_article(article: Article, *, passages: int, opening_chars: int = 600) -> Rendered:
    """One article: title, link, author, date, passage count and its opening."""
    opening = article.text[: article.paragraphs[0].end] if article.paragraphs else article.text
    if len(opening) > opening_chars:
        opening = cut_at_space(opening, opening_chars) + ELLIPSIS
    embed = discord.Embed(
        title=truncate(" ".join(article.title.split()), TITLE_LIMIT),
        url=safe_url(article.url),
        description=article_markdown(opening) if opening else None,
        colour=INFO_COLOUR,
    )
    embed.add_field(name="Id", value=f"`{code(article.article_id)[: FIELD_VALUE_LIMIT - 2]}`")
    if article.author:
        embed.add_field(name="Author", value=truncate(escape(article.author), FIELD_VALUE_LIMIT))
    if article.date:
        embed.add_field(name="Date", value=truncate(escape(article.date), FIELD_VALUE_LIMIT))
    embed.add_field(name="Paragraphs", value=str(len(article.paragraphs)))
    embed.add_field(name="Passages", value=str(passages))
    return Rendered(embeds=[embed])


def render_help(
    *,
    articles: int,
    passages: int,
    per_page: int,
    rate: int,
    per: float,
    examples: Sequence[str] = (),
) -> Rendered:
    """How to ask, with examples from the library itself, and what the bot knows."""
    shown = [escape(truncate(example, 100)) for example in examples[:3]]
    mention = f"“@Citebot {shown[0]}”" if shown else "with your question"
    tries = ["", "**Try asking**", *(f"• {example}" for example in shown)] if shown else []
    description = "\n".join(
        [
            "I answer questions with **verbatim excerpts** from the articles I know, "
            "each with a citation to the article and its paragraphs.",
            "",
            "**How to ask**",
            "• `/ask question:` — in a server, in a DM with me, or anywhere I am installed. "
            "Add `article:` to search one article, `private:` to see the answer alone.",
            "• Send me a direct message: every DM is a question.",
            f"• Mention me in a channel: {mention}",
            "• Right-click a message → Apps → **Ask Citebot**.",
            *tries,
            "",
            "**Under an answer**",
            "• **More results** shows the next excerpts (only for the person who asked).",
            "• **Show passage** shows the whole passages privately.",
            "• 👍 / 👎 tells us whether the answer helped.",
            "• **Share in channel**, under a private answer, posts it for everyone.",
            "",
            "**What I know**",
            f"{plural(articles, 'article')} in {plural(passages, 'passage')}; "
            "`/articles` lists them and `/article` shows one.",
            f"Up to {plural(rate, 'question')} per {seconds(per)} per person; "
            f"{plural(per_page, 'excerpt')} per page.",
        ]
    )
    embed = discord.Embed(title="Citebot help", description=description, colour=INFO_COLOUR)
    return Rendered(embeds=[embed])

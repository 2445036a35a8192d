"""What `/citebot` shows its admins as Discord embeds: added articles, stats, settings."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.corpus import Article
from bot.insight import Stats, Unanswered, milliseconds, percent
from bot.render._catalogue import render_article
from bot.render._text import (
    CONTENT_LIMIT,
    FIELD_VALUE_LIMIT,
    INFO_COLOUR,
    TITLE_LIMIT,
    Rendered,
    escape,
    escape_title,
    field_lines,
    fit,
    plural,
    truncate,
)
from bot.store import GuildSettings

#: Embeds shown for one added file; a JSONL file with more articles is summed up in the text.
ADDED_SHOWN = 3


def render_added(added: Sequence[tuple[Article, int]], *, source: str) -> Rendered:
    """What `/citebot add` added: each article's title, passages and opening."""
    total = sum(passages for _, passages in added)
    if len(added) == 1:
        article, passages = added[0]
        title = escape_title(truncate(" ".join(article.title.split()), 200))
        content = (
            f"Added “{title}” from {source}: {plural(passages, 'passage')}. `/ask` finds it now."
        )
    else:
        content = (
            f"Added {plural(len(added), 'article')} from {source} "
            f"({plural(total, 'passage')}). `/ask` finds them now."
        )
        if len(added) > ADDED_SHOWN:
            content += f" The first {ADDED_SHOWN} are shown."
    embeds = [
        render_article(article, passages=passages, opening_chars=400).embeds[0]
        for article, passages in added[:ADDED_SHOWN]
    ]
    return Rendered(content=truncate(content, CONTENT_LIMIT), embeds=embeds)


def render_stats(stats: Stats, *, titles: dict[str, str], scope: str) -> Rendered:
    """`/citebot stats`: the corpus, questions, found-rate, reply times, citations, feedback."""
    embed = discord.Embed(title=fit(f"Citebot in {scope}", TITLE_LIMIT), colour=INFO_COLOUR)
    embed.add_field(
        name="Articles",
        value=f"{stats.articles:,} ({plural(stats.passages, 'passage')})",
        inline=False,
    )
    embed.add_field(
        name="Questions",
        value=f"{stats.questions_day:,} in 24 h · {stats.questions_week:,} in 7 days · "
        f"{stats.questions_all:,} in all",
        inline=False,
    )
    embed.add_field(
        name="Found",
        value=f"{percent(stats.found_rate)} ({stats.found:,} of {stats.questions_all:,})",
    )
    embed.add_field(
        name="Reply time",
        value=f"p50 {milliseconds(stats.p50_ms)} · p99 {milliseconds(stats.p99_ms)}",
    )
    embed.add_field(
        name="Feedback",
        value=f"{stats.up:,} 👍 · {stats.down:,} 👎 ({percent(stats.helpful_rate)} helpful)",
    )
    lines = [
        f"{count:,} × {escape_title(truncate(' '.join(titles.get(article_id, article_id).split()), 100))}"
        for article_id, count in stats.most_cited
    ]
    embed.add_field(
        name="Most cited", value=truncate("\n".join(lines) or "–", FIELD_VALUE_LIMIT), inline=False
    )
    embed.set_footer(
        text=f"The question log keeps {plural(stats.retention_days, 'day')}; "
        "users are stored only as salted hashes."
    )
    return Rendered(embeds=[embed])


def render_unanswered(report: Unanswered, *, scope: str) -> Rendered:
    """`/citebot unanswered`: what the articles did not answer, most frequent and most recent."""
    title = fit(f"Unanswered in {scope}, last {plural(report.days, 'day')}", TITLE_LIMIT)
    embed = discord.Embed(title=title, colour=INFO_COLOUR)
    if not report.total:
        embed.description = "Nothing: every question was answered and nobody voted 👎."
        return Rendered(embeds=[embed])
    embed.description = (
        f"{plural(report.total, 'question')} answered “not found” or voted 👎. "
        "Articles that answer them would help most."
    )
    if report.private:
        embed.description += f" {report.private:,} asked privately (not shown)."
    if not report.most_frequent:
        return Rendered(embeds=[embed])
    frequent = [
        f"{often.times:,}× {_one_question(often.question)}" for often in report.most_frequent
    ]
    recent = [
        f"<t:{int(often.last_asked)}:R> {_one_question(often.question)}"
        for often in report.most_recent
    ]
    embed.add_field(name="Most frequent", value=field_lines(frequent), inline=False)
    embed.add_field(name="Most recent", value=field_lines(recent), inline=False)
    return Rendered(embeds=[embed])


def render_guild_settings(
    settings: GuildSettings, *, default_per_page: int, content_intent: bool
) -> Rendered:
    """`/citebot settings show`: how Citebot behaves in this server."""
    embed = discord.Embed(title="Citebot settings for this server", colour=INFO_COLOUR)
    embed.add_field(
        name="Mentions answered in",
        value=_channels(settings.mention_channels, "every channel"),
        inline=False,
    )
    embed.add_field(
        name="/ask replies",
        value="private by default" if settings.private_replies else "public by default",
    )
    results = settings.results or default_per_page
    default = "" if settings.results else " (the bot's default)"
    embed.add_field(name="Excerpts per page", value=f"{results}{default}")
    every = _channels(settings.answer_all_channels, "no channel")
    if not content_intent:
        every += (
            "\n(needs the message content intent: set CITEBOT_MESSAGE_CONTENT_INTENT=1 and "
            "turn on *Message Content Intent* in the Developer Portal)"
        )
    embed.add_field(name="Every message answered in", value=every, inline=False)
    forums = _channels(settings.suggest_channels, "no channel")
    if settings.suggest_channels:
        when = "also when nothing is found" if settings.suggest_not_found else "only when found"
        forums += f"\n({when}; posts tagged “{escape(settings.suggest_ignore_tag)}” skipped)"
    embed.add_field(name="New posts get a suggested answer in", value=forums, inline=False)
    embed.add_field(
        name="Mentions in text channels",
        value="answered in a new thread" if settings.mention_threads else "answered in place",
    )
    embed.set_footer(
        text="Change them with /citebot settings replies, mentions, answer-all, help-forum or "
        "mention-threads."
    )
    return Rendered(embeds=[embed])


def _channels(ids: Sequence[int], none: str) -> str:
    if not ids:
        return none
    return field_lines([f"<#{channel_id}>" for channel_id in ids])


def _one_question(text: str) -> str:
    return escape(truncate(" ".join(text.split()), 90))

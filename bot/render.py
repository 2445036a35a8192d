"""Answers, articles and help as Discord message content and embeds: pure functions.

Nothing here talks to Discord; every function returns values that fit Discord's
limits, so a caller can send them as they are. Article text is shown verbatim with
its Discord markdown escaped: the only markup is ours (bold question terms, links).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import discord

from bot.answer import Answer, ArticleRef, Result
from bot.corpus import Article
from bot.insight import Stats, Unanswered, milliseconds, percent
from bot.store import GuildSettings

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
FIELDS_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000
EMBEDS_LIMIT = 10

FOUND_COLOUR = discord.Colour.blurple()
NOT_FOUND_COLOUR = discord.Colour.orange()
INFO_COLOUR = discord.Colour.dark_teal()

ELLIPSIS = "…"


@dataclass(frozen=True)
class Rendered:
    """What to send: message content (may be None) and embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


# --- answers ---------------------------------------------------------------------------


def page_count(answer: Answer, per_page: int) -> int:
    """How many pages of `per_page` results the answer has (at least one)."""
    return max(1, math.ceil(len(answer.results) / max(1, per_page)))


def render_answer(answer: Answer, *, page: int = 0, per_page: int = 3) -> Rendered:
    """One page of an answer: cited excerpts with the question's terms in bold."""
    if not answer.found or not answer.results:
        return Rendered(embeds=[_not_found_embed(answer)])
    pages = page_count(answer, per_page)
    page = min(max(page, 0), pages - 1)
    shown = answer.results[page * per_page : (page + 1) * per_page]
    # Each result gets an equal share of the description, so no one block crowds out the rest.
    separator = "\n\n"
    share = (DESCRIPTION_LIMIT - len(separator) * (len(shown) - 1)) // len(shown)
    blocks = [_result_block(result, share) for result in shown]
    embed = discord.Embed(
        title=_title(answer.question),
        description=separator.join(blocks),
        colour=FOUND_COLOUR,
    )
    footer = f"Searched {_plural(answer.articles_searched, 'article')} in {_ms(answer.elapsed_ms)}"
    if pages > 1:
        footer += f" · page {page + 1}/{pages}"
    embed.set_footer(text=footer)
    return Rendered(embeds=[embed])


def render_passages(results: Sequence[Result]) -> Rendered:
    """The full passages behind some results, one embed each, within the message limits."""
    shown = list(results)[:EMBEDS_LIMIT]
    if not shown:
        return Rendered(content="There is no passage to show.")
    titles = [_truncate(f"[{r.rank}] {_citation_text(r)}", TITLE_LIMIT) for r in shown]
    budget = EMBED_TOTAL_LIMIT - sum(len(t) for t in titles) - 50
    share = min(DESCRIPTION_LIMIT, budget // len(shown))
    embeds = []
    for result, title in zip(shown, titles, strict=True):
        embed = discord.Embed(
            title=title,
            url=_safe_url(result.url),
            description=_fit_text(result.passage, share),
            colour=FOUND_COLOUR,
        )
        embeds.append(embed)
    return Rendered(embeds=embeds)


def _result_block(result: Result, limit: int) -> str:
    citation = _citation(result)
    if len(citation) > limit // 2:  # a very long url: cite without the link
        citation = _citation(result, link=False)
    header = f"{citation}\n"
    body = _marked_excerpt(result.excerpt, result.highlights, limit - len(header))
    return header + body


def _citation(result: Result, *, link: bool = True) -> str:
    """`[1]` Title — ¶4–5, the title part linked to the article when its url is known."""
    text = _citation_text(result)
    url = _safe_url(result.url) if link else None
    label = f"`[{result.rank}]`"
    if url is None:
        return f"{label} {escape(text)}"
    link_text = escape(text).replace("[", "\\[").replace("]", "\\]")
    return f"{label} [{link_text}]({url})"


def _citation_text(result: Result) -> str:
    first, last = result.paragraphs
    where = f"¶{first}" if first == last else f"¶{first}–{last}"
    title = _truncate(" ".join(result.title.split()), 150)
    return f"{title} — {where}"


def _marked_excerpt(excerpt: str, highlights: Sequence[tuple[int, int]], limit: int) -> str:
    """The excerpt as a block quote, escaped, with highlighted spans in bold, within `limit`."""
    rendered = _quote(_bold(excerpt, highlights))
    if len(rendered) <= limit:
        return rendered
    # Cut the raw text (never the markup) until the rendered form fits.
    low, high = 0, len(excerpt)
    best = _quote(ELLIPSIS)
    while low <= high:
        middle = (low + high) // 2
        cut = _cut_at_space(excerpt, middle)
        kept = [(s, e) for s, e in highlights if e <= len(cut)]
        candidate = _quote(_bold(cut + ELLIPSIS, kept))
        if len(candidate) <= limit:
            best = candidate
            low = middle + 1
        else:
            high = middle - 1
    return best


def _bold(text: str, highlights: Sequence[tuple[int, int]]) -> str:
    """Escape `text` piece by piece, wrapping the highlighted spans in **bold**."""
    parts: list[str] = []
    position = 0
    for start, end in _join_spans(text, highlights):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        parts.append(escape(text[position:start]))
        word = text[start:end]
        stripped = word.strip()
        if stripped:
            # Bold markers hugging whitespace do not render: keep the spaces outside.
            lead = word[: len(word) - len(word.lstrip())]
            trail = word[len(word.rstrip()) :]
            parts.append(f"{lead}**{escape(stripped)}**{trail}")
        else:
            parts.append(word)
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def _join_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Neighbouring highlights separated only by spaces become one bold run."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if joined and text[joined[-1][1] : start].strip(" ") == "" and start >= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def _quote(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _not_found_embed(answer: Answer) -> discord.Embed:
    lines = [
        f"I couldn't find an answer to that in the {_plural(answer.articles_searched, 'article')} "
        "I know. Try other words, or ask about one article with `/ask article:`."
    ]
    if answer.closest:
        lines.append("")
        lines.append("The closest articles:")
        lines.extend(f"• {_article_link(ref)}" for ref in answer.closest[:5])
    lines.append("")
    lines.append("`/articles` lists everything I know.")
    embed = discord.Embed(
        title=_title(answer.question),
        description=_truncate("\n".join(lines), DESCRIPTION_LIMIT),
        colour=NOT_FOUND_COLOUR,
    )
    embed.set_footer(
        text=f"Searched {_plural(answer.articles_searched, 'article')} in {_ms(answer.elapsed_ms)}"
    )
    return embed


def _article_link(ref: ArticleRef | Article) -> str:
    title = escape(_truncate(" ".join(ref.title.split()), 200))
    url = _safe_url(ref.url)
    if url is None:
        return title
    return "[{}]({})".format(title.replace("[", "\\[").replace("]", "\\]"), url)


# --- articles and help -----------------------------------------------------------------


def render_article_list(
    articles: Sequence[Article], *, page: int, per_page: int, query: str | None = None
) -> Rendered:
    """One page of the article list: title (linked), id and date."""
    pages = max(1, math.ceil(len(articles) / per_page))
    page = min(max(page, 0), pages - 1)
    shown = articles[page * per_page : (page + 1) * per_page]
    if not articles:
        what = f" matching “{escape(_truncate(query, 100))}”" if query else ""
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
        extra = f" · {escape(_truncate(article.date, 40))}" if article.date else ""
        ident = f"`{_code(_truncate(article.article_id, 100))}`"
        line = f"• {_article_link(article)} — {ident}{extra}"
        if len(line) > share:  # a very long url: show the title without its link
            line = _truncate(f"• {escape(_truncate(article.title, 100))} — {ident}{extra}", share)
        lines.append(line)
    title = "Articles" if not query else _truncate(f"Articles matching “{query}”", TITLE_LIMIT)
    embed = discord.Embed(title=title, description="\n".join(lines), colour=INFO_COLOUR)
    embed.set_footer(text=f"{_plural(len(articles), 'article')} · page {page + 1}/{pages}")
    return Rendered(embeds=[embed])


def render_article(article: Article, *, passages: int, opening_chars: int = 600) -> Rendered:
    """One article: title, link, author, date, passage count and its opening."""
    opening = article.text[: article.paragraphs[0].end] if article.paragraphs else article.text
    if len(opening) > opening_chars:
        opening = _cut_at_space(opening, opening_chars) + ELLIPSIS
    embed = discord.Embed(
        title=_truncate(" ".join(article.title.split()), TITLE_LIMIT),
        url=_safe_url(article.url),
        description=_quote(escape(opening)) if opening else None,
        colour=INFO_COLOUR,
    )
    embed.add_field(name="Id", value=f"`{_code(article.article_id)[: FIELD_VALUE_LIMIT - 2]}`")
    if article.author:
        embed.add_field(name="Author", value=_truncate(escape(article.author), FIELD_VALUE_LIMIT))
    if article.date:
        embed.add_field(name="Date", value=_truncate(escape(article.date), FIELD_VALUE_LIMIT))
    embed.add_field(name="Paragraphs", value=str(len(article.paragraphs)))
    embed.add_field(name="Passages", value=str(passages))
    return Rendered(embeds=[embed])


def render_help(*, articles: int, passages: int, results: int, rate: int, per: float) -> Rendered:
    """How to ask, and what the bot knows."""
    description = "\n".join(
        [
            "I answer questions with **verbatim excerpts** from the articles I know, "
            "each with a citation to the article and its paragraphs.",
            "",
            "**How to ask**",
            "• `/ask question:` — in a server, in a DM with me, or anywhere I am installed. "
            "Add `article:` to search one article, `private:` to see the answer alone.",
            "• Send me a direct message: every DM is a question.",
            "• Mention me in a channel: “@Citebot who founded DeepSeek?”",
            "• Right-click a message → Apps → **Ask Citebot**.",
            "",
            "**Under an answer**",
            "• **More results** shows the next excerpts (only for the person who asked).",
            "• **Show passage** shows the whole passages privately.",
            "• 👍 / 👎 tells us whether the answer helped.",
            "",
            "**What I know**",
            f"{_plural(articles, 'article')} in {_plural(passages, 'passage')}; "
            "`/articles` lists them and `/article` shows one.",
            f"Up to {_plural(rate, 'question')} per {_seconds(per)} per person; "
            f"{_plural(results, 'excerpt')} per page.",
        ]
    )
    embed = discord.Embed(title="Citebot help", description=description, colour=INFO_COLOUR)
    return Rendered(embeds=[embed])


# --- administering (/citebot) ------------------------------------------------------------

#: Embeds shown for one added file; a JSONL file with more articles is summed up in the text.
ADDED_SHOWN = 3


def render_added(added: Sequence[tuple[Article, int]], *, source: str) -> Rendered:
    """What `/citebot add` added: each article's title, passages and opening."""
    total = sum(passages for _, passages in added)
    if len(added) == 1:
        article, passages = added[0]
        title = escape(_truncate(" ".join(article.title.split()), 200))
        content = (
            f"Added “{title}” from {source}: {_plural(passages, 'passage')}. `/ask` finds it now."
        )
    else:
        content = (
            f"Added {_plural(len(added), 'article')} from {source} "
            f"({_plural(total, 'passage')}). `/ask` finds them now."
        )
        if len(added) > ADDED_SHOWN:
            content += f" The first {ADDED_SHOWN} are shown."
    embeds = [
        render_article(article, passages=passages, opening_chars=400).embeds[0]
        for article, passages in added[:ADDED_SHOWN]
    ]
    return Rendered(content=_truncate(content, CONTENT_LIMIT), embeds=embeds)


def render_stats(stats: Stats, *, titles: dict[str, str], scope: str) -> Rendered:
    """`/citebot stats`: the corpus, questions, found-rate, reply times, citations, feedback."""
    embed = discord.Embed(title=_fit_text(f"Citebot in {scope}", TITLE_LIMIT), colour=INFO_COLOUR)
    embed.add_field(
        name="Articles",
        value=f"{stats.articles:,} ({_plural(stats.passages, 'passage')})",
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
        f"{count:,} × {escape(_truncate(' '.join(titles.get(article_id, article_id).split()), 100))}"
        for article_id, count in stats.most_cited
    ]
    embed.add_field(
        name="Most cited", value=_truncate("\n".join(lines) or "–", FIELD_VALUE_LIMIT), inline=False
    )
    embed.set_footer(
        text=f"The question log keeps {_plural(stats.retention_days, 'day')}; "
        "users are stored only as salted hashes."
    )
    return Rendered(embeds=[embed])


def render_unanswered(report: Unanswered, *, scope: str) -> Rendered:
    """`/citebot unanswered`: what the articles did not answer, most frequent and most recent."""
    title = _fit_text(f"Unanswered in {scope}, last {_plural(report.days, 'day')}", TITLE_LIMIT)
    embed = discord.Embed(title=title, colour=INFO_COLOUR)
    if not report.most_frequent:
        embed.description = "Nothing: every question was answered and nobody voted 👎."
        return Rendered(embeds=[embed])
    embed.description = (
        f"{_plural(report.total, 'question')} answered “not found” or voted 👎. "
        "Articles that answer them would help most."
    )
    frequent = [
        f"{often.times:,}× {_one_question(often.question)}" for often in report.most_frequent
    ]
    recent = [
        f"<t:{int(often.last_asked)}:R> {_one_question(often.question)}"
        for often in report.most_recent
    ]
    embed.add_field(name="Most frequent", value=_lines(frequent), inline=False)
    embed.add_field(name="Most recent", value=_lines(recent), inline=False)
    return Rendered(embeds=[embed])


def render_guild_settings(
    settings: GuildSettings, *, default_results: int, content_intent: bool
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
    results = settings.results or default_results
    default = "" if settings.results else " (the bot's default)"
    embed.add_field(name="Excerpts per page", value=f"{results}{default}")
    every = _channels(settings.answer_all_channels, "no channel")
    if not content_intent:
        every += (
            "\n(needs the message content intent: set CITEBOT_MESSAGE_CONTENT_INTENT=1 and "
            "turn on *Message Content Intent* in the Developer Portal)"
        )
    embed.add_field(name="Every message answered in", value=every, inline=False)
    embed.set_footer(text="Change them with /citebot settings replies, mentions or answer-all.")
    return Rendered(embeds=[embed])


def _channels(ids: Sequence[int], none: str) -> str:
    if not ids:
        return none
    return _lines([f"<#{channel_id}>" for channel_id in ids])


def _one_question(text: str) -> str:
    return escape(_truncate(" ".join(text.split()), 90))


def _lines(lines: Sequence[str]) -> str:
    """As many whole lines as fit in one embed field."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > FIELD_VALUE_LIMIT:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept) or "–"


# --- helpers ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """Article text shown as it is: every Discord markdown character escaped."""
    return discord.utils.escape_markdown(text)


def _code(text: str) -> str:
    """Text safe inside an inline code span."""
    return text.replace("`", "ˋ")


def _title(question: str) -> str:
    question = " ".join(question.split())
    return _fit_text(question, TITLE_LIMIT, quote=False)


def _fit_text(text: str, limit: int, *, quote: bool = False) -> str:
    """Escaped `text` cut (at a space when possible) so that it fits in `limit`."""
    shape = _quote if quote else (lambda t: t)
    rendered = shape(escape(text))
    if len(rendered) <= limit:
        return rendered
    low, high, best = 0, len(text), ELLIPSIS
    while low <= high:
        middle = (low + high) // 2
        candidate = shape(escape(_cut_at_space(text, middle)) + ELLIPSIS)
        if len(candidate) <= limit:
            best = candidate
            low = middle + 1
        else:
            high = middle - 1
    return best


def _cut_at_space(text: str, length: int) -> str:
    if length >= len(text):
        return text
    cut = text[:length]
    space = cut.rfind(" ")
    if space > length * 0.6:
        cut = cut[:space]
    return cut.rstrip()


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def _safe_url(url: str | None) -> str | None:
    """An http(s) url that cannot break a markdown link, or None."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > 2000:
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _ms(elapsed_ms: float) -> str:
    return f"{elapsed_ms:.0f} ms" if elapsed_ms >= 1 else "<1 ms"


def _seconds(seconds: float) -> str:
    if seconds == 60:
        return "minute"
    if seconds.is_integer():
        return f"{int(seconds)} s"
    return f"{seconds:g} s"


def embed_problems(content: str | None, embeds: Sequence[discord.Embed]) -> list[str]:
    """Every way `content` and `embeds` break Discord's limits (empty when they fit)."""
    return payload_problems({"content": content, "embeds": [e.to_dict() for e in embeds]})


def payload_problems(payload: dict[str, object]) -> list[str]:
    """Limit violations in a message payload as sent to Discord (dict form)."""
    problems: list[str] = []
    content = payload.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        problems.append(f"content has {len(content)} characters (limit {CONTENT_LIMIT})")
    embeds = payload.get("embeds") or []
    assert isinstance(embeds, list)
    if len(embeds) > EMBEDS_LIMIT:
        problems.append(f"{len(embeds)} embeds (limit {EMBEDS_LIMIT})")
    total = 0
    for number, embed in enumerate(embeds):
        assert isinstance(embed, dict)
        checks = [
            ("title", embed.get("title"), TITLE_LIMIT),
            ("description", embed.get("description"), DESCRIPTION_LIMIT),
            ("footer", (embed.get("footer") or {}).get("text"), FOOTER_LIMIT),
            ("author", (embed.get("author") or {}).get("name"), AUTHOR_LIMIT),
        ]
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_LIMIT:
            problems.append(f"embed {number} has {len(fields)} fields (limit {FIELDS_LIMIT})")
        for f in fields:
            checks.append(("field name", f.get("name"), FIELD_NAME_LIMIT))
            checks.append(("field value", f.get("value"), FIELD_VALUE_LIMIT))
        for what, text, limit in checks:
            if text is None:
                continue
            total += len(text)
            if len(text) > limit:
                problems.append(f"embed {number} {what} has {len(text)} characters (limit {limit})")
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"embeds hold {total} characters in all (limit {EMBED_TOTAL_LIMIT})")
    return problems

"""Answers as Discord embeds: cited excerpts with the question's terms in bold, and passages."""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord

from bot.answer import Answer, Result
from bot.citation import citation
from bot.render._text import (
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    EMBED_TOTAL_LIMIT,
    EMBEDS_LIMIT,
    FOUND_COLOUR,
    NOT_FOUND_COLOUR,
    TITLE_LIMIT,
    Rendered,
    article_markdown,
    elapsed,
    escape,
    escape_title,
    fit_article,
    link,
    longest_cut,
    plural,
    quote,
    safe_url,
    title_of,
    truncate,
)


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
        title=title_of(answer.question),
        description=separator.join(blocks),
        colour=FOUND_COLOUR,
    )
    footer = (
        f"Searched {plural(answer.articles_searched, 'article')} in {elapsed(answer.elapsed_ms)}"
    )
    if pages > 1:
        footer += f" · page {page + 1}/{pages}"
    embed.set_footer(text=footer)
    return Rendered(embeds=[embed])


def render_passages(results: Sequence[Result]) -> Rendered:
    """The full passages behind some results, one embed each, within the message limits."""
    shown = list(results)[:EMBEDS_LIMIT]
    if not shown:
        return Rendered(content="There is no passage to show.")
    titles = [
        truncate(f"[{r.rank}] {_citation_text(r, r.passage_paragraphs)}", TITLE_LIMIT)
        for r in shown
    ]
    budget = EMBED_TOTAL_LIMIT - sum(len(t) for t in titles) - 50
    share = min(DESCRIPTION_LIMIT, budget // len(shown))
    embeds = []
    for result, title in zip(shown, titles, strict=True):
        embed = discord.Embed(
            title=title,
            url=safe_url(result.link or result.url),
            description=fit_article(result.passage, share),
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
    """`[1]` Title › Section — ¶4–5, linked to the section (or the article) when its url
    is known."""
    text = _citation_text(result)
    url = safe_url(result.link or result.url) if link else None
    label = f"`[{result.rank}]`"
    if url is None:
        return f"{label} {escape_title(text)}"
    return f"{label} [{escape_title(text)}]({url})"


def _citation_text(result: Result, paragraphs: tuple[int, int] | None = None) -> str:
    """The citation of the excerpt, or of `paragraphs` (the whole passage's) when given."""
    section = truncate(" ".join(result.section.split()), 100) if result.section else None
    return citation(
        truncate(" ".join(result.title.split()), 150),
        paragraphs or result.paragraphs,
        section=section,
    )


def _marked_excerpt(excerpt: str, highlights: Sequence[tuple[int, int]], limit: int) -> str:
    """The excerpt as a block quote, escaped, with highlighted spans in bold, within `limit`;
    code stays code (see `article_markdown`)."""
    rendered = article_markdown(excerpt, highlights, bold=_bold)
    if len(rendered) <= limit:
        return rendered

    def shaped(cut: str) -> str:
        kept = [(s, e) for s, e in highlights if e <= len(cut)]
        return article_markdown(cut + ELLIPSIS, kept, bold=_bold)

    return longest_cut(excerpt, limit, shaped, fallback=quote(ELLIPSIS))


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


def _not_found_embed(answer: Answer) -> discord.Embed:
    lines = [
        f"I couldn't find an answer to that in the {plural(answer.articles_searched, 'article')} "
        "I know. Try other words, or ask about one article with `/ask article:`."
    ]
    if answer.closest:
        lines.append("")
        lines.append("The closest articles:")
        lines.extend(f"• {link(ref.title, ref.url)}" for ref in answer.closest[:5])
    lines.append("")
    lines.append("`/articles` lists everything I know.")
    embed = discord.Embed(
        title=title_of(answer.question),
        description=truncate("\n".join(lines), DESCRIPTION_LIMIT),
        colour=NOT_FOUND_COLOUR,
    )
    embed.set_footer(
        text=f"Searched {plural(answer.articles_searched, 'article')} in {elapsed(answer.elapsed_ms)}"
    )
    return embed

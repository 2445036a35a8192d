"""Answers, the catalogue and admin replies as Discord message content and embeds: pure functions.

Nothing here talks to Discord; every function returns values that fit Discord's
limits, so a caller can send them as they are. Article text is shown verbatim with
its Discord markdown escaped: the only markup is ours (bold question terms, links).

`_answer` renders answers and passages, `_catalogue` the article list, one article
and the help, `_admin` what `/citebot` shows, `_sources` its URL articles and sitemap
imports; `_text` holds the limits and the text helpers the Discord layer shares (escape,
code, truncate, plural, fit).
"""

from __future__ import annotations

from bot.render._admin import (
    render_added,
    render_guild_settings,
    render_stats,
    render_unanswered,
)
from bot.render._answer import page_count, render_answer, render_passages
from bot.render._catalogue import render_article, render_article_list, render_help
from bot.render._sources import (
    gone_field,
    render_import_progress,
    render_import_summary,
    render_sources,
)
from bot.render._text import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    Rendered,
    code,
    escape,
    escape_title,
    fit,
    plural,
    truncate,
)

__all__ = [
    "AUTHOR_LIMIT",
    "CONTENT_LIMIT",
    "DESCRIPTION_LIMIT",
    "EMBED_TOTAL_LIMIT",
    "EMBEDS_LIMIT",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "FIELDS_LIMIT",
    "FOOTER_LIMIT",
    "TITLE_LIMIT",
    "Rendered",
    "code",
    "escape",
    "escape_title",
    "fit",
    "gone_field",
    "page_count",
    "plural",
    "render_added",
    "render_answer",
    "render_article",
    "render_article_list",
    "render_guild_settings",
    "render_help",
    "render_import_progress",
    "render_import_summary",
    "render_passages",
    "render_sources",
    "render_stats",
    "render_unanswered",
    "truncate",
]

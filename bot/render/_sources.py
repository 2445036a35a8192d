"""What `/citebot sources`, `/citebot add sitemap:` and the gone pages in `/citebot stats` show."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import discord

from bot.fetch import without_query
from bot.render._text import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    INFO_COLOUR,
    Rendered,
    code,
    escape,
    field_lines,
    link,
    plural,
    truncate,
)
from bot.sitemap import ImportProgress
from bot.sources import Source

#: Sources shown per page of `/citebot sources` (each takes two lines).
SOURCES_PER_PAGE = 10
#: Failures named in an import's summary.
FAILURES_SHOWN = 5


def _when(at: float | None) -> str:
    return "never" if at is None else f"<t:{int(at)}:R>"


def source_status(source: Source) -> str:
    """One source's state in a few words."""
    if source.status == "added":
        return f"added {_when(source.added_at)}, not checked since"
    checked = f"checked {_when(source.checked_at)}"
    if source.gone:
        return f"**gone** (HTTP 404/410 {source.gone_count}× in a row; kept), {checked}"
    if source.status == "gone":
        return f"answered 404/410 once, {checked}"
    if source.status == "error":
        reason = escape(truncate(" ".join((source.error or "").split()), 150))
        return f"failed ({reason}), {checked}; retried next round"
    updated = f", updated {_when(source.changed_at)}" if source.changed_at else ""
    return f"unchanged, {checked}{updated}" if source.status == "unchanged" else checked + updated


def _address(url: str) -> str:
    """The page's address shown to every server's admins: a query string or fragment can
    carry someone's access token, so neither is shown."""
    return without_query(url)


def _source_lines(source: Source, title: str | None) -> str:
    shown = link(title or source.path, _address(source.url))
    return f"{shown} · `{code(truncate(source.path, 80))}`\n{source_status(source)}"


def render_sources(
    sources: Sequence[Source],
    *,
    titles: Mapping[str, str],
    page: int,
    refresh_hours: float,
) -> Rendered:
    """`/citebot sources`: one page of the articles added by URL, with their last check."""
    embed = discord.Embed(title="Articles added by URL", colour=INFO_COLOUR)
    if refresh_hours > 0:
        schedule = f"Each page is fetched again every {refresh_hours:g} h"
    else:
        schedule = "The refresh is off (CITEBOT_REFRESH_HOURS=0)"
    if not sources:
        embed.description = (
            "None yet: `/citebot add url:` or `/citebot add sitemap:` adds pages. " + schedule + "."
        )
        return Rendered(embeds=[embed])
    pages = max(1, math.ceil(len(sources) / SOURCES_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = sources[(page - 1) * SOURCES_PER_PAGE : page * SOURCES_PER_PAGE]
    blocks = [_source_lines(s, titles.get(s.path)) for s in shown]
    embed.description = truncate("\n\n".join(blocks), DESCRIPTION_LIMIT)
    footer = f"{plural(len(sources), 'article')}. {schedule}."
    if pages > 1:
        footer = f"Page {page} of {pages} (`page:` shows another). " + footer
    embed.set_footer(text=footer)
    return Rendered(embeds=[embed])


def gone_field(gone: Sequence[Source], titles: Mapping[str, str]) -> tuple[str, str] | None:
    """The `/citebot stats` field naming pages gone twice in a row, or None when there are none."""
    if not gone:
        return None
    lines = [link(titles.get(s.path) or s.path, _address(s.url)) for s in gone]
    value = field_lines(lines) + "\nKept until removed: `/citebot remove` takes them out."
    return f"Pages gone ({len(gone):,})", truncate(value, FIELD_VALUE_LIMIT)


def render_import_progress(progress: ImportProgress, *, source: str) -> str:
    """The reply while a sitemap is being imported."""
    return truncate(
        f"Importing {plural(progress.total, 'page')} from {source}: {progress.done:,} done "
        f"({progress.added:,} added, {progress.failed:,} failed, {progress.skipped:,} skipped)…",
        CONTENT_LIMIT,
    )


def render_import_summary(
    progress: ImportProgress, *, source: str, reload_error: str | None
) -> str:
    """The reply once a sitemap import has finished."""
    text = (
        f"Imported from {source}: {progress.added:,} added, {progress.failed:,} failed, "
        f"{progress.skipped:,} skipped (already in the library)."
    )
    if progress.added:
        text += " `/ask` finds them now." if reload_error is None else ""
    notes = []
    if progress.other_hosts:
        count = progress.other_hosts
        notes.append(f"{count:,} address{'es' if count != 1 else ''} on other sites left out")
    if progress.left_out:
        notes.append(f"{progress.left_out:,} beyond the limit or nested indexes left out")
    if notes:
        text += " " + "; ".join(notes).capitalize() + "."
    if reload_error is not None:
        text += (
            f" The index could not be rebuilt, so the new pages are not quoted yet: {reload_error}"
        )
    if progress.failures:
        lines = [
            f"• `{code(truncate(url, 200))}`: {escape(truncate(reason, 150))}"
            for url, reason in progress.failures[:FAILURES_SHOWN]
        ]
        more = len(progress.failures) - FAILURES_SHOWN
        text += "\nFailed:\n" + "\n".join(lines) + (f"\n… and {more} more" if more > 0 else "")
    return truncate(text, CONTENT_LIMIT)

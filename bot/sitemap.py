"""`/citebot add sitemap:`: many pages of one site, listed by its sitemap, added one by one.

A sitemap is untrusted XML (defusedxml: no entities, no DTDs), fetched through the same
address guard as a page. A sitemap index is followed one level down; only pages on the
sitemap's own host are taken, at most `limit` of them, each fetched through the guard,
read in a child process and saved like `/citebot add url:`, with a pause between two
requests to the host.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from yarl import URL

from bot import corpus_edit, fetch
from bot.corpus import Article
from bot.database import write_errors
from bot.errors import CorpusEditError, DuplicateArticle, FetchError, LibraryFull
from bot.refresh import Pacer, record_added
from bot.sources import SourceBook

log = logging.getLogger(__name__)

#: A sitemap larger than this is refused (the protocol's own limit is 50 MB uncompressed).
MAX_SITEMAP_BYTES = 10 * 1024 * 1024
#: Sitemaps of an index fetched at most, so an index of empty sitemaps cannot keep us busy.
MAX_CHILD_SITEMAPS = 50


@dataclass(frozen=True)
class SitemapPages:
    """The pages a sitemap lists on its own host, and what was left out."""

    urls: list[str]
    other_hosts: int = 0
    #: Pages beyond the limit, and nested indexes (only one level is followed).
    left_out: int = 0


def parse_sitemap(text: str) -> tuple[bool, list[str]]:
    """(is an index, the <loc> addresses) of a sitemap; a plain-text one lists one per line."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("<"):
        return False, [line.strip() for line in text.splitlines() if line.strip()]
    try:
        root = fromstring(stripped)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise FetchError(f"that is not a readable sitemap ({type(exc).__name__})") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise FetchError(f"that is not a sitemap (its root element is <{kind}>)")
    locs = [
        (loc.text or "").strip()
        for entry in root
        for loc in entry
        if _local(entry.tag) in ("url", "sitemap") and _local(loc.tag) == "loc"
    ]
    return kind == "sitemapindex", [loc for loc in locs if loc]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _host(url: str) -> str | None:
    try:
        host = URL(url).host
    except (ValueError, TypeError):
        return None
    return host.lower() if host else None


async def read_sitemap(
    url: str, *, limit: int, pacer: Pacer, allow_private: bool = False
) -> SitemapPages:
    """The first `limit` pages on the sitemap's host (an index is followed one level)."""
    fetch.check_url(url, allow_private=allow_private)  # a malformed URL: the short FetchError
    await pacer.wait(url)
    first = await _fetch_sitemap(url, allow_private)
    hosts = {h for h in (_host(url), _host(first.url)) if h}
    is_index, locs = await asyncio.to_thread(parse_sitemap, first.body)
    other_hosts = left_out = 0
    if is_index:
        locs, other_hosts, left_out = await _follow_index(
            locs, hosts, limit=limit, pacer=pacer, allow_private=allow_private
        )
    same_host: list[str] = []
    for loc in dict.fromkeys(locs):  # in order, each once
        if _host(loc) not in hosts:
            other_hosts += 1
        elif len(same_host) < limit:
            same_host.append(loc)
        else:
            left_out += 1
    return SitemapPages(same_host, other_hosts=other_hosts, left_out=left_out)


async def _follow_index(
    sitemaps: list[str], hosts: set[str], *, limit: int, pacer: Pacer, allow_private: bool
) -> tuple[list[str], int, int]:
    """The pages the index's sitemaps list (those on `hosts`, until `limit` are found),
    how many sitemaps were on other hosts, and how many were left out (nested, unreadable,
    or past the limit)."""
    pages: list[str] = []
    other_hosts = left_out = fetched = 0
    for child in sitemaps:
        if _host(child) not in hosts:
            other_hosts += 1
            continue
        if len(pages) >= limit or fetched >= MAX_CHILD_SITEMAPS:
            left_out += 1
            continue
        fetched += 1
        await pacer.wait(child)
        try:
            body = (await _fetch_sitemap(child, allow_private)).body
            nested, child_locs = await asyncio.to_thread(parse_sitemap, body)
        except FetchError as exc:
            log.warning("sitemap %s left out: %s", fetch.without_query(child), exc)
            nested, child_locs = True, []
        if nested:  # one level only
            left_out += 1
            continue
        pages.extend(child_locs)
    return pages, other_hosts, left_out


async def _fetch_sitemap(url: str, allow_private: bool) -> fetch.FetchedPage:
    return await fetch.fetch_page(
        url, allow_private=allow_private, max_bytes=MAX_SITEMAP_BYTES, accept=fetch.SITEMAP_TYPES
    )


@dataclass
class ImportProgress:
    """Where an import stands: shown to the admin as it goes, and as its summary."""

    total: int
    added: int = 0
    failed: int = 0
    skipped: int = 0
    other_hosts: int = 0
    left_out: int = 0
    #: (page, why) of each failure, for the summary.
    failures: list[tuple[str, str]] = field(default_factory=list)
    added_paths: list[Path] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Pages handled so far."""
        return self.added + self.failed + self.skipped


@dataclass(frozen=True)
class ImportTarget:
    """Where imported pages go and who is told about them."""

    corpus_dir: Path
    #: Where added pages are remembered for the refresh; None: they are not refreshed.
    book: SourceBook | None
    #: The articles already in the library (the bot's engine answers this at the time): the
    #: pages skipped unfetched, and what a page must not repeat unless `claim` answers that.
    existing: Callable[[], Sequence[Article]]
    write_lock: asyncio.Lock
    #: The server whose library `corpus_dir` is (None: the shared corpus).
    guild_id: int | None = None
    #: The folder of `corpus_dir` pages are saved in (`added/`, or `server/` in a server's).
    into: str = corpus_edit.ADDED_FOLDER
    #: The folder remembered paths are relative to (`bot.refresh.source_root`; None: `corpus_dir`).
    sources_root: Path | None = None
    #: Awaited under `write_lock` just before each page is saved: what the page must not
    #: repeat now, or CorpusEditError when the library has no room left for it (a server's
    #: limit). Asked there, not only when the import starts, so an article added meanwhile
    #: (`/citebot add url:`) is counted and not imported again.
    claim: Callable[[], Awaitable[corpus_edit.Existing]] | None = None


async def import_pages(
    pages: SitemapPages,
    target: ImportTarget,
    *,
    pacer: Pacer,
    allow_private: bool = False,
    on_progress: Callable[[ImportProgress], Awaitable[None]] | None = None,
) -> ImportProgress:
    """Add each page like `/citebot add url:`, one at a time; pages already in the library
    are skipped, failures counted with their reason."""
    progress = ImportProgress(
        total=len(pages.urls), other_hosts=pages.other_hosts, left_out=pages.left_out
    )
    added: list[Article] = []
    known = await asyncio.to_thread(corpus_edit.url_keys, target.existing())
    for number, url in enumerate(pages.urls):
        try:
            outcome = await _import_one(
                url, target, added, known, pacer=pacer, allow_private=allow_private
            )
        except LibraryFull as exc:
            log.info("sitemap import stopped: %s", exc)
            progress.left_out += len(pages.urls) - number
            break
        if outcome is None:
            progress.skipped += 1
        elif isinstance(outcome, str):
            progress.failed += 1
            progress.failures.append((url, outcome))
        else:
            progress.added += 1
            progress.added_paths.append(outcome)
        if on_progress is not None:
            await on_progress(progress)
    return progress


async def _import_one(
    url: str,
    target: ImportTarget,
    added: list[Article],
    known: set[str],
    *,
    pacer: Pacer,
    allow_private: bool,
) -> Path | str | None:
    """The file one page was saved as, why it failed, or None when it was already there
    (`known`: the `url_key`s of the library's articles and of those added so far)."""
    if corpus_edit.url_key(url) in known:
        return None
    await pacer.wait(url)
    try:
        page = await fetch.fetch_page(url, allow_private=allow_private)
        article = await asyncio.to_thread(
            corpus_edit.article_from_page, page.body, page.content_type, url
        )
        async with target.write_lock:
            existing: corpus_edit.Existing = target.existing()
            if target.claim is not None:
                try:
                    existing = await target.claim()
                except CorpusEditError as exc:
                    raise LibraryFull(str(exc)) from None
            saved = await asyncio.to_thread(_save, target, article, existing, added)
    except DuplicateArticle:
        return None
    except (FetchError, CorpusEditError) as exc:
        return str(exc)
    added.append(saved.article)
    known.update(corpus_edit.url_keys([saved.article]) | {corpus_edit.url_key(url)})
    if target.book is not None:
        try:
            await asyncio.to_thread(
                record_added,
                target.book,
                target.sources_root or target.corpus_dir,
                saved,
                page,
                url,
                guild_id=target.guild_id,
            )
        except write_errors() as exc:  # the article is in; only its refresh is lost
            log.warning("could not remember %s for the refresh: %s", saved.path, exc)
    log.info("added %s from %s (sitemap)", saved.path, fetch.without_query(page.url))
    return saved.path


def _save(
    target: ImportTarget, article: Article, existing: corpus_edit.Existing, added: list[Article]
) -> corpus_edit.Added:
    """Save one page unless it repeats an article of `existing` or one this import added
    (blocking: the list may span the corpus)."""

    def repeated(page: Article) -> list[Article]:
        return [*(existing(page) if callable(existing) else existing), *added]

    return corpus_edit.save_page_article(target.corpus_dir, article, repeated, into=target.into)

"""Keeping articles added by URL fresh: each page is fetched again on a schedule.

A refresh asks the server whether the page changed (If-None-Match / If-Modified-Since
with the validators it gave last time), through the same address guard and limits as
`/citebot add url:`. A 304, or a page whose article renders to the same file, touches
nothing; a changed page replaces its file in one step (the watcher or the caller's
reload picks it up). A page the server calls gone (404/410) is kept and, the second time
in a row, reported; any other failure is logged and tried again next round. Pages are
fetched one at a time, with a pause between two requests to one host.

A source is a shared article (its row's guild_id is NULL: the file is in the corpus folder)
or one server's own (guild_id: the file is in that server's library, `bot.library`). A
changed shared page asks for the shared index to be rebuilt; a server's is read again at
that server's next question, as any change to its library is.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from yarl import URL

from bot import corpus_edit, fetch, library
from bot.database import write_errors
from bot.errors import CorpusEditError, FetchError, PageGone
from bot.settings import Settings
from bot.sources import Source, SourceBook, Status

log = logging.getLogger(__name__)

#: How often the bot looks for sources due a check (each is fetched once per refresh period).
TICK_SECONDS = 900.0
#: The bot's first look, a little after start-up so it does not compete with the first index.
FIRST_TICK_SECONDS = 60.0

Outcome = Status | Literal["removed"]


def content_hash(data: bytes) -> str:
    """The hash of an article file as written, to tell a changed page from the same one."""
    return hashlib.sha256(data).hexdigest()


class Pacer:
    """At most one request per `delay` seconds to one host, across every caller."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, url: str) -> None:
        """Return when a request to `url`'s host is polite again, and count it as made."""
        host = (URL(url).host or "").lower()
        async with self._locks.setdefault(host, asyncio.Lock()):
            pause = self._next.get(host, 0.0) - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self._next[host] = time.monotonic() + self.delay


@dataclass(frozen=True)
class Checked:
    """What one check of one source found."""

    source: Source
    outcome: Outcome
    detail: str | None = None


@dataclass
class RoundReport:
    """Every check of one round, in the order they were made."""

    checked: list[Checked] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many checks ended in `outcome`."""
        return sum(1 for c in self.checked if c.outcome == outcome)

    @property
    def changed(self) -> bool:
        """Whether any file was replaced."""
        return self.count("changed") > 0

    @property
    def shared_changed(self) -> bool:
        """Whether a shared article's file was replaced (the shared index then needs a
        rebuild; a server's library is read again by itself when its files change)."""
        return any(c.outcome == "changed" and c.source.guild_id is None for c in self.checked)


@contextlib.asynccontextmanager
async def _held(lock: asyncio.Lock | None) -> AsyncIterator[None]:
    if lock is None:
        yield
    else:
        async with lock:
            yield


class Refresher:
    """Re-fetches the sources in a store's url_sources table and swaps in changed pages."""

    def __init__(
        self,
        settings: Settings,
        book: SourceBook,
        *,
        pacer: Pacer | None = None,
        write_lock: asyncio.Lock | None = None,
        on_changed: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.settings = settings
        self.book = book
        self.pacer = pacer or Pacer(settings.fetch_delay)
        #: Held while a file is replaced (the bot's corpus lock: adds and removes wait).
        self.write_lock = write_lock
        #: Awaited after a round that replaced a shared file (the bot rebuilds its index).
        self.on_changed = on_changed
        self._round = asyncio.Lock()

    async def run_round(self, *, due_only: bool = True, now: float | None = None) -> RoundReport:
        """Check every source due (or all of them), one at a time; one round at a time."""
        async with self._round:
            now = time.time() if now is None else now
            period = self.settings.refresh_hours * 3600.0
            older_than = now - period if due_only else float("inf")
            report = RoundReport()
            if not await asyncio.to_thread(self.settings.corpus_dir.is_dir):
                # An unmounted folder is not an admin removing every article: forget nothing.
                log.warning(
                    "refresh: %s is not there; skipping this round", self.settings.corpus_dir
                )
                return report
            sources = await asyncio.to_thread(self.book.due, older_than=older_than)
            for source in sources:
                try:
                    checked = await self.check(source)
                except Exception:  # noqa: BLE001 - one bad page never stops the round
                    log.exception("refreshing %s failed", fetch.without_query(source.url))
                    continue
                if checked is not None:
                    report.checked.append(checked)
            if report.shared_changed and self.on_changed is not None:
                await self.on_changed()
            if report.checked:
                log.info(
                    "refresh: %d checked, %d changed, %d unchanged, %d gone, %d failed",
                    len(report.checked),
                    report.count("changed"),
                    report.count("unchanged"),
                    report.count("gone"),
                    report.count("error"),
                )
            return report

    async def run_forever(self, *, first_delay: float = FIRST_TICK_SECONDS) -> None:
        """The bot's background task: a round of due sources every TICK_SECONDS."""
        await asyncio.sleep(first_delay)
        while True:
            try:
                await self.run_round()
            except Exception:  # noqa: BLE001 - the next tick tries again
                log.exception("a refresh round failed")
            await asyncio.sleep(min(TICK_SECONDS, self.settings.refresh_hours * 3600.0))

    async def check(self, source: Source) -> Checked | None:
        """Fetch one source if its page changed; None when another process is checking it."""
        where = source_file(self.settings, source)
        if not await asyncio.to_thread(where.path.is_file):
            # Removed by an admin (`/citebot remove` moves the file to the trash): forget it.
            await asyncio.to_thread(self.book.forget, source.path)
            return Checked(source, "removed")
        now = time.time()
        if not await asyncio.to_thread(self.book.claim, source, now):
            return None
        await self.pacer.wait(source.url)
        shown = fetch.without_query(source.url)
        try:
            page = await fetch.fetch_if_changed(
                source.url,
                fetch.Validators(source.etag, source.last_modified),
                allow_private=self.settings.allow_private_urls,
            )
        except PageGone as exc:
            await self._record(source, "gone", now, error=str(exc))
            log.warning("refresh: %s is gone (%s, %d in a row)", shown, exc, source.gone_count + 1)
            return Checked(source, "gone", str(exc))
        except FetchError as exc:
            return await self._failed(source, now, str(exc))
        if page is None:
            await self._record(source, "unchanged", now)
            return Checked(source, "unchanged", "304 Not Modified")
        return await self._compare_and_swap(source, where, page, now)

    async def _compare_and_swap(
        self, source: Source, where: SourceFile, page: fetch.FetchedPage, now: float
    ) -> Checked:
        """Read the fetched page; replace the file when its article is not the one we hold."""
        try:
            article = await asyncio.to_thread(
                corpus_edit.article_from_page, page.body, page.content_type, source.url
            )
        except CorpusEditError as exc:
            return await self._failed(source, now, str(exc))
        new_hash = content_hash(corpus_edit.page_file(article))
        validators = {"etag": page.etag, "last_modified": page.last_modified}
        async with _held(self.write_lock):
            try:
                held = await asyncio.to_thread(file_hash, where.path)
            except OSError as exc:
                return await self._failed(source, now, f"could not read {source.path}: {exc}")
            if source.content_hash is not None and held != source.content_hash:
                return await self._reused(source)
            if new_hash == held:
                await self._record(source, "unchanged", now, **validators)
                return Checked(source, "unchanged", "same content")
            try:
                await asyncio.to_thread(
                    corpus_edit.replace_page_article, where.library, where.path, article
                )
            except CorpusEditError as exc:
                return await self._failed(source, now, str(exc))
        await self._record(source, "changed", now, content_hash=new_hash, **validators)
        log.info("refresh: %s changed; %s replaced", fetch.without_query(source.url), source.path)
        return Checked(source, "changed")

    async def _reused(self, source: Source) -> Checked:
        """Forget a source whose file something else wrote since (an upload that reused the
        path of a removed URL article, a hand edit): that file is never overwritten."""
        log.warning(
            "refresh: %s was written by something else since it was fetched from %s; "
            "not overwritten, and no longer refreshed",
            source.path,
            fetch.without_query(source.url),
        )
        try:
            await asyncio.to_thread(self.book.forget, source.path)
        except write_errors() as exc:
            log.warning("refresh: could not forget %s: %s", source.path, exc)
        return Checked(source, "removed", "the file was replaced")

    async def _failed(self, source: Source, now: float, reason: str) -> Checked:
        log.warning(
            "refresh: %s failed (%s); trying again next round",
            fetch.without_query(source.url),
            reason,
        )
        await self._record(source, "error", now, error=reason)
        return Checked(source, "error", reason)

    async def _record(
        self, source: Source, status: Status, now: float, **values: str | None
    ) -> None:
        """Save what a check found; a store that cannot write is logged, not raised."""
        try:
            await asyncio.to_thread(self.book.record_check, source.path, status, now=now, **values)
        except write_errors() as exc:
            log.warning("refresh: could not save the check of %s: %s", source.path, exc)


def file_hash(path: Path) -> str:
    """The hash of a file as it is now (compared with the one stored when it was written)."""
    return content_hash(path.read_bytes())


def source_root(settings: Settings, guild_id: int | None) -> Path:
    """The folder a url_sources row's path is relative to: the corpus folder for a shared
    article, the data dir for a server's (`servers/<id>/library/server/<name>.md`, so two
    servers' files never share a key)."""
    return settings.corpus_dir if guild_id is None else settings.data_dir


@dataclass(frozen=True)
class SourceFile:
    """Where a source's article file is, and the library folder it is read from."""

    #: The corpus folder, or the server's library folder (the root a swap stays inside).
    library: Path
    path: Path

    @property
    def article_source(self) -> str:
        """The file's path as its library's articles name it (`Article.source`)."""
        return relative_path(self.library, self.path)


def source_file(settings: Settings, source: Source) -> SourceFile:
    """The article file of a row, in the shared corpus or in its server's library."""
    if source.guild_id is None:
        return SourceFile(settings.corpus_dir, settings.corpus_dir / source.path)
    return SourceFile(
        library.library_dir(settings.data_dir, source.guild_id),
        source_root(settings, source.guild_id) / source.path,
    )


def relative_path(root: Path, path: Path) -> str:
    """A file's path in `root` (an article file's key in url_sources, with `source_root`)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def record_added(
    book: SourceBook,
    root: Path,
    added: corpus_edit.Added,
    page: fetch.FetchedPage,
    url: str,
    *,
    guild_id: int | None = None,
) -> None:
    """Remember a page just added by URL, with its validators, so the refresh can ask for it
    (`root`: `source_root` of the library it was added to, whose server is `guild_id`)."""
    book.record_added(
        relative_path(root, added.path),
        url,
        content_hash=file_hash(added.path),
        etag=page.etag,
        last_modified=page.last_modified,
        guild_id=guild_id,
    )

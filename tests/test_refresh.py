"""Keeping URL articles fresh, against a real aiohttp site on 127.0.0.1: conditional requests,
changed pages swapped in, unchanged ones left alone, gone ones reported and kept, sitemaps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from support import run_citebot, serve_handler

from bot import corpus_edit, fetch, library
from bot.answer import Engine
from bot.errors import FetchError, SettingsError
from bot.refresh import Pacer, Refresher, record_added, source_root
from bot.settings import Settings
from bot.sitemap import ImportTarget, import_pages, parse_sitemap, read_sitemap
from bot.sources import SourceBook
from bot.store import Store

ORCHARD = """<!doctype html><html><head><title>The Hollow Lane orchard</title></head><body>
<nav>Home · About</nav><article><h1>The Hollow Lane orchard</h1>
<p>The Hollow Lane orchard was planted by Marta Quill in 1961 with forty-two apple trees
grafted from the old manor's russets, pippins and a cider apple nobody could name.</p>
<p>{season}</p>
<p>Volunteers prune the trees every February and press the windfalls into juice that is
sold at the village fête, where the money pays for new rootstock and ladders.</p>
</article><footer>© Hollow Lane</footer></body></html>"""
AUTUMN = "Every October the orchard opens for a harvest day with apple tasting."
SPRING = "Every April the orchard holds a blossom walk led by the village beekeepers."


@dataclass
class Page:
    body: str
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200


@dataclass
class Site:
    """Pages served by a local aiohttp site; every request's conditional headers are kept."""

    base: str = ""
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def asked(self, path: str) -> list[tuple[str | None, str | None]]:
        """(If-None-Match, If-Modified-Since) of each request for `path`."""
        return [(etag, since) for p, etag, since in self.requests if p == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        etag, since = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
        self.requests.append((request.path, etag, since))
        page = self.pages.get(request.path)
        if page is None:
            raise web.HTTPNotFound()
        if page.status != 200:
            return web.Response(status=page.status, text="no")
        headers = {}
        if page.etag:
            headers["ETag"] = page.etag
        if page.last_modified:
            headers["Last-Modified"] = page.last_modified
        if (page.etag and etag == page.etag) or (
            not page.etag and page.last_modified and since == page.last_modified
        ):
            return web.Response(status=304, headers=headers)
        content_type = "text/xml" if request.path.endswith(".xml") else "text/html"
        return web.Response(text=page.body, content_type=content_type, headers=headers)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site()
    async with serve_handler(state.handle) as base:
        state.base = base
        yield state


@pytest.fixture
def settings(corpus: Path, tmp_path: Path) -> Settings:
    return Settings(
        corpus_dir=corpus,
        data_dir=tmp_path / "data",
        allow_private_urls=True,  # the test site is on 127.0.0.1
        fetch_delay=0.0,
    )


@pytest.fixture
def book(settings: Settings) -> Iterator[SourceBook]:
    store = Store.open(settings.data_dir)
    yield SourceBook(store.database)
    store.close()


async def add_by_url(
    settings: Settings, book: SourceBook, url: str, guild_id: int | None = None
) -> Path:
    """What `/citebot add url:` does: fetch, read, save (in the shared corpus, or in the
    library of the server `guild_id`), remember."""
    page = await fetch.fetch_page(url, allow_private=True)
    article = await asyncio.to_thread(
        corpus_edit.article_from_page, page.body, page.content_type, url
    )
    if guild_id is None:
        folder, into = settings.corpus_dir, corpus_edit.ADDED_FOLDER
    else:
        folder, into = library.library_dir(settings.data_dir, guild_id), library.OWN_FOLDER
    added = corpus_edit.save_page_article(folder, article, [], into=into)
    record_added(book, source_root(settings, guild_id), added, page, url, guild_id=guild_id)
    return added.path


def stamp(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# --- refresh -------------------------------------------------------------------------------


async def test_unchanged_page_answers_304_and_nothing_is_written(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    before = stamp(path)

    report = await Refresher(settings, book).run_round(due_only=False)

    assert [c.outcome for c in report.checked] == ["unchanged"]
    assert site.asked("/orchard")[-1] == ('"v1"', None)  # the ETag went back as If-None-Match
    assert stamp(path) == before
    source = book.get("added/the-hollow-lane-orchard.md")
    assert source is not None and source.status == "unchanged" and source.checked_at


async def test_changed_page_is_swapped_in_and_its_new_etag_kept(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    site.pages["/orchard"] = Page(ORCHARD.format(season=SPRING), etag='"v2"')
    changed: list[str] = []

    async def on_changed() -> None:
        changed.append("rebuild")

    refresher = Refresher(settings, book, on_changed=on_changed)
    report = await refresher.run_round(due_only=False)

    assert [c.outcome for c in report.checked] == ["changed"] and changed == ["rebuild"]
    text = path.read_text()
    assert "blossom walk" in text and "harvest day" not in text
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # same file, no temp
    assert "url: " + site.url("/orchard") in text  # the front matter is kept
    again = await refresher.run_round(due_only=False)
    assert [c.outcome for c in again.checked] == ["unchanged"]
    assert site.asked("/orchard")[-1] == ('"v2"', None)


SERVER_A, SERVER_B = 1001, 2002


async def test_a_servers_changed_page_is_swapped_in_its_library_without_a_shared_rebuild(
    site, settings, book
):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"), SERVER_A)
    shared_before = {p: p.read_bytes() for p in settings.corpus_dir.rglob("*") if p.is_file()}
    shared = Engine.open(settings)
    libraries = library.Libraries(settings)
    [before] = libraries.library(shared, SERVER_A).own
    site.pages["/orchard"] = Page(ORCHARD.format(season=SPRING), etag='"v2"')
    rebuilt: list[str] = []

    async def on_changed() -> None:
        rebuilt.append("rebuild")

    report = await Refresher(settings, book, on_changed=on_changed).run_round(due_only=False)

    assert [c.outcome for c in report.checked] == ["changed"] and rebuilt == []
    assert path.parent == library.library_dir(settings.data_dir, SERVER_A) / library.OWN_FOLDER
    assert "blossom walk" in path.read_text() and "harvest day" not in path.read_text()
    assert {p: p.read_bytes() for p in settings.corpus_dir.rglob("*") if p.is_file()} == (
        shared_before
    )
    [after] = libraries.library(shared, SERVER_A).own  # the server's next question reads it
    assert after.article_id == before.article_id
    assert "harvest day" in before.text and "blossom walk" in after.text
    assert libraries.library(shared, SERVER_B).own == ()


async def test_a_server_sees_the_shared_sources_and_its_own_never_anothers(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    site.pages["/shared"] = Page(ORCHARD.format(season=SPRING), etag='"s1"')
    await add_by_url(settings, book, site.url("/shared"))
    # Both servers save the page under the same name in their own library.
    in_a = await add_by_url(settings, book, site.url("/orchard"), SERVER_A)
    in_b = await add_by_url(settings, book, site.url("/orchard"), SERVER_B)
    assert in_a.name == in_b.name and in_a != in_b

    def seen(guild_id: int | None) -> list[tuple[str, int | None]]:
        return sorted((s.path, s.guild_id) for s in book.seen_by(guild_id))

    shared = ("added/the-hollow-lane-orchard.md", None)
    assert seen(SERVER_A) == [shared, (f"servers/{SERVER_A}/library/server/{in_a.name}", SERVER_A)]
    assert seen(SERVER_B) == [shared, (f"servers/{SERVER_B}/library/server/{in_b.name}", SERVER_B)]
    assert seen(None) == [shared]

    report = await Refresher(settings, book).run_round(due_only=False)
    assert sorted(c.outcome for c in report.checked) == ["unchanged"] * 3


async def test_last_modified_is_sent_back_as_if_modified_since(site, settings, book):
    when = "Wed, 01 Oct 2025 08:00:00 GMT"
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), last_modified=when)
    path = await add_by_url(settings, book, site.url("/orchard"))
    before = stamp(path)

    report = await Refresher(settings, book).run_round(due_only=False)

    assert [(c.outcome, c.detail) for c in report.checked] == [("unchanged", "304 Not Modified")]
    assert site.asked("/orchard")[-1] == (None, when)
    assert stamp(path) == before


async def test_a_page_without_validators_and_the_same_content_touches_nothing(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN))
    path = await add_by_url(settings, book, site.url("/orchard"))
    before = stamp(path)

    report = await Refresher(settings, book).run_round(due_only=False)

    assert [(c.outcome, c.detail) for c in report.checked] == [("unchanged", "same content")]
    assert stamp(path) == before


async def test_a_page_gone_twice_is_reported_and_kept(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    refresher = Refresher(settings, book)
    site.pages["/orchard"].status = 404

    first = await refresher.run_round(due_only=False)
    assert [c.outcome for c in first.checked] == ["gone"]
    assert book.gone() == []  # once could be a slip on the server's side

    site.pages["/orchard"].status = 410
    await refresher.run_round(due_only=False)

    [gone] = book.gone()
    assert gone.url == site.url("/orchard") and gone.gone_count == 2
    assert path.is_file() and "harvest day" in path.read_text()


async def test_a_page_back_after_one_404_is_not_reported(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    await add_by_url(settings, book, site.url("/orchard"))
    refresher = Refresher(settings, book)
    site.pages["/orchard"].status = 404
    await refresher.run_round(due_only=False)
    site.pages["/orchard"].status = 200
    await refresher.run_round(due_only=False)
    site.pages["/orchard"].status = 404

    await refresher.run_round(due_only=False)

    assert book.gone() == []


async def test_other_errors_are_logged_and_retried_next_round(site, settings, book, caplog):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    before = stamp(path)
    site.pages["/orchard"].status = 503
    refresher = Refresher(settings, book)

    failed = await refresher.run_round(due_only=False)

    assert [(c.outcome, c.detail) for c in failed.checked] == [
        ("error", "the server answered HTTP 503")
    ]
    assert "trying again next round" in caplog.text
    assert stamp(path) == before and book.gone() == []
    site.pages["/orchard"] = Page(ORCHARD.format(season=SPRING), etag='"v2"')
    retried = await refresher.run_round(due_only=False)
    assert [c.outcome for c in retried.checked] == ["changed"]


async def test_a_round_fetches_only_the_sources_due(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    await add_by_url(settings, book, site.url("/orchard"))
    refresher = Refresher(settings, book)  # every 24 h
    requests = len(site.requests)

    soon = await refresher.run_round(now=time.time() + 3600)
    later = await refresher.run_round(now=time.time() + 25 * 3600)

    assert soon.checked == [] and len(later.checked) == 1
    assert len(site.requests) == requests + 1


async def test_the_refresh_goes_through_the_address_guard(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    requests = len(site.requests)
    guarded = Settings(corpus_dir=settings.corpus_dir, data_dir=settings.data_dir, fetch_delay=0)

    report = await Refresher(guarded, book).run_round(due_only=False)

    [checked] = report.checked
    assert checked.outcome == "error" and checked.detail is not None
    assert checked.detail.startswith("refused: 127.0.0.1 is a private or local address")
    assert len(site.requests) == requests and path.is_file()


async def test_an_article_removed_by_an_admin_is_forgotten(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    path.unlink()

    report = await Refresher(settings, book).run_round(due_only=False)

    assert [c.outcome for c in report.checked] == ["removed"]
    assert book.all() == []


async def test_a_file_that_reused_the_path_is_never_overwritten(site, settings, book, caplog):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    # Removed, then an upload of `orchard.md` saved to the same path before the next round.
    notes = b"# My orchard notes\n\nGrafting notes the owner wrote by hand.\n"
    path.write_bytes(notes)
    site.pages["/orchard"] = Page(ORCHARD.format(season=SPRING), etag='"v2"')

    with caplog.at_level("INFO", logger="bot.refresh"):
        report = await Refresher(settings, book).run_round(due_only=False)

    assert [c.outcome for c in report.checked] == ["removed"] and not report.changed
    assert path.read_bytes() == notes
    assert book.all() == []
    assert any("not overwritten" in r.getMessage() for r in caplog.records)


async def test_a_missing_corpus_folder_forgets_nothing(site, settings, book):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    await add_by_url(settings, book, site.url("/orchard"))
    settings.corpus_dir.rename(settings.corpus_dir.with_name("unmounted"))

    report = await Refresher(settings, book).run_round(due_only=False)

    assert report.checked == [] and [s.url for s in book.all()] == [site.url("/orchard")]


async def test_two_requests_to_one_host_are_spaced_by_the_delay():
    pacer = Pacer(0.3)
    started = time.monotonic()

    await pacer.wait("http://example.org/a")
    await pacer.wait("http://example.org/b")

    assert time.monotonic() - started >= 0.29  # (timers may fire a clock tick early)


def test_sources_recorded_before_server_libraries_become_shared_ones(settings: Settings):
    """Until server libraries were refreshed, every row was a shared article, its guild_id
    the server it was added from; the upgrade makes them all shared (guild_id NULL)."""
    store = Store.open(settings.data_dir)
    SourceBook(store.database).record_added(
        "added/a.md", "https://example.org/a", content_hash="h", guild_id=5
    )
    store.database.execute("DELETE FROM schema_migrations WHERE version = 7")  # a version 6 store
    store.close()

    store = Store.open(settings.data_dir)
    try:
        [source] = SourceBook(store.database).seen_by(6)
    finally:
        store.close()
    assert (source.path, source.guild_id) == ("added/a.md", None)


def test_the_sources_table_on_both_backends(make_store: Callable[..., Store]):
    book = SourceBook(make_store().database)
    book.record_added("added/a.md", "https://example.org/a", content_hash="h1", etag='"e"')
    [source] = book.due(older_than=time.time() + 1)

    assert book.claim(source, time.time())
    assert not book.claim(source, time.time())  # another process got there first
    for _ in range(2):
        book.record_check("added/a.md", "gone", now=time.time(), error="HTTP 404")
    [gone] = book.gone()
    assert gone.etag == '"e"' and gone.content_hash == "h1" and gone.gone_count == 2
    book.record_check("added/a.md", "changed", now=time.time(), content_hash="h2", etag='"f"')
    changed = book.get("added/a.md")
    assert changed is not None and changed.gone_count == 0 and changed.changed_at is not None
    assert (changed.etag, changed.content_hash) == ('"f"', "h2")


# --- sitemaps ------------------------------------------------------------------------------


def urlset(*urls: str) -> str:
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def orchard_pages(site: Site, count: int) -> list[str]:
    for number in range(count):
        season = f"Orchard note {number}: the tree in row {number} bears a russet named {number}."
        site.pages[f"/p{number}"] = Page(
            ORCHARD.format(season=season).replace("Hollow", f"Row{number}")
        )
    return [site.url(f"/p{number}") for number in range(count)]


async def import_target(settings: Settings, book: SourceBook) -> ImportTarget:
    return ImportTarget(settings.corpus_dir, book, existing=list, write_lock=asyncio.Lock())


async def test_a_sitemap_of_five_pages_with_a_limit_of_three_imports_three(site, settings, book):
    site.pages["/sitemap.xml"] = Page(urlset(*orchard_pages(site, 5)))
    pacer = Pacer(0)

    pages = await read_sitemap(site.url("/sitemap.xml"), limit=3, pacer=pacer, allow_private=True)
    done = await import_pages(
        pages, await import_target(settings, book), pacer=pacer, allow_private=True
    )

    assert (done.added, done.failed, done.skipped, done.left_out) == (3, 0, 0, 2)
    assert sorted(p.name for p in (settings.corpus_dir / "added").iterdir()) == [
        "the-row0-lane-orchard.md",
        "the-row1-lane-orchard.md",
        "the-row2-lane-orchard.md",
    ]
    assert sorted(s.url for s in book.all()) == [site.url(f"/p{n}") for n in range(3)]


async def test_a_sitemap_index_is_followed_one_level(site, settings, book):
    urls = orchard_pages(site, 3)
    site.pages["/a.xml"] = Page(urlset(*urls[:2]))
    site.pages["/b.xml"] = Page(urlset(urls[2]))
    site.pages["/deeper.xml"] = Page(
        "<sitemapindex><sitemap><loc>" + site.url("/a.xml") + "</loc></sitemap></sitemapindex>"
    )
    site.pages["/index.xml"] = Page(
        "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(
            f"<sitemap><loc>{site.url(p)}</loc></sitemap>"
            for p in ("/a.xml", "/b.xml", "/deeper.xml")
        )
        + "</sitemapindex>"
    )

    pages = await read_sitemap(site.url("/index.xml"), limit=10, pacer=Pacer(0), allow_private=True)

    assert pages.urls == urls and pages.left_out == 1  # the nested index is not followed


async def test_pages_on_another_host_are_refused(site, settings, book):
    other = site.base.replace("127.0.0.1", "localhost")
    site.pages["/sitemap.xml"] = Page(urlset(f"{other}/p0", f"{other}/p1"))
    orchard_pages(site, 2)

    pages = await read_sitemap(
        site.url("/sitemap.xml"), limit=10, pacer=Pacer(0), allow_private=True
    )

    assert pages.urls == [] and pages.other_hosts == 2
    assert not [p for p, _, _ in site.requests if p.startswith("/p")]


async def test_pages_already_in_the_library_are_skipped_and_failures_counted(site, settings, book):
    urls = orchard_pages(site, 2)
    await add_by_url(settings, book, urls[0])
    site.pages["/sitemap.xml"] = Page(urlset(urls[0], urls[1], site.url("/missing")))
    pacer = Pacer(0)
    existing = corpus_edit.parse_articles(
        (settings.corpus_dir / "added" / "the-row0-lane-orchard.md").read_bytes(),
        "added/the-row0-lane-orchard.md",
    )
    target = ImportTarget(
        settings.corpus_dir, book, existing=lambda: list(existing), write_lock=asyncio.Lock()
    )
    seen: list[int] = []

    async def progress(p) -> None:
        seen.append(p.done)

    pages = await read_sitemap(site.url("/sitemap.xml"), limit=10, pacer=pacer, allow_private=True)
    done = await import_pages(pages, target, pacer=pacer, allow_private=True, on_progress=progress)

    assert (done.added, done.failed, done.skipped) == (1, 1, 1)
    assert done.failures == [(site.url("/missing"), "the server answered HTTP 404")]
    assert seen == [1, 2, 3]


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "https://example.com:99999/", "https://exa mple.com:99999/x", "http://a\x00b/"],
)
async def test_a_malformed_sitemap_url_gets_the_short_message(url):
    with pytest.raises(FetchError, match="^that is not a valid URL$"):
        await read_sitemap(url, limit=5, pacer=Pacer(0.0))


def test_a_sitemap_with_entities_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><urlset><url><loc>&lol2;</loc></url></urlset>'
    )
    with pytest.raises(FetchError, match="not a readable sitemap"):
        parse_sitemap(bomb)


def test_a_plain_text_sitemap_lists_one_page_a_line():
    assert parse_sitemap("https://a.example/1\n\nhttps://a.example/2\n") == (
        False,
        ["https://a.example/1", "https://a.example/2"],
    )


# --- the CLI -------------------------------------------------------------------------------


async def test_citebot_refresh_runs_one_round(site, settings, book, tmp_path):
    site.pages["/orchard"] = Page(ORCHARD.format(season=AUTUMN), etag='"v1"')
    path = await add_by_url(settings, book, site.url("/orchard"))
    site.pages["/orchard"] = Page(ORCHARD.format(season=SPRING), etag='"v2"')
    env = {
        "CITEBOT_CORPUS_DIR": str(settings.corpus_dir),
        "CITEBOT_DATA_DIR": str(settings.data_dir),
        "CITEBOT_ALLOW_PRIVATE_URLS": "1",
        "CITEBOT_FETCH_DELAY_SECONDS": "0",
    }

    done = await asyncio.to_thread(run_citebot, "refresh", cwd=tmp_path, env=env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("changed   added/the-hollow-lane-orchard.md")
    assert done.stdout.splitlines()[-1] == (
        "1 checked: 1 changed, 0 unchanged, 0 gone (0 twice in a row), 0 failed"
    )
    assert "blossom walk" in path.read_text()
    site.pages["/orchard"].status = 500
    failed = await asyncio.to_thread(run_citebot, "refresh", cwd=tmp_path, env=env)
    assert failed.returncode == 1 and "the server answered HTTP 500" in failed.stdout


# --- settings ------------------------------------------------------------------------------


def test_the_refresh_settings_are_read_and_checked():
    settings = Settings.from_env(
        {
            "CITEBOT_REFRESH_HOURS": "0",
            "CITEBOT_SITEMAP_LIMIT": "50",
            "CITEBOT_FETCH_DELAY_SECONDS": "2.5",
        },
        dotenv=False,
    )
    assert (settings.refresh_hours, settings.sitemap_limit, settings.fetch_delay) == (0, 50, 2.5)
    assert Settings.from_env({}, dotenv=False).refresh_hours == 24
    with pytest.raises(SettingsError, match="CITEBOT_SITEMAP_LIMIT must be a whole number"):
        Settings.from_env({"CITEBOT_SITEMAP_LIMIT": "all"}, dotenv=False)

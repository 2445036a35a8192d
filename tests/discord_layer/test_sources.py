"""`/citebot sources`, `/citebot add sitemap:`, gone pages in `/citebot stats` and the bot's
background refresh, in simcord, against a real aiohttp site on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord
import pytest
import simcord
from aiohttp import web
from support import serve_handler

from bot import library
from bot.answer import Engine
from bot.client import CitebotBot
from bot.errors import CitebotError
from bot.settings import Settings
from discord_layer.helpers import PagesReadAhead, handled_errors

PAGE = """<!doctype html><html><head><title>{title}</title></head><body><article>
<h1>{title}</h1>
<p>{title} is a cider orchard planted by Marta Quill in 1961 with forty-two apple trees
grafted from the old manor's russets, pippins and a cider apple nobody could name.</p>
<p>{news}</p>
<p>Volunteers prune the trees every February and press the windfalls into juice that is sold
at the village fête, where the money pays for new rootstock, ladders and baskets.</p>
</article></body></html>"""
AUTUMN = "Every October the orchard opens for a harvest day with apple tasting."
SPRING = "Every April the orchard holds a blossom walk led by the village beekeeper Odile Marsh."


class Site:
    """Pages by path, each with an ETag; a page's status can be changed to 404."""

    def __init__(self, read_ahead: PagesReadAhead) -> None:
        self.base = ""
        self.pages: dict[str, tuple[str, str]] = {}
        self.status: dict[str, int] = {}
        self.on_request: dict[str, Callable[[], None]] = {}  # run when a path is asked for
        self.read_ahead = read_ahead  # each page is read when it is made

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def page(self, path: str, title: str, news: str = AUTUMN) -> str:
        url, body = self.url(path), PAGE.format(title=title, news=news)
        self.pages[path] = (body, f'"{hash(news)}"')
        self.read_ahead.read(url, body)
        return url

    async def handle(self, request: web.Request) -> web.Response:
        if request.path in self.on_request:
            self.on_request[request.path]()
        if request.path not in self.pages or self.status.get(request.path, 200) != 200:
            raise web.HTTPNotFound()
        body, etag = self.pages[request.path]
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        kind = "text/xml" if request.path.endswith(".xml") else "text/html"
        return web.Response(text=body, content_type=kind, headers={"ETag": etag})


@pytest.fixture
async def site(read_ahead: PagesReadAhead) -> AsyncIterator[Site]:
    state = Site(read_ahead)
    async with serve_handler(state.handle) as base:
        state.base = base
        yield state


@pytest.fixture
def settings(bundled_corpus: Path, tmp_path: Path) -> Settings:
    """These commands change the corpus: each test has its own copy."""
    return Settings(
        corpus_dir=bundled_corpus,
        data_dir=tmp_path / "data",
        per_page=2,
        allow_private_urls=True,  # the test site is on 127.0.0.1
        watch_corpus=False,
        sitemap_limit=4,
        fetch_delay=0.0,
    )


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return Engine.open(settings)


class Server:
    def __init__(self, env: simcord.Env, name: str = "Orchardists", *, owner: bool = True) -> None:
        self.guild = env.create_guild(name)
        self.channel = self.guild.create_text_channel("general")
        managers = self.guild.create_role(
            "managers", permissions=discord.Permissions(manage_guild=True)
        )
        self.admin = self.guild.add_member(env.create_user("admin"), roles=[managers])
        self.alice = self.guild.add_member(env.create_user("alice"))
        if owner:  # the bot's owner adds to the shared corpus (`shared:True`)
            env.bot.owner_id = self.admin.id  # type: ignore[attr-defined]


def bot_of(env: simcord.Env) -> CitebotBot:
    return env.bot  # type: ignore[return-value]


def sitemap(*urls: str) -> str:
    return "<urlset>" + "".join(f"<url><loc>{u}</loc></url>" for u in urls) + "</urlset>"


def original_edits(env: simcord.Env) -> list[str]:
    """The content of every edit of an interaction's reply, in order."""
    return [
        r.json["content"]
        for r in env.http_requests
        if r.method == "PATCH" and r.path.endswith("/messages/@original") and r.json
    ]


async def test_sources_lists_an_added_page_and_its_last_check(env: simcord.Env, site: Site):
    server = Server(env)
    url = site.page("/orchard", "Hollow Lane orchard")
    await server.admin.slash(server.channel, "citebot add", url=url, shared=True)

    listed = await server.admin.slash(server.channel, "citebot sources")

    assert listed.ephemeral
    embed = listed.response.embeds[0]
    assert embed.title == "Articles added by URL"
    assert f"[Hollow Lane orchard]({url})" in embed.description
    assert "added <t:" in embed.description and "not checked since" in embed.description
    assert embed.footer.text == "1 article. Each page is fetched again every 24 h."

    await bot_of(env).refresher.run_round(due_only=False)
    again = await server.admin.slash(server.channel, "citebot sources")
    assert "unchanged, checked <t:" in again.response.embeds[0].description


async def test_a_servers_url_articles_are_listed_and_refreshed_in_that_server_only(
    env: simcord.Env, site: Site, settings: Settings
):
    first, second = Server(env), Server(env, "Beekeepers", owner=False)
    shared_url = site.page("/shared", "Hollow Lane orchard")
    await first.admin.slash(first.channel, "citebot add", url=shared_url, shared=True)
    url = site.page("/meadow", "Quill meadow")
    await second.admin.slash(second.channel, "citebot add", url=url)  # the second's own

    in_first = await first.admin.slash(first.channel, "citebot sources")
    in_second = await second.admin.slash(second.channel, "citebot sources")

    first_listed, second_listed = (r.response.embeds[0] for r in (in_first, in_second))
    assert f"[Hollow Lane orchard]({shared_url})" in first_listed.description
    assert url not in first_listed.description and first_listed.footer.text.startswith("1 ")
    assert f"[Quill meadow]({url})" in second_listed.description
    assert "`server/quill-meadow.md`" in second_listed.description
    assert f"[Hollow Lane orchard]({shared_url})" in second_listed.description

    site.page("/meadow", "Quill meadow", SPRING)
    report = await bot_of(env).refresher.run_round(due_only=False)
    assert sorted(c.outcome for c in report.checked) == ["changed", "unchanged"]
    own = library.library_dir(settings.data_dir, second.guild.id) / library.OWN_FOLDER
    assert "Odile Marsh" in (own / "quill-meadow.md").read_text()
    asked = await second.alice.slash(
        second.channel, "ask", question="Who leads the blossom walk at Quill meadow?"
    )
    assert "Odile Marsh" in asked.response.embeds[0].description


async def test_sources_is_paged_when_long(env: simcord.Env, site: Site):
    server = Server(env)
    bot = bot_of(env)
    for number in range(12):
        bot.sources.record_added(
            f"added/p{number:02}.md", f"https://example.org/{number}", content_hash="h"
        )
        (bot.settings.corpus_dir / "added").mkdir(exist_ok=True)
        (bot.settings.corpus_dir / "added" / f"p{number:02}.md").write_text(
            f"# Page {number}\n\nText."
        )

    first = await server.admin.slash(server.channel, "citebot sources")
    second = await server.admin.slash(server.channel, "citebot sources", page=2)

    assert first.response.embeds[0].footer.text.startswith("Page 1 of 2 (`page:` shows another).")
    assert "added/p09.md" in first.response.embeds[0].description
    assert "added/p10.md" not in first.response.embeds[0].description
    assert "added/p11.md" in second.response.embeds[0].description


async def test_sitemap_import_shows_progress_then_a_summary(env: simcord.Env, site: Site):
    server = Server(env)
    urls = [
        site.page(f"/p{n}", f"Orchard row {n}", f"Row {n} grows the russet {n}.") for n in range(5)
    ]
    site.pages["/sitemap.xml"] = (sitemap(*urls), '"s"')

    result = await server.admin.slash(
        server.channel, "citebot add", sitemap=site.url("/sitemap.xml"), shared=True
    )

    assert result.ephemeral
    shown = f"`{site.url('/sitemap.xml')}`"
    assert original_edits(env)[0] == (
        f"Importing 4 pages from {shown}: 3 done (3 added, 0 failed, 0 skipped)…"
    )
    assert result.response.content == (
        f"Imported from {shown}: 4 added, 0 failed, 0 skipped (already in the library). "
        "`/ask` finds them now. 1 beyond the limit or nested indexes left out."
    )
    asked = await server.alice.slash(
        server.channel, "ask", question="Which row grows the russet 3?"
    )
    assert "Orchard row 3" in asked.response.embeds[0].description
    listed = await server.admin.slash(server.channel, "citebot sources")
    assert listed.response.embeds[0].footer.text.startswith("4 articles.")


async def test_a_servers_sitemap_import_fills_its_own_library_up_to_its_limit(
    env: simcord.Env, site: Site, settings: Settings
):
    bot = bot_of(env)
    bot.settings = bot.live.libraries.settings = settings.with_overrides(server_article_limit=3)
    server = Server(env)
    bot.owner_id = None  # a server's admin, not the bot's owner
    urls = [
        site.page(f"/p{n}", f"Orchard row {n}", f"Row {n} grows the russet {n}.") for n in range(5)
    ]
    site.pages["/sitemap.xml"] = (sitemap(*urls), '"s"')

    result = await server.admin.slash(
        server.channel, "citebot add", sitemap=site.url("/sitemap.xml")
    )

    assert result.response.content.startswith(
        f"Imported from `{site.url('/sitemap.xml')}`: 3 added, 0 failed, 0 skipped"
    )
    own = library.library_dir(settings.data_dir, server.guild.id) / library.OWN_FOLDER
    assert len(list(own.glob("*.md"))) == 3
    assert not (settings.corpus_dir / "added").exists()  # the shared corpus is left alone
    asked = await server.alice.slash(
        server.channel, "ask", question="Which row grows the russet 2?"
    )
    assert "Orchard row 2" in asked.response.embeds[0].description
    listed = await server.admin.slash(server.channel, "citebot sources")
    shown = listed.response.embeds[0]
    assert shown.footer.text.startswith("3 articles.")  # the server's pages are refreshed too
    assert "`server/orchard-row-2.md`" in shown.description


def server_sitemap(
    env: simcord.Env, site: Site, settings: Settings, *, limit: int, pages: int
) -> tuple[Server, Path, list[str]]:
    """A server whose admin (not the bot's owner) may add `limit` articles, its own folder,
    and `pages` pages listed by the site's sitemap."""
    bot = bot_of(env)
    bot.settings = bot.live.libraries.settings = settings.with_overrides(server_article_limit=limit)
    server = Server(env)
    bot.owner_id = None
    own = library.library_dir(settings.data_dir, server.guild.id) / library.OWN_FOLDER
    urls = [
        site.page(f"/p{n}", f"Orchard row {n}", f"Row {n} grows the russet {n}.")
        for n in range(pages)
    ]
    site.pages["/sitemap.xml"] = (sitemap(*urls), '"s"')
    return server, own, urls


async def import_while_another_adds(
    server: Server, site: Site, path: Path, text: str
) -> tuple[list[str], str]:
    """The files in `path`'s folder and the summary of the server's sitemap import, `path`
    written with `text` meanwhile (when the first page is asked for: after the import
    counted its room, before it saves)."""

    def another_add() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    site.on_request["/p0"] = another_add
    result = await server.admin.slash(
        server.channel, "citebot add", sitemap=site.url("/sitemap.xml")
    )
    return sorted(p.name for p in path.parent.glob("*.md")), result.response.content


async def test_an_article_added_while_a_sitemap_import_runs_counts_toward_the_limit(
    env: simcord.Env, site: Site, settings: Settings
):
    server, own, _ = server_sitemap(env, site, settings, limit=3, pages=3)
    # Another article lands after the import counted its room (3), before it saves.
    names, summary = await import_while_another_adds(
        server, site, own / "cellar.md", "# The cellar\n\nThe cider rests in oak casks.\n"
    )

    assert names == ["cellar.md", "orchard-row-0.md", "orchard-row-1.md"]
    assert summary.startswith(
        f"Imported from `{site.url('/sitemap.xml')}`: 2 added, 0 failed, 0 skipped"
    )
    assert "1 beyond the limit or nested indexes left out" in summary


async def test_a_servers_sitemap_import_reads_its_library_once_not_once_a_page(
    env: simcord.Env, site: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    more = settings.with_overrides(sitemap_limit=6)
    server, _, _ = server_sitemap(env, site, more, limit=10, pages=6)
    joined = library.join
    builds: list[int] = []

    def counted_join(*args: object, **kwargs: object) -> Engine:
        builds.append(1)
        return joined(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library, "join", counted_join)

    result = await server.admin.slash(
        server.channel, "citebot add", sitemap=site.url("/sitemap.xml")
    )

    assert result.response.content.startswith(
        f"Imported from `{site.url('/sitemap.xml')}`: 6 added, 0 failed, 0 skipped"
    )
    # Each page's room check counts the files new since; the library is built when it ends.
    assert len(builds) == 1


async def test_an_article_added_while_a_sitemap_import_runs_is_not_imported_again(
    env: simcord.Env, site: Site, settings: Settings
):
    server, own, urls = server_sitemap(env, site, settings, limit=10, pages=3)
    # `/citebot add url:` saves the sitemap's second page after the import started.
    names, summary = await import_while_another_adds(
        server,
        site,
        own / "row-1.md",
        f"---\nurl: {urls[1]}\n---\n# Row one\n\nThe cider rests in oak casks.\n",
    )

    assert names == ["orchard-row-0.md", "orchard-row-2.md", "row-1.md"]  # no second copy
    assert summary.startswith(
        f"Imported from `{site.url('/sitemap.xml')}`: 2 added, 0 failed, 1 skipped"
    )


async def test_a_sitemap_of_another_site_is_refused(env: simcord.Env, site: Site, settings):
    server = Server(env)
    other = site.base.replace("127.0.0.1", "localhost")
    site.page("/p0", "Orchard row 0")
    site.pages["/sitemap.xml"] = (sitemap(f"{other}/p0", f"{other}/p1"), '"s"')

    result = await server.admin.slash(
        server.channel, "citebot add", sitemap=site.url("/sitemap.xml"), shared=True
    )

    assert result.response.content == (
        f"Nothing imported from `{site.url('/sitemap.xml')}`: it lists only pages on other sites "
        "(2), and a sitemap may only add pages of its own site."
    )
    assert not (settings.corpus_dir / "added").exists()
    assert handled_errors(env) == [CitebotError]


async def test_members_may_neither_list_sources_nor_import_a_sitemap(
    env: simcord.Env, site: Site, settings
):
    server = Server(env)
    command = env.backend.find_command("citebot", None, type=1)
    server.guild.set_command_permissions(int(command["id"]), {server.alice: True})
    site.pages["/sitemap.xml"] = (sitemap(site.page("/p0", "Orchard row 0")), '"s"')

    listed = await server.alice.slash(server.channel, "citebot sources")
    imported = await server.alice.slash(
        server.channel, "citebot add", sitemap=site.url("/sitemap.xml")
    )

    refusal = (
        "Only members with Manage Server (or the Citebot admin role) can use `/citebot` commands."
    )
    assert listed.response.content == refusal and imported.response.content == refusal
    assert [e.__name__ for e in handled_errors(env)] == ["NotAdmin", "NotAdmin"]
    assert not (settings.corpus_dir / "added").exists()


async def test_stats_names_a_page_gone_twice_and_keeps_it(env: simcord.Env, site: Site, settings):
    server = Server(env)
    url = site.page("/orchard", "Hollow Lane orchard")
    await server.admin.slash(server.channel, "citebot add", url=url, shared=True)
    site.status["/orchard"] = 404
    bot = bot_of(env)

    await bot.refresher.run_round(due_only=False)
    once = await server.admin.slash(server.channel, "citebot stats")
    await bot.refresher.run_round(due_only=False)
    twice = await server.admin.slash(server.channel, "citebot stats")

    assert not [f for f in once.response.embeds[0].fields if f.name.startswith("Pages gone")]
    [gone] = [f for f in twice.response.embeds[0].fields if f.name.startswith("Pages gone")]
    assert gone.name == "Pages gone (1)" and f"[Hollow Lane orchard]({url})" in gone.value
    assert (settings.corpus_dir / "added" / "hollow-lane-orchard.md").is_file()
    asked = await server.alice.slash(
        server.channel, "ask", question="Who planted Hollow Lane orchard?"
    )
    assert "Marta Quill" in asked.response.embeds[0].description


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "server"])
async def test_removing_a_url_article_forgets_its_page(
    env: simcord.Env, site: Site, settings: Settings, shared: bool
):
    server = Server(env, owner=shared)
    url = site.page("/orchard", "Hollow Lane orchard")
    await server.admin.slash(server.channel, "citebot add", url=url, shared=shared)
    bot = bot_of(env)
    [source] = bot.sources.all()
    article = "added/hollow-lane-orchard" if shared else "server/hollow-lane-orchard"

    prompt = await server.admin.slash(server.channel, "citebot remove", article=article)
    await server.admin.click(prompt.response, label="Remove")

    assert bot.sources.get(source.path) is None  # an upload reusing the path is not refreshed
    listed = await server.admin.slash(server.channel, "citebot sources")
    assert url not in (listed.response.embeds[0].description or listed.response.content or "")


class TestBackgroundRefresh:
    """The bot's own refresher, made in setup_hook, with its background task running."""

    @pytest.fixture
    def settings(self, bundled_corpus: Path, tmp_path: Path) -> Settings:
        return Settings(
            corpus_dir=bundled_corpus,
            data_dir=tmp_path / "data",
            allow_private_urls=True,
            watch_corpus=False,
            refresh_hours=24,
            fetch_delay=0.0,
        )

    async def test_a_changed_page_is_swapped_in_and_quoted(self, env: simcord.Env, site: Site):
        server = Server(env)
        url = site.page("/orchard", "Hollow Lane orchard")
        await server.admin.slash(server.channel, "citebot add", url=url, shared=True)
        site.page("/orchard", "Hollow Lane orchard", SPRING)
        bot = bot_of(env)
        task = bot._refresh_task
        assert task is not None and not task.done()  # rounds are scheduled in the background

        # One round, as the background task runs it (driven here, so the test waits for the
        # round itself and not for a clock: the page is read in a child interpreter).
        report = await bot.refresher.run_round(due_only=False)
        asked = await server.alice.slash(
            server.channel, "ask", question="Who leads the blossom walk at the orchard?"
        )

        assert report.count("changed") == 1
        assert "Odile Marsh" in asked.response.embeds[0].description
        await bot.close()
        await asyncio.sleep(0)
        assert task.cancelled() and bot._refresh_task is None


class TestRefreshOff:
    @pytest.fixture
    def settings(self, bundled_corpus: Path, tmp_path: Path) -> Settings:
        return Settings(corpus_dir=bundled_corpus, data_dir=tmp_path / "data", refresh_hours=0)

    async def test_no_background_refresh_when_the_hours_are_zero(self, env: simcord.Env):
        server = Server(env)

        listed = await server.admin.slash(server.channel, "citebot sources")

        assert bot_of(env)._refresh_task is None
        assert listed.response.embeds[0].description == (
            "None yet: `/citebot add url:` or `/citebot add sitemap:` adds pages. "
            "The refresh is off (CITEBOT_REFRESH_HOURS=0)."
        )


async def test_sources_and_stats_show_a_pages_address_without_its_query_string(
    env: simcord.Env, site: Site
):
    server = Server(env)
    url = site.page("/orchard", "Hollow Lane orchard") + "?token=s3cret#news"
    site.read_ahead.read(url, site.pages["/orchard"][0])  # the address the bot is given
    await server.admin.slash(server.channel, "citebot add", url=url, shared=True)
    site.status["/orchard"] = 404
    bot = bot_of(env)
    for _ in range(2):
        await bot.refresher.run_round(due_only=False)

    listed = await server.admin.slash(server.channel, "citebot sources")
    stats = await server.admin.slash(server.channel, "citebot stats")

    bare = site.url("/orchard")
    assert f"[Hollow Lane orchard]({bare})" in listed.response.embeds[0].description
    [gone] = [f for f in stats.response.embeds[0].fields if f.name.startswith("Pages gone")]
    assert f"[Hollow Lane orchard]({bare})" in gone.value
    shown = listed.response.embeds[0].description + gone.value
    assert "s3cret" not in shown and "?" not in shown

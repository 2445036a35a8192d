"""`/citebot`: adding, removing and reloading articles, insight and per-server settings, in simcord.

Each test gets its own copy of the corpus (the commands change it) and a small web site
on 127.0.0.1, run on a thread of its own, that stands in for the pages admins add.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest
import simcord
from aiohttp import web

from bot import fetch, library
from bot.answer import Engine
from bot.client import CitebotBot, create_bot
from bot.cogs.admin import AdminCog, ArticlePlace
from bot.errors import CitebotError
from bot.settings import Settings
from bot.store import DAY
from discord_layer.helpers import PagesReadAhead, handled_errors

SEED_QUESTION = "Who founded the Kestrel Valley seed library?"
SEED_PAGE = """<!doctype html>
<html><head><title>The Kestrel Valley seed library</title>
<meta name="author" content="Tomas Brandt"><meta name="date" content="2024-05-02"></head>
<body><nav>Home · About · Contact</nav><article>
<h1>The Kestrel Valley seed library</h1>
<p>The Kestrel Valley seed library was founded by Ingrid Halvorsen in 1994, when she began
lending heirloom bean seeds from a shoebox in the back of the valley's post office.</p>
<p>Members borrow seeds in spring and return a share of the harvest's seeds in autumn, so the
collection grows every year. Today the library keeps more than twelve thousand varieties of
beans, squash, barley and rare mountain tomatoes adapted to the valley's short summers.</p>
<p>Volunteers test every returned batch for germination in a greenhouse behind the old
creamery, and varieties that fail twice are grown out again by experienced members.</p>
</article><footer>© Kestrel Valley</footer></body></html>
"""
KAKAPO_NOTE = b"""---
title: Kakapo breeding season
---

Kakapo breed only in years when rimu trees fruit heavily, which happens every two to four
years. In a good rimu mast year nearly every adult female on Whenua Hou nests, and rangers
hand-feed chicks that fall behind.
"""


# --- fixtures ------------------------------------------------------------------------------


class Site:
    """Test pages on 127.0.0.1, served by aiohttp on its own thread and loop."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/seed-library.html", self._page)
        app.router.add_get("/big.html", self._big)
        app.router.add_get("/slow.html", self._slow)
        app.router.add_get("/photo.png", self._png)
        app.router.add_get("/go", self._redirect)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=SEED_PAGE, content_type="text/html")

    async def _big(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)  # streamed: no Content-Length to refuse it early
        chunk = b"<p>" + b"seed " * 20000 + b"</p>"
        for _ in range(6 * 1024 * 1024 // len(chunk) + 1):
            await response.write(chunk)
        return response

    async def _slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text=SEED_PAGE, content_type="text/html")

    async def _png(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    server = Site()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(bundled_corpus: Path, tmp_path: Path) -> Settings:
    """These commands change the corpus: each test has its own copy."""
    return Settings(
        corpus_dir=bundled_corpus,
        data_dir=tmp_path / "data",
        per_page=2,
        allow_private_urls=True,  # the test site is on 127.0.0.1
        watch_corpus=False,
    )


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return Engine.open(settings)


class Server:
    def __init__(self, env: simcord.Env) -> None:
        self.guild = env.create_guild("Gardeners")
        self.channel = self.guild.create_text_channel("general")
        managers = self.guild.create_role(
            "managers", permissions=discord.Permissions(manage_guild=True)
        )
        self.admin = self.guild.add_member(env.create_user("admin"), roles=[managers])
        self.alice = self.guild.add_member(env.create_user("alice"))


def bot_of(env: simcord.Env) -> CitebotBot:
    return env.bot  # type: ignore[return-value]


def answer_text(message: simcord.ResponseMessage | discord.Message) -> str:
    embed = message.embeds[0]
    return f"{embed.title}\n{embed.description}\n{embed.footer.text}"


def added_files(settings: Settings, guild_id: int | None = None) -> list[str]:
    """The files added to the shared corpus (no guild) or to one server's library."""
    if guild_id is None:
        folder = settings.corpus_dir / "added"
    else:
        folder = library.library_dir(settings.data_dir, guild_id) / library.OWN_FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- add by URL ----------------------------------------------------------------------------


async def test_added_page_is_found_by_ask_at_once(
    env: simcord.Env, site: Site, settings, read_ahead: PagesReadAhead
):
    read_ahead.read(site.url("/seed-library.html"), SEED_PAGE)
    server = Server(env)

    result = await server.admin.slash(
        server.channel, "citebot add", url=site.url("/seed-library.html")
    )

    assert result.ephemeral
    reply = result.response
    assert reply.content.startswith(
        "Added “The Kestrel Valley seed library” from <http://127.0.0.1"
    )
    assert "passage" in reply.content and "`/ask` finds it now" in reply.content
    embed = reply.embeds[0]
    assert embed.title == "The Kestrel Valley seed library"
    assert "Ingrid Halvorsen" in embed.description  # the opening excerpt
    fields = {f.name: f.value for f in embed.fields}
    assert int(fields["Passages"]) >= 1 and fields["Author"] == "Tomas Brandt"
    assert added_files(settings, server.guild.id) == ["the-kestrel-valley-seed-library.md"]
    assert added_files(settings) == []  # the shared corpus is left alone

    asked = await server.alice.slash(server.channel, "ask", question=SEED_QUESTION)

    text = answer_text(asked.response)
    assert "Ingrid Halvorsen" in text
    assert re.search(r"The Kestrel Valley seed library( › [^\n]+)? — ¶", text), text
    assert "Searched 10 articles" in text


async def test_the_same_page_twice_is_reported_and_kept_once(
    env: simcord.Env, site: Site, settings, read_ahead: PagesReadAhead
):
    read_ahead.read(site.url("/seed-library.html"), SEED_PAGE)
    server = Server(env)
    await server.admin.slash(server.channel, "citebot add", url=site.url("/seed-library.html"))

    again = await server.admin.slash(
        server.channel, "citebot add", url=site.url("/seed-library.html")
    )

    assert again.response.content == (
        "Nothing added: already in the library: “The Kestrel Valley seed library” has that URL."
    )
    assert added_files(settings, server.guild.id) == ["the-kestrel-valley-seed-library.md"]
    assert len((await bot_of(env).library(server.guild.id)).engine.articles) == 10
    assert handled_errors(env) == [CitebotError]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/seed-library.html", "127.0.0.1 is a private or local address"),
        ("http://localhost:{port}/seed-library.html", "localhost is this machine"),
        ("http://10.0.0.1/wiki", "10.0.0.1 is a private or local address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private or local"),
    ],
)
async def test_private_addresses_are_refused_with_a_clear_message(
    env: simcord.Env, site: Site, settings, url: str, reason: str
):
    server = Server(env)
    bot_of(env).settings = dataclasses.replace(settings, allow_private_urls=False)
    url = url.format(port=site.port)

    result = await server.admin.slash(server.channel, "citebot add", url=url)

    assert result.ephemeral
    assert result.response.content.startswith(f"Couldn't add `{url}`: refused: ")
    assert reason in result.response.content
    assert added_files(settings) == []
    assert handled_errors(env) == [CitebotError]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private or local"),
        ("http://10.0.0.1/admin", "10.0.0.1 is a private or local"),
        ("http://localhost/", "localhost is this machine"),
        ("http://intranet.example/", "intranet.example points to a private or local address"),
    ],
)
async def test_a_redirect_to_a_private_address_is_refused(
    env: simcord.Env, site: Site, settings, monkeypatch: pytest.MonkeyPatch, target, reason
):
    """The test site stands in for a public server (so its address passes the guard);
    DNS is scripted: `public.example` is the test site, `intranet.example` is 10.0.0.1."""
    server = Server(env)
    bot_of(env).settings = dataclasses.replace(settings, allow_private_urls=False)

    async def lookup(host: str, port: int, family: object) -> list[dict]:
        address = {"public.example": "127.0.0.1", "intranet.example": "10.0.0.1"}[host]
        return [
            {"hostname": host, "host": address, "port": port, "family": 2, "proto": 0, "flags": 0}
        ]

    def site_is_public(address: str) -> bool:
        return address == "127.0.0.1" or fetch.address_is_public(address)

    monkeypatch.setattr(
        fetch,
        "fetch_page",
        functools.partial(fetch.fetch_page, is_public=site_is_public, lookup=lookup),
    )
    url = f"{site.url('/go', host='public.example')}?to={target}"

    result = await server.admin.slash(server.channel, "citebot add", url=url)

    assert result.response.content.startswith("Couldn't add `http://public.example:")
    assert reason in result.response.content
    assert added_files(settings) == []
    assert handled_errors(env) == [CitebotError]


async def test_oversized_and_non_html_pages_are_refused_with_clear_messages(
    env: simcord.Env, site: Site, settings
):
    server = Server(env)

    big = await server.admin.slash(server.channel, "citebot add", url=site.url("/big.html"))
    png = await server.admin.slash(server.channel, "citebot add", url=site.url("/photo.png"))
    ftp = await server.admin.slash(server.channel, "citebot add", url="ftp://example.com/a.txt")

    assert big.response.content.endswith(": the page is larger than 5 MB.")
    assert png.response.content.endswith(
        ": only HTML or plain-text pages can be added (this one is image/png)."
    )
    assert ftp.response.content.endswith(": only http:// and https:// URLs can be added.")
    assert all(r.ephemeral for r in (big, png, ftp))
    assert handled_errors(env) == [CitebotError] * 3
    assert added_files(settings) == []


async def test_a_slow_page_is_refused_when_the_download_takes_too_long(
    site: Site, settings, engine, monkeypatch: pytest.MonkeyPatch
):
    """Outside simcord: its virtual clock holds aiohttp's timeout timer while the bot waits on
    a real socket, so the command's own code runs here against the real clock."""
    monkeypatch.setattr(fetch, "TIMEOUT_SECONDS", 0.5)
    bot = create_bot(settings, engine=engine)
    cog = AdminCog(bot)
    url = site.url("/slow.html")

    with pytest.raises(CitebotError) as refused:
        await cog._add_url(url, ArticlePlace(bot, None))

    assert (
        str(refused.value) == f"Couldn't add `{url}`: the page took longer than 0.5 s to download."
    )
    assert added_files(settings) == []


async def test_add_needs_exactly_one_of_url_and_file(env: simcord.Env):
    server = Server(env)

    result = await server.admin.slash(server.channel, "citebot add")

    assert result.response.content.startswith("Give one of `url:` (a web page), `file:`")
    assert handled_errors(env) == [CitebotError]


# --- add by attachment ---------------------------------------------------------------------


async def test_attached_file_is_added_and_found_at_once(env: simcord.Env, settings):
    server = Server(env)

    result = await server.admin.slash(
        server.channel, "citebot add", file=("kakapo notes.md", KAKAPO_NOTE)
    )

    assert result.response.content.startswith(
        "Added “Kakapo breeding season” from `kakapo notes.md`"
    )
    assert added_files(settings, server.guild.id) == ["kakapo-notes.md"]
    asked = await server.alice.slash(server.channel, "ask", question="When do kakapo breed?")
    assert "rimu" in answer_text(asked.response)


async def test_attachments_of_other_types_or_too_large_are_refused(env: simcord.Env, settings):
    server = Server(env)

    pdf = await server.admin.slash(server.channel, "citebot add", file=("paper.pdf", b"%PDF-1.7"))
    huge = await server.admin.slash(
        server.channel, "citebot add", file=("huge.txt", b"word " * (450 * 1024))
    )

    assert pdf.response.content == (
        "Couldn't add `paper.pdf`: only .md, .markdown, .mdx, .txt, .html, .htm or .jsonl files "
        "can be added."
    )
    assert huge.response.content == "Couldn't add `huge.txt`: it is larger than 2 MB."
    assert added_files(settings) == []
    assert handled_errors(env) == [CitebotError] * 2


# --- remove --------------------------------------------------------------------------------


async def test_remove_after_confirming_moves_the_file_to_the_trash(env: simcord.Env, settings):
    server = Server(env)
    bot_of(env).owner_id = server.admin.id  # a shared article: the bot's owner removes it
    choices = await server.admin.autocomplete(
        server.channel, "citebot remove", "article", "deepseek"
    )
    assert {"name": "DeepSeek's rise", "value": "deepseek-rise"} in choices

    prompt = await server.admin.slash(server.channel, "citebot remove", article="deepseek-rise")

    assert prompt.ephemeral
    assert prompt.response.content.startswith("Remove “DeepSeek's rise” (`deepseek-rise`, ")
    assert (settings.corpus_dir / "deepseek-rise.md").exists()  # nothing happens before confirming

    await server.admin.click(prompt.response, label="Remove")

    assert not (settings.corpus_dir / "deepseek-rise.md").exists()
    [trashed] = list((settings.data_dir / "trash").rglob("deepseek-rise.md"))
    assert trashed.read_text(encoding="utf-8").startswith("---")
    asked = await server.alice.slash(server.channel, "ask", question="who founded DeepSeek?")
    assert not re.search(r"DeepSeek's rise( › [^\n]+)? — ¶", answer_text(asked.response))
    assert bot_of(env).engine.article("deepseek-rise") is None


async def test_remove_without_an_answer_times_out_and_keeps_the_article(env: simcord.Env, settings):
    server = Server(env)
    bot_of(env).owner_id = server.admin.id
    prompt = await server.admin.slash(server.channel, "citebot remove", article="bm25-search")

    await env.advance_time(61)

    edits = [
        e.json
        for e in env.http_requests
        if e.method == "PATCH" and e.json and "Kept" in (e.json.get("content") or "")
    ]
    assert edits and edits[-1]["content"] == "Kept “How BM25 ranking works”: no answer within 60 s."
    assert edits[-1]["components"] == []
    assert (settings.corpus_dir / "bm25-search.md").exists()
    assert prompt.response is not None


# --- reload and the watcher ---------------------------------------------------------------


async def test_reload_while_twenty_questions_are_in_flight_fails_none(
    env: simcord.Env, settings, monkeypatch: pytest.MonkeyPatch
):
    server = Server(env)
    bot = bot_of(env)
    old = bot.engine
    entered = threading.Semaphore(0)
    swapped = threading.Event()
    answered_by: list[Engine] = []
    real_ask = old.answer

    def held_ask(*args, **kwargs):
        entered.release()
        swapped.wait(10)  # every question is still running when the new index goes live
        answered_by.append(old)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(old, "answer", held_ask)
    questions = [
        asyncio.create_task(
            bot.asker.answer("who founded DeepSeek?", user_id=n, source="slash", guild_id=1)
        )
        for n in range(20)
    ]
    # Searches take turns on one thread: the first is running, the other 19 wait behind it,
    # each already holding the engine it was asked on.
    assert await asyncio.to_thread(entered.acquire, True, 10)

    reloaded = await server.admin.slash(server.channel, "citebot reload")
    swapped.set()
    asked = await asyncio.gather(*questions)

    assert reloaded.response.content.startswith(
        f"Reloaded: 9 articles, {bot.engine.passage_count} passages in "
    )
    assert bot.engine is not old
    assert len(asked) == 20 and all(a.answer.found for a in asked)
    assert answered_by == [old] * 20  # the questions in flight finished on the old index


async def test_failed_reload_keeps_the_old_index_and_says_why(env: simcord.Env, settings):
    server = Server(env)
    old = bot_of(env).engine
    shutil.rmtree(settings.corpus_dir)

    result = await server.admin.slash(server.channel, "citebot reload")

    assert result.response.content.startswith(
        "The rebuild failed, so the previous index is still answering: "
    )
    assert bot_of(env).engine is old


async def test_the_bots_watcher_picks_up_a_new_file(env: simcord.Env, settings, engine):
    watching = dataclasses.replace(settings, watch_corpus=True, watch_debounce_ms=50)
    await env.restart_bot(create_bot(watching, engine=engine))
    bot = bot_of(env)
    assert bot.watcher is not None and bot.watcher.running
    await asyncio.to_thread(time.sleep, 0.3)  # the watcher is listening

    (settings.corpus_dir / "kakapo.md").write_bytes(KAKAPO_NOTE)

    deadline = time.monotonic() + 10
    while bot.engine.article("kakapo") is None and time.monotonic() < deadline:
        await asyncio.to_thread(time.sleep, 0.05)
    assert bot.engine.article("kakapo") is not None
    server = Server(env)
    asked = await server.alice.slash(server.channel, "ask", question="When do kakapo breed?")
    assert "rimu" in answer_text(asked.response)
    watcher = bot.watcher
    await bot.close()
    assert not watcher.running  # stopped cleanly with the bot


# --- stats and unanswered -----------------------------------------------------------------


async def test_stats_and_unanswered_match_a_scripted_session(env: simcord.Env):
    server = Server(env)
    bot = bot_of(env)
    alice, channel = server.alice, server.channel
    # Earlier questions in this server (3 and 10 days ago), and one in another server.
    now = time.time()
    for age, question, found, top in [
        (3, "Why do AI models run on graphics processors?", True, "notes/gpu-basics"),
        (10, "tiramisu recipe", False, None),
    ]:
        bot.store.log_question(
            user_id=9,
            source="slash",
            question=question,
            found=found,
            results=1 if found else 0,
            elapsed_ms=1.0,
            guild_id=server.guild.id,
            top_article=top,
            reply_ms=5.0,
            asked_at=now - age * DAY,
        )
    bot.store.log_question(
        user_id=9,
        source="slash",
        question="elsewhere",
        found=False,
        results=0,
        elapsed_ms=1.0,
        guild_id=1,
        asked_at=now,
    )
    # Today: four questions by /ask, two of them the same unanswered one, and two votes.
    first = await alice.slash(channel, "ask", question="who founded DeepSeek?")
    second = await alice.slash(channel, "ask", question="How does BM25 rank documents?")
    await alice.slash(channel, "ask", question="DeepSeek lasagna recipe with zucchini and basil")
    await alice.slash(channel, "ask", question="deepseek lasagna recipe with zucchini and basil?")
    await alice.click(first.response, custom_id=vote_button(first.response, "👍"))
    await alice.click(second.response, custom_id=vote_button(second.response, "👎"))

    stats = await server.admin.slash(channel, "citebot stats")
    week = await server.admin.slash(channel, "citebot unanswered")
    month = await server.admin.slash(channel, "citebot unanswered", days=30)

    assert stats.ephemeral and week.ephemeral
    embed = stats.response.embeds[0]
    fields = {f.name: f.value for f in embed.fields}
    assert embed.title == "Citebot in Gardeners"
    assert fields["Articles"] == f"9 ({bot.engine.passage_count} passages)"
    assert fields["Questions"] == "4 in 24 h · 5 in 7 days · 6 in all"
    assert fields["Found"] == "50% (3 of 6)"
    assert fields["Reply time"].startswith("p50 ") and " · p99 " in fields["Reply time"]
    assert fields["Feedback"] == "1 👍 · 1 👎 (50% helpful)"
    assert sorted(fields["Most cited"].splitlines()) == sorted(
        [
            "1 × DeepSeek's rise",
            "1 × GPU basics: why AI runs on graphics processors",
            "1 × How BM25 ranking works",
        ]
    )
    unanswered = week.response.embeds[0]
    assert unanswered.title == "Unanswered in Gardeners, last 7 days"
    assert unanswered.description.startswith("3 questions answered “not found” or voted 👎.")
    frequent = {f.name: f.value for f in unanswered.fields}["Most frequent"].splitlines()
    assert frequent == [
        "2× deepseek lasagna recipe with zucchini and basil?",
        "1× How does BM25 rank documents?",
    ]
    month_fields = {f.name: f.value for f in month.response.embeds[0].fields}
    assert "1× tiramisu recipe" in month_fields["Most frequent"]
    assert "elsewhere" not in month_fields["Most frequent"]  # another server's question


def vote_button(message: simcord.ResponseMessage, emoji: str) -> str:
    return next(
        c["custom_id"]
        for row in message.components
        for c in row["components"]
        if c.get("emoji", {}).get("name") == emoji
    )


# --- permissions ---------------------------------------------------------------------------


def admin_command_id(env: simcord.Env) -> int:
    command = env.backend.find_command("citebot", None, type=1)
    return int(command["id"])


async def test_admin_commands_are_hidden_from_members_and_not_offered_in_dms(env: simcord.Env):
    server = Server(env)

    assert "citebot add" in server.admin.available_commands(server.channel)
    assert not any(c.startswith("citebot") for c in server.alice.available_commands(server.channel))
    assert not any(c.startswith("citebot") for c in server.admin.user.available_commands())


async def test_a_member_the_server_let_see_the_command_is_still_refused(env: simcord.Env, settings):
    server = Server(env)
    server.guild.set_command_permissions(admin_command_id(env), {server.alice: True})

    result = await server.alice.slash(
        server.channel, "citebot add", url="http://127.0.0.1:1/whatever"
    )

    assert result.ephemeral
    assert result.response.content == (
        "Only members with Manage Server (or the Citebot admin role) can use `/citebot` commands."
    )
    assert added_files(settings) == []
    assert [error.__name__ for error in handled_errors(env)] == ["NotAdmin"]


async def test_the_configured_admin_role_may_run_admin_commands(env: simcord.Env, settings):
    server = Server(env)
    librarians = server.guild.create_role("librarians")
    bob = server.guild.add_member(env.create_user("bob"), roles=[librarians])
    server.guild.set_command_permissions(admin_command_id(env), {librarians: True})
    bot_of(env).settings = dataclasses.replace(settings, admin_role_id=librarians.id)

    result = await bob.slash(server.channel, "citebot settings show")

    assert result.response.embeds[0].title == "Citebot settings for this server"


# --- per-server settings -------------------------------------------------------------------


async def test_mentions_are_answered_only_in_the_chosen_channels(env: simcord.Env):
    server = Server(env)
    answers = server.guild.create_text_channel("answers")
    me = env.bot.user.mention

    shown = await server.admin.slash(
        server.channel, "citebot settings mentions", mode="add", channel=answers
    )
    await server.alice.send(server.channel, f"{me} who founded DeepSeek?")
    await server.alice.send(answers, f"{me} who founded DeepSeek?")

    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Mentions answered in"] == f"<#{answers.id}>"
    elsewhere = server.channel.last_message
    assert elsewhere.content == (
        f"In this server I answer mentions in <#{answers.id}>; `/ask` works everywhere."
    )
    assert "Liang Wenfeng" in answer_text(answers.last_message)

    await server.admin.slash(server.channel, "citebot settings mentions", mode="everywhere")
    await server.alice.send(server.channel, f"{me} who founded DeepSeek?")
    assert "Liang Wenfeng" in answer_text(server.channel.last_message)


async def test_private_replies_by_default_and_results_per_answer(env: simcord.Env):
    server = Server(env)

    await server.admin.slash(server.channel, "citebot settings replies", private=True, results=1)
    default = await server.alice.slash(server.channel, "ask", question="who founded DeepSeek?")
    chosen = await server.alice.slash(
        server.channel, "ask", question="who founded DeepSeek?", private=False
    )
    in_a_dm = await server.alice.user.slash("ask", question="who founded DeepSeek?")

    assert default.ephemeral and not chosen.ephemeral
    text = answer_text(default.response)
    assert "`[1]`" in text and "`[2]`" not in text  # one excerpt per page here
    assert "page 1/" in text
    assert "`[2]`" in answer_text(in_a_dm.response)  # the bot's default (2) outside the server


async def test_answer_every_message_explains_the_intent_it_needs(env: simcord.Env):
    server = Server(env)

    result = await server.admin.slash(server.channel, "citebot settings answer-all", enabled=True)

    assert result.ephemeral
    assert "Message Content Intent" in result.response.content
    assert "CITEBOT_MESSAGE_CONTENT_INTENT=1" in result.response.content
    assert bot_of(env).store.guild_settings(server.guild.id).answer_all_channels == ()
    assert handled_errors(env) == [CitebotError]


@pytest.mark.simcord(approved_intents=discord.Intents.all())
async def test_answer_every_message_with_the_intent_answers_only_what_is_found(
    env: simcord.Env, settings, engine
):
    await env.restart_bot(
        create_bot(dataclasses.replace(settings, message_content_intent=True), engine=engine)
    )
    server = Server(env)
    assert env.bot.intents.message_content

    await server.admin.slash(server.channel, "citebot settings answer-all", enabled=True)
    question = await server.alice.send(server.channel, "who founded DeepSeek?")
    reply = server.channel.last_message
    await server.alice.send(server.channel, "lunch at noon, anyone?")

    assert reply.reference.message_id == question.id
    assert "Liang Wenfeng" in answer_text(reply)
    assert server.channel.last_message.author.id == server.alice.id  # chatter: no reply

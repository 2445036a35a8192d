"""A library per server, in simcord: two servers with their own articles beside the shared corpus,
who may change which, and what DMs search."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
import simcord

from bot import library
from bot.answer import Engine
from bot.client import CitebotBot
from bot.errors import CitebotError, NotAdmin
from bot.index import UnionIndex
from bot.library import SHARED_ONLY
from bot.settings import Settings
from discord_layer.helpers import handled_errors

KAKAPO = b"""---
title: Kakapo breeding season
---

Kakapo breed only in years when rimu trees fruit heavily, which happens every two to four
years. In a good rimu mast year nearly every adult female on Whenua Hou nests.
"""
FERRY = b"""---
title: Harbour ferry timetable
---

The harbour ferry leaves Port Varna at seven every morning and returns from Lindqvist Island
at six in the evening; on Sundays the first crossing is at nine.
"""
KAKAPO_QUESTION = "When do kakapo breed?"
FERRY_QUESTION = "When does the harbour ferry leave Port Varna?"


@pytest.fixture
def settings(bundled_corpus: Path, tmp_path: Path) -> Settings:
    """The owner's commands change the corpus: each test has its own copy."""
    return Settings(
        corpus_dir=bundled_corpus, data_dir=tmp_path / "data", per_page=2, watch_corpus=False
    )


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return Engine.open(settings)


class Server:
    """A server with a manager (Manage Server) and a member."""

    def __init__(self, env: simcord.Env, name: str) -> None:
        self.guild = env.create_guild(name)
        self.channel = self.guild.create_text_channel("general")
        managers = self.guild.create_role(
            "managers", permissions=discord.Permissions(manage_guild=True)
        )
        self.admin = self.guild.add_member(env.create_user(f"{name} admin"), roles=[managers])
        self.member = self.guild.add_member(env.create_user(f"{name} member"))

    async def ask(self, question: str) -> str:
        asked = await self.member.slash(self.channel, "ask", question=question)
        return answer_text(asked.response)

    def files(self, settings: Settings) -> list[str]:
        folder = library.library_dir(settings.data_dir, self.guild.id) / library.OWN_FOLDER
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def answer_text(message: simcord.ResponseMessage | discord.Message) -> str:
    embed = message.embeds[0]
    return f"{message.content}\n{embed.title}\n{embed.description}\n{embed.footer.text}"


def bot_of(env: simcord.Env) -> CitebotBot:
    return env.bot  # type: ignore[return-value]


async def test_two_servers_each_answer_from_their_own_articles_and_the_shared_ones(
    env: simcord.Env, settings: Settings
):
    gardeners, sailors = Server(env, "Gardeners"), Server(env, "Sailors")

    added = await gardeners.admin.slash(
        gardeners.channel, "citebot add", file=("kakapo.md", KAKAPO)
    )
    await sailors.admin.slash(sailors.channel, "citebot add", file=("ferry.md", FERRY))

    assert added.response.content.startswith("Added “Kakapo breeding season”")
    assert gardeners.files(settings) == ["kakapo.md"] and sailors.files(settings) == ["ferry.md"]
    assert "rimu" in await gardeners.ask(KAKAPO_QUESTION)
    assert "Lindqvist" not in await gardeners.ask(FERRY_QUESTION)
    assert "Lindqvist" in await sailors.ask(FERRY_QUESTION)
    assert "rimu" not in await sailors.ask(KAKAPO_QUESTION)
    mention = f"{bot_of(env).user.mention} {KAKAPO_QUESTION}"
    await gardeners.member.send(gardeners.channel, mention)
    await sailors.member.send(sailors.channel, mention)
    assert "rimu" in answer_text(gardeners.channel.last_message)  # mentions too
    assert "rimu" not in answer_text(sailors.channel.last_message)
    for server in (gardeners, sailors):  # the shared corpus answers in both
        assert "Liang Wenfeng" in await server.ask("Who founded DeepSeek?")
        assert SHARED_ONLY not in await server.ask("Who founded DeepSeek?")
    listed = await gardeners.member.slash(gardeners.channel, "articles")
    shown = "\n".join(e.description or "" for e in listed.response.embeds)
    assert "Kakapo breeding season" in shown and "Harbour ferry" not in shown
    assert bot_of(env).engine.article("server/kakapo") is None  # never in the shared library
    stats = await gardeners.admin.slash(gardeners.channel, "citebot stats")
    fields = {f.name: f.value for f in stats.response.embeds[0].fields}
    assert fields["This server's library"] == "1 of 200 articles (besides 9 shared)"


async def test_an_admin_can_neither_see_nor_remove_another_servers_article(
    env: simcord.Env, settings: Settings
):
    gardeners, sailors = Server(env, "Gardeners"), Server(env, "Sailors")
    await sailors.admin.slash(sailors.channel, "citebot add", file=("ferry.md", FERRY))

    offered = await gardeners.admin.autocomplete(
        gardeners.channel, "citebot remove", "article", "ferry"
    )
    refused = await gardeners.admin.slash(
        gardeners.channel, "citebot remove", article="server/ferry"
    )
    shown = await gardeners.member.slash(gardeners.channel, "article", name="server/ferry")

    assert all(choice["value"] != "server/ferry" for choice in offered)
    assert refused.response.content.startswith("I don't know an article called “server/ferry”")
    assert shown.response.content.startswith("I don't know an article called “server/ferry”")
    assert sailors.files(settings) == ["ferry.md"]
    assert handled_errors(env) == [CitebotError, CitebotError]

    # Its own server's admin removes it, to that server's trash.
    prompt = await sailors.admin.slash(sailors.channel, "citebot remove", article="server/ferry")
    await sailors.admin.click(prompt.response, label="Remove")

    assert sailors.files(settings) == []
    trash = library.server_dir(settings.data_dir, sailors.guild.id) / "trash"
    assert [p.name for p in trash.rglob("*.md")] == ["ferry.md"]
    assert "Lindqvist" not in await sailors.ask(FERRY_QUESTION)


async def test_only_the_bots_owner_changes_the_shared_library(env: simcord.Env, settings: Settings):
    gardeners, sailors = Server(env, "Gardeners"), Server(env, "Sailors")
    bot = bot_of(env)

    # The admin is no owner: the application's owner is looked up when it matters.
    add = await gardeners.admin.slash(
        gardeners.channel, "citebot add", file=("kakapo.md", KAKAPO), shared=True
    )
    remove = await gardeners.admin.slash(
        gardeners.channel, "citebot remove", article="deepseek-rise"
    )

    refusal = "Only the bot's owner can {} the shared library every server searches"
    assert add.response.content.startswith(refusal.format("add to"))
    assert remove.response.content.startswith(refusal.format("remove articles from"))
    assert any(r.path.endswith("/oauth2/applications/@me") for r in env.http_requests)
    assert not (settings.corpus_dir / "added").exists()
    assert (settings.corpus_dir / "deepseek-rise.md").exists()
    assert handled_errors(env) == [NotAdmin, NotAdmin]

    # The owner (here the Sailors' admin) may, from any server where they manage.
    owner = sailors.admin
    bot.owner_id = owner.id  # what discord.py keeps from application_info()
    added = await owner.slash(
        sailors.channel, "citebot add", file=("kakapo.md", KAKAPO), shared=True
    )

    assert added.response.content.startswith("Added “Kakapo breeding season”")
    assert sorted(p.name for p in (settings.corpus_dir / "added").iterdir()) == ["kakapo.md"]
    assert sailors.files(settings) == []
    assert "rimu" in await gardeners.ask(KAKAPO_QUESTION)  # every server searches it
    # Searched beside the shared index, which was not rebuilt for one article.
    assert isinstance(bot.live.engine.index, UnionIndex)
    prompt = await owner.slash(sailors.channel, "citebot remove", article="deepseek-rise")
    await owner.click(prompt.response, label="Remove")
    assert not (settings.corpus_dir / "deepseek-rise.md").exists()
    assert bot.live.engine.article("deepseek-rise") is None
    assert "rimu" in await sailors.ask(KAKAPO_QUESTION)


async def test_a_dm_answer_says_it_searched_the_shared_library_only(
    env: simcord.Env, settings: Settings
):
    gardeners = Server(env, "Gardeners")
    await gardeners.admin.slash(gardeners.channel, "citebot add", file=("kakapo.md", KAKAPO))

    await gardeners.member.user.send_dm(KAKAPO_QUESTION)
    private = gardeners.member.user.dm_channel.last_message
    await gardeners.member.user.send_dm("Who founded DeepSeek?")
    shared = gardeners.member.user.dm_channel.last_message

    assert private.content.startswith(SHARED_ONLY)
    assert "rimu" not in answer_text(private)  # the server's article stays in the server
    assert shared.content.startswith(SHARED_ONLY) and "Liang Wenfeng" in answer_text(shared)
    # Where only a user installed the app, the bot is in no such server: shared library too.
    bot = bot_of(env)
    assert bot.library_guild(gardeners.guild.id) == gardeners.guild.id
    assert bot.library_guild(gardeners.guild.id + 1) is None
    assert bot.library_guild(None) is None


async def test_a_server_adds_no_more_articles_than_the_limit(env: simcord.Env, settings: Settings):
    bot = bot_of(env)
    bot.settings = bot.live.libraries.settings = settings.with_overrides(server_article_limit=1)
    gardeners, sailors = Server(env, "Gardeners"), Server(env, "Sailors")
    await gardeners.admin.slash(gardeners.channel, "citebot add", file=("kakapo.md", KAKAPO))

    full = await gardeners.admin.slash(gardeners.channel, "citebot add", file=("ferry.md", FERRY))
    other = await sailors.admin.slash(sailors.channel, "citebot add", file=("ferry.md", FERRY))

    assert full.response.content == (
        "Couldn't add `ferry.md`: this server has 1 of the 1 articles it may add; "
        "remove one with `/citebot remove` first."
    )
    assert gardeners.files(settings) == ["kakapo.md"]
    assert other.response.content.startswith("Added “Harbour ferry timetable”")
    assert handled_errors(env) == [CitebotError]


@pytest.fixture
def old_added(settings: Settings) -> Path:
    """An article added before per-server libraries: corpus/added/ belongs to the shared corpus."""
    path = settings.corpus_dir / "added" / "ferry.md"
    path.parent.mkdir()
    path.write_bytes(FERRY)
    return path


async def test_articles_already_in_corpus_added_stay_shared(
    old_added: Path, env: simcord.Env, settings: Settings
):
    old = old_added  # written before the bot's engine is built (fixtures run in this order)
    gardeners, sailors = Server(env, "Gardeners"), Server(env, "Sailors")

    for server in (gardeners, sailors):
        assert "Lindqvist" in await server.ask(FERRY_QUESTION)
    await gardeners.member.user.send_dm(FERRY_QUESTION)
    assert "Lindqvist" in answer_text(gardeners.member.user.dm_channel.last_message)
    refused = await gardeners.admin.slash(
        gardeners.channel, "citebot remove", article="added/ferry"
    )

    assert refused.response.content.startswith("Only the bot's owner can remove")
    assert handled_errors(env) == [NotAdmin]
    assert old.read_bytes() == FERRY
    assert not (settings.data_dir / "servers").exists()


async def test_adding_an_article_with_a_shared_articles_id_shows_the_servers_article(
    env: simcord.Env, settings: Settings
):
    (settings.corpus_dir / "server").mkdir()
    (settings.corpus_dir / "server" / "kakapo.md").write_text(
        "# Kakapo diet\n\nKakapo eat leaves, seeds, fruit and pollen, and the rimu's fruit most."
    )
    assert (await bot_of(env).live.reload()).ok
    gardeners = Server(env, "Gardeners")

    added = await gardeners.admin.slash(
        gardeners.channel, "citebot add", file=("kakapo.md", KAKAPO)
    )

    assert added.response.content.startswith("Added “Kakapo breeding season”")
    fields = {f.name: f.value for f in added.response.embeds[0].fields}
    assert fields["Id"] == "`server/kakapo-2`"

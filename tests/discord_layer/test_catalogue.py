"""/articles, /article, /help and article autocomplete, over a corpus of 30 articles."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import simcord

from bot.answer import Engine
from bot.corpus import Article
from bot.errors import CitebotError
from bot.settings import Settings
from discord_layer.helpers import handled_errors

COUNT = 30


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("catalogue")
    for number in range(1, COUNT + 1):
        (folder / f"topic-{number:02d}.md").write_text(
            f"---\ntitle: Topic {number:02d} notes\ndate: 2025-03-{number:02d}\n"
            f"url: https://example.org/topics/{number}\n---\n\n"
            f"Topic {number:02d} is about subject number {number}. It has a few sentences so "
            f"that it makes a passage of its own, with `*stars*` and `_underscores_` in it.\n\n"
            f"A second paragraph says more about topic {number:02d} and its history.\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture(scope="module")
def engine(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.open(Settings(corpus_dir=corpus_dir, data_dir=tmp_path_factory.mktemp("ix")))


async def in_a_server(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    return (
        channel,
        guild.add_member(env.create_user("alice")),
        guild.add_member(env.create_user("bob")),
    )


async def test_article_autocomplete_offers_at_most_25_matching_titles(env: simcord.Env):
    channel, alice, _ = await in_a_server(env)

    everything = await alice.autocomplete(channel, "ask", "article", "", question="history")
    some = await alice.autocomplete(channel, "ask", "article", "topic 1", question="history")
    in_dm = await alice.user.autocomplete("article", "name", "TOPIC 2")

    assert len(everything) == 25
    assert [c["name"] for c in some] == [f"Topic 1{d} notes" for d in range(10)]
    assert [c["value"] for c in some][:2] == ["topic-10", "topic-11"]
    assert {c["name"] for c in in_dm} == {f"Topic 2{d} notes" for d in range(10)}


def current(env: simcord.Env, channel, message) -> simcord.ResponseMessage:
    return simcord.ResponseMessage(env, env.backend.get_message(channel.id, message.id))


async def test_articles_lists_ten_per_page_privately_with_next_and_previous(env: simcord.Env):
    channel, alice, _ = await in_a_server(env)

    result = await alice.slash(channel, "articles")

    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.footer.text == "30 articles · page 1/3"
    assert embed.description.count("\n") == 9
    assert "[Topic 01 notes](https://example.org/topics/1) — `topic-01` · 2025-03-01" in (
        embed.description
    )
    await alice.click(result.response, label="Next")
    page = current(env, channel, result.response)
    assert page.embeds[0].footer.text == "30 articles · page 2/3"
    assert "Topic 11 notes" in page.embeds[0].description

    await alice.click(page, label="Previous")
    assert current(env, channel, page).embeds[0].footer.text == "30 articles · page 1/3"


class ReadArticles(Sequence[Article]):
    """The engine's articles, noting which are read (a saved library makes each one it is
    asked for) and on which thread."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = articles
        self.read: list[tuple[int, threading.Thread]] = []

    def __len__(self) -> int:
        return len(self.articles)

    def __getitem__(self, number):  # type: ignore[no-untyped-def]
        if isinstance(number, slice):
            return [self[i] for i in range(*number.indices(len(self)))]
        self.read.append((number, threading.current_thread()))
        return self.articles[number]


async def test_articles_makes_only_the_page_it_shows_and_off_the_event_loop(
    env: simcord.Env, engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    channel, alice, _ = await in_a_server(env)
    spy = ReadArticles(engine.articles)
    monkeypatch.setattr(engine, "articles", spy)

    result = await alice.slash(channel, "articles")
    assert result.response.embeds[0].footer.text == "30 articles · page 1/3"
    assert sorted(number for number, _ in spy.read) == list(range(10))  # not all 30
    await alice.click(result.response, label="Next")

    assert sorted(number for number, _ in spy.read) == list(range(20))
    assert threading.current_thread() not in {thread for _, thread in spy.read}


async def test_articles_filter_narrows_the_list(env: simcord.Env):
    channel, alice, _ = await in_a_server(env)

    result = await alice.slash(channel, "articles", filter="topic 2")
    nothing = await alice.slash(channel, "articles", filter="zebra")

    embed = result.response.embeds[0]
    assert embed.title == "Articles matching “topic 2”"
    assert embed.footer.text == "10 articles · page 1/1"
    assert result.response.components == []  # one page: no buttons
    assert nothing.response.embeds[0].description == "No articles matching “zebra”."


async def test_article_shows_title_link_date_passages_and_opening(env: simcord.Env):
    channel, alice, _ = await in_a_server(env)

    result = await alice.slash(channel, "article", name="topic-07")

    embed = result.response.embeds[0]
    assert embed.title == "Topic 07 notes"
    assert embed.url == "https://example.org/topics/7"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Date"] == "2025-03-07"
    assert fields["Paragraphs"] == "2"
    assert int(fields["Passages"]) >= 1
    # The opening is quoted verbatim with the article's own markdown escaped.
    assert "with `*stars*` and `_underscores_` in it." in embed.description  # code stays code


async def test_article_by_an_unknown_name_says_how_to_find_one(env: simcord.Env):
    channel, alice, _ = await in_a_server(env)

    result = await alice.slash(channel, "article", name="zebra")

    assert result.ephemeral
    assert (
        result.response.content == "I don't know an article called “zebra”. `/articles` lists them."
    )
    assert handled_errors(env) == [CitebotError]


async def test_help_explains_how_to_ask_and_what_the_bot_knows(env: simcord.Env):
    user = env.create_user("carol")

    result = await user.slash("help")

    assert result.ephemeral
    text = result.response.embeds[0].description
    assert "`/ask question:`" in text and "direct message" in text and "Ask Citebot" in text
    assert "30 articles" in text
    assert "Up to 5 questions per minute per person" in text

"""`/article` and the `article:` option accept near misses and suggest the closest titles."""

from __future__ import annotations

import simcord

from bot.errors import CitebotError
from discord_layer.helpers import handled_errors


async def member(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    return channel, guild.add_member(env.create_user("alice"))


async def test_article_near_miss_shows_the_closest_and_says_so(env: simcord.Env):
    channel, alice = await member(env)

    result = await alice.slash(channel, "article", name="deepsek rise")

    assert result.response.content == (
        "Showing “DeepSeek's rise”, the closest article to “deepsek rise”."
    )
    assert result.response.embeds[0].title == "DeepSeek's rise"


async def test_article_by_exact_id_needs_no_note(env: simcord.Env):
    channel, alice = await member(env)

    result = await alice.slash(channel, "article", name="deepseek-rise")

    assert not result.response.content
    assert result.response.embeds[0].title == "DeepSeek's rise"


async def test_an_unsure_near_miss_lists_the_closest_titles(env: simcord.Env):
    channel, alice = await member(env)

    result = await alice.slash(channel, "article", name="bm52")

    assert result.ephemeral
    assert result.response.content == (
        "I don't know an article called “bm52”. Did you mean “How BM25 ranking works” "
        "(`bm25-search`)?"
    )
    assert handled_errors(env) == [CitebotError]


async def test_several_matches_are_listed_three_at_most(env: simcord.Env):
    channel, alice = await member(env)

    result = await alice.slash(channel, "article", name="ing")

    text = result.response.content
    assert text.startswith("Several articles match “ing”: ")
    assert text.count("(`") == 3
    assert handled_errors(env) == [CitebotError]


async def test_nothing_close_says_so(env: simcord.Env):
    channel, alice = await member(env)

    result = await alice.slash(channel, "article", name="qqqq zzzz")

    assert result.response.content == (
        "I don't know an article called “qqqq zzzz”. `/articles` lists them."
    )
    assert handled_errors(env) == [CitebotError]


async def test_ask_with_a_near_miss_article_searches_it_and_says_so(env: simcord.Env):
    channel, alice = await member(env)

    result = await alice.slash(
        channel, "ask", question="what does the bot do with a DM?", article="citebot usr guide"
    )

    assert result.response.content == (
        "Searched “Citebot user guide”, the closest article to “citebot usr guide”."
    )
    assert result.response.embeds[0].footer.text.startswith("Searched 1 article in")


async def test_autocomplete_offers_the_closest_titles_for_a_near_miss(env: simcord.Env):
    channel, alice = await member(env)

    choices = await alice.autocomplete(channel, "article", "name", "deepsek")

    assert choices[0]["value"] == "deepseek-rise"

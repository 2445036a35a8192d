"""Examples in `/help` and the empty-question reply come from the library loaded."""

from __future__ import annotations

from pathlib import Path

import simcord

from bot.answer import Engine
from bot.client import create_bot
from bot.settings import Settings

WALRUSES = """---
title: Walruses of the Arctic
---
# Walruses of the Arctic

## How do walruses use their tusks?

Walruses haul themselves onto the ice with their tusks.

## Feeding on the Bering Sea floor

They eat clams, found by touch with their whiskers.

## Why it matters

Sea ice is shrinking.
"""
PENGUINS = """---
title: Penguin colonies
---
# Penguin colonies

## Who studies emperor penguins?

Biologists at Halley station.

## Why it matters

Colonies move as the ice changes.
"""


async def other_library(env: simcord.Env, tmp_path: Path) -> None:
    corpus = tmp_path / "animals"
    corpus.mkdir()
    (corpus / "walruses.md").write_text(WALRUSES)
    (corpus / "penguins.md").write_text(PENGUINS)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "animal-data")
    await env.restart_bot(create_bot(settings, engine=Engine.open(settings)))


async def test_help_examples_come_from_the_articles_loaded(env: simcord.Env, tmp_path: Path):
    await other_library(env, tmp_path)
    bob = env.create_user("bob")

    result = await bob.slash("help")

    text = result.response.embeds[0].description
    assert "DeepSeek" not in text
    assert "“@Citebot Who studies emperor penguins?”" in text
    assert "• How do walruses use their tusks?" in text
    assert "• What about feeding on the Bering Sea floor?" not in text  # questions first
    assert "Why it matters" not in text  # shared by both articles: says nothing alone


async def test_empty_question_suggests_one_from_the_library(env: simcord.Env, tmp_path: Path):
    await other_library(env, tmp_path)
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    await alice.send(channel, env.bot.user.mention)

    assert channel.last_message.content == (
        "Ask me a question in words, for example “Who studies emperor penguins?”."
    )


async def test_bundled_library_help_still_shows_its_own_examples(env: simcord.Env):
    bob = env.create_user("bob")

    result = await bob.slash("help")

    text = result.response.embeds[0].description
    assert "• Who founded DeepSeek?" in text  # a heading of the bundled DeepSeek article
    assert "Share in channel" in text


def test_ask_option_description_names_no_library(env: simcord.Env):
    ask = next(c for c in env.bot.command_payload() if c["name"] == "ask")

    question = next(o for o in ask["options"] if o["name"] == "question")
    assert "DeepSeek" not in question["description"]

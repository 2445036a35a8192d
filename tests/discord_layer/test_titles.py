"""Article titles are shown as text: escaped once, never a link of their own, never a mention."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import simcord
import yaml

from bot.answer import Engine
from bot.settings import Settings
from discord_layer.markdown_check import texts

ARTICLE_URL = "https://example.org/zebras"
TITLES = [
    "x ](https://evil.example) [y",
    "[Click me](https://evil.example/login)",
    "\\[already escaped\\] and a\\\\backslash",
    "Report <@123456789012345678> <@&42> <#42> @everyone @here",
    "See https://evil.example/phish now",
]


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def links_and_mentions(text: str) -> list[str]:
    """What Discord would turn into a link or a mention: escaped characters count as text."""
    plain = re.sub(r"\\.", "·", text)  # an escaped character never starts or ends markup
    found = re.findall(r"\]\(([^()\s]*)\)", plain)
    found += [url for url in re.findall(r"https?://[^\s<)\]]+", plain) if url not in found]
    found += re.findall(r"<[@#][!&]?\d+>|@everyone|@here", plain)
    return found


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for number, title in enumerate(TITLES):
        front = yaml.safe_dump({"title": title, "url": f"{ARTICLE_URL}/{number}"})
        body = f"Zebras number {number} graze on the savanna grass every single morning."
        (folder / f"a{number}.md").write_text(f"---\n{front}---\n\n{body}\n")
    # Articles without zebras, so that the zebra words weigh something in BM25.
    for (
        topic
    ) in "volcanoes glaciers rivers deserts tides comets lichens storms reefs caves".split():
        (folder / f"{topic}.md").write_text(f"# {topic}\n\nWhy {topic} are studied.\n")
    return folder


@pytest.fixture
def settings(corpus_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        corpus_dir=corpus_dir, data_dir=tmp_path / "data", per_page=5, watch_corpus=False
    )


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return Engine.open(settings)


def payloads(env: simcord.Env) -> list[dict[str, Any]]:
    return [e.json for e in env.http_requests if isinstance(e.json, dict)]


def check(payload: dict[str, Any]) -> None:
    for text in texts(payload):
        for found in links_and_mentions(text):
            assert found.startswith(ARTICLE_URL), f"{found!r} formed in {text!r}"


async def test_titles_in_answers_and_lists_are_escaped_once_and_form_no_link(env: simcord.Env):
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))

    answered = await alice.slash(channel, "ask", question="zebras graze savanna grass")
    listed = await alice.slash(channel, "articles")
    shown = await alice.slash(channel, "article", name="a0")

    description = answered.response.embeds[0].description
    for number, title in enumerate(TITLES):
        # Each citation links its own title, shown verbatim, to its own article.
        link = re.search(
            r"\[((?:[^\[\]\\]|\\.)*)\]\(" + re.escape(f"{ARTICLE_URL}/{number})"), description
        )
        assert link is not None, description
        assert unescape(link.group(1)) == f"{' '.join(title.split())} — ¶1"  # escaped once
    for payload in payloads(env):
        check(payload)
    assert listed.response is not None and shown.response is not None


async def test_the_remove_picker_tells_articles_with_the_same_title_apart(
    env: simcord.Env, settings: Settings
):
    import discord

    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    managers = guild.create_role("managers", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[managers])
    for suffix, body in [("md", "# Report\n\nOwls hunt at night."), ("txt", "Report\n\nBats too.")]:
        (settings.corpus_dir / f"report.{suffix}").write_text(body)
    await admin.slash(channel, "citebot reload")

    choices = await admin.autocomplete(channel, "citebot remove", "article", "report")

    reports = [c for c in choices if c["value"].startswith("report")]
    values = [c["value"] for c in reports]
    names = [c["name"] for c in reports]
    assert sorted(values) == ["report.md", "report.txt"]
    assert len(set(names)) == 2  # the same title, told apart by the id

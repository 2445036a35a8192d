"""Two `citebot run` processes on shards [0,1] and [2,3] of 4, one PostgreSQL between them.

Discord sends the guild's events to one shard ((guild_id >> 22) % 4 = 2, process B) and
direct messages to shard 0 (process A), as it does for real; the emulator routes them
so. Everything the two share goes through the database: the cooldown, the article
added through B (A hears of it by NOTIFY: both corpus watchers are off), the vote, and
the log `citebot stats` reads with an empty data dir.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from emulator import DiscordEmulator
from emulator.crowd import COOLDOWN_PREFIX, Question, replies
from support import run_citebot, subprocess_env

from bot import client
from bot.answer import Engine
from bot.client import create_bot
from bot.settings import Secret, Settings

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "tests" / "emulator" / "launch.py"
NEW_ARTICLE = """<!doctype html><html><head><title>The Quillfeather lighthouse</title></head>
<body><article><h1>The Quillfeather lighthouse</h1>
<p>The Quillfeather lighthouse stands on the northern cape of Varrow Island. Its keeper,
Ottoline Brask, lit the first lamp in 1893, and the light has turned every night since.
The tower is built of pale granite quarried on the island itself, and its lens came by
ship from a workshop in Bremen.</p>
<p>Sailors call the Quillfeather light the grey feather because its beam flashes twice
and then rests, like a bird folding its wings. The island keeps the keeper's logbooks in
a small museum beside the tower, where visitors can read of storms, wrecks and rescues
written in Ottoline Brask's careful hand.</p>
</article></body></html>
"""
NEW_QUESTION = "who lit the first lamp of the Quillfeather lighthouse?"
NEW_ANSWER = "Ottoline Brask"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A web page to add, served from 127.0.0.1 on a free port."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "lighthouse.html").write_text(NEW_ARTICLE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/lighthouse.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sharded_emulator() -> Iterator[DiscordEmulator]:
    """The guild on shard 2 of 4; IDENTIFY buckets of 4, so no shard waits for another."""
    server = DiscordEmulator(heartbeat_interval_ms=500, guild_shard=(2, 4), max_concurrency=4)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Bots:
    """The `citebot run` processes of a test, each stopped however the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, env: dict[str, str]) -> None:
        with (self.tmp_path / f"{name}.log").open("w") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, str(LAUNCHER), "run"],
                env=env,
                cwd=self.tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def stop(self) -> dict[str, int]:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait()
        return codes


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[Bots]:
    running = Bots(tmp_path)
    try:
        yield running
    finally:
        running.stop()


async def ask_by_dm(emulator: DiscordEmulator, user: dict[str, Any], text: str) -> Any:
    message = await asyncio.to_thread(emulator.send_dm, user, text)
    asked = Question(
        int(user["id"]),
        "dm",
        message["id"],
        int(message["channel_id"]),
        emulator.sent_at[int(message["id"])],
    )
    return await reply_to(emulator, asked)


async def slash(emulator: DiscordEmulator, user: dict[str, Any], name: str, **options: Any) -> Any:
    payload = await asyncio.to_thread(emulator.slash, user, name, **options)
    token = payload["token"]
    asked = Question(
        int(user["id"]), "slash", token, emulator.channel_id, emulator.interactions[token].sent_at
    )
    return await reply_to(emulator, asked)


async def click(emulator: DiscordEmulator, user: dict[str, Any], message_id: int, custom_id: str):
    payload = await asyncio.to_thread(emulator.click, user, message_id, custom_id)
    token = payload["token"]
    asked = Question(
        int(user["id"]), "click", token, emulator.channel_id, emulator.interactions[token].sent_at
    )
    return await reply_to(emulator, asked)


async def reply_to(emulator: DiscordEmulator, asked: Question) -> Any:
    found = await emulator.wait_until(lambda: replies(emulator, [asked]), timeout=30)
    return found[asked.key]


def button(message: dict[str, Any], emoji: str) -> str:
    for row in message["components"]:
        for item in row["components"]:
            if (item.get("emoji") or {}).get("name") == emoji:
                return str(item["custom_id"])
    raise LookupError(f"no {emoji} button under the message")


async def test_two_processes_on_one_postgresql_share_cooldown_articles_votes_and_log(
    sharded_emulator: DiscordEmulator,
    bots: Bots,
    postgres_url: str,
    site: str,
    tmp_path: Path,
):
    emulator = sharded_emulator
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    shared = {
        "EMULATOR_API_BASE": emulator.api_base,
        "EMULATOR_GATEWAY": emulator.gateway_url,
        "DISCORD_TOKEN": emulator.token,
        "CITEBOT_CORPUS_DIR": str(corpus),
        "CITEBOT_DATABASE_URL": postgres_url,
        "CITEBOT_SHARD_COUNT": "4",
        "CITEBOT_WATCH_CORPUS": "0",  # only the NOTIFY can tell A about B's article
        "CITEBOT_COOLDOWN_RATE": "1",
        "CITEBOT_COOLDOWN_SECONDS": "3600",
        "CITEBOT_ALLOW_PRIVATE_URLS": "1",  # the page is on 127.0.0.1
        # Every host hashes users with one key (each has its own data dir here).
        "CITEBOT_USER_KEY": "a-long-random-key-shared-by-every-host",
    }
    for name, shards in (("A", "0,1"), ("B", "2,3")):
        env = subprocess_env(
            **shared, CITEBOT_SHARD_IDS=shards, CITEBOT_DATA_DIR=str(tmp_path / f"data-{name}")
        )
        bots.start(name, env)
    await emulator.wait_until(
        lambda: len(emulator.identifies) == 4 and emulator.commands, timeout=90
    )
    assert sorted(tuple(i["shard"]) for i in emulator.identifies) == [
        (0, 4),
        (1, 4),
        (2, 4),
        (3, 4),
    ]
    answered = 0

    # A cooldown taken through A (a DM) holds in B (the guild).
    bob = emulator.create_user("bob")
    first = await ask_by_dm(emulator, bob, "who founded DeepSeek?")
    assert first.kind == "answer"
    answered += 1
    again = await slash(emulator, bob, "ask", question="what does BM25 stand for?")
    assert again.kind == "cooldown", again.body
    assert again.body["content"].startswith(COOLDOWN_PREFIX)

    # An article the bot's owner adds to the shared library through B is answered by A.
    owner = emulator.application_owner()
    added = await slash(emulator, owner, "citebot", subcommand="add", url=site, shared=True)
    assert "Quillfeather" in str(added.body), added.body
    confirmed = time.monotonic()
    heard_after = None
    attempt = 0
    while heard_after is None and time.monotonic() - confirmed < 30:  # generous; ~0.2 s here
        attempt += 1
        asker = emulator.create_user(f"reader{attempt}")
        reply = await ask_by_dm(emulator, asker, NEW_QUESTION)
        answered += 1
        if NEW_ANSWER in str(reply.body.get("embeds")):
            heard_after = time.monotonic() - confirmed
        else:
            await asyncio.sleep(0.1)
    assert heard_after is not None, "A never answered from the article added through B"
    print(f"A answered from B's new article {heard_after:.2f} s after B confirmed it")

    # A vote counts once, however often it is pressed.
    dave = emulator.create_user("dave")
    asked = await slash(emulator, dave, "ask", question="who founded DeepSeek?")
    assert asked.kind == "answer"
    answered += 1
    message_id = emulator.interactions[asked.question.key].original_id
    assert message_id is not None
    thumbs_up = button(emulator.messages[message_id], "👍")
    assert "Thanks" in (await click(emulator, dave, message_id, thumbs_up)).body["content"]
    assert "already" in (await click(emulator, dave, message_id, thumbs_up)).body["content"]

    # Each connected process keeps its heartbeat fresh: the container health check passes.
    beat = tmp_path / "data-A" / "heartbeat.json"
    await emulator.wait_until(beat.exists, timeout=30)
    healthy = run_citebot("health", cwd=tmp_path, env={"CITEBOT_DATA_DIR": str(beat.parent)})
    assert healthy.returncode == 0, healthy.stdout

    codes = bots.stop()
    assert codes == {"A": 0, "B": 0}, bots.log("A") + bots.log("B")
    for name in ("A", "B"):
        assert "Traceback" not in bots.log(name), bots.log(name)
        assert postgres_url not in bots.log(name)
    assert "rebuilding if the corpus changed" in bots.log("A")
    assert "shard 0 identifies (bucket 0" in bots.log("A")  # turns taken through PostgreSQL
    assert "shard 3 identifies (bucket 3" in bots.log("B")

    # A host whose user-hash key differs would count everyone twice: it is refused, clearly.
    stray = subprocess.run(
        [sys.executable, str(LAUNCHER), "run"],
        env=subprocess_env(
            **shared | {"CITEBOT_USER_KEY": "another-key-on-a-misconfigured-host"},
            CITEBOT_SHARD_IDS="0",
            CITEBOT_DATA_DIR=str(tmp_path / "data-C"),
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stray.returncode == 2, stray.stderr
    assert (
        stray.stderr.strip()
        .splitlines()[-1]
        .startswith("citebot: this host's user-hash key is not the one the other processes")
    )
    assert "Traceback" not in stray.stderr

    # `citebot stats` on a host with nothing in its data dir reads the shared log.
    empty = tmp_path / "empty-data"
    stats = run_citebot(
        "stats",
        cwd=tmp_path,
        env={
            "CITEBOT_CORPUS_DIR": str(corpus),
            "CITEBOT_DATA_DIR": str(empty),
            "CITEBOT_DATABASE_URL": postgres_url,
        },
    )
    assert stats.returncode == 0, stats.stderr
    assert f"{answered} in all" in stats.stdout, stats.stdout
    assert "1 👍 · 0 👎" in stats.stdout
    assert not (empty / "citebot.sqlite3").exists()


async def test_shards_in_one_bucket_take_turns_to_identify_through_postgresql(
    pointed_at: DiscordEmulator,
    settings: Settings,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    # Discord's 5 s between IDENTIFYs in a bucket, shortened; max_concurrency 1: one bucket.
    monkeypatch.setattr(client, "IDENTIFY_INTERVAL", 2.0)
    sharded = dataclasses.replace(
        settings, shard_count=2, database_url=Secret(postgres_url), watch_corpus=False
    )
    engine = await asyncio.to_thread(Engine.open, sharded)
    bot = create_bot(sharded, engine=engine)
    with caplog.at_level(logging.INFO, logger="bot.client"):
        task = asyncio.create_task(bot.start(pointed_at.token))
        try:
            await pointed_at.wait_until(lambda: len(pointed_at.identifies) == 2, timeout=30)
            turns = await asyncio.to_thread(
                bot.store.database.query, "SELECT bucket, taken_at FROM identify_turns"
            )
        finally:
            await bot.close()
            await task

    assert [bucket for bucket, _ in turns] == [0]  # both shards in bucket 0 % 1
    waits = [r.getMessage() for r in caplog.records if "identifies (bucket 0" in r.getMessage()]
    assert len(waits) == 2
    waited = [float(re.search(r"waited ([\d.]+) s", w).group(1)) for w in waits]  # type: ignore[union-attr]
    assert waited[0] == 0 and waited[1] > 0  # the second shard waited for its turn

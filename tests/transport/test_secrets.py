"""The bot token stays secret: never in a log, even at DEBUG, and `.env` is kept out of git."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from emulator import DiscordEmulator

from transport.test_citebot_run import LAUNCHER, QUESTION, REPO, citebot_env

#: Shaped like a real bot token: base64 user id, timestamp, HMAC.
# Shaped like a real token (id.timestamp.hmac) but fake; joined at run time so that no
# token-shaped string is committed for secret scanners to flag.
TOKEN = ".".join(
    ["MTQ1NjA3NDQ0Mzk4MDgwMDAwMA", "GhJkLm", "s3cr3t-HMAC_part-0123456789abcdefghijkl"]
)


async def test_token_from_dotenv_never_appears_in_a_debug_log_of_a_whole_session(tmp_path: Path):
    emulator = DiscordEmulator(token=TOKEN, heartbeat_interval_ms=200).start()
    try:
        (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nCITEBOT_LOG_LEVEL=DEBUG\n")
        log_path = tmp_path / "citebot.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, str(LAUNCHER), "run"],
                env=citebot_env(emulator, tmp_path),
                cwd=tmp_path,  # where `.env` is read from
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            # hello, identify, ready; a slash command; a DM; heartbeats; then shutdown.
            await emulator.wait_until(lambda: emulator.identifies and emulator.commands, 30)
            alice, bob = emulator.create_user("alice"), emulator.create_user("bob")
            await asyncio.to_thread(emulator.slash, alice, "ask", question=QUESTION)
            await asyncio.to_thread(emulator.send_dm, bob, QUESTION)
            await emulator.wait_until(
                lambda: (
                    emulator.requests_matching("POST", "/webhooks/*")
                    and emulator.bot_messages_in(emulator.dm_channel_of(bob))
                )
            )
            await emulator.wait_until(lambda: emulator.heartbeats >= 3)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    finally:
        emulator.stop()
    log = log_path.read_text()

    assert process.returncode == 0, log
    assert "INTERACTION_CREATE" in log and "DEBUG" in log  # the log really was at DEBUG
    assert emulator.identifies[0]["token"] == TOKEN  # the bot did use the token
    for secret in (TOKEN, TOKEN.split(".")[-1]):
        assert secret not in log


def test_dotenv_is_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)

    assert ignored.returncode == 0

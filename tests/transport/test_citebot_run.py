"""`citebot run` as a subprocess: the real entry point, talking to the emulator."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

from emulator import DiscordEmulator
from support import subprocess_env

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "tests" / "emulator" / "launch.py"
QUESTION = "who founded DeepSeek?"


def citebot_env(emulator: DiscordEmulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = subprocess_env()
    env.update(
        EMULATOR_API_BASE=emulator.api_base,
        EMULATOR_GATEWAY=emulator.gateway_url,
        CITEBOT_CORPUS_DIR=str(REPO / "corpus"),
        CITEBOT_DATA_DIR=str(tmp_path / "data"),
    )
    env.update(extra)
    return env


def run_citebot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LAUNCHER), "run"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_token_is_one_clear_line_and_exit_code_2(emulator: DiscordEmulator, tmp_path: Path):
    done = run_citebot(citebot_env(emulator, tmp_path), tmp_path)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "citebot: DISCORD_TOKEN is not set: put the bot token from the Developer Portal "
        "in .env or the environment"
    ]
    assert emulator.requests == []


def test_rejected_token_is_one_clear_line_exit_code_2_and_never_shown(
    emulator: DiscordEmulator, tmp_path: Path
):
    secret = "wrong-token-0123456789"
    done = run_citebot(citebot_env(emulator, tmp_path, DISCORD_TOKEN=secret), tmp_path)

    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1].startswith("citebot: Discord rejected DISCORD_TOKEN")
    )
    assert "Traceback" not in done.stderr
    assert secret not in done.stdout + done.stderr
    assert [r.path for r in emulator.requests] == ["/users/@me"]


def test_a_missing_corpus_stops_the_bot_with_one_line_and_exit_code_2(
    emulator: DiscordEmulator, tmp_path: Path
):
    env = citebot_env(emulator, tmp_path, DISCORD_TOKEN=emulator.token)
    env["CITEBOT_CORPUS_DIR"] = str(tmp_path / "no-articles-here")
    done = run_citebot(env, tmp_path)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"citebot: corpus folder not found: {tmp_path / 'no-articles-here'} "
        "(set CITEBOT_CORPUS_DIR or --corpus)"
    )


async def test_citebot_run_logs_in_syncs_and_answers_a_slash_command_and_a_dm(
    emulator: DiscordEmulator, tmp_path: Path
):
    env = citebot_env(emulator, tmp_path, DISCORD_TOKEN=emulator.token, CITEBOT_LOG_LEVEL="DEBUG")
    # Output goes to files: a DEBUG log would fill a pipe nobody reads yet.
    with (tmp_path / "out.log").open("w") as stdout, (tmp_path / "err.log").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "run"],
            env=env,
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        await emulator.wait_until(lambda: emulator.identifies and emulator.commands, timeout=30)
        alice, bob = emulator.create_user("alice"), emulator.create_user("bob")
        await asyncio.to_thread(emulator.slash, alice, "ask", question=QUESTION)
        await asyncio.to_thread(emulator.send_dm, bob, QUESTION)

        in_channel = await emulator.wait_until(
            lambda: [m for m in emulator.bot_messages_in(emulator.channel_id) if m["embeds"]]
        )
        in_dm = await emulator.wait_until(
            lambda: [
                m for m in emulator.bot_messages_in(emulator.dm_channel_of(bob)) if m["embeds"]
            ]
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    out, err = (tmp_path / "out.log").read_text(), (tmp_path / "err.log").read_text()

    assert process.returncode == 0, err
    assert "Liang Wenfeng" in json.dumps(in_channel[0]["embeds"])
    assert "Liang Wenfeng" in json.dumps(in_dm[0]["embeds"])
    assert {c["name"] for c in emulator.commands["global"]} >= {"ask", "help"}
    invite = (
        f"https://discord.com/oauth2/authorize?client_id={emulator.application_id}"
        "&scope=bot+applications.commands&permissions=309237729280"
    )
    assert invite in err
    # The README's sample start shows what a start over the bundled corpus logs.
    readme = (REPO / "README.md").read_text()
    shown = re.findall(r"answering from \d+ articles \(\d+ passages\)|synced \d+ commands", readme)
    assert len(shown) == 2
    assert [line for line in shown if line not in err] == []
    assert emulator.token not in out + err  # not even at DEBUG level

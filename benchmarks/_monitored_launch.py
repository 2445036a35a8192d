"""`citebot run` against the emulator, with an event-loop stall probe (benchmark use only).

Like tests/emulator/launch.py, plus a task on the bot's own loop that sleeps 10 ms
over and over and writes to STALL_LOG (one line a wake-up that came late by more
than 1 ms: wall-clock time, lateness in seconds). A late wake-up means something
held the loop: the longest one is the longest stall a user's event had to wait.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import discord.gateway
import discord.http
import yarl

discord.http.Route.BASE = os.environ["EMULATOR_API_BASE"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["EMULATOR_GATEWAY"])

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.client  # noqa: E402  (after pointing discord.py at the emulator)
from bot.cli import main  # noqa: E402

TICK = 0.010
REPORT_OVER = 0.001


async def _probe(path: Path) -> None:
    loop = asyncio.get_running_loop()
    with path.open("w", buffering=1) as out:
        while True:
            before = loop.time()
            await asyncio.sleep(TICK)
            late = loop.time() - before - TICK
            if late > REPORT_OVER:
                out.write(f"{time.time():.4f} {late:.5f}\n")


_serve = bot.client._serve


async def _serve_probed(settings, token):  # type: ignore[no-untyped-def]
    probe = asyncio.create_task(_probe(Path(os.environ["STALL_LOG"])))
    try:
        await _serve(settings, token)
    finally:
        probe.cancel()


bot.client._serve = _serve_probed  # type: ignore[assignment]

sys.exit(main(sys.argv[1:]))

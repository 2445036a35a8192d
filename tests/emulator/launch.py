"""Run the real `citebot` entry point against the emulator (test use only).

The emulator's addresses come from EMULATOR_API_BASE and EMULATOR_GATEWAY; the rest
of the command line is `citebot`'s own, e.g. `python launch.py run`.
"""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

discord.http.Route.BASE = os.environ["EMULATOR_API_BASE"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["EMULATOR_GATEWAY"])

from bot.cli import main  # noqa: E402  (after pointing discord.py at the emulator)

sys.exit(main(sys.argv[1:]))

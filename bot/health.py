"""A heartbeat file the running bot refreshes while it is connected, for health checks.

A container's HEALTHCHECK (or a systemd watchdog script) runs `citebot health`, which
only reads the file's age: it needs no token, no database and no Discord connection.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bot.atomic import write_file

FILENAME = "heartbeat.json"
#: How often a connected bot refreshes the file.
INTERVAL = 30.0
#: Older than this, `citebot health` reports the bot unhealthy (three missed beats).
MAX_AGE = 3 * INTERVAL


def beat(data_dir: Path, *, now: float | None = None) -> None:
    """Record that the bot is connected now (blocking: call it off the event loop)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    at = time.time() if now is None else now
    write_file(data_dir / FILENAME, json.dumps({"at": at, "pid": os.getpid()}).encode())


def age(data_dir: Path, *, now: float | None = None) -> float | None:
    """Seconds since the last beat; None when the bot never beat (or the file is unreadable)."""
    try:
        at = float(json.loads((data_dir / FILENAME).read_text())["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (time.time() if now is None else now) - at

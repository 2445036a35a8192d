"""Helpers shared by tests that run the real `citebot` in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def subprocess_env(**extra: str) -> dict[str, str]:
    """This checkout first on the path, and none of the developer's Citebot settings or token."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_") and k != "DISCORD_TOKEN"
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env

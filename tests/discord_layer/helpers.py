"""Checks shared by the Discord tests: payload limits, no pings, handled errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import simcord
from support import payload_problems

MESSAGE_KEYS = ("content", "embeds", "components")


def message_payloads(body: Any) -> Iterator[dict[str, Any]]:
    """The message bodies inside one REST request body (interaction callbacks nest theirs)."""
    if not isinstance(body, dict):
        return
    if "type" in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if any(key in body for key in MESSAGE_KEYS):
        yield body


def problems(method: str, path: str, body: Any) -> list[str]:
    found: list[str] = []
    for payload in message_payloads(body):
        where = f"{method} {path}"
        found.extend(f"{where}: {p}" for p in payload_problems(payload))
        mentions = payload.get("allowed_mentions")
        if not isinstance(mentions, dict) or mentions.get("parse") != []:
            found.append(f"{where}: allowed_mentions is {mentions!r}, not parse=[]")
        elif mentions.get("users") or mentions.get("roles") or mentions.get("replied_user"):
            found.append(f"{where}: allowed_mentions lets someone be pinged: {mentions!r}")
    return found


def unsent_problems(requests: Iterable[Any]) -> list[str]:
    """Every limit or mention problem in the requests a bot sent (simcord's or the emulator's)."""
    return [problem for r in requests for problem in problems(r.method, r.path, r.json)]


def handled_errors(env: simcord.Env) -> list[type[BaseException]]:
    """The errors the bot turned into replies during the test (reading them acknowledges them)."""
    return [type(e.__cause__ or e) for e in env.errors]

"""Checks shared by the Discord tests: payload limits, no pings, handled errors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import simcord
from support import payload_problems

from bot import corpus_edit
from bot.corpus import Article

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


class PagesReadAhead:
    """Web pages the test reads itself, to the end, before the bot fetches them; the bot's
    reader (`corpus_edit.article_from_page`) then gives it the article already read.

    The real reader starts a fresh interpreter per page (0.3 s of CPU). simcord gives the
    bot's work after each action `settle_timeout` (5 s) of wall time and cannot wait longer
    for work in threads, so a sitemap import of six pages failed on a loaded machine. Read
    ahead, with the same reader, the bot still fetches, saves, counts and indexes each page.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._reader = corpus_edit.article_from_page
        self._read: dict[tuple[str, str], Article] = {}
        monkeypatch.setattr(corpus_edit, "article_from_page", self._article)

    def read(self, url: str, body: str) -> None:
        """Read the HTML page `body` served at `url` now, as the bot would."""
        self._read[url, body] = self._reader(body, "text/html", url)

    def _article(self, body: str, content_type: str, url: str, **options: Any) -> Article:
        found = self._read.get((url, body))
        if found is None or content_type != "text/html" or options:
            return self._reader(body, content_type, url, **options)
        return found

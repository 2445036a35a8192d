"""Every error Citebot raises on purpose, in one tree; front ends show their message as it is.

    CitebotError                 a message meant for a person, never a traceback
    ├── SettingsError            a setting is missing or malformed (names the variable)
    ├── CorpusError              the corpus folder cannot be used at all
    ├── SkipFile                 one file (or JSONL line) is left out; the rest load
    ├── IndexLoadError           a saved index is missing, corrupt or of another version
    ├── QuestionError            a question that cannot be searched (empty, only markup)
    │   ├── QuestionTooLong      over the configured length
    │   └── OnCooldown           asked more often than the cooldown allows
    ├── NotAdmin                 someone may not run an admin command here
    ├── StillLoading             the first index is not built yet
    ├── FetchError               a URL that cannot be added (scheme, address, size, type)
    │   └── PageGone             the server says the page is gone (HTTP 404 or 410)
    ├── CorpusEditError          an article cannot be added or removed
    │   └── DuplicateArticle     the URL or text is already in the corpus
    ├── LibraryFull              no room for another imported page: a sitemap import stops
    └── StoreWriteError          the store could not save (full disk, read-only, locked)

The Discord layer (bot/replies.py) turns any of them into a short private reply and
anything else into an apology with an error id; the CLI prints them after `citebot:`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.corpus import Article


class CitebotError(Exception):
    """Base of every error Citebot reports to a user instead of a traceback."""


class SettingsError(CitebotError):
    """A setting is missing or malformed; the message names the variable."""


class CorpusError(CitebotError):
    """The corpus cannot be used at all (missing folder, nothing loadable)."""


class SkipFile(CitebotError):
    """A file (or JSONL line) that cannot be used; the message says why."""


class IndexLoadError(CitebotError):
    """A saved index is missing, incomplete, corrupt or of another version."""


class QuestionError(CitebotError):
    """A question that cannot be searched (empty, nothing but white space)."""


class QuestionTooLong(QuestionError):
    """A question over the configured length."""


class OnCooldown(QuestionError):
    """A user asked more often than the cooldown allows."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"You're asking quickly: try again in {seconds} s.")


class NotAdmin(CitebotError):
    """Someone who may not run Citebot's admin commands tried one."""


class StillLoading(CitebotError):
    """A question arrived before the first index was ready."""

    def __init__(self) -> None:
        super().__init__("The articles are still loading; try again in a moment.")


class FetchError(CitebotError):
    """A URL that cannot be added; the message is shown to the admin as it is."""


class PageGone(FetchError):
    """The server answered 404 or 410: a refreshed source may have been taken down."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the server answered HTTP {status}")
        self.status = status


class CorpusEditError(CitebotError):
    """An add or remove that cannot be done; the message is for the admin."""


class DuplicateArticle(CorpusEditError):
    """The article's URL or text is already in the corpus; `existing` is the one there."""

    def __init__(self, message: str, existing: Article) -> None:
        super().__init__(message)
        self.existing = existing


class LibraryFull(CitebotError):
    """The library has no room for another page: a sitemap import stops there (not a
    CorpusEditError, which fails only the one page)."""


class StoreWriteError(CitebotError):
    """The store could not save (disk full, read-only, locked); `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"couldn't save: {reason}")
        self.reason = reason

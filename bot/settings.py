"""One typed, validated settings object read from the environment and `.env`.

Nothing is read at import time: front ends call `Settings.from_env()` once at start,
so tests and tools can import every module without a token or a `.env`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import SettingsError

T = TypeVar("T")
_Number = TypeVar("_Number", int, float)


class Secret:
    """A value that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything Citebot can be told; each field maps to one environment variable."""

    corpus_dir: Path = Path("corpus")
    corpus_extra_roots: tuple[Path, ...] = ()
    data_dir: Path = Path(".citebot")
    per_page: int = 3
    language: str = "english"
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    passage_min_words: int = 40
    passage_max_words: int = 150
    #: The most the articles loaded may weigh together, in MiB (each article: 20 MB at most).
    max_corpus_mb: int = 4096
    discord_token: Secret | None = field(default=None, repr=False)
    #: Keys the user hashes in the store; None: a key file in the data folder.
    user_key: Secret | None = field(default=None, repr=False)
    guild_id: int | None = None
    cooldown_rate: int = 5
    cooldown_seconds: float = 60.0
    max_question_chars: int = 500
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    log_level: str = "INFO"
    admin_role_id: int | None = None
    allow_private_urls: bool = False
    #: Hours between re-fetches of each article added by URL; 0 turns the refresh off.
    refresh_hours: float = 24.0
    #: Most pages one `/citebot add sitemap:` imports.
    sitemap_limit: int = 200
    #: Seconds between two requests to one web host (refresh and sitemap imports).
    fetch_delay: float = 1.0
    watch_corpus: bool = True
    watch_debounce_ms: int = 1500
    log_retention_days: int = 90
    message_content_intent: bool = False
    url_template: str | None = None
    anchor_style: str = "github"
    #: Articles each server may add to its own library (the shared corpus has no limit).
    server_article_limit: int = 200
    #: PostgreSQL shared by shard processes on several hosts; None: SQLite in `data_dir`.
    database_url: Secret | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Read settings from `env` (default: os.environ) over the values in `./.env`."""
        values: dict[str, str] = {}
        if dotenv:
            values.update(_read_dotenv(Path(".env")))
        values.update(os.environ if env is None else env)
        reader = _Reader(values)
        settings = cls(
            corpus_dir=reader.get("CITEBOT_CORPUS_DIR", Path, cls.corpus_dir),
            corpus_extra_roots=reader.get("CITEBOT_CORPUS_EXTRA_ROOTS", _folders, ()),
            data_dir=reader.get("CITEBOT_DATA_DIR", Path, cls.data_dir),
            per_page=reader.get("CITEBOT_RESULTS", _int_between(1, 10), cls.per_page),
            language=reader.get("CITEBOT_LANGUAGE", _language, cls.language),
            k1=reader.get("CITEBOT_BM25_K1", _float_between(0.0, 10.0), cls.k1),
            b=reader.get("CITEBOT_BM25_B", _float_between(0.0, 1.0), cls.b),
            epsilon=reader.get("CITEBOT_BM25_EPSILON", _float_between(0.0, 10.0), cls.epsilon),
            passage_min_words=reader.get(
                "CITEBOT_PASSAGE_MIN_WORDS", _int_between(1, 5000), cls.passage_min_words
            ),
            passage_max_words=reader.get(
                "CITEBOT_PASSAGE_MAX_WORDS", _int_between(5, 10000), cls.passage_max_words
            ),
            max_corpus_mb=reader.get(
                "CITEBOT_MAX_CORPUS_MB", _int_between(1, 1024 * 1024), cls.max_corpus_mb
            ),
            discord_token=reader.get("DISCORD_TOKEN", Secret, None),
            user_key=reader.get("CITEBOT_USER_KEY", _key, None),
            guild_id=reader.get("CITEBOT_GUILD_ID", _snowflake, None),
            cooldown_rate=reader.get(
                "CITEBOT_COOLDOWN_RATE", _int_between(1, 1000), cls.cooldown_rate
            ),
            cooldown_seconds=reader.get(
                "CITEBOT_COOLDOWN_SECONDS", _float_between(0.0, 86400.0), cls.cooldown_seconds
            ),
            max_question_chars=reader.get(
                "CITEBOT_MAX_QUESTION_CHARS", _int_between(10, 4000), cls.max_question_chars
            ),
            shard_count=reader.get("CITEBOT_SHARD_COUNT", _int_between(1, 10000), None),
            shard_ids=reader.get("CITEBOT_SHARD_IDS", _int_list, None),
            log_level=reader.get("CITEBOT_LOG_LEVEL", _log_level, cls.log_level),
            admin_role_id=reader.get("CITEBOT_ADMIN_ROLE_ID", _snowflake, None),
            allow_private_urls=reader.get(
                "CITEBOT_ALLOW_PRIVATE_URLS", _bool, cls.allow_private_urls
            ),
            server_article_limit=reader.get(
                "CITEBOT_SERVER_ARTICLE_LIMIT", _int_between(0, 100_000), cls.server_article_limit
            ),
            refresh_hours=reader.get(
                "CITEBOT_REFRESH_HOURS", _float_between(0.0, 8760.0), cls.refresh_hours
            ),
            sitemap_limit=reader.get(
                "CITEBOT_SITEMAP_LIMIT", _int_between(1, 5000), cls.sitemap_limit
            ),
            fetch_delay=reader.get(
                "CITEBOT_FETCH_DELAY_SECONDS", _float_between(0.0, 60.0), cls.fetch_delay
            ),
            watch_corpus=reader.get("CITEBOT_WATCH_CORPUS", _bool, cls.watch_corpus),
            watch_debounce_ms=reader.get(
                "CITEBOT_WATCH_DEBOUNCE_MS", _int_between(50, 60000), cls.watch_debounce_ms
            ),
            log_retention_days=reader.get(
                "CITEBOT_LOG_RETENTION_DAYS", _int_between(1, 3650), cls.log_retention_days
            ),
            message_content_intent=reader.get(
                "CITEBOT_MESSAGE_CONTENT_INTENT", _bool, cls.message_content_intent
            ),
            url_template=reader.get("CITEBOT_URL_TEMPLATE", _url_template, None),
            anchor_style=reader.get("CITEBOT_ANCHOR_STYLE", _anchor_style, cls.anchor_style),
            database_url=reader.get("CITEBOT_DATABASE_URL", _database_url, None),
        )
        if settings.passage_min_words > settings.passage_max_words:
            raise SettingsError(
                "CITEBOT_PASSAGE_MIN_WORDS must not be larger than CITEBOT_PASSAGE_MAX_WORDS "
                f"(got {settings.passage_min_words} > {settings.passage_max_words})"
            )
        if settings.shard_ids is not None:
            if settings.shard_count is None:
                raise SettingsError("CITEBOT_SHARD_IDS needs CITEBOT_SHARD_COUNT to be set too")
            bad = [i for i in settings.shard_ids if i >= settings.shard_count]
            if bad:
                raise SettingsError(
                    f"CITEBOT_SHARD_IDS must be below CITEBOT_SHARD_COUNT={settings.shard_count} "
                    f"(got {bad})"
                )
        return settings

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (command-line options win over the environment)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def user_key_bytes(self) -> bytes | None:
        """The key for the store's user hashes when set (else the store keeps a key file)."""
        return None if self.user_key is None else self.user_key.reveal().encode()

    def store_url(self) -> str | None:
        """The PostgreSQL URL the store lives at, or None for SQLite in the data dir."""
        return None if self.database_url is None else self.database_url.reveal()

    def index_fingerprint_fields(self) -> dict[str, Any]:
        """The settings that change what the index holds: part of its cache key."""
        names = ("language", "k1", "b", "epsilon", "passage_min_words", "passage_max_words")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in names}


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    dotenv_log = logging.getLogger("dotenv.main")
    named = _NameTheFile(path)
    dotenv_log.addFilter(named)
    try:
        return {k: v for k, v in dotenv_values(path).items() if v is not None}
    finally:
        dotenv_log.removeFilter(named)


class _NameTheFile(logging.Filter):
    """python-dotenv warns of a line it cannot read by its number alone ("could not parse
    statement starting at line 2"): the admin is told which file, and that it was ignored.
    Only the line's number is shown, never its text (it may hold a token)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("python-dotenv could not parse"):
            record.msg = "%s, line %s: not NAME=value; ignored"
            record.args = (str(self.path.resolve()), *(record.args or ()))
        return True


#: Their values never appear in an error message (a database URL can hold a password).
_SECRET_NAMES = ("DISCORD_TOKEN", "CITEBOT_USER_KEY", "CITEBOT_DATABASE_URL")


class _Reader:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self._values.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw.strip())
        except (ValueError, TypeError) as exc:
            shown = "***" if name in _SECRET_NAMES else repr(raw)
            raise SettingsError(f"{name} {exc} (got {shown})") from None


def _int_between(low: int, high: int) -> Callable[[str], int]:
    return _number_between(int, low, high, f"a whole number from {low} to {high}")


def _float_between(low: float, high: float) -> Callable[[str], float]:
    return _number_between(float, low, high, f"a number from {low:g} to {high:g}")


def _number_between(
    convert: Callable[[str], _Number], low: _Number, high: _Number, what: str
) -> Callable[[str], _Number]:
    """A reader of numbers within [low, high]; its error says `must be {what}`."""

    def parse(raw: str) -> _Number:
        try:
            value = convert(raw)
        except ValueError:
            raise ValueError(f"must be {what}") from None
        if not low <= value <= high:
            raise ValueError(f"must be {what}")
        return value

    return parse


def _snowflake(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 20:
        raise ValueError("must be a Discord id (digits only, e.g. 123456789012345678)")
    return int(raw)


def _int_list(raw: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in raw.replace(" ", "").split(",") if part)
    except ValueError:
        raise ValueError("must be shard numbers separated by commas, e.g. 0,1") from None
    if not values or any(v < 0 for v in values):
        raise ValueError("must be shard numbers separated by commas, e.g. 0,1")
    return values


def _folders(raw: str) -> tuple[Path, ...]:
    folders = tuple(Path(part) for part in raw.split(os.pathsep) if part.strip())
    missing = [str(folder) for folder in folders if not folder.is_dir()]
    if missing:
        raise ValueError(
            f"must be existing folders separated by '{os.pathsep}' (not a folder: {missing[0]})"
        )
    return folders


def _key(raw: str) -> Secret:
    if len(raw) < 16:
        raise ValueError("must be at least 16 characters (a long random string)")
    return Secret(raw)


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be 1 or 0 (also true/false, yes/no, on/off)")


def _language(raw: str) -> str:
    import Stemmer

    language = raw.lower()
    if language not in Stemmer.algorithms():
        raise ValueError("must be a Snowball language such as english, french or german")
    return language


def _url_template(raw: str) -> str:
    template = raw.strip()
    if not re.match(r"https?://[^\s{}]+", template) or "{path}" not in template:
        raise ValueError(
            "must be an http(s) address with {path} in it, e.g. https://example.org/docs/{path}/"
        )
    if re.search(r"[{}]", template.replace("{path}", "")):
        raise ValueError("may hold no placeholder but {path}")
    return template


def _anchor_style(raw: str) -> str:
    style = raw.strip().lower()
    if style not in {"github", "python-markdown"}:
        raise ValueError("must be github or python-markdown (how the site makes heading ids)")
    return style


def _database_url(raw: str) -> Secret:
    if not raw.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            "must be a PostgreSQL URL such as postgresql://citebot:password@db.example:5432/citebot "
            "(leave it unset for SQLite in the data dir)"
        )
    return Secret(raw)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level

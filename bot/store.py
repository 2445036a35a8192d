"""What the bot remembers: the question log, feedback votes, per-server settings, and meta.

SQLite in the data folder by default (WAL, so shard processes on one host and the CLI
can share it), or PostgreSQL when CITEBOT_DATABASE_URL names one (shard processes on
several hosts; cooldowns and reload notices then go through it too). The SQL is
written once, with `?` placeholders, against `bot.database`. Every method blocks: the
Discord layer calls them with `asyncio.to_thread`. Users appear only as keyed hashes of
their ids: HMAC with a key kept outside the store (a file in the data folder readable
only by the bot's user, or CITEBOT_USER_KEY), so votes still count once per person, and
the database alone, with a member list, links no question to anyone. Every process
sharing a PostgreSQL store must use the same key (checked at open).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from bot.database import (
    RELOAD_CHANNEL,
    SCHEMA_VERSION,
    Listener,
    PostgresDatabase,
    Session,
    SQLiteDatabase,
    SQLiteSession,
    applied_version,
    connect,
    migrate,
    write_errors,
)
from bot.errors import CitebotError, StoreWriteError

log = logging.getLogger(__name__)


class StoreKeyError(CitebotError):
    """The key file of the user hashes cannot be used."""


Vote = Literal["up", "down"]
VoteOutcome = Literal["recorded", "changed", "unchanged"]

SALT_KEY = "user_salt"
#: In the meta table of a shared store: a check value of the key every process must share.
KEY_CHECK = "user_key_check"
#: The key of the user hashes, in the data folder next to (never inside) the store.
KEY_FILENAME = "user-hash.key"
DAY = 86400.0
#: At most one warning per this many seconds about failed writes (a full disk fails them all).
FAILURE_LOG_INTERVAL = 60.0
#: The forum tag that keeps the bot out of a post, unless a server names another.
DEFAULT_IGNORE_TAG = "bot-ignore"
#: Articles a thread remembers for its follow-ups, the most recently cited first.
THREAD_ARTICLES = 3


@dataclass
class WriteFailures:
    """Failed writes since the store was opened, for `/citebot stats` and the log."""

    count: int = 0
    last_reason: str | None = None
    last_at: float | None = None
    _logged_at: float | None = None
    _unlogged: int = 0

    def record(self, reason: str, now: float) -> None:
        """Count a failure; warn at once, then at most once per FAILURE_LOG_INTERVAL."""
        self.count += 1
        self.last_reason, self.last_at = reason, now
        if self._logged_at is not None and now - self._logged_at < FAILURE_LOG_INTERVAL:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more since the last warning)" if self._unlogged else ""
        log.warning("could not write to the store: %s%s", reason, more)
        self._logged_at, self._unlogged = now, 0


@dataclass(frozen=True)
class FeedbackCount:
    up: int
    down: int


@dataclass(frozen=True)
class LoggedQuestion:
    """One row of the question log with its votes: what insight is computed from."""

    asked_at: float
    guild_id: int | None
    question: str
    found: bool
    top_article: str | None
    reply_ms: float
    up: int = 0
    down: int = 0
    #: Asked privately (the `private` option, a DM): counted, never shown verbatim to admins.
    private: bool = False


@dataclass(frozen=True)
class KeptAbout:
    """What the store holds about one person, for `/privacy`."""

    questions: int
    votes: int
    servers: int
    direct: int
    first_at: float | None
    last_at: float | None


@dataclass(frozen=True)
class GuildSettings:
    """How Citebot behaves in one server; the defaults are what a new server gets."""

    #: Channels where mentions are answered; empty means every channel.
    mention_channels: tuple[int, ...] = ()
    #: `/ask` answers only the asker sees unless they choose otherwise.
    private_replies: bool = False
    #: Excerpts per page of an answer; None means CITEBOT_RESULTS.
    results: int | None = None
    #: Channels where every message is taken as a question (needs the message content intent).
    answer_all_channels: tuple[int, ...] = field(default_factory=tuple)
    #: Forum (or text) channels where each new post (thread) gets one suggested answer.
    suggest_channels: tuple[int, ...] = ()
    #: Whether a suggestion is posted when the articles hold no answer ("not found").
    suggest_not_found: bool = False
    #: Posts carrying a forum tag of this name (any case) get no suggestion.
    suggest_ignore_tag: str = DEFAULT_IGNORE_TAG
    #: Mentions in a text channel are answered in a new thread opened on the question.
    mention_threads: bool = False

    def answers_mentions_in(self, channel_id: int) -> bool:
        """Whether a mention in this channel is answered (every channel when none are listed)."""
        return not self.mention_channels or channel_id in self.mention_channels

    def to_json(self) -> str:
        """The settings as stored in the guild_settings table."""
        return json.dumps(
            {
                "mention_channels": list(self.mention_channels),
                "private_replies": self.private_replies,
                "results": self.results,
                "answer_all_channels": list(self.answer_all_channels),
                "suggest_channels": list(self.suggest_channels),
                "suggest_not_found": self.suggest_not_found,
                "suggest_ignore_tag": self.suggest_ignore_tag,
                "mention_threads": self.mention_threads,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> GuildSettings:
        """Settings read back from the table; missing keys take their defaults."""
        data: dict[str, Any] = json.loads(text)
        return cls(
            mention_channels=tuple(int(c) for c in data.get("mention_channels") or ()),
            private_replies=bool(data.get("private_replies", False)),
            results=data.get("results"),
            answer_all_channels=tuple(int(c) for c in data.get("answer_all_channels") or ()),
            suggest_channels=tuple(int(c) for c in data.get("suggest_channels") or ()),
            suggest_not_found=bool(data.get("suggest_not_found", False)),
            suggest_ignore_tag=str(data.get("suggest_ignore_tag") or DEFAULT_IGNORE_TAG),
            mention_threads=bool(data.get("mention_threads", False)),
        )


class Store:
    """The question log and settings on one backend (`bot.database`), shared by worker threads."""

    FILENAME = "citebot.sqlite3"

    def __init__(self, database: SQLiteDatabase | PostgresDatabase, user_key: bytes | None) -> None:
        self._db = database
        self._salt = _salt(database)
        self._key = user_key
        self.write_failures = WriteFailures()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write in one transaction; a failure rolls back cleanly and becomes StoreWriteError."""
        try:
            with self._db.transaction() as tx:
                yield tx
        except write_errors() as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.write_failures.record(reason, time.time())
            raise StoreWriteError(reason) from exc

    @classmethod
    def open(
        cls,
        data_dir: Path,
        url: str | None = None,
        *,
        user_key: bytes | None = None,
        reading: bool = False,
    ) -> Store:
        """Open (creating or upgrading when needed) the store: PostgreSQL at `url`, else SQLite
        in `data_dir`.

        `user_key` keys the user hashes (CITEBOT_USER_KEY); without it the key file in
        `data_dir` is used, made on first use with permissions 0600. `reading` (the CLI's
        reports on a shared store) makes no key file and checks no key: they need none.
        """
        if user_key is not None:
            key: bytes | None = user_key
        elif reading and url is not None:
            key = read_key(data_dir / KEY_FILENAME)
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            key = load_or_make_key(data_dir / KEY_FILENAME)
        database = connect(url, data_dir, cls.FILENAME)
        try:
            _create_or_upgrade(database, key)
            if database.shared and not reading:
                _check_key(database, key)
        except BaseException:
            database.close()
            raise
        return cls(database, key)

    @classmethod
    def open_existing(
        cls, data_dir: Path, url: str | None = None, *, user_key: bytes | None = None
    ) -> Store | None:
        """The store when there is one, for reading (the CLI never creates a SQLite file)."""
        if url is None and not (data_dir / cls.FILENAME).is_file():
            return None
        return cls.open(data_dir, url, user_key=user_key, reading=True)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._db.dialect

    @property
    def shared(self) -> bool:
        """Whether processes on several hosts share this store (cooldowns then live in it)."""
        return self._db.shared

    @property
    def database(self) -> SQLiteDatabase | PostgresDatabase:
        """The backend, for copying a store (`citebot migrate-store`)."""
        return self._db

    def user_hash(self, user_id: int) -> str:
        """A user's stand-in in the store: the same for one person, meaningless without the key."""
        if self._key is None:
            raise StoreKeyError(
                "this store was opened for reading without the user-hash key; "
                "set CITEBOT_USER_KEY or use the data dir that holds user-hash.key"
            )
        return _hash(self._key, self._salt, user_id)

    def close(self) -> None:
        """Close the connections (after any write in progress)."""
        self._db.close()

    def log_question(
        self,
        *,
        user_id: int,
        source: str,
        question: str,
        found: bool,
        results: int,
        elapsed_ms: float,
        guild_id: int | None = None,
        top_article: str | None = None,
        reply_ms: float | None = None,
        asked_at: float | None = None,
        private: bool = False,
    ) -> int:
        """Record a question that was answered; its id names the answer for feedback.

        `guild_id` is None for a direct message (always private); `elapsed_ms` is the
        search alone and `reply_ms` the whole wait, worker thread included.
        """
        user_hash = self.user_hash(user_id)
        with self._writing() as tx:
            ((answer_id,),) = tx.query(
                "INSERT INTO questions (asked_at, user_hash, source, guild_id, question, found, "
                "results, top_article, elapsed_ms, reply_ms, private) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    time.time() if asked_at is None else asked_at,
                    user_hash,
                    source,
                    guild_id,
                    question,
                    int(found),
                    results,
                    top_article,
                    elapsed_ms,
                    reply_ms,
                    int(private or guild_id is None),
                ),
            )
        return int(answer_id)

    def vote(self, answer_id: int, user_id: int, vote: Vote) -> VoteOutcome:
        """Keep one vote per user per answer: a second click changes it or leaves it."""
        user_hash = self.user_hash(user_id)
        with self._writing() as tx:
            tx.lock(f"vote:{answer_id}:{user_hash}")
            rows = tx.query(
                "SELECT vote FROM feedback WHERE answer_id = ? AND user_hash = ?",
                (answer_id, user_hash),
            )
            if rows and rows[0][0] == vote:
                return "unchanged"
            tx.execute(
                "INSERT INTO feedback (answer_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                (answer_id, user_hash, vote, time.time()),
            )
        return "recorded" if not rows else "changed"

    def feedback(self, answer_id: int) -> FeedbackCount:
        """The 👍 and 👎 counts of one answer."""
        rows: dict[str, int] = dict(
            self._db.query(
                "SELECT vote, COUNT(*) FROM feedback WHERE answer_id = ? GROUP BY vote",
                (answer_id,),
            )
        )
        return FeedbackCount(up=int(rows.get("up", 0)), down=int(rows.get("down", 0)))

    def question_count(self) -> int:
        """How many questions the log holds."""
        ((count,),) = self._db.query("SELECT COUNT(*) FROM questions")
        return int(count)

    def questions(
        self, *, since: float | None = None, guild_id: int | None = None
    ) -> list[LoggedQuestion]:
        """The logged questions (asked at or after `since`, in one server when given), oldest
        first, each with its 👍 and 👎 counts."""
        where, params = ["1 = 1"], []
        if since is not None:
            where.append("q.asked_at >= ?")
            params.append(since)
        if guild_id is not None:
            where.append("q.guild_id = ?")
            params.append(guild_id)
        sql = (
            "SELECT q.asked_at, q.guild_id, q.question, q.found, q.top_article, "
            "COALESCE(q.reply_ms, q.elapsed_ms), "
            "COALESCE(SUM(CASE WHEN f.vote = 'up' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN f.vote = 'down' THEN 1 ELSE 0 END), 0), q.private "
            "FROM questions q LEFT JOIN feedback f ON f.answer_id = q.id "
            f"WHERE {' AND '.join(where)} GROUP BY q.id ORDER BY q.asked_at, q.id"
        )
        rows = self._db.query(sql, params)
        return [
            LoggedQuestion(
                asked_at=r[0],
                guild_id=r[1],
                question=r[2],
                found=bool(r[3]),
                top_article=r[4],
                reply_ms=float(r[5]),
                up=int(r[6]),
                down=int(r[7]),
                private=bool(r[8]),
            )
            for r in rows
        ]

    def kept_about(self, user_id: int) -> KeptAbout:
        """Counts of what is kept about one person, in every server and in DMs."""
        user_hash = self.user_hash(user_id)
        ((questions, servers, direct, first, last),) = self._db.query(
            "SELECT COUNT(*), COUNT(DISTINCT guild_id), "
            "SUM(CASE WHEN guild_id IS NULL THEN 1 ELSE 0 END), MIN(asked_at), MAX(asked_at) "
            "FROM questions WHERE user_hash = ?",
            (user_hash,),
        )
        ((votes,),) = self._db.query(
            "SELECT COUNT(*) FROM feedback WHERE user_hash = ?", (user_hash,)
        )
        return KeptAbout(int(questions), int(votes), int(servers), int(direct or 0), first, last)

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Delete one person's questions (with the votes on them) and votes; how many of each."""
        user_hash = self.user_hash(user_id)
        with self._writing() as tx:
            votes = tx.execute("DELETE FROM feedback WHERE user_hash = ?", (user_hash,))
            tx.execute(
                "DELETE FROM feedback WHERE answer_id IN "
                "(SELECT id FROM questions WHERE user_hash = ?)",
                (user_hash,),
            )
            questions = tx.execute("DELETE FROM questions WHERE user_hash = ?", (user_hash,))
            tx.execute("DELETE FROM question_slots WHERE user_hash = ?", (user_hash,))
        return questions, votes

    def prune(self, *, older_than_days: int, now: float | None = None) -> int:
        """Forget questions (and their votes) older than the retention; how many went."""
        now = time.time() if now is None else now
        cutoff = now - older_than_days * DAY
        with self._writing() as tx:
            tx.execute(
                "DELETE FROM feedback WHERE answer_id IN "
                "(SELECT id FROM questions WHERE asked_at < ?)",
                (cutoff,),
            )
            pruned = tx.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,))
            # Cooldown slots matter for minutes; a day-old one is only clutter.
            tx.execute("DELETE FROM question_slots WHERE taken_at < ?", (now - DAY,))
            # Threads are remembered as long as questions: no new post event comes that late.
            tx.execute("DELETE FROM thread_replies WHERE claimed_at < ?", (cutoff,))
            tx.execute("DELETE FROM thread_citations WHERE cited_at < ?", (cutoff,))
        return pruned

    def guild_settings(self, guild_id: int) -> GuildSettings:
        """A server's settings (the defaults when it never changed any)."""
        rows = self._db.query("SELECT settings FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return GuildSettings() if not rows else GuildSettings.from_json(rows[0][0])

    def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some of a server's settings (read and written in one transaction)."""
        with self._writing() as tx:
            tx.lock(f"guild-settings:{guild_id}")
            rows = tx.query("SELECT settings FROM guild_settings WHERE guild_id = ?", (guild_id,))
            current = GuildSettings() if not rows else GuildSettings.from_json(rows[0][0])
            updated = replace(current, **changes)
            tx.execute(
                "INSERT INTO guild_settings (guild_id, settings) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET settings = excluded.settings",
                (guild_id, updated.to_json()),
            )
        return updated

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table (e.g. the hash of the last synced commands), or None."""
        rows = self._db.query("SELECT value FROM meta WHERE key = ?", (key,))
        return None if not rows else str(rows[0][0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the meta table; StoreWriteError when it cannot be saved."""
        with self._writing() as tx:
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def meta_with_prefix(self, prefix: str) -> dict[str, str]:
        """The meta values whose keys start with `prefix` (e.g. every guild commands were synced to)."""
        rows = self._db.query(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
        return {str(key): str(value) for key, value in rows}

    def delete_meta(self, key: str) -> None:
        """Forget a value of the meta table; StoreWriteError when it cannot be saved."""
        with self._writing() as tx:
            tx.execute("DELETE FROM meta WHERE key = ?", (key,))

    # --- threads: help-forum posts and follow-ups ---------------------------------------------

    def claim_thread_reply(
        self, thread_id: int, guild_id: int | None, *, now: float | None = None
    ) -> bool:
        """True the first time a thread is claimed for its automatic reply, False ever after
        (by any process, after any restart): a post gets at most one."""
        with self._writing() as tx:
            changed = tx.execute(
                "INSERT INTO thread_replies (thread_id, guild_id, claimed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (thread_id) DO NOTHING",
                (thread_id, guild_id, time.time() if now is None else now),
            )
        return changed == 1

    def cite_in_thread(
        self, thread_id: int, article_ids: Iterable[str], *, now: float | None = None
    ) -> None:
        """Remember that an answer in this thread cited these articles (for its follow-ups)."""
        at = time.time() if now is None else now
        rows = [(thread_id, article_id, at) for article_id in dict.fromkeys(article_ids)]
        if not rows:
            return
        with self._writing() as tx:
            tx.execute_many(
                "INSERT INTO thread_citations (thread_id, article_id, cited_at) VALUES (?, ?, ?) "
                "ON CONFLICT (thread_id, article_id) DO UPDATE SET cited_at = excluded.cited_at",
                rows,
            )

    def thread_articles(self, thread_id: int, limit: int = THREAD_ARTICLES) -> list[str]:
        """The articles cited in a thread, the most recently cited first."""
        rows = self._db.query(
            "SELECT article_id FROM thread_citations WHERE thread_id = ? "
            "ORDER BY cited_at DESC, article_id LIMIT ?",
            (thread_id, limit),
        )
        return [str(r[0]) for r in rows]

    # --- what processes on several hosts share ---------------------------------------------

    def take_question_slot(
        self, user_id: int, *, rate: int, per: float, now: float | None = None
    ) -> float:
        """The shared cooldown: 0 when `user_id` may ask now (the question counts), else the
        seconds until they may; at most `rate` questions per `per` seconds, whichever process
        they reach."""
        user_hash = self.user_hash(user_id)
        now = time.time() if now is None else now
        with self._writing() as tx:
            tx.lock(f"cooldown:{user_hash}")
            tx.execute(
                "DELETE FROM question_slots WHERE user_hash = ? AND taken_at <= ?",
                (user_hash, now - per),
            )
            taken = [
                float(r[0])
                for r in tx.query(
                    "SELECT taken_at FROM question_slots WHERE user_hash = ? ORDER BY taken_at",
                    (user_hash,),
                )
            ]
            if len(taken) >= rate:
                return taken[len(taken) - rate] + per - now
            tx.execute(
                "INSERT INTO question_slots (user_hash, taken_at) VALUES (?, ?)", (user_hash, now)
            )
        return 0.0

    def announce_reload(self, sender: str) -> None:
        """Tell every other process the corpus changed (PostgreSQL; nothing to do on SQLite)."""
        self._db.notify(RELOAD_CHANNEL, sender)

    def listen_for_reloads(self, on_notice: Callable[[str], None]) -> Listener | None:
        """Call `on_notice(sender)` for every reload notice; None on SQLite (one host, one
        folder: each process's watcher sees changes itself)."""
        if not isinstance(self._db, PostgresDatabase):
            return None
        return self._db.listen(RELOAD_CHANNEL, on_notice)

    def take_identify_turn(self, bucket: int, interval: float) -> float:
        """Wait until `interval` seconds have passed since the last IDENTIFY in `bucket` by any
        process sharing this store, then claim the turn; the seconds waited."""
        waited = 0.0
        with self._db.transaction() as tx:
            tx.lock(f"identify:{bucket}")
            ((now,),) = tx.query(_NOW[self._db.dialect])
            rows = tx.query("SELECT taken_at FROM identify_turns WHERE bucket = ?", (bucket,))
            if rows:
                waited = max(0.0, float(rows[0][0]) + interval - float(now))
                if waited:
                    time.sleep(waited)  # the lock is held: the next in this bucket waits for us
                    ((now,),) = tx.query(_NOW[self._db.dialect])
            tx.execute(
                "INSERT INTO identify_turns (bucket, taken_at) VALUES (?, ?) "
                "ON CONFLICT (bucket) DO UPDATE SET taken_at = excluded.taken_at",
                (bucket, float(now)),
            )
        return waited


@dataclass(frozen=True)
class Copied:
    """What `copy_store` moved."""

    questions: int
    votes: int
    servers: int


#: Copied in this order (votes refer to questions); cooldowns and IDENTIFY turns are
#: minutes-long state, not copied.
_COPIED = {
    "meta": ("key", "value"),
    "questions": (
        "id",
        "asked_at",
        "user_hash",
        "source",
        "guild_id",
        "question",
        "found",
        "results",
        "top_article",
        "elapsed_ms",
        "reply_ms",
    ),
    "feedback": ("answer_id", "user_hash", "vote", "voted_at"),
    "guild_settings": ("guild_id", "settings"),
    "thread_replies": ("thread_id", "guild_id", "claimed_at"),
    "thread_citations": ("thread_id", "article_id", "cited_at"),
    "url_sources": (
        "path",
        "url",
        "guild_id",
        "added_at",
        "etag",
        "last_modified",
        "content_hash",
        "checked_at",
        "changed_at",
        "status",
        "gone_count",
        "error",
    ),
}


def copy_store(source: Store, target: Store) -> Copied:
    """Copy every question, vote, server setting, URL source and meta row (the salt too, so
    each person's hash stays theirs) from `source` into `target`, which must hold no
    questions, votes, settings or sources yet; reopen `target` afterwards."""
    with target.database.transaction() as tx:
        tx.lock("migrations")
        for table in ("questions", "feedback", "guild_settings", "url_sources"):
            ((count,),) = tx.query(f"SELECT COUNT(*) FROM {table}")
            if count:
                raise CitebotError(
                    f"the target store already holds {table.replace('_', ' ')} ({count} rows); "
                    "copy into an empty database"
                )
        # The target's key check stays: it names the key this store's hashes are made with.
        tx.execute("DELETE FROM meta WHERE key <> ?", (KEY_CHECK,))
        counts: dict[str, int] = {}
        for table, columns in _COPIED.items():
            names = ", ".join(columns)
            only = " WHERE key <> ?" if table == "meta" else ""
            rows = source.database.query(
                f"SELECT {names} FROM {table}{only}", (KEY_CHECK,) if only else ()
            )
            if rows:
                marks = ", ".join("?" for _ in columns)
                tx.execute_many(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            counts[table] = len(rows)
        if target.dialect == "postgresql":
            # Rows came with their ids: the next new question numbers on from the last.
            tx.query(
                "SELECT setval(pg_get_serial_sequence('questions', 'id'), "
                "COALESCE((SELECT MAX(id) FROM questions), 0) + 1, false)"
            )
    return Copied(counts["questions"], counts["feedback"], counts["guild_settings"])


#: The database's clock, so hosts whose clocks differ still agree on IDENTIFY turns.
_NOW = {
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
    "postgresql": "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8",
}


# --- schema ----------------------------------------------------------------------------------


def _create_or_upgrade(database: SQLiteDatabase | PostgresDatabase, key: bytes | None) -> None:
    """Apply the migrations the store lacks; a version 1 SQLite store (raw user ids) is
    rewritten to version 2 first."""
    with database.transaction() as tx:  # one process at a time creates or upgrades
        tx.lock("migrations")
        version = applied_version(tx, database.dialect)
        if version == 0 and isinstance(database, SQLiteDatabase):
            version = _sqlite_version_before_migrations(database.connection)
        # The salt first: version 2 hashes are made with it, and version 3 keys them.
        migrate(tx, database.dialect, from_version=version, until=2)
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (SALT_KEY, secrets.token_hex(32)),
        )
        migrate(
            tx,
            database.dialect,
            from_version=max(version, 2),
            steps={3: lambda session: _key_the_hashes(session, key)},
        )
        if isinstance(database, SQLiteDatabase):
            database.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _sqlite_version_before_migrations(db: sqlite3.Connection) -> int:
    """Where a store made before versioned migrations stands (`PRAGMA user_version`: 3 keyed
    hashes and private questions, 2 salted hashes; a version 1 is rewritten to 2 here)."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    columns = {row[1] for row in db.execute("PRAGMA table_info(questions)")}
    if version < 2 and "user_id" in columns:
        _upgrade_from_v1(db)
        return 2
    if not columns:
        return 0
    return min(max(version, 2), 3)


def _key_the_hashes(session: Session, key: bytes | None) -> None:
    """Version 3: salted hashes become keyed ones (new = HMAC(key, old))."""
    hashes = [
        str(h)
        for (h,) in session.query(
            "SELECT user_hash FROM questions UNION SELECT user_hash FROM feedback"
        )
    ]
    if not hashes:
        return
    if key is None:
        raise StoreKeyError(
            "this store's user hashes must be keyed once: open it with its key "
            "(CITEBOT_USER_KEY or the data dir's user-hash.key), e.g. by starting the bot"
        )
    rekeyed = [(_rekey(key, old), old) for old in hashes]
    session.execute_many("UPDATE questions SET user_hash = ? WHERE user_hash = ?", rekeyed)
    session.execute_many("UPDATE feedback SET user_hash = ? WHERE user_hash = ?", rekeyed)


def _check_key(database: SQLiteDatabase | PostgresDatabase, key: bytes | None) -> None:
    """Every process sharing a store hashes with the same key, or votes and cooldowns would
    count each person once per key: the first one records a check value, the rest compare."""
    if key is None:
        return
    check = hmac.new(key, b"citebot user key check", hashlib.sha256).hexdigest()[:32]
    with database.transaction() as tx:
        tx.lock("user-key-check")
        rows = tx.query("SELECT value FROM meta WHERE key = ?", (KEY_CHECK,))
        if not rows:
            tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (KEY_CHECK, check))
        elif rows[0][0] != check:
            raise StoreKeyError(
                "this host's user-hash key is not the one the other processes on "
                "CITEBOT_DATABASE_URL use: set the same CITEBOT_USER_KEY everywhere, or copy "
                f"{KEY_FILENAME} from the data dir of a host already running"
            )


def _upgrade_from_v1(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (SALT_KEY, secrets.token_hex(32))
    )
    (salt_hex,) = db.execute("SELECT value FROM meta WHERE key = ?", (SALT_KEY,)).fetchone()
    salt = bytes.fromhex(salt_hex)
    db.execute("ALTER TABLE questions RENAME TO questions_v1")
    db.execute("ALTER TABLE feedback RENAME TO feedback_v1")
    # The version 1 tables were renamed away: migration 2 makes the new ones.
    migrate(SQLiteSession(db), "sqlite", from_version=0, until=2)

    def hashed(rows: Iterable[tuple[Any, ...]], at: int) -> list[tuple[Any, ...]]:
        return [(*row[:at], _salted(salt, row[at]), *row[at + 1 :]) for row in rows]

    questions = db.execute(
        "SELECT id, asked_at, user_id, source, question, found, results, elapsed_ms "
        "FROM questions_v1"
    ).fetchall()
    db.executemany(
        "INSERT INTO questions (id, asked_at, user_hash, source, question, found, results, "
        "elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        hashed(questions, 2),
    )
    votes = db.execute("SELECT answer_id, user_id, vote, voted_at FROM feedback_v1").fetchall()
    db.executemany(
        "INSERT INTO feedback (answer_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?)",
        hashed(votes, 1),
    )
    db.execute("DROP TABLE feedback_v1")
    db.execute("DROP TABLE questions_v1")


def _salt(database: SQLiteDatabase | PostgresDatabase) -> bytes:
    rows = database.query("SELECT value FROM meta WHERE key = ?", (SALT_KEY,))
    assert rows, "the salt is made when the store is created"
    return bytes.fromhex(rows[0][0])


def _salted(salt: bytes, user_id: int) -> str:
    """The version 2 hash: HMAC with the salt kept in the store."""
    return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def _rekey(key: bytes, salted: str) -> str:
    return hmac.new(key, salted.encode(), hashlib.sha256).hexdigest()[:32]


def _hash(key: bytes, salt: bytes, user_id: int) -> str:
    """HMAC with the key outside the store over the version 2 hash, so old rows can be keyed."""
    return _rekey(key, _salted(salt, user_id))


def read_key(path: Path) -> bytes | None:
    """The user-hash key in `path`, or None when there is no such file."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        return None


def load_or_make_key(path: Path) -> bytes:
    """The user-hash key in `path`, made once (0600, atomically: shard processes may race)."""
    found = read_key(path)
    if found is not None:
        return found
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # fails if another process made it first: use theirs
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


#: The shortest key accepted: 16 bytes, as for CITEBOT_USER_KEY's 16 characters.
MIN_KEY_BYTES = 16


def _read_key(path: Path) -> bytes:
    """The key a key file holds; an empty, short or garbled file is refused, never used."""
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        key = b""
    if len(key) < MIN_KEY_BYTES:
        raise StoreKeyError(f"{path} is not a Citebot key file (delete it to make a new one)")
    return key

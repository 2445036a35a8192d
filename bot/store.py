"""What the bot remembers: the question log, feedback votes, per-server settings, and meta.

Plain `sqlite3` in the data folder, in WAL mode so several bot processes (shards) and
the CLI can share it. Every method blocks: the Discord layer calls them with
`asyncio.to_thread`. Users appear only as keyed hashes of their ids: HMAC with a key
kept outside the store (a file in the data folder readable only by the bot's user, or
CITEBOT_USER_KEY), so votes still count once per person, and the SQLite file alone,
with a member list, links no question to anyone.
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
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from bot.errors import CitebotError, StoreWriteError

log = logging.getLogger(__name__)


class StoreKeyError(CitebotError):
    """The key file of the user hashes cannot be used."""


Vote = Literal["up", "down"]
VoteOutcome = Literal["recorded", "changed", "unchanged"]

#: user_version 3: user hashes keyed with a secret outside the store, questions marked
#: private. Version 2 (salted hashes, salt in the store) and version 1 (raw user ids) are
#: migrated in place on open.
SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at REAL NOT NULL,
    user_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    guild_id INTEGER,
    question TEXT NOT NULL,
    found INTEGER NOT NULL,
    results INTEGER NOT NULL,
    top_article TEXT,
    elapsed_ms REAL NOT NULL,
    reply_ms REAL,
    private INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
CREATE INDEX IF NOT EXISTS questions_guild ON questions (guild_id, asked_at);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES questions(id),
    user_hash TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    voted_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id INTEGER PRIMARY KEY,
    settings TEXT NOT NULL
);
"""
SALT_KEY = "user_salt"
#: The key of the user hashes, in the data folder next to (never inside) the store.
KEY_FILENAME = "user-hash.key"
DAY = 86400.0
#: At most one warning per this many seconds about failed writes (a full disk fails them all).
FAILURE_LOG_INTERVAL = 60.0


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
        )


class Store:
    """One SQLite connection shared by worker threads, guarded by a lock."""

    FILENAME = "citebot.sqlite3"

    def __init__(self, connection: sqlite3.Connection, user_key: bytes) -> None:
        self._db = connection
        self._lock = threading.Lock()
        self._salt = _salt(connection)
        self._key = user_key
        self.write_failures = WriteFailures()

    @contextlib.contextmanager
    def _writing(self, *, transaction: bool = False) -> Iterator[sqlite3.Connection]:
        """Hold the lock for a write; a failure rolls back cleanly and becomes StoreWriteError."""
        with self._lock:
            try:
                if transaction:
                    self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                if transaction:
                    self._db.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                _rollback(self._db)
                reason = str(exc) or type(exc).__name__
                self.write_failures.record(reason, time.time())
                raise StoreWriteError(reason) from exc
            except BaseException:
                _rollback(self._db)
                raise

    @classmethod
    def open(cls, data_dir: Path, *, user_key: bytes | None = None) -> Store:
        """Open (creating or upgrading when needed) the store in `data_dir`.

        `user_key` keys the user hashes (CITEBOT_USER_KEY); without it the key file in
        `data_dir` is used, made on first use with permissions 0600.
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        key = user_key if user_key is not None else load_or_make_key(data_dir / KEY_FILENAME)
        db = sqlite3.connect(
            data_dir / cls.FILENAME, check_same_thread=False, isolation_level=None, timeout=10
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        _create_or_upgrade(db, key)
        return cls(db, key)

    @classmethod
    def open_existing(cls, data_dir: Path, *, user_key: bytes | None = None) -> Store | None:
        """The store in `data_dir` when there is one (the CLI reads it, never creates it)."""
        if not (data_dir / cls.FILENAME).is_file():
            return None
        return cls.open(data_dir, user_key=user_key)

    def user_hash(self, user_id: int) -> str:
        """A user's stand-in in the store: the same for one person, meaningless without the key."""
        return _hash(self._key, self._salt, user_id)

    def close(self) -> None:
        """Close the connection (after any write in progress)."""
        with self._lock:
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
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO questions (asked_at, user_hash, source, guild_id, question, found, "
                "results, top_article, elapsed_ms, reply_ms, private) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def vote(self, answer_id: int, user_id: int, vote: Vote) -> VoteOutcome:
        """Keep one vote per user per answer: a second click changes it or leaves it."""
        user_hash = self.user_hash(user_id)
        with self._writing() as db:
            row = db.execute(
                "SELECT vote FROM feedback WHERE answer_id = ? AND user_hash = ?",
                (answer_id, user_hash),
            ).fetchone()
            if row is not None and row[0] == vote:
                return "unchanged"
            db.execute(
                "INSERT INTO feedback (answer_id, user_hash, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                (answer_id, user_hash, vote, time.time()),
            )
            return "recorded" if row is None else "changed"

    def feedback(self, answer_id: int) -> FeedbackCount:
        """The 👍 and 👎 counts of one answer."""
        with self._lock:
            rows = dict(
                self._db.execute(
                    "SELECT vote, COUNT(*) FROM feedback WHERE answer_id = ? GROUP BY vote",
                    (answer_id,),
                ).fetchall()
            )
        return FeedbackCount(up=rows.get("up", 0), down=rows.get("down", 0))

    def question_count(self) -> int:
        """How many questions the log holds."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM questions").fetchone()
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
            "COALESCE(SUM(f.vote = 'up'), 0), COALESCE(SUM(f.vote = 'down'), 0), q.private "
            "FROM questions q LEFT JOIN feedback f ON f.answer_id = q.id "
            f"WHERE {' AND '.join(where)} GROUP BY q.id ORDER BY q.asked_at, q.id"
        )
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
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
        with self._lock:
            questions, servers, direct, first, last = self._db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT guild_id), SUM(guild_id IS NULL), "
                "MIN(asked_at), MAX(asked_at) FROM questions WHERE user_hash = ?",
                (user_hash,),
            ).fetchone()
            (votes,) = self._db.execute(
                "SELECT COUNT(*) FROM feedback WHERE user_hash = ?", (user_hash,)
            ).fetchone()
        return KeptAbout(int(questions), int(votes), int(servers), int(direct or 0), first, last)

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Delete one person's questions (with the votes on them) and votes; how many of each."""
        user_hash = self.user_hash(user_id)
        with self._writing(transaction=True) as db:
            votes = db.execute("DELETE FROM feedback WHERE user_hash = ?", (user_hash,)).rowcount
            db.execute(
                "DELETE FROM feedback WHERE answer_id IN "
                "(SELECT id FROM questions WHERE user_hash = ?)",
                (user_hash,),
            )
            questions = db.execute(
                "DELETE FROM questions WHERE user_hash = ?", (user_hash,)
            ).rowcount
        return questions, votes

    def prune(self, *, older_than_days: int, now: float | None = None) -> int:
        """Forget questions (and their votes) older than the retention; how many went."""
        cutoff = (time.time() if now is None else now) - older_than_days * DAY
        with self._writing(transaction=True) as db:
            db.execute(
                "DELETE FROM feedback WHERE answer_id IN "
                "(SELECT id FROM questions WHERE asked_at < ?)",
                (cutoff,),
            )
            cursor = db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,))
        return cursor.rowcount

    def guild_settings(self, guild_id: int) -> GuildSettings:
        """A server's settings (the defaults when it never changed any)."""
        with self._lock:
            row = self._db.execute(
                "SELECT settings FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ).fetchone()
        return GuildSettings() if row is None else GuildSettings.from_json(row[0])

    def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some of a server's settings (read and written in one transaction)."""
        with self._writing(transaction=True) as db:
            row = db.execute(
                "SELECT settings FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ).fetchone()
            current = GuildSettings() if row is None else GuildSettings.from_json(row[0])
            updated = replace(current, **changes)
            db.execute(
                "INSERT INTO guild_settings (guild_id, settings) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET settings = excluded.settings",
                (guild_id, updated.to_json()),
            )
        return updated

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table (e.g. the hash of the last synced commands), or None."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the meta table; StoreWriteError when it cannot be saved."""
        with self._writing() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


# --- schema ----------------------------------------------------------------------------------


def _create_or_upgrade(db: sqlite3.Connection, key: bytes) -> None:
    """Create the tables, or bring an older store (raw ids, salted hashes) to this version."""
    db.execute("BEGIN IMMEDIATE")  # one process at a time creates or upgrades
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        columns = {row[1] for row in db.execute("PRAGMA table_info(questions)")}
        if version < 2 and "user_id" in columns:
            _upgrade_from_v1(db)
            columns = {row[1] for row in db.execute("PRAGMA table_info(questions)")}
        if columns and version < 3:
            _upgrade_from_v2(db, key, columns)
        _create_tables(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
            (SALT_KEY, secrets.token_hex(32)),
        )
        db.execute("COMMIT")
    except BaseException:
        _rollback(db)
        raise


def _upgrade_from_v2(db: sqlite3.Connection, key: bytes, columns: set[str]) -> None:
    """Key the salted hashes (new = HMAC(key, old)) and mark DM questions private."""
    if "private" not in columns:
        db.execute("ALTER TABLE questions ADD COLUMN private INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE questions SET private = 1 WHERE guild_id IS NULL")
    db.create_function("citebot_rekey", 1, lambda old: _rekey(key, old), deterministic=True)
    db.execute("UPDATE questions SET user_hash = citebot_rekey(user_hash)")
    db.execute("UPDATE feedback SET user_hash = citebot_rekey(user_hash)")


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back what is open; SQLite may already have (on SQLITE_FULL), which is no new error."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _upgrade_from_v1(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (SALT_KEY, secrets.token_hex(32))
    )
    salt = _salt(db)
    db.execute("ALTER TABLE questions RENAME TO questions_v1")
    db.execute("ALTER TABLE feedback RENAME TO feedback_v1")
    _create_tables(db)

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


def _create_tables(db: sqlite3.Connection) -> None:
    # One statement at a time: executescript would commit the surrounding transaction.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _salt(db: sqlite3.Connection) -> bytes:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (SALT_KEY,)).fetchone()
    assert row is not None, "the salt is made when the store is created"
    return bytes.fromhex(row[0])


def _salted(salt: bytes, user_id: int) -> str:
    """The version 2 hash: HMAC with the salt kept in the store."""
    return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def _rekey(key: bytes, salted: str) -> str:
    return hmac.new(key, salted.encode(), hashlib.sha256).hexdigest()[:32]


def _hash(key: bytes, salt: bytes, user_id: int) -> str:
    """HMAC with the key outside the store over the version 2 hash, so old rows can be keyed."""
    return _rekey(key, _salted(salt, user_id))


def load_or_make_key(path: Path) -> bytes:
    """The user-hash key in `path`, made once (0600, atomically: shard processes may race)."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
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

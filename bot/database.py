"""Where the store's rows live: SQLite in the data folder, or PostgreSQL shared by many hosts.

`bot.store` writes its SQL once, with `?` placeholders, against the small `Database`
interface here; the two backends differ only in how they connect, lock, and name a
few column types. The schema is one list of numbered migrations applied at open, the
same for both backends (`{id}`, `{float}` and `{bigint}` name the per-backend types).

PostgreSQL (CITEBOT_DATABASE_URL=postgresql://…) goes through psycopg 3 with a
connection pool; it also carries what processes on several hosts must share: reload
notices (LISTEN/NOTIFY) and advisory locks. Every call blocks: callers on the event
loop use `asyncio.to_thread`.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.errors import CitebotError

log = logging.getLogger(__name__)

Dialect = Literal["sqlite", "postgresql"]
Params = Sequence[Any]
Row = tuple[Any, ...]

#: Reload notices travel on this LISTEN/NOTIFY channel.
RELOAD_CHANNEL = "citebot_reload"
#: First key of every advisory lock Citebot takes (the second, `lock_key(name)`, says what is
#: locked), so other applications sharing the database are never blocked by Citebot's locks.
LOCK_NAMESPACE = 0x0C17EB07


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


#: The schema, step by step. Version 2 is the store as it was before versioned migrations
#: (SQLite stores then kept their version in `PRAGMA user_version`).
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        2,
        "question log, votes, meta, per-server settings",
        (
            """CREATE TABLE IF NOT EXISTS questions (
                id {id},
                asked_at {float} NOT NULL,
                user_hash TEXT NOT NULL,
                source TEXT NOT NULL,
                guild_id {bigint},
                question TEXT NOT NULL,
                found INTEGER NOT NULL,
                results INTEGER NOT NULL,
                top_article TEXT,
                elapsed_ms {float} NOT NULL,
                reply_ms {float}
            )""",
            "CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at)",
            "CREATE INDEX IF NOT EXISTS questions_guild ON questions (guild_id, asked_at)",
            """CREATE TABLE IF NOT EXISTS feedback (
                answer_id {bigint} NOT NULL REFERENCES questions(id),
                user_hash TEXT NOT NULL,
                vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
                voted_at {float} NOT NULL,
                PRIMARY KEY (answer_id, user_hash)
            )""",
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """CREATE TABLE IF NOT EXISTS guild_settings (
                guild_id {bigint} PRIMARY KEY,
                settings TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        3,
        "user hashes keyed with a key outside the store, private questions",
        (
            # Stores made before versioned migrations at PRAGMA user_version 3 have it.
            "ALTER TABLE questions ADD COLUMN private INTEGER NOT NULL DEFAULT 0",
            "UPDATE questions SET private = 1 WHERE guild_id IS NULL",
            # ...and `bot.store` keys the hashes (a step in Python: the key is not SQL's).
        ),
    ),
    Migration(
        4,
        "shared cooldowns and IDENTIFY turns",
        (
            """CREATE TABLE IF NOT EXISTS question_slots (
                user_hash TEXT NOT NULL,
                taken_at {float} NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS question_slots_user ON question_slots (user_hash, taken_at)",
            """CREATE TABLE IF NOT EXISTS identify_turns (
                bucket INTEGER PRIMARY KEY,
                taken_at {float} NOT NULL
            )""",
        ),
    ),
    Migration(
        5,
        "threads: one automatic reply per help-forum post, articles cited in each thread",
        (
            """CREATE TABLE IF NOT EXISTS thread_replies (
                thread_id {bigint} PRIMARY KEY,
                guild_id {bigint},
                claimed_at {float} NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS thread_citations (
                thread_id {bigint} NOT NULL,
                article_id TEXT NOT NULL,
                cited_at {float} NOT NULL,
                PRIMARY KEY (thread_id, article_id)
            )""",
            "CREATE INDEX IF NOT EXISTS thread_citations_at ON thread_citations (cited_at)",
        ),
    ),
    Migration(
        6,
        "articles added by URL, for the scheduled refresh",
        (
            # `path` is the article's file relative to the corpus folder; the validators and
            # the text's hash make a refresh of an unchanged page cost one 304 and no write.
            """CREATE TABLE IF NOT EXISTS url_sources (
                path TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                guild_id {bigint},
                added_at {float} NOT NULL,
                etag TEXT,
                last_modified TEXT,
                content_hash TEXT,
                checked_at {float},
                changed_at {float},
                status TEXT NOT NULL DEFAULT 'added',
                gone_count INTEGER NOT NULL DEFAULT 0,
                error TEXT
            )""",
            "CREATE INDEX IF NOT EXISTS url_sources_checked ON url_sources (checked_at)",
        ),
    ),
    Migration(
        7,
        "URL sources per server: guild_id names the server whose library holds the file",
        (
            # Until now only shared articles were recorded, their guild_id the server they
            # were added from; NULL now means "in the shared corpus" (bot.refresh.source_file).
            "UPDATE url_sources SET guild_id = NULL",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
_TYPES: dict[Dialect, dict[str, str]] = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "float": "REAL", "bigint": "INTEGER"},
    "postgresql": {
        "id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "float": "DOUBLE PRECISION",
        "bigint": "BIGINT",
    },
}


def schema_statement(statement: str, dialect: Dialect) -> str:
    """A migration statement with the backend's column types filled in."""
    return statement.format(**_TYPES[dialect])


class Session(Protocol):
    """Statements on one connection (inside a transaction when from `Database.transaction`)."""

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Run `sql`; its rows (empty for statements that return none)."""

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run `sql`; how many rows it changed."""

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run `sql` once per row of parameters."""

    def lock(self, name: str) -> None:
        """Hold `name` until the transaction ends (one process at a time, across hosts)."""


class Database(Protocol):
    """One backend; every method is safe to call from any thread."""

    dialect: Dialect
    #: True when several hosts can share it (cooldowns and reloads then go through it).
    shared: bool

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Run `sql` on its own (committed at once); its rows."""

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run `sql` on its own (committed at once); how many rows it changed."""

    def transaction(self) -> AbstractContextManager[Session]:
        """A transaction that only one writer holds at a time (per lock name on PostgreSQL)."""

    def notify(self, channel: str, payload: str) -> None:
        """Tell every listening process (PostgreSQL only; a no-op on SQLite)."""

    def close(self) -> None:
        """Release the connections."""


# --- SQLite ------------------------------------------------------------------------------------


class SQLiteSession:
    """Statements on the one SQLite connection (the caller holds its lock)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return self._db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._db.execute(sql, params).rowcount

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        self._db.executemany(sql, rows)

    def lock(self, name: str) -> None:
        """Nothing to do: `BEGIN IMMEDIATE` already made this the only writer."""


class SQLiteDatabase:
    """One SQLite connection shared by worker threads, guarded by a lock (WAL: one host)."""

    dialect: Dialect = "sqlite"
    shared = False

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.Lock()
        self._session = SQLiteSession(self._db)

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            return self._session.query(sql, params)

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock:
            return self._session.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[SQLiteSession]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._session
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (SQLITE_FULL): that is no new error.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def notify(self, channel: str, payload: str) -> None:
        """One host, one folder: each process's corpus watcher sees changes itself."""

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for the upgrade from a version 1 store (caller holds a transaction)."""
        return self._db


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (and a literal % kept literal)."""
    return sql.replace("%", "%%").replace("?", "%s")


def lock_key(name: str) -> int:
    """A stable 31-bit advisory lock key for `name` (the same on every host)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


class _PostgresSession:
    def __init__(self, connection: Any) -> None:
        self._conn = connection

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = self._conn.execute(_pg(sql), params)
        return list(cursor.fetchall()) if cursor.description is not None else []

    def execute(self, sql: str, params: Params = ()) -> int:
        return int(self._conn.execute(_pg(sql), params).rowcount)

    def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_pg(sql), rows)

    def lock(self, name: str) -> None:
        self._conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, lock_key(name)))


class PostgresDatabase:
    """A psycopg connection pool; transactions lock by name with advisory locks."""

    dialect: Dialect = "postgresql"
    shared = True

    def __init__(self, url: str, *, max_size: int = 10) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        try:  # one plain connection first: a wrong address or password fails at once, clearly
            psycopg.connect(url, connect_timeout=10).close()
        except Exception as exc:
            raise CitebotError(
                f"could not connect to the PostgreSQL database in CITEBOT_DATABASE_URL: "
                f"{_reason(exc)}"
            ) from None
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            # A connection the server dropped (a restart, a failover) is replaced before use.
            check=ConnectionPool.check_connection,
            open=False,
            name="citebot",
        )
        try:
            self._pool.open(wait=True, timeout=15)
        except Exception as exc:
            self._pool.close()
            raise CitebotError(
                f"could not connect to the PostgreSQL database in CITEBOT_DATABASE_URL: "
                f"{_reason(exc)}"
            ) from None

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self._pool.connection() as conn:
            return _PostgresSession(conn).query(sql, params)

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._pool.connection() as conn:
            return _PostgresSession(conn).execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[_PostgresSession]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PostgresSession(conn)

    def notify(self, channel: str, payload: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def listen(self, channel: str, on_notice: Callable[[str], None]) -> Listener:
        """Call `on_notice(payload)` from a thread of its own for every notice on `channel`."""
        listener = Listener(self.url, channel, on_notice)
        listener.start()
        return listener

    def close(self) -> None:
        self._pool.close()


def _reason(exc: BaseException) -> str:
    """An error's first line, without the URL (it may hold the password)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


class Listener:
    """LISTEN on one channel from a daemon thread, reconnecting after a lost connection."""

    def __init__(self, url: str, channel: str, on_notice: Callable[[str], None]) -> None:
        self._url = url
        self._channel = channel
        self._on_notice = on_notice
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="citebot-listen", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        self._listening.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def _run(self) -> None:
        import psycopg
        from psycopg import sql

        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    if self._listening.is_set():
                        # Notices sent while the connection was down are lost: an empty one
                        # asks the listener to check for itself.
                        log.info("listening for %s again", self._channel)
                        self._on_notice("")
                    self._listening.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=0.25):
                            try:
                                self._on_notice(notice.payload)
                            except Exception:
                                log.exception("handling a %s notice failed", self._channel)
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.warning("listening for %s: %s; retrying", self._channel, _reason(exc))
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)


# --- opening and migrating -----------------------------------------------------------------


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL database (the only kind CITEBOT_DATABASE_URL takes)."""
    return url.startswith(("postgresql://", "postgres://"))


def connect(url: str | None, data_dir: Path, filename: str) -> SQLiteDatabase | PostgresDatabase:
    """The database `url` names, or SQLite `filename` in `data_dir` without one."""
    if url is None:
        return SQLiteDatabase(data_dir / filename)
    if not is_postgres_url(url):
        raise CitebotError("CITEBOT_DATABASE_URL must start with postgresql://")
    return PostgresDatabase(url)


def applied_version(session: Session, dialect: Dialect) -> int:
    """The newest migration applied (0 for an empty database)."""
    if dialect == "sqlite":
        exists = session.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        )
    else:
        exists = session.query("SELECT 1 FROM pg_tables WHERE tablename = 'schema_migrations'")
    if not exists:
        return 0
    (row,) = session.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return int(row[0])


def migrate(
    session: Session,
    dialect: Dialect,
    *,
    from_version: int,
    until: int | None = None,
    steps: Mapping[int, Callable[[Session], None]] | None = None,
) -> int:
    """Apply every migration after `from_version` (up to `until`) in the caller's transaction,
    each followed by its step in `steps` if any; the version reached."""
    session.execute(
        schema_statement(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at {float} NOT NULL)",
            dialect,
        )
    )
    reached = from_version
    for migration in MIGRATIONS:
        if migration.version <= from_version or (until is not None and migration.version > until):
            continue
        for statement in migration.statements:
            session.execute(schema_statement(statement, dialect))
        if steps and migration.version in steps:
            steps[migration.version](session)
        reached = migration.version
        session.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?) "
            "ON CONFLICT (version) DO NOTHING",
            (migration.version, migration.name, time.time()),
        )
        log.info("store schema: applied migration %d (%s)", migration.version, migration.name)
    return reached


def write_errors() -> tuple[type[BaseException], ...]:
    """What a failed database write raises, on either backend (full disk, lost server...)."""
    import psycopg

    return (sqlite3.Error, OSError, psycopg.Error)

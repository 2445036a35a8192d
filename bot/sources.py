"""The articles added by URL, as the store remembers them: where each came from, when it was
last checked, and what the server said then.

One row per article file: a shared article's (guild_id NULL) keyed by its path in the
corpus folder, a server's own (guild_id: that server) by its path in the data dir
(`bot.refresh.source_root`, `source_file`). `bot.refresh` reads and writes
these rows; `/citebot sources`, `/citebot stats` and `citebot refresh` show them. Every
method blocks: callers on the event loop use `asyncio.to_thread`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from bot.database import PostgresDatabase, Row, SQLiteDatabase

Status = Literal["added", "unchanged", "changed", "gone", "error"]
#: A page answered 404/410 this many checks in a row is reported as gone.
GONE_AFTER = 2

_COLUMNS = (
    "path, url, guild_id, added_at, etag, last_modified, content_hash, checked_at, "
    "changed_at, status, gone_count, error"
)


@dataclass(frozen=True)
class Source:
    """One article added by URL and the state of its last check."""

    path: str
    url: str
    guild_id: int | None
    added_at: float
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    checked_at: float | None
    changed_at: float | None
    status: Status
    gone_count: int
    error: str | None

    @property
    def gone(self) -> bool:
        """Whether the page answered 404/410 often enough to tell an admin."""
        return self.gone_count >= GONE_AFTER

    @classmethod
    def from_row(cls, row: Row) -> Source:
        """A source from a row selected with `_COLUMNS`."""
        return cls(
            path=str(row[0]),
            url=str(row[1]),
            guild_id=None if row[2] is None else int(row[2]),
            added_at=float(row[3]),
            etag=row[4],
            last_modified=row[5],
            content_hash=row[6],
            checked_at=None if row[7] is None else float(row[7]),
            changed_at=None if row[8] is None else float(row[8]),
            status=row[9],
            gone_count=int(row[10]),
            error=row[11],
        )


class SourceBook:
    """The url_sources table of a store (SQLite or PostgreSQL)."""

    def __init__(self, database: SQLiteDatabase | PostgresDatabase) -> None:
        self._db = database

    def record_added(
        self,
        path: str,
        url: str,
        *,
        content_hash: str,
        etag: str | None = None,
        last_modified: str | None = None,
        guild_id: int | None = None,
        now: float | None = None,
    ) -> None:
        """Remember an article just added from `url` (a new add of the same file starts over)."""
        now = time.time() if now is None else now
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO url_sources (path, url, guild_id, added_at, etag, last_modified, "
                "content_hash, checked_at, status, gone_count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'added', 0) "
                "ON CONFLICT (path) DO UPDATE SET url = excluded.url, "
                "guild_id = excluded.guild_id, added_at = excluded.added_at, "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "content_hash = excluded.content_hash, checked_at = excluded.checked_at, "
                "changed_at = NULL, status = 'added', gone_count = 0, error = NULL",
                (path, url, guild_id, now, etag, last_modified, content_hash, now),
            )

    def seen_by(self, guild_id: int | None) -> list[Source]:
        """The sources a server may see: the shared ones and its own (never another's)."""
        return [s for s in self.all() if s.guild_id is None or s.guild_id == guild_id]

    def all(self) -> list[Source]:
        """Every source, the least recently checked first."""
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM url_sources ORDER BY COALESCE(checked_at, 0), path"
        )
        return [Source.from_row(row) for row in rows]

    def get(self, path: str) -> Source | None:
        """The source of one article file, if it was added by URL."""
        rows = self._db.query(f"SELECT {_COLUMNS} FROM url_sources WHERE path = ?", (path,))
        return Source.from_row(rows[0]) if rows else None

    def due(self, *, older_than: float) -> list[Source]:
        """Sources last checked before `older_than` (or never), the oldest first."""
        return [s for s in self.all() if s.checked_at is None or s.checked_at < older_than]

    def claim(self, source: Source, now: float) -> bool:
        """Mark `source` as being checked now; False when another process checked it since
        it was read (so processes sharing a store never fetch one page twice)."""
        if source.checked_at is None:
            changed = self._db.execute(
                "UPDATE url_sources SET checked_at = ? WHERE path = ? AND checked_at IS NULL",
                (now, source.path),
            )
        else:
            changed = self._db.execute(
                "UPDATE url_sources SET checked_at = ? WHERE path = ? AND checked_at = ?",
                (now, source.path, source.checked_at),
            )
        return changed == 1

    def record_check(
        self,
        path: str,
        status: Status,
        *,
        now: float,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
    ) -> None:
        """What one check found: validators and hash are kept when a new value is None."""
        gone = (
            "gone_count + 1" if status == "gone" else ("gone_count" if status == "error" else "0")
        )
        changed_at = "?" if status == "changed" else "changed_at"
        params: list[object] = [status, now, error, etag, last_modified, content_hash]
        if status == "changed":
            params.append(now)
        params.append(path)
        self._db.execute(
            f"UPDATE url_sources SET status = ?, checked_at = ?, error = ?, "
            f"etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
            f"content_hash = COALESCE(?, content_hash), gone_count = {gone}, "
            f"changed_at = {changed_at} WHERE path = ?",
            params,
        )

    def forget(self, path: str) -> None:
        """Drop the row of an article whose file is no longer in the corpus."""
        self._db.execute("DELETE FROM url_sources WHERE path = ?", (path,))

    def gone(self) -> list[Source]:
        """Sources whose page answered 404/410 at least GONE_AFTER checks in a row."""
        return [s for s in self.all() if s.gone]

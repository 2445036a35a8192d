"""What the bot remembers: the question log, feedback votes, and small settings of its own.

Plain `sqlite3` in the data folder, in WAL mode so several bot processes (shards) can
share it. Every method blocks: the Discord layer calls them with `asyncio.to_thread`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Vote = Literal["up", "down"]
VoteOutcome = Literal["recorded", "changed", "unchanged"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at REAL NOT NULL,
    user_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    question TEXT NOT NULL,
    found INTEGER NOT NULL,
    results INTEGER NOT NULL,
    elapsed_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES questions(id),
    user_id INTEGER NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    voted_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class FeedbackCount:
    up: int
    down: int


class Store:
    """One SQLite connection shared by worker threads, guarded by a lock."""

    FILENAME = "citebot.sqlite3"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (creating when needed) the store in `data_dir`."""
        data_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            data_dir / cls.FILENAME, check_same_thread=False, isolation_level=None, timeout=10
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(_SCHEMA)
        return cls(db)

    def close(self) -> None:
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
    ) -> int:
        """Record a question that was answered; its id names the answer for feedback."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO questions (asked_at, user_id, source, question, found, results, "
                "elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), user_id, source, question, int(found), results, elapsed_ms),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def vote(self, answer_id: int, user_id: int, vote: Vote) -> VoteOutcome:
        """Keep one vote per user per answer: a second click changes it or leaves it."""
        with self._lock:
            row = self._db.execute(
                "SELECT vote FROM feedback WHERE answer_id = ? AND user_id = ?",
                (answer_id, user_id),
            ).fetchone()
            if row is not None and row[0] == vote:
                return "unchanged"
            self._db.execute(
                "INSERT INTO feedback (answer_id, user_id, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                (answer_id, user_id, vote, time.time()),
            )
            return "recorded" if row is None else "changed"

    def feedback(self, answer_id: int) -> FeedbackCount:
        with self._lock:
            rows = dict(
                self._db.execute(
                    "SELECT vote, COUNT(*) FROM feedback WHERE answer_id = ? GROUP BY vote",
                    (answer_id,),
                ).fetchall()
            )
        return FeedbackCount(up=rows.get("up", 0), down=rows.get("down", 0))

    def question_count(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM questions").fetchone()
        return int(count)

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

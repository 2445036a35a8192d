"""The SQLite store: question log, one vote per user per answer, shared by threads and processes."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.store import Store


def log(store: Store, user: int = 1) -> int:
    return store.log_question(
        user_id=user, source="dm", question="who?", found=True, results=3, elapsed_ms=1.5
    )


def test_store_uses_wal_so_shard_processes_can_share_it(tmp_path: Path):
    Store.open(tmp_path).close()

    with sqlite3.connect(tmp_path / Store.FILENAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_votes_are_one_per_user_per_answer_and_survive_a_restart(tmp_path: Path):
    store = Store.open(tmp_path)
    first, second = log(store), log(store)

    assert store.vote(first, 10, "up") == "recorded"
    assert store.vote(first, 10, "up") == "unchanged"
    assert store.vote(first, 10, "down") == "changed"
    assert store.vote(first, 11, "up") == "recorded"
    assert store.vote(second, 10, "up") == "recorded"
    store.close()

    reopened = Store.open(tmp_path)
    assert reopened.feedback(first) == reopened.feedback(second).__class__(up=1, down=1)
    assert reopened.feedback(second).up == 1
    assert reopened.question_count() == 2


def test_worker_threads_can_log_at_once(tmp_path: Path):
    store = Store.open(tmp_path)

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: log(store, n), range(200)))

    assert sorted(ids) == list(range(1, 201))

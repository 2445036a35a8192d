"""What the store keeps about threads: the one automatic reply per post, articles cited there."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.store import DAY, GuildSettings, Store

MakeStore = Callable[..., Store]


def test_a_thread_is_claimed_for_its_automatic_reply_once_even_after_reopening(
    make_store: MakeStore,
):
    store = make_store()
    assert store.claim_thread_reply(111, 1)
    assert not store.claim_thread_reply(111, 1)
    assert store.claim_thread_reply(222, 1)  # another post has its own

    assert not make_store().claim_thread_reply(111, 1)  # a restarted bot, another process


def test_a_thread_remembers_the_articles_cited_most_recent_first(make_store: MakeStore):
    store = make_store()
    store.cite_in_thread(5, ["a", "b"], now=100.0)
    store.cite_in_thread(5, ["c", "a"], now=200.0)
    store.cite_in_thread(6, ["z"], now=300.0)

    assert store.thread_articles(5) == ["a", "c", "b"]
    assert store.thread_articles(5, limit=1) == ["a"]
    assert store.thread_articles(7) == []


def test_pruning_forgets_old_threads_with_old_questions(make_store: MakeStore):
    store = make_store()
    now = 1_000 * DAY
    store.claim_thread_reply(1, 1, now=now - 40 * DAY)
    store.cite_in_thread(1, ["old"], now=now - 40 * DAY)
    store.cite_in_thread(2, ["new"], now=now - DAY)

    store.prune(older_than_days=30, now=now)

    assert store.claim_thread_reply(1, 1, now=now)  # forgotten, so claimable again
    assert store.thread_articles(1) == []
    assert store.thread_articles(2) == ["new"]


def test_help_forum_settings_round_trip_and_old_rows_get_defaults():
    changed = GuildSettings(
        suggest_channels=(9, 8),
        suggest_not_found=True,
        suggest_ignore_tag="no-bot",
        mention_threads=True,
    )
    assert GuildSettings.from_json(changed.to_json()) == changed
    old = GuildSettings.from_json('{"mention_channels": [1], "private_replies": true}')
    assert old.suggest_channels == () and old.suggest_ignore_tag == "bot-ignore"
    assert not old.mention_threads and not old.suggest_not_found


def test_a_version_4_sqlite_store_gains_the_thread_tables_in_place(tmp_path: Path):
    store = Store.open(tmp_path)
    store.log_question(
        user_id=1, source="slash", question="q?", found=True, results=1, elapsed_ms=1.0
    )
    store.close()
    with sqlite3.connect(tmp_path / Store.FILENAME) as db:  # as a version 4 store was
        db.execute("DROP TABLE thread_replies")
        db.execute("DROP TABLE thread_citations")
        db.execute("DROP TABLE url_sources")
        db.execute("DELETE FROM schema_migrations WHERE version >= 5")

    store = Store.open(tmp_path)
    try:
        assert store.question_count() == 1
        assert store.claim_thread_reply(3, None)
    finally:
        store.close()

"""The question log in SQLite: salted user hashes, retention, per-server settings, upgrades."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bot.store import DAY, GuildSettings, Store


def log(store: Store, user: int, *, age_days: float = 0.0, question: str = "who?") -> int:
    return store.log_question(
        user_id=user,
        source="slash",
        question=question,
        found=True,
        results=3,
        elapsed_ms=1.0,
        guild_id=42,
        top_article="deepseek-rise",
        reply_ms=12.5,
        asked_at=time.time() - age_days * DAY,
    )


def dump(path: Path) -> str:
    with sqlite3.connect(path / Store.FILENAME) as db:
        return "\n".join(db.iterdump())


def test_user_ids_are_kept_only_as_hashes_salted_once_per_store(tmp_path: Path):
    user = 123456789012345678
    store = Store.open(tmp_path)
    answer = log(store, user)
    store.vote(answer, user, "down")
    first_hash = store.user_hash(user)
    store.close()

    assert str(user) not in dump(tmp_path)
    reopened = Store.open(tmp_path)
    assert reopened.user_hash(user) == first_hash  # the salt is kept in the meta table
    assert reopened.vote(answer, user, "down") == "unchanged"  # one vote per person still
    other = Store.open(tmp_path / "other")
    assert other.user_hash(user) != first_hash  # a different store, a different salt


def test_logged_question_keeps_server_top_article_and_reply_time(tmp_path: Path):
    store = Store.open(tmp_path)
    answer = log(store, 1)
    store.vote(answer, 2, "up")
    store.vote(answer, 3, "down")

    (row,) = store.questions()

    assert (row.guild_id, row.top_article, row.reply_ms, row.up, row.down) == (
        42,
        "deepseek-rise",
        12.5,
        1,
        1,
    )
    assert store.questions(guild_id=7) == []


def test_prune_forgets_questions_and_votes_older_than_the_retention(tmp_path: Path):
    store = Store.open(tmp_path)
    old = log(store, 1, age_days=91, question="old")
    store.vote(old, 1, "up")
    log(store, 1, age_days=89, question="recent")

    assert store.prune(older_than_days=90) == 1

    assert [q.question for q in store.questions()] == ["recent"]
    assert store._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


def test_a_version_1_store_is_upgraded_in_place_without_raw_user_ids(tmp_path: Path):
    db = sqlite3.connect(tmp_path / Store.FILENAME)
    db.executescript(
        """
        CREATE TABLE questions (id INTEGER PRIMARY KEY AUTOINCREMENT, asked_at REAL NOT NULL,
            user_id INTEGER NOT NULL, source TEXT NOT NULL, question TEXT NOT NULL,
            found INTEGER NOT NULL, results INTEGER NOT NULL, elapsed_ms REAL NOT NULL);
        CREATE TABLE feedback (answer_id INTEGER NOT NULL REFERENCES questions(id),
            user_id INTEGER NOT NULL, vote TEXT NOT NULL, voted_at REAL NOT NULL,
            PRIMARY KEY (answer_id, user_id));
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO questions VALUES (1, 1700000000, 987654321987, 'dm', 'who?', 0, 0, 3.0);
        INSERT INTO feedback VALUES (1, 987654321987, 'down', 1700000001);
        INSERT INTO meta VALUES ('commands:1:global', 'abc');
        """
    )
    db.close()

    store = Store.open(tmp_path)

    (row,) = store.questions()
    assert (row.question, row.found, row.guild_id, row.reply_ms, row.down) == (
        "who?",
        False,
        None,
        3.0,
        1,
    )
    assert store.vote(1, 987654321987, "down") == "unchanged"
    assert store.get_meta("commands:1:global") == "abc"
    store.close()
    assert "987654321987" not in dump(tmp_path)


def test_server_settings_default_and_change_one_at_a_time(tmp_path: Path):
    store = Store.open(tmp_path)

    assert store.guild_settings(1) == GuildSettings()
    store.update_guild_settings(1, private_replies=True)
    store.update_guild_settings(1, results=2, mention_channels=(10, 11))

    assert store.guild_settings(1) == GuildSettings(
        mention_channels=(10, 11), private_replies=True, results=2
    )
    assert store.guild_settings(2) == GuildSettings()
    assert store.guild_settings(1).answers_mentions_in(10)
    assert not store.guild_settings(1).answers_mentions_in(12)

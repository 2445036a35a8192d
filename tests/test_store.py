"""The question log on both backends (SQLite and a real PostgreSQL): salted user hashes,
retention, per-server settings, shared cooldowns, reload notices, migrations and upgrades."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.database import MIGRATIONS, SCHEMA_VERSION
from bot.store import DAY, KEY_FILENAME, GuildSettings, Store, StoreKeyError

MakeStore = Callable[..., Store]
KEY = b"the key every host shares"
TABLES = ("questions", "feedback", "meta", "guild_settings", "question_slots", "identify_turns")


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


def every_row(store: Store) -> str:
    """Everything the store holds, as text (to look for what must not be there)."""
    return "\n".join(
        repr(row) for table in TABLES for row in store.database.query(f"SELECT * FROM {table}")
    )


def test_user_ids_are_kept_only_as_hashes_salted_once_per_store(make_store: MakeStore):
    user = 123456789012345678
    store = make_store()
    answer = log(store, user)
    store.vote(answer, user, "down")
    first_hash = store.user_hash(user)
    store.take_question_slot(user, rate=5, per=60)
    store.close()

    reopened = make_store()
    assert str(user) not in every_row(reopened)
    assert reopened.user_hash(user) == first_hash  # the salt is kept in the meta table
    assert reopened.vote(answer, user, "down") == "unchanged"  # one vote per person still
    other = make_store("other")
    assert other.user_hash(user) != first_hash  # a different store, a different salt


def test_logged_question_keeps_server_top_article_and_reply_time(make_store: MakeStore):
    store = make_store()
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


def test_prune_forgets_questions_and_votes_older_than_the_retention(make_store: MakeStore):
    store = make_store()
    old = log(store, 1, age_days=91, question="old")
    store.vote(old, 1, "up")
    log(store, 1, age_days=89, question="recent")

    assert store.prune(older_than_days=90) == 1

    assert [q.question for q in store.questions()] == ["recent"]
    assert store.database.query("SELECT COUNT(*) FROM feedback") == [(0,)]


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


def test_server_settings_default_and_change_one_at_a_time(make_store: MakeStore):
    store = make_store()

    assert store.guild_settings(1) == GuildSettings()
    store.update_guild_settings(1, private_replies=True)
    store.update_guild_settings(1, results=2, mention_channels=(10, 11))

    assert store.guild_settings(1) == GuildSettings(
        mention_channels=(10, 11), private_replies=True, results=2
    )
    assert store.guild_settings(2) == GuildSettings()
    assert store.guild_settings(1).answers_mentions_in(10)
    assert not store.guild_settings(1).answers_mentions_in(12)


def test_snowflake_server_ids_and_many_threads_fit_either_backend(make_store: MakeStore):
    store = make_store()
    guild = 1234567890123456789  # Discord ids need 64 bits
    ids: list[int] = []

    def ask(n: int) -> None:
        ids.append(
            store.log_question(
                user_id=n,
                source="dm",
                question=f"q{n}",
                found=False,
                results=0,
                elapsed_ms=1.0,
                guild_id=guild,
            )
        )

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(ids)) == 20
    assert len(store.questions(guild_id=guild)) == 20
    store.update_guild_settings(guild, results=2)
    assert store.guild_settings(guild).results == 2


def test_a_vote_counts_once_when_two_processes_record_it_at_the_same_moment(
    make_store: MakeStore,
):
    first, second = make_store(), make_store()  # two connections, as two processes have
    answer = log(first, 1)
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def click(store: Store) -> None:
        start.wait()
        outcomes.append(store.vote(answer, 99, "up"))

    threads = [threading.Thread(target=click, args=(s,)) for s in (first, second) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["recorded"] + ["unchanged"] * 7
    assert second.feedback(answer).up == 1


def test_the_cooldown_is_shared_by_every_process_on_the_store(make_store: MakeStore):
    here, there = make_store(), make_store()
    now = 1_000_000.0

    assert here.take_question_slot(7, rate=2, per=60, now=now) == 0
    assert there.take_question_slot(7, rate=2, per=60, now=now + 10) == 0
    assert here.take_question_slot(7, rate=2, per=60, now=now + 20) == 40
    assert there.take_question_slot(7, rate=2, per=60, now=now + 30) == 30  # a refusal adds none
    assert there.take_question_slot(8, rate=2, per=60, now=now + 30) == 0  # per user
    assert here.take_question_slot(7, rate=2, per=60, now=now + 60) == 0  # the first one left
    assert there.take_question_slot(7, rate=2, per=60, now=now + 61) == 9


def test_identify_turns_in_one_bucket_are_spaced_across_processes(make_store: MakeStore):
    here, there = make_store(), make_store()
    interval = 0.3

    assert here.take_identify_turn(1, interval) == 0  # nobody identified yet
    assert here.take_identify_turn(0, interval) == 0  # another bucket does not wait
    assert there.take_identify_turn(0, interval) > 0  # the same bucket waits for its turn

    turns = dict(here.database.query("SELECT bucket, taken_at FROM identify_turns"))
    # Spaced by the database's own clock, whatever the hosts' clocks say.
    assert turns[0] - turns[1] >= interval - 0.01


def test_migrations_are_recorded_once_and_reopening_applies_none(make_store: MakeStore):
    store = make_store()
    make_store().close()  # opened again: nothing to apply

    rows = store.database.query("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    assert rows[-1][0] == SCHEMA_VERSION


def test_reload_notices_reach_every_other_process_on_postgresql(make_store: MakeStore):
    sender, receiver = make_store(), make_store()
    heard: list[str] = []
    arrived = threading.Event()

    def on_notice(payload: str) -> None:
        heard.append(payload)
        arrived.set()

    listener = receiver.listen_for_reloads(on_notice)
    if receiver.dialect == "sqlite":
        # One host, one folder: each process's corpus watcher sees the change itself.
        assert listener is None
        sender.announce_reload("host-a")  # and announcing is harmless
        return
    assert listener is not None
    try:
        assert listener.listening
        sender.announce_reload("host-a:123")
        assert arrived.wait(10)
        assert heard == ["host-a:123"]
    finally:
        listener.stop()


def test_a_store_from_before_versioned_migrations_upgrades_in_place(tmp_path: Path):
    old = sqlite3.connect(tmp_path / Store.FILENAME)
    for statement in MIGRATIONS[0].statements:
        old.execute(
            statement.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", float="REAL", bigint="INTEGER")
        )
    old.execute("INSERT INTO meta VALUES ('user_salt', ?)", ("ab" * 32,))
    old.execute(
        "INSERT INTO questions (asked_at, user_hash, source, question, found, results, "
        "elapsed_ms) VALUES (1700000000, 'h', 'dm', 'kept?', 1, 3, 2.0)"
    )
    old.execute("PRAGMA user_version = 2")
    old.commit()
    old.close()

    store = Store.open(tmp_path)

    assert [q.question for q in store.questions()] == ["kept?"]
    assert store.take_question_slot(1, rate=1, per=60) == 0  # the new tables are there
    versions = store.database.query("SELECT version FROM schema_migrations ORDER BY version")
    assert [v for (v,) in versions] == [m.version for m in MIGRATIONS[1:]]  # 2 was there
    ((kept_hash,),) = store.database.query("SELECT user_hash FROM questions")
    assert kept_hash != "h"  # version 3 keyed the salted hash
    again = Store.open(tmp_path)
    assert again.user_hash(5) == store.user_hash(5)
    again.close()
    store.close()


def test_a_lost_listen_connection_comes_back_and_asks_for_a_check(
    tmp_path: Path, postgres_url: str
):
    sender, receiver = (
        Store.open(tmp_path / "a", postgres_url, user_key=KEY),
        Store.open(tmp_path / "b", postgres_url, user_key=KEY),
    )
    heard: list[str] = []
    changed = threading.Condition()

    def on_notice(payload: str) -> None:
        with changed:
            heard.append(payload)
            changed.notify_all()

    listener = receiver.listen_for_reloads(on_notice)
    assert listener is not None
    try:
        # The database drops the listening connection (a restart, a failover, a proxy).
        sender.database.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%' AND datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        with changed:
            assert changed.wait_for(lambda: "" in heard, timeout=30)  # reconnected: check now
        sender.announce_reload("after")
        with changed:
            assert changed.wait_for(lambda: "after" in heard, timeout=10)
    finally:
        listener.stop()
        sender.close()
        receiver.close()


def test_a_host_with_another_user_key_is_refused_by_a_shared_store(
    tmp_path: Path, postgres_url: str
):
    first = Store.open(tmp_path / "a", postgres_url)  # makes a key file in its data dir
    try:
        with pytest.raises(StoreKeyError, match="same CITEBOT_USER_KEY everywhere"):
            Store.open(tmp_path / "b", postgres_url)  # another data dir, another key
        (tmp_path / "b" / KEY_FILENAME).write_text((tmp_path / "a" / KEY_FILENAME).read_text())
        second = Store.open(tmp_path / "b", postgres_url)  # the key copied over: accepted
        assert second.user_hash(5) == first.user_hash(5)
        second.close()
        reader = Store.open_existing(tmp_path / "empty", postgres_url)  # reports need no key
        assert reader is not None and reader.question_count() == 0
        assert not (tmp_path / "empty").exists()
        reader.close()
    finally:
        first.close()


def test_connections_the_server_dropped_are_replaced_before_use(tmp_path: Path, postgres_url: str):
    store = Store.open(tmp_path, postgres_url)
    other = Store.open(tmp_path, postgres_url)
    try:
        log(store, 1)
        # The server ends every connection of the store (a restart, a failover, a proxy).
        other.database.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert store.question_count() == 1  # read at once, on a fresh connection
        log(store, 2)
        assert store.question_count() == 2
    finally:
        store.close()
        other.close()


def test_the_guilds_commands_were_synced_to_are_listed_and_forgotten(make_store: MakeStore):
    store = make_store()
    store.set_meta("commands:1:global", "g")
    store.set_meta("commands:1:guild 7", "a")
    store.set_meta("commands:1:guild 8", "b")
    store.set_meta("commands:2:guild 9", "other application")

    assert store.meta_with_prefix("commands:1:guild ") == {
        "commands:1:guild 7": "a",
        "commands:1:guild 8": "b",
    }
    store.delete_meta("commands:1:guild 7")
    assert store.meta_with_prefix("commands:1:guild ") == {"commands:1:guild 8": "b"}
    assert store.get_meta("commands:1:global") == "g"

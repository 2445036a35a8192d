"""The CLI on a shared store: `citebot migrate-store` copies SQLite into PostgreSQL, `citebot
index` tells running bots to reload, and CITEBOT_DATABASE_URL errors are clear."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from support import run_citebot

from bot.errors import SettingsError
from bot.settings import Settings
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent


def test_migrate_store_copies_questions_votes_settings_and_keeps_each_persons_hash(
    tmp_path: Path, postgres_url: str
):
    data = tmp_path / "data"
    sqlite = Store.open(data)
    ids = [
        sqlite.log_question(
            user_id=user, source="dm", question=f"q{user}", found=True, results=1, elapsed_ms=1.0
        )
        for user in (1, 2, 3)
    ]
    sqlite.vote(ids[0], 2, "up")
    sqlite.update_guild_settings(77, private_replies=True)
    sqlite.set_meta("commands:1:global", "digest")
    sqlite.close()

    done = run_citebot("migrate-store", "--to", postgres_url, "--data-dir", str(data), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("copied 3 questions, 1 votes and the settings of 1 servers")
    shared = Store.open(data, postgres_url)  # the same key file as the copy
    try:
        assert [q.question for q in shared.questions()] == ["q1", "q2", "q3"]
        assert shared.vote(ids[0], 2, "up") == "unchanged"  # the same person, the same hash
        assert shared.guild_settings(77).private_replies
        assert shared.get_meta("commands:1:global") == "digest"
        new = shared.log_question(
            user_id=4, source="dm", question="q4", found=False, results=0, elapsed_ms=1.0
        )
        assert new > max(ids)  # numbering goes on after the copied rows
    finally:
        shared.close()

    again = run_citebot(
        "migrate-store", "--to", postgres_url, "--data-dir", str(data), cwd=tmp_path
    )
    assert again.returncode == 2
    assert "already holds questions" in again.stderr
    assert "Traceback" not in again.stderr


def test_migrate_store_needs_a_postgresql_url_and_a_sqlite_store(tmp_path: Path):
    done = run_citebot("migrate-store", "--data-dir", str(tmp_path / "none"), cwd=tmp_path)
    assert done.returncode == 2
    assert "--to postgresql://" in done.stderr


def test_a_database_url_that_is_not_postgresql_names_the_variable_and_hides_the_value():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"CITEBOT_DATABASE_URL": "mysql://root:hunter2@db/citebot"}, dotenv=False)
    assert "CITEBOT_DATABASE_URL must be a PostgreSQL URL" in str(error.value)
    assert "hunter2" not in str(error.value)
    settings = Settings.from_env(
        {"CITEBOT_DATABASE_URL": "postgresql://u:hunter2@db/c"}, dotenv=False
    )
    assert "hunter2" not in repr(settings)
    assert settings.store_url() == "postgresql://u:hunter2@db/c"


def test_an_unreachable_database_is_one_clear_line_without_the_password(tmp_path: Path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://citebot:hunter2@127.0.0.1:{port}/citebot"

    done = run_citebot(
        "stats",
        cwd=tmp_path,
        env={"CITEBOT_DATABASE_URL": url, "CITEBOT_CORPUS_DIR": str(REPO / "corpus")},
    )

    assert done.returncode == 2
    assert done.stderr.startswith(
        "citebot: could not connect to the PostgreSQL database in CITEBOT_DATABASE_URL"
    )
    assert len(done.stderr.strip().splitlines()) == 1
    assert "hunter2" not in done.stderr + done.stdout


def test_citebot_index_tells_the_bots_on_the_shared_store_to_reload(
    tmp_path: Path, postgres_url: str
):
    bot_side = Store.open(tmp_path / "bot", postgres_url)
    heard = threading.Event()
    senders: list[str] = []
    listener = bot_side.listen_for_reloads(lambda sender: (senders.append(sender), heard.set()))
    assert listener is not None
    try:
        done = run_citebot(
            "index",
            cwd=tmp_path,
            env={"CITEBOT_DATABASE_URL": postgres_url, "CITEBOT_CORPUS_DIR": str(REPO / "corpus")},
        )
        assert done.returncode == 0, done.stderr
        assert "told the running bots" in done.stdout
        assert heard.wait(10)
        assert senders[0].startswith("citebot index on ")
    finally:
        listener.stop()
        bot_side.close()

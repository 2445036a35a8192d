"""The store alone links no one: user hashes are keyed with a secret kept outside it."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.insight import compute_unanswered, format_unanswered
from bot.store import KEY_FILENAME, Store, StoreKeyError, load_or_make_key

USER = 123456789012345678


def log(store: Store, user: int, **kwargs: object) -> int:
    values: dict[str, object] = {
        "source": "slash",
        "question": "who?",
        "found": False,
        "results": 0,
        "elapsed_ms": 1.0,
        "guild_id": 42,
    }
    values.update(kwargs)
    return store.log_question(user_id=user, **values)  # type: ignore[arg-type]


def salted_hash_from_the_file_alone(data_dir: Path, user: int) -> str:
    """What someone holding only the SQLite file and a member list could compute."""
    with sqlite3.connect(data_dir / Store.FILENAME) as db:
        (salt,) = db.execute("SELECT value FROM meta WHERE key = 'user_salt'").fetchone()
    return hmac.new(bytes.fromhex(salt), str(user).encode(), hashlib.sha256).hexdigest()[:32]


def test_the_store_file_alone_cannot_link_a_question_to_a_user(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    log(store, USER)
    store.close()

    with sqlite3.connect(tmp_path / Store.FILENAME) as db:
        hashes = {row[0] for row in db.execute("SELECT user_hash FROM questions")}
    assert salted_hash_from_the_file_alone(tmp_path, USER) not in hashes
    key = tmp_path / KEY_FILENAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600  # readable only by the bot's user
    assert Store.open(tmp_path).user_hash(USER) in hashes  # the same key next time


def test_a_key_from_the_settings_is_used_instead_of_the_file(tmp_path: Path) -> None:
    first = Store.open(tmp_path, user_key=b"from-the-environment")
    keyed = first.user_hash(USER)
    first.close()
    assert not (tmp_path / KEY_FILENAME).exists()
    assert Store.open(tmp_path, user_key=b"from-the-environment").user_hash(USER) == keyed
    assert Store.open(tmp_path, user_key=b"another key").user_hash(USER) != keyed


def test_a_version_2_store_is_rekeyed_and_votes_still_count_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    answer = log(store, USER)
    store.vote(answer, USER, "down")
    store.close()
    # Make it look like a version 2 store: hashes salted only, no key file, no private column.
    old_hash = salted_hash_from_the_file_alone(tmp_path, USER)
    (tmp_path / KEY_FILENAME).unlink()
    with sqlite3.connect(tmp_path / Store.FILENAME) as db:
        db.execute("UPDATE questions SET user_hash = ?", (old_hash,))
        db.execute("UPDATE feedback SET user_hash = ?", (old_hash,))
        db.execute("ALTER TABLE questions DROP COLUMN private")
        db.execute("PRAGMA user_version = 2")
        db.execute("DROP TABLE schema_migrations")  # version 2 stores predate the migrations

    upgraded = Store.open(tmp_path)

    assert upgraded.vote(answer, USER, "down") == "unchanged"
    with sqlite3.connect(tmp_path / Store.FILENAME) as db:
        hashes = {row[0] for row in db.execute("SELECT user_hash FROM questions")}
    assert hashes == {upgraded.user_hash(USER)} and old_hash not in hashes


def test_private_questions_are_counted_never_shown(make_store: Callable[..., Store]) -> None:
    store = make_store()
    log(store, 1, question="public question about tiramisu")
    log(store, 2, question="my private medical question", private=True)
    log(store, 3, question="a question in a DM", guild_id=None)

    report = compute_unanswered(store.questions(), now=__import__("time").time(), days=7)
    text = format_unanswered(report)

    assert "public question about tiramisu" in text
    assert "medical" not in text and "in a DM" not in text
    assert report.private == 2
    assert "2 asked privately (not shown)" in text


def test_forget_user_deletes_their_questions_and_votes_everywhere(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    mine = [
        log(store, USER, guild_id=1),
        log(store, USER, guild_id=2),
        log(store, USER, guild_id=None),
    ]
    theirs = log(store, 7)
    store.vote(theirs, USER, "up")
    store.vote(mine[0], 7, "down")  # someone's vote on my question goes with it

    kept = store.kept_about(USER)
    assert (kept.questions, kept.votes, kept.servers, kept.direct) == (3, 1, 2, 1)

    assert store.forget_user(USER) == (3, 1)
    assert store.kept_about(USER).questions == 0 and store.kept_about(USER).votes == 0
    assert [q.question for q in store.questions()] == ["who?"]  # user 7's question stays
    assert store.feedback(theirs).up == 0


def test_an_empty_or_short_key_file_is_refused_not_used(tmp_path: Path) -> None:
    for content in ("", "\n", "abcd\n"):
        key_file = tmp_path / "user-hash.key"
        key_file.write_text(content)
        with pytest.raises(StoreKeyError, match="not a Citebot key file"):
            load_or_make_key(key_file)

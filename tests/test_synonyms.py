"""The admins' synonyms file (Solr / Elasticsearch format) applied to questions."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.synonyms import Synonyms


def load(tmp_path: Path, text: str | bytes) -> Synonyms:
    path = tmp_path / "synonyms.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return Synonyms.load(path)


def test_equivalent_terms_bring_in_each_other(tmp_path: Path) -> None:
    synonyms = load(tmp_path, "server, guild\nping, mention\n")
    assert synonyms.expand("how do I leave a server?") == ("guild",)
    assert synonyms.expand("who owns the guild") == ("server",)
    assert synonyms.expand(["can", "i", "ping", "a", "role"]) == ("mention",)
    assert synonyms.warnings == ()


def test_word_forms_meet_through_stems(tmp_path: Path) -> None:
    synonyms = load(tmp_path, "server, guild\nping, mention\n")
    assert synonyms.expand("my Servers and their pings") == ("guild", "mention")


def test_explicit_mapping_goes_one_way(tmp_path: Path) -> None:
    synonyms = load(tmp_path, "gpu, graphics card => graphics processing unit\n")
    assert synonyms.expand("which GPU is used") == ("graphics processing unit",)
    assert synonyms.expand("a new graphics card") == ("graphics processing unit",)
    assert synonyms.expand("graphics processing unit") == ()


def test_multi_word_entries_match_as_phrases_longest_first(tmp_path: Path) -> None:
    synonyms = load(tmp_path, "direct message, dm\nmessage, post\n")
    assert synonyms.expand("can the bot send a direct message") == ("dm",)
    assert synonyms.expand("send a dm") == ("direct message",)
    assert synonyms.expand("edit a message") == ("post",)
    assert synonyms.expand("a direct answer") == ()


def test_comments_blank_lines_and_trailing_commas_are_fine(tmp_path: Path) -> None:
    synonyms = load(
        tmp_path,
        "# Our community's words\n\n   \nserver, guild,   # Discord's API says guild\n"
        "  # indented comment\nping,mention\n",
    )
    assert synonyms.warnings == ()
    assert synonyms.expand("server ping") == ("guild", "mention")


def test_terms_already_in_the_question_are_not_added(tmp_path: Path) -> None:
    synonyms = load(tmp_path, "server, guild, community\n")
    assert synonyms.expand("server or guild?") == ("community",)


def test_bad_lines_warn_once_each_with_their_number_and_the_rest_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.synonyms")
    synonyms = load(
        tmp_path,
        "server, guild\n"  # 1
        "=> mention\n"  # 2
        "ping =>\n"  # 3
        "a => b => c\n"  # 4
        "lonely\n"  # 5
        "!!!, ???\n"  # 6
        "one two three four five six seven eight nine, ten\n"  # 7
        "ping, mention\n",  # 8
    )
    assert [w.split(":")[1].strip() for w in synonyms.warnings] == [
        f"line {n}" for n in (2, 3, 4, 5, 6, 7)
    ]
    assert len(caplog.records) == 6
    assert synonyms.expand("server ping") == ("guild", "mention")


def test_missing_file_is_no_synonyms(tmp_path: Path) -> None:
    synonyms = Synonyms.load(tmp_path / "synonyms.txt")
    assert not synonyms
    assert synonyms.expand("server") == ()
    assert synonyms.warnings == ()


def test_unreadable_file_warns_and_gives_no_synonyms(tmp_path: Path) -> None:
    synonyms = load(tmp_path, b"server, guild\n\xff\xfe\x00bad\n")
    assert not synonyms
    assert len(synonyms.warnings) == 1
    assert "UTF-8" in synonyms.warnings[0]


def test_folder_named_like_the_file_warns(tmp_path: Path) -> None:
    (tmp_path / "synonyms.txt").mkdir()
    synonyms = Synonyms.load(tmp_path / "synonyms.txt")
    assert not synonyms
    assert len(synonyms.warnings) == 1


def test_warn_callback_hears_each_warning(tmp_path: Path) -> None:
    heard: list[str] = []
    path = tmp_path / "synonyms.txt"
    path.write_text("lonely\nserver, guild\n", encoding="utf-8")
    Synonyms.load(path, warn=heard.append)
    assert heard == [
        "synonyms.txt: line 1: one term and nothing to match it with (use 'a, b' or 'a => b'); line skipped"
    ]


def test_empty_expands_nothing() -> None:
    assert Synonyms.empty().expand("server guild ping") == ()
    assert not Synonyms.empty()

"""The corpus is a fence: links out of it, dot-files and writes through links stay outside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import subprocess_env

from bot.corpus import Article, Paragraph, load_corpus
from bot.corpus_edit import remove_article, save_upload
from bot.errors import CorpusEditError
from bot.settings import Settings

# Built at run time, so that no token-shaped string is committed.
TOKEN = ".".join(["MTIzNDU2Nzg5MDEyMzQ1Njc4", "GaBcDe", "not-a-real-token-but-secret-looking"])


@pytest.fixture
def corpus(corpus: Path, tmp_path: Path) -> Path:
    """The shared one-article corpus, with a `.env` holding a token beside it."""
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n")
    return corpus


def load(folder: Path, **kwargs: object) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    articles = load_corpus(folder, on_warning=warnings.append, **kwargs).articles  # type: ignore[arg-type]
    return [a.article_id for a in articles], warnings


def test_link_to_a_file_outside_the_corpus_is_skipped_with_one_warning(corpus: Path) -> None:
    (corpus / "notes.txt").symlink_to("../.env")
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped notes.txt: it links outside the corpus folder"]


def test_link_to_a_folder_outside_the_corpus_is_skipped_with_one_warning(
    corpus: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.md").write_text("# Private\n\nNot meant for the bot to quote.")
    (corpus / "more").symlink_to(outside, target_is_directory=True)
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped more/: it links outside the corpus folder"]


def test_link_to_a_system_file_is_skipped(corpus: Path) -> None:
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped passwd.txt: it links outside the corpus folder"]


def test_dot_files_and_dot_folders_are_never_loaded_even_through_a_link(corpus: Path) -> None:
    (corpus / ".env.md").write_text(f"# Env\n\nDISCORD_TOKEN={TOKEN}")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "config.md").write_text(f"# Git\n\ntoken {TOKEN}")
    (corpus / "innocent.md").symlink_to(".env.md")
    (corpus / "repo").symlink_to(".git", target_is_directory=True)
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert sorted(warnings) == [
        "skipped innocent.md: it links to a hidden file or folder",
        "skipped repo/: it links to a hidden file or folder",
    ]


def test_links_inside_the_corpus_still_load(corpus: Path) -> None:
    (corpus / "shelf").mkdir()
    (corpus / "shelf" / "book.md").write_text("# Book\n\nA book kept on the shelf folder.")
    (corpus / "latest.md").symlink_to("shelf/book.md")
    ids, warnings = load(corpus)
    assert ids == ["good", "latest"]
    assert warnings == ["skipped shelf/book.md: same text as latest.md (loaded once)"]


def test_a_setting_can_allow_links_into_extra_roots(corpus: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-articles"
    shared.mkdir()
    (shared / "wiki.md").write_text("# Wiki\n\nShared articles kept in another folder.")
    (corpus / "wiki").symlink_to(shared, target_is_directory=True)
    settings = Settings.from_env({"CITEBOT_CORPUS_EXTRA_ROOTS": str(shared)}, dotenv=False)
    assert settings.corpus_extra_roots == (shared,)
    ids, warnings = load(corpus, allowed_roots=settings.corpus_extra_roots)
    assert ids == ["good", "wiki/wiki"]
    assert warnings == []


def test_citebot_ask_never_quotes_a_token_linked_into_the_corpus(corpus: Path) -> None:
    (corpus / "notes.txt").symlink_to("../.env")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "DISCORD_TOKEN", "--json"],
        cwd=corpus.parent,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert TOKEN not in run.stdout and TOKEN not in run.stderr
    assert json.loads(run.stdout)["found"] is False
    assert "skipped notes.txt: it links outside the corpus folder" in run.stderr


def test_remove_never_moves_a_file_through_a_linked_folder(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "a.md").write_text("# A\n\nKept outside the corpus.")
    (corpus / "sub").symlink_to(outside, target_is_directory=True)
    # An article loaded when "sub" was still a real folder, then swapped for a link.
    stale = Article(
        "sub/a", "A", "Kept outside the corpus.", (Paragraph(1, 0, 24),), source="sub/a.md"
    )
    with pytest.raises(CorpusEditError, match="outside the corpus folder"):
        remove_article(corpus, tmp_path / "data", stale)
    assert (outside / "a.md").read_text() == "# A\n\nKept outside the corpus."
    assert not (tmp_path / "data" / "trash").exists()


def test_add_never_writes_through_a_linked_added_folder(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (corpus / "added").symlink_to(outside, target_is_directory=True)
    with pytest.raises(CorpusEditError, match="outside the corpus folder"):
        save_upload(corpus, "new.md", b"# New\n\nA brand new article.", existing=[])
    assert list(outside.iterdir()) == []

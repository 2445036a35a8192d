"""Damaged corpora: every problem is named in one warning and the rest still loads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import GOOD_ARTICLE as GOOD

from bot.answer import Engine
from bot.corpus import _files, load_corpus
from bot.settings import Settings


def load(folder: Path) -> tuple[list[str], list[str]]:
    warnings: list[str] = []
    articles = load_corpus(folder, on_warning=warnings.append).articles
    return [a.article_id for a in articles], warnings


def test_fifty_megabyte_file_is_skipped_without_reading_it(corpus: Path) -> None:
    with open(corpus / "huge.txt", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped huge.txt: the file is larger than 20 MB"]


def test_deeply_nested_folders_load(corpus: Path) -> None:
    deep = corpus
    for level in range(150):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    (deep / "bottom.md").write_text("# Bottom\n\nFound at the bottom of many folders.")
    ids, warnings = load(corpus)
    assert len(ids) == 2 and ids[0].endswith("/bottom")
    assert warnings == []


def test_pipe_named_like_an_article_is_skipped_instead_of_blocking(corpus: Path) -> None:
    os.mkfifo(corpus / "pipe.md")
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped pipe.md: not a regular file"]


def test_dangling_link_is_named_in_a_warning(corpus: Path) -> None:
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert len(warnings) == 1 and warnings[0].startswith("skipped gone.md: cannot read it")


@pytest.mark.parametrize("incremental", [True, False])
def test_a_dangling_link_added_after_the_index_is_named_too(
    corpus: Path, tmp_path: Path, incremental: bool
) -> None:
    # The saved index must not hide it: the next start sees a file it cannot read, and says so.
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    Engine.open(settings, on_warning=lambda message: None)
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    warnings: list[str] = []
    engine = Engine.open(settings, on_warning=warnings.append, incremental=incremental)
    assert [a.article_id for a in engine.corpus.articles] == ["good"]
    assert [w.split(":")[0] for w in warnings] == ["skipped gone.md"]


def test_unreadable_file_is_named_in_a_warning(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root in CI, where chmod 000 does not stop reads: inject the error instead.
    (corpus / "secret.md").write_text(GOOD.replace("Good", "Secret"))
    real_open = Path.open

    def open_file(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name == "secret.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_file)
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped secret.md: cannot read it (Permission denied)"]


def test_file_deleted_while_indexing_is_named_in_a_warning(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "fleeting.md").write_text("# Fleeting\n\nHere one moment.")
    real_load = _files._load_file

    def delete_then_load(path: Path, relative: str, *rest):  # type: ignore[no-untyped-def]
        if path.name == "fleeting.md":
            path.unlink()  # deleted between listing the folder and reading the file
        return real_load(path, relative, *rest)

    monkeypatch.setattr(_files, "_load_file", delete_then_load)
    ids, warnings = load(corpus)
    assert ids == ["good"]
    assert warnings == ["skipped fleeting.md: cannot read it (No such file or directory)"]


def test_every_kind_of_damage_at_once_still_loads_the_good_article(corpus: Path) -> None:
    (corpus / "binary.md").write_bytes(b"\x00\x01\x02\x03")
    (corpus / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "front.md").write_text("---\ntitle: [broken\n---\nbody")
    (corpus / "lines.jsonl").write_text('{"title": "ok", "text": "fine line"}\n{broken\n')
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)
    ids, warnings = load(corpus)
    assert ids == ["good", "lines/1"]
    named = {w.split(":")[0].removeprefix("skipped ") for w in warnings}
    assert named == {"binary.md", "latin1.txt", "empty.md", "front.md", "lines.jsonl", "loop/"}
    assert len(warnings) == 6

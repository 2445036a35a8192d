"""A disk write that fails while the index is saved: a warning, the saved index untouched,
and questions still answered."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import resource
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import run_citebot

from bot import atomic, incremental
from bot.answer import Engine
from bot.index import _format
from bot.live import LiveEngine
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
#: Bytes any one file may grow to in the child: the corpus reads fine, the index's
#: largest array (its document ids, about 13 kB for the bundled corpus) cannot be written.
FILE_SIZE_LIMIT = 12_000


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) with a digest of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def add_article(corpus: Path) -> None:
    (corpus / "okapi-note.md").write_text(
        "---\ntitle: Okapi note\n---\n\nThe okapi is a giraffid that lives in the Ituri forest.\n"
    )


def small_files_only() -> None:
    """In the child: writes past FILE_SIZE_LIMIT fail with EFBIG instead of killing it."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_disk_refusing_the_index_write_warns_keeps_the_old_index_and_answers(tmp_path: Path):
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    run_citebot("index", cwd=tmp_path, env=env, check=True)
    saved = tmp_path / ".citebot" / "index"
    before = snapshot(saved)
    add_article(tmp_path / "corpus")
    # No saved library to read the new file beside: the index is built in full and saved.
    shutil.rmtree(tmp_path / ".citebot" / "library")

    run = run_citebot(
        "ask",
        "Where does the okapi live?",
        cwd=tmp_path,
        env=env,
        timeout=60,
        preexec_fn=small_files_only,
    )

    assert run.returncode == 0, run.stderr
    assert "Ituri forest" in run.stdout  # answered from the index built in memory
    (warning,) = [line for line in run.stderr.splitlines() if "could not save the index" in line]
    assert ".citebot/index" in warning  # names where, and why (numpy's short-write message)
    assert snapshot(saved) == before  # the old index, byte for byte, and no half-written files


@pytest.mark.parametrize("failing", ["write", "rename"])
async def test_reload_whose_index_save_fails_logs_a_warning_and_keeps_answering(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failing: str,
):
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    live = LiveEngine(settings, Engine.open(settings))
    saved = tmp_path / "data" / "index"
    before = snapshot(saved)
    add_article(tmp_path / "corpus")
    monkeypatch.setattr(incremental, "GROWTH_FLOOR", 0)  # any change is built in full
    monkeypatch.setattr(incremental, "GROWTH_LIMIT", 0.0)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "write":
        monkeypatch.setattr(_format.np, "save", disk_full)
    else:
        monkeypatch.setattr(atomic.os, "rename", disk_full)
    with caplog.at_level(logging.WARNING, logger="bot.live"):
        result = await live.reload()
    monkeypatch.undo()

    assert result.ok
    assert any(
        "could not save the index" in r.getMessage() and "No space left" in r.getMessage()
        for r in caplog.records
    )
    assert snapshot(saved) == before  # nothing half-written beside the old index
    answer = live.engine.answer("Where does the okapi live?")
    assert answer.found and "Ituri" in answer.results[0].excerpt


@contextlib.contextmanager
def disk_full_past(size: int) -> Iterator[None]:
    """In this process, while inside: writes past `size` bytes of a file fail with EFBIG,
    as on a full disk (the limit and SIGXFSZ's handler are put back after)."""
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, limits[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)


async def test_a_full_build_whose_save_failed_is_not_built_again_until_the_corpus_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The library saved first stays beside the engine built after it, whose own save
    # failed: a reload must not read that older library as a newer full build, and build
    # everything again (and fail to save again) at every watcher event.
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    corpus = tmp_path / "corpus"
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    live = LiveEngine(settings)
    await live.open()
    add_article(corpus)
    (corpus / "synonyms.txt").write_text("okapi, forest giraffe\n")  # read again in full

    with caplog.at_level(logging.WARNING, logger="bot.live"), disk_full_past(FILE_SIZE_LIMIT):
        built = await live.reload(only_if_changed=True)
        engine = live.engine
        again = await live.reload(only_if_changed=True)  # the watcher's event, nothing changed
        kept = live.engine is engine
    (corpus / "zebra-note.md").write_text(
        "# Zebra note\n\nThe zebra has black and white stripes.\n"
    )
    with caplog.at_level(logging.WARNING, logger="bot.live"), disk_full_past(FILE_SIZE_LIMIT):
        grown = await live.reload(only_if_changed=True)

    assert built.ok and again.ok and grown.ok
    failures = [r for r in caplog.records if "could not save the index" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in failures]  # said once, built once
    assert kept, "built in full again with no file changed"
    assert live.engine is not engine  # the change is read beside the engine built in full
    assert "Ituri" in live.engine.answer("Where does the okapi live?").results[0].excerpt
    assert "stripes" in live.engine.answer("What stripes does a zebra have?").results[0].excerpt

"""The corpus watcher keeps working when inotify cannot be had: it polls, and says so once."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest
import watchfiles.main
from support import watch_until_indexed, write_until_seen
from watchfiles._rust_notify import WatchfilesRustInternalError

from bot.live import LiveEngine
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


@pytest.fixture
def no_inotify(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """inotify fails as when the user's instances are used up; polling works for real."""
    monkeypatch.delenv("WATCHFILES_FORCE_POLLING", raising=False)
    real = watchfiles.main.RustNotify
    asked: list[bool] = []

    def rust_notify(paths, debug, force_polling, *args):  # type: ignore[no-untyped-def]
        asked.append(force_polling)
        if not force_polling:
            raise WatchfilesRustInternalError(
                "Error creating recommended watcher: Too many open files (os error 24)"
            )
        return real(paths, debug, force_polling, *args)

    monkeypatch.setattr(watchfiles.main, "RustNotify", rust_notify)
    return asked


async def test_the_bots_watcher_falls_back_to_polling_with_one_warning(
    settings: Settings, no_inotify: list[bool], caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveEngine(settings)
    await live.reload()
    with caplog.at_level(logging.WARNING, logger="bot.live"):
        watcher = live.watch_in_thread(asyncio.get_running_loop(), debounce_ms=100)
        try:
            assert await write_until_seen(
                settings.corpus_dir / "okapi.md",
                "# Okapis\n\nThe okapi is a giraffid from the Congo.",
                lambda: live.engine.article("okapi") is not None,
            )
            assert watcher.running
        finally:
            await asyncio.to_thread(watcher.stop)
    assert no_inotify[:2] == [False, True]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Too many open files" in warnings[0] and "polling" in warnings[0]


async def test_the_async_watcher_falls_back_to_polling(
    settings: Settings, no_inotify: list[bool]
) -> None:
    live = LiveEngine(settings)
    await live.reload()
    tapir = "# Tapirs\n\nTapirs have short trunks."
    assert await watch_until_indexed(live, settings.corpus_dir / "tapir.md", tapir, "tapir")

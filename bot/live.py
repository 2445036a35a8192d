"""The engine a running bot answers from, rebuilt in the background and swapped whole.

An `Engine` never changes once built, so a reload builds a new one in a worker
thread and replaces the reference in one assignment: questions already running
finish on the engine they started with, new ones get the new engine, and a
rebuild that fails leaves the old engine in place.

A reload reads only the files changed since the library was last built in full
(`bot.incremental`): an added article answers within a second or two at a million
passages. Once the changes pass `incremental.MERGE_SHARE` of the library, a child
process builds it in full at a low priority (the merge), and the engine it saved is
swapped in the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import incremental
from bot.answer import Engine
from bot.corpus import corpus_signature
from bot.errors import CitebotError, StillLoading
from bot.library import Libraries
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    articles: int
    passages: int
    seconds: float
    error: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


class LiveEngine:
    """The one holder of the current engine; `reload()` swaps in a fresh one or keeps the old.

    Everything that answers (the bot, its asker, its cogs) asks this object for
    `engine` at the moment it needs one, and keeps no copy.
    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._lock = asyncio.Lock()
        # The corpus files as they were when the current engine was built.
        self._built_from: tuple[tuple[str, int, int], ...] | None = None
        # The key of the library saved in full when the current engine was made: one this
        # process acted on already. When the engine's own save failed (a full disk), the
        # older library saved before stays; it is no reason to build everything again.
        self._saved_beside: str | None = None
        #: Awaited after a rebuild this process started, to tell the others (shared store).
        self.on_rebuilt: Callable[[], Awaitable[None]] | None = None
        #: Each server's own articles, searched beside the current engine's.
        self.libraries = Libraries(settings)
        self._merge: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def engine(self) -> Engine:
        """The engine to answer from now; StillLoading before the first one is built."""
        if self._engine is None:
            raise StillLoading()
        return self._engine

    @property
    def loaded(self) -> bool:
        """Whether an engine is ready (a bot builds its first one in `setup_hook`)."""
        return self._engine is not None

    async def open(self) -> Engine:
        """Build the first engine off the event loop; unlike `reload`, a failure is raised."""
        async with self._lock:
            if self._engine is None:
                signature = await asyncio.to_thread(
                    corpus_signature, self.settings.corpus_dir, self.settings.corpus_extra_roots
                )
                saved = await asyncio.to_thread(incremental.saved_key, self.settings)
                self._engine = await asyncio.to_thread(
                    _open_ready, self.settings, on_warning=log.warning
                )
                self._built_from, self._saved_beside = signature, saved
            return self._engine

    async def reload(self, *, only_if_changed: bool = False, announce: bool = True) -> ReloadResult:
        """Rebuild from the corpus folder off the event loop; one rebuild at a time.

        With `only_if_changed`, nothing is rebuilt when no file changed since the current
        engine was built: the watcher's event for a file that `/citebot add` already
        indexed costs a folder listing, not a second rebuild. A rebuild is announced to
        the other processes (`on_rebuilt`) unless it answers their announcement.
        """
        result, rebuilt = await self._reload(only_if_changed)
        if rebuilt and announce:
            await self._announce()
        return result

    async def _announce(self) -> None:
        """Tell the other processes (`on_rebuilt`) that this one rebuilt its index."""
        if self.on_rebuilt is None:
            return
        try:
            await self.on_rebuilt()
        except Exception as exc:  # noqa: BLE001 - the others still catch up on their next change
            log.warning("could not tell the other processes about the reload: %s", exc)

    async def _reload(
        self, only_if_changed: bool, *, from_saved: bool = False
    ) -> tuple[ReloadResult, bool]:
        """The reload itself; `from_saved` opens the library a merge saved instead of
        bringing the current one up to date, as does a full build another process saved
        (its merge, `citebot index`) since the current one's base."""
        rebuilt = False
        async with self._lock:
            started = time.perf_counter()
            signature = await asyncio.to_thread(
                corpus_signature, self.settings.corpus_dir, self.settings.corpus_extra_roots
            )
            current = self._engine
            saved = await asyncio.to_thread(incremental.saved_key, self.settings)
            if not from_saved and saved != self._saved_beside:
                from_saved = await asyncio.to_thread(
                    incremental.newer_base_saved, current, self.settings, saved
                )
            if (
                only_if_changed
                and not from_saved
                and current is not None
                and signature == self._built_from
            ):
                unchanged = ReloadResult(
                    ok=True,
                    articles=len(current.articles),
                    passages=current.passage_count,
                    seconds=time.perf_counter() - started,
                )
                return unchanged, False
            warnings: list[str] = []
            try:
                engine = await asyncio.to_thread(
                    _renewed,
                    None if from_saved else current,
                    self.settings,
                    signature,
                    warnings.append,
                )
            except Exception as exc:  # noqa: BLE001 - any failure keeps the old engine
                reason = (
                    str(exc) if isinstance(exc, CitebotError) else f"{type(exc).__name__}: {exc}"
                )
                log.warning("reload failed, keeping the previous index: %s", reason)
                result = ReloadResult(
                    ok=False,
                    articles=len(current.articles) if current else 0,
                    passages=current.passage_count if current else 0,
                    seconds=time.perf_counter() - started,
                    error=reason,
                    warnings=tuple(warnings),
                )
            else:
                self._engine = engine
                self._built_from, self._saved_beside = signature, saved
                rebuilt = True
                result = ReloadResult(
                    ok=True,
                    articles=len(engine.articles),
                    passages=engine.passage_count,
                    seconds=time.perf_counter() - started,
                    warnings=tuple(warnings),
                )
                for message in warnings:
                    log.warning("%s", message)
                log.info(
                    "index ready: %d articles, %d passages in %.2f s",
                    result.articles,
                    result.passages,
                    result.seconds,
                )
                self._merge_if_due(engine)
        return result, rebuilt

    def _merge_if_due(self, engine: Engine) -> None:
        """Start the merge once the changes since the last full build pass their share."""
        base = engine.base
        changed = incremental.changed_passages(engine)
        if self._closed or base is None or not changed:
            return
        if changed <= max(incremental.MERGE_FLOOR, incremental.MERGE_SHARE * base.index.n_docs):
            return
        if self._merge is None or self._merge.done():
            self._merge = asyncio.get_running_loop().create_task(self._merged())

    async def _merged(self) -> None:
        """Build the library in full in a child process (it saves it), then swap it in."""
        command, env = incremental.merge_command()
        started = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, errors = await child.communicate(incremental.merge_job(self.settings))
        except asyncio.CancelledError:  # shutting down: the saved index stays as it was
            if child.returncode is None:
                child.kill()
                await child.wait()
            raise
        if child.returncode == incremental.MERGE_BUSY:
            log.info(
                "another process is building the library in full; its index is loaded "
                "at the next reload"
            )
            return
        if child.returncode != 0:
            log.warning(
                "the merge of the changed articles failed (%s); they are still searched "
                "beside the index",
                " ".join(errors.decode(errors="replace").strip().splitlines()[-1:])
                or f"exit status {child.returncode}",
            )
            return
        log.info("merged the changes in %.1f s; loading the index", time.perf_counter() - started)
        _, rebuilt = await self._reload(only_if_changed=False, from_saved=True)
        if rebuilt:
            await self._announce()  # processes sharing the data folder load it too

    async def merging(self) -> None:
        """Wait for a merge under way to end (tests, benchmarks)."""
        if self._merge is not None:
            await asyncio.gather(self._merge, return_exceptions=True)

    async def close(self) -> None:
        """Stop a merge under way: its child process is ended, the saved index stays valid."""
        self._closed = True
        if self._merge is not None:
            self._merge.cancel()
            await self.merging()

    async def watch(self, *, debounce_ms: int = 1500, stop: asyncio.Event | None = None) -> None:
        """Reload whenever files in the corpus folder change (watchfiles, debounced).

        Without inotify (the user's instances used up, an unsupported file system) it
        polls the folder instead, after one warning.
        """
        from watchfiles import awatch

        folder = Path(self.settings.corpus_dir)
        folder.mkdir(parents=True, exist_ok=True)
        force_polling: bool | None = None
        while True:
            try:
                async for changes in awatch(
                    folder,
                    debounce=debounce_ms,
                    watch_filter=_visible_in(folder.resolve()),
                    stop_event=stop,
                    recursive=True,
                    force_polling=force_polling,
                    poll_delay_ms=POLL_DELAY_MS,
                ):
                    log.info("corpus changed (%d files); rebuilding the index", len(changes))
                    await self.reload(only_if_changed=True)
                return
            except Exception as exc:
                if force_polling or not isinstance(exc, _watch_errors()):
                    raise
                _warn_polling(folder, exc)
                force_polling = True

    def watch_in_thread(
        self, loop: asyncio.AbstractEventLoop, *, debounce_ms: int = 1500
    ) -> CorpusWatcher:
        """The same watcher on a thread of its own; reloads still run on `loop`, one at a time.

        A bot uses this: the wait for file events stays off the event loop entirely, and
        `CorpusWatcher.stop()` ends it within a fraction of a second at shutdown.
        """
        watcher = CorpusWatcher(self, loop, debounce_ms=debounce_ms)
        watcher.start()
        return watcher


#: How often the folder is listed when it must be polled (no inotify).
POLL_DELAY_MS = 500


def _watch_errors() -> tuple[type[BaseException], ...]:
    """What watchfiles raises when it cannot set up inotify ("Too many open files", ...)."""
    from watchfiles._rust_notify import WatchfilesRustInternalError

    return (WatchfilesRustInternalError, OSError)


def _warn_polling(folder: Path, error: BaseException) -> None:
    log.warning(
        "cannot watch %s for changes (%s); polling it every %.1f s instead",
        folder,
        error,
        POLL_DELAY_MS / 1000,
    )


def _visible_in(root: Path) -> Callable[[object, str], bool]:
    def visible(change: object, path: str) -> bool:
        # Hidden and temporary files (ours are written as .tmp-*) do not trigger a reload.
        try:
            parts = Path(path).resolve().relative_to(root).parts
        except ValueError:
            return False
        return not any(part.startswith(".") for part in parts)

    return visible


class CorpusWatcher:
    """Watches the corpus folder on a daemon thread and asks the loop for a reload per change."""

    def __init__(
        self, live: LiveEngine, loop: asyncio.AbstractEventLoop, *, debounce_ms: int
    ) -> None:
        self.live = live
        self.loop = loop
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="citebot-corpus-watcher", daemon=True
        )

    def start(self) -> None:
        """Start watching; returns once the thread is ready."""
        self._thread.start()
        self._ready.wait(5)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and wait (up to `timeout` s) for the thread to end."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether the watcher thread is still alive."""
        return self._thread.is_alive()

    def _run(self) -> None:
        folder = Path(self.live.settings.corpus_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self._ready.set()
        force_polling: bool | None = None
        while not self._stop.is_set():
            try:
                self._watch(folder, force_polling)
                return
            except Exception as exc:
                if force_polling or not isinstance(exc, _watch_errors()):
                    log.exception("the corpus watcher stopped")
                    return
                _warn_polling(folder, exc)
                force_polling = True

    def _watch(self, folder: Path, force_polling: bool | None) -> None:
        from watchfiles import watch

        for changes in watch(
            folder,
            debounce=self.debounce_ms,
            watch_filter=_visible_in(folder.resolve()),
            stop_event=self._stop,
            recursive=True,
            rust_timeout=500,
            yield_on_timeout=False,
            raise_interrupt=False,
            force_polling=force_polling,
            poll_delay_ms=POLL_DELAY_MS,
        ):
            if self._stop.is_set():
                break
            log.info("corpus changed (%d files); rebuilding the index", len(changes))
            reload = self.live.reload(only_if_changed=True)
            try:
                future = asyncio.run_coroutine_threadsafe(reload, self.loop)
            except RuntimeError:  # the loop is closed: the bot is shutting down
                reload.close()  # never scheduled: closed, so no "never awaited" warning
                break
            while not self._stop.is_set():
                try:
                    future.result(timeout=0.2)
                except concurrent.futures.TimeoutError:
                    continue
                except Exception:
                    log.exception("reload after a corpus change failed")
                break
            else:
                future.cancel()


def _open_ready(settings: Settings, *, on_warning: Callable[[str], None]) -> Engine:
    """An engine with everything the first question needs built (blocking)."""
    engine = Engine.open(settings, on_warning=on_warning)
    engine.prepare()
    return engine


def _renewed(
    current: Engine | None,
    settings: Settings,
    files: tuple[tuple[str, int, int], ...],
    on_warning: Callable[[str], None],
) -> Engine:
    """The current engine brought up to `files` when it can be, else opened anew (blocking)."""
    if current is not None:
        grown = incremental.grow(current, settings, files, on_warning=on_warning)
        if grown is not None:
            grown.prepare()
            return grown
    return _open_ready(settings, on_warning=on_warning)

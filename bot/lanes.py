"""Where searches run: in turns on one thread, with another lane opening when a turn runs long.

Searches are CPU-bound Python that holds the GIL. Running several side by side on 2 cores
gains nothing and makes the event loop wait for the GIL behind each of them (at 1M
passages, 50 questions at once stalled the loop 92-164 ms with the default pool and
19-29 ms with one thread; RELIABILITY.md, "Load"). But one thread alone lets a single slow
search (a question touching a huge passage) hold every question queued behind it. So a
search starts only when no other search has been running for less than `patience`
seconds: in a burst of quick searches they take turns on one thread as before; once the
running search has taken longer than `patience`, the next one starts on another lane
(at most `lanes` at once), so a slow question holds the others for `patience` at most.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")

#: Seconds a search runs before the next one may start beside it.
PATIENCE = 0.25
#: Searches that may run at once when every one of them is slow.
LANES = 3


class SearchLanes(Executor):
    """An executor that runs one search at a time unless the running ones are slow."""

    def __init__(
        self, *, lanes: int = LANES, patience: float = PATIENCE, name: str = "citebot-search"
    ) -> None:
        if lanes < 1:
            raise ValueError("lanes must be at least 1")
        self._lanes = lanes
        self._patience = patience
        self._name = name
        self._cv = threading.Condition()
        self._queue: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._busy_since: dict[int, float] = {}  # lane -> when its current search started
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Queue `fn(*args, **kwargs)`; a lane is started when none is free and one may be."""
        future: Future[T] = Future()
        with self._cv:
            if self._closed:
                raise RuntimeError("cannot schedule a search after shutdown")
            self._queue.append((future, lambda: fn(*args, **kwargs)))
            idle = len(self._threads) - len(self._busy_since)
            if idle < 1 and len(self._threads) < self._lanes:
                lane = len(self._threads)
                thread = threading.Thread(
                    target=self._run, args=(lane,), name=f"{self._name}-{lane}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._cv.notify_all()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more searches; the queued ones still run unless `cancel_futures`."""
        with self._cv:
            self._closed = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[0].cancel()
            self._cv.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()

    def _wait_before_start(self, now: float) -> float:
        """0 when a search may start now, else seconds until the youngest running one is slow."""
        if not self._busy_since:
            return 0.0
        return max(0.0, max(self._busy_since.values()) + self._patience - now)

    def _run(self, lane: int) -> None:
        while True:
            with self._cv:
                while True:
                    if not self._queue:
                        if self._closed:
                            return
                        self._cv.wait()
                        continue
                    wait = self._wait_before_start(time.monotonic())
                    if wait <= 0:
                        break
                    self._cv.wait(wait)
                future, call = self._queue.popleft()
                self._busy_since[lane] = time.monotonic()
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = call()
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                # Drop the finished search before waiting for the next one: a lane that
                # waits long must not keep an old engine (a reloaded library) alive.
                del future, call
                result = None
                with self._cv:
                    del self._busy_since[lane]
                    self._cv.notify_all()

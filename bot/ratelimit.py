"""Per-user question limit shared by every way of asking (slash, DM, mention, menu)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class QuestionLimiter:
    """At most `rate` questions per `per` seconds for each user (a sliding window).

    The clock is read through `time.monotonic` at call time unless one is given,
    so a test that controls the monotonic clock controls the limit too.
    """

    def __init__(self, rate: int, per: float, clock: Callable[[], float] | None = None) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    def hit(self, user_id: int) -> float:
        """Count a question; returns 0 when allowed, else the seconds until it would be."""
        now = self._now()
        window = self._asked.setdefault(user_id, deque())
        while window and window[0] <= now - self.per:
            window.popleft()
        if len(window) >= self.rate:
            return window[0] + self.per - now
        window.append(now)
        if len(self._asked) > 10_000:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        idle = [user for user, w in self._asked.items() if not w or w[-1] <= now - self.per]
        for user in idle:
            del self._asked[user]

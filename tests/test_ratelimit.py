"""The per-user question limit: a sliding window, the same for every way of asking."""

from __future__ import annotations

from bot.ratelimit import QuestionLimiter


def test_limiter_allows_rate_per_window_and_says_when_to_retry():
    now = [0.0]
    limiter = QuestionLimiter(rate=2, per=60, clock=lambda: now[0])

    assert limiter.hit(1) == 0 and limiter.hit(1) == 0
    assert limiter.hit(1) == 60
    assert limiter.hit(2) == 0  # per user
    now[0] = 45.0
    assert limiter.hit(1) == 15
    now[0] = 60.0
    assert limiter.hit(1) == 0


def test_window_slides_so_a_steady_asker_is_never_stopped():
    now = [0.0]
    limiter = QuestionLimiter(rate=3, per=10, clock=lambda: now[0])

    for moment in (0.0, 4.0, 8.0):
        now[0] = moment
        assert limiter.hit(1) == 0
    now[0] = 9.0
    assert limiter.hit(1) == 1.0  # the question at 0 s leaves the window at 10 s
    for moment in (10.0, 14.0, 18.0, 22.0):
        now[0] = moment
        assert limiter.hit(1) == 0  # one question every 4 s stays within 3 per 10 s


def test_a_refused_question_does_not_count_against_the_user():
    now = [0.0]
    limiter = QuestionLimiter(rate=1, per=60, clock=lambda: now[0])

    assert limiter.hit(1) == 0
    now[0] = 30.0
    assert limiter.hit(1) == 30.0
    assert limiter.hit(1) == 30.0  # asking again while refused does not push the wait back
    now[0] = 60.0
    assert limiter.hit(1) == 0

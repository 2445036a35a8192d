"""Stats and unanswered questions computed from the question log: numbers checked by hand."""

from __future__ import annotations

from bot.insight import compute_stats, compute_unanswered, percentile, question_key
from bot.store import DAY, LoggedQuestion

NOW = 1_800_000_000.0


def q(
    age_days: float,
    text: str = "who?",
    *,
    found: bool = True,
    top: str | None = None,
    ms: float = 10.0,
    up: int = 0,
    down: int = 0,
    guild: int | None = 1,
) -> LoggedQuestion:
    return LoggedQuestion(
        asked_at=NOW - age_days * DAY,
        guild_id=guild,
        question=text,
        found=found,
        top_article=top if found else None,
        reply_ms=ms,
        up=up,
        down=down,
    )


def test_percentile_is_the_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([30.0, 10.0, 20.0], 0.5) == 20.0
    assert percentile([float(n) for n in range(1, 101)], 0.99) == 99.0
    assert percentile([float(n) for n in range(1, 11)], 0.99) == 10.0
    assert percentile([5.0], 0.99) == 5.0


def test_stats_count_windows_found_rate_reply_times_citations_and_feedback():
    log = [
        q(0.1, top="a", ms=10, up=2),
        q(0.5, top="a", ms=20, down=1),
        q(2, top="b", ms=30, up=1),
        q(3, found=False, ms=40),
        q(10, top="b", ms=50),
        q(40, top="a", ms=1000),
    ]

    stats = compute_stats(log, now=NOW, articles=9, passages=114, retention_days=90)

    assert (stats.questions_day, stats.questions_week, stats.questions_all) == (2, 4, 6)
    assert stats.found == 5 and stats.found_rate == 5 / 6
    assert stats.p50_ms == 30 and stats.p99_ms == 1000
    assert stats.most_cited == (("a", 3), ("b", 2))
    assert (stats.up, stats.down) == (3, 1) and stats.helpful_rate == 0.75
    assert (stats.articles, stats.passages) == (9, 114)


def test_stats_of_an_empty_log_have_no_rates():
    stats = compute_stats([], now=NOW, articles=1, passages=2, retention_days=90)

    assert stats.found_rate is None and stats.helpful_rate is None and stats.p50_ms is None


def test_unanswered_are_not_found_or_voted_down_grouped_by_question_within_the_days():
    log = [
        q(20, "Lasagna recipe?", found=False),  # too old for 7 days
        q(5, "lasagna recipe", found=False),
        q(4, "Who won?", up=1, down=1),  # voted down once: counts
        q(3, "who founded DeepSeek?", up=1),  # answered and liked: not unanswered
        q(2, "  LASAGNA   recipe!", found=False),
        q(1, "GPU price?", found=False),
    ]

    report = compute_unanswered(log, now=NOW, days=7)

    assert report.total == 4
    assert [(a.question, a.times) for a in report.most_frequent] == [
        ("  LASAGNA   recipe!", 2),
        ("GPU price?", 1),
        ("Who won?", 1),
    ]
    assert [a.question for a in report.most_recent] == [
        "GPU price?",
        "  LASAGNA   recipe!",
        "Who won?",
    ]
    assert compute_unanswered(log, now=NOW, days=30).most_frequent[0].times == 3


def test_question_key_ignores_case_spacing_and_final_punctuation():
    assert question_key("  Who  founded DeepSeek?? ") == question_key("who founded deepseek")

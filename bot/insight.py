"""What members ask and what the articles fail to answer: numbers from the question log.

Pure functions over `LoggedQuestion` rows, so `/citebot stats`, `citebot stats` and the
tests compute the same numbers the same way.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.store import DAY, LoggedQuestion, Store

MOST_CITED = 5
UNANSWERED_SHOWN = 10


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int
    questions_day: int
    questions_week: int
    questions_all: int
    found: int
    p50_ms: float | None
    p99_ms: float | None
    #: (article id, answers it topped), most first.
    most_cited: tuple[tuple[str, int], ...]
    up: int
    down: int
    retention_days: int

    @property
    def found_rate(self) -> float | None:
        """Share of questions answered, None before any."""
        return self.found / self.questions_all if self.questions_all else None

    @property
    def helpful_rate(self) -> float | None:
        """Share of votes that were 👍, None before any."""
        votes = self.up + self.down
        return self.up / votes if votes else None


@dataclass(frozen=True)
class AskedOften:
    question: str  # as most recently asked
    times: int
    last_asked: float


@dataclass(frozen=True)
class Unanswered:
    days: int
    total: int
    most_frequent: tuple[AskedOften, ...]
    most_recent: tuple[AskedOften, ...]
    #: Unanswered questions asked privately (the `private` option, DMs): counted in `total`,
    #: never listed.
    private: int = 0


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `share` of them at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def compute_stats(
    questions: Sequence[LoggedQuestion],
    *,
    now: float,
    articles: int,
    passages: int,
    retention_days: int,
) -> Stats:
    """The numbers behind `/citebot stats` for the questions given (already scoped and pruned)."""
    replies = [q.reply_ms for q in questions]
    cited = Counter(q.top_article for q in questions if q.found and q.top_article)
    return Stats(
        articles=articles,
        passages=passages,
        questions_day=sum(1 for q in questions if q.asked_at >= now - DAY),
        questions_week=sum(1 for q in questions if q.asked_at >= now - 7 * DAY),
        questions_all=len(questions),
        found=sum(1 for q in questions if q.found),
        p50_ms=percentile(replies, 0.50),
        p99_ms=percentile(replies, 0.99),
        most_cited=tuple(sorted(cited.items(), key=lambda item: (-item[1], item[0]))[:MOST_CITED]),
        up=sum(q.up for q in questions),
        down=sum(q.down for q in questions),
        retention_days=retention_days,
    )


def is_unanswered(question: LoggedQuestion) -> bool:
    """Answered "not found", or someone said the answer did not help."""
    return not question.found or question.down > 0


def question_key(text: str) -> str:
    """Questions that differ only in case, spacing or final punctuation count as one."""
    return re.sub(r"[\s?!.。？！]+$", "", " ".join(text.casefold().split()))


def compute_unanswered(
    questions: Sequence[LoggedQuestion],
    *,
    now: float,
    days: int,
    limit: int = UNANSWERED_SHOWN,
) -> Unanswered:
    """The most frequent and the most recent unanswered questions of the last `days` days."""
    missed = [q for q in questions if q.asked_at >= now - days * DAY and is_unanswered(q)]
    groups: dict[str, list[LoggedQuestion]] = {}
    for q in missed:
        if q.private:
            continue  # counted only: asked where only the asker sees the answer
        groups.setdefault(question_key(q.question), []).append(q)
    asked = [
        AskedOften(
            question=max(group, key=lambda q: q.asked_at).question,
            times=len(group),
            last_asked=max(q.asked_at for q in group),
        )
        for group in groups.values()
    ]
    return Unanswered(
        days=days,
        total=len(missed),
        most_frequent=tuple(sorted(asked, key=lambda a: (-a.times, -a.last_asked))[:limit]),
        most_recent=tuple(sorted(asked, key=lambda a: -a.last_asked)[:limit]),
        private=sum(q.private for q in missed),
    )


def stats_from_log(
    store: Store,
    *,
    articles: int,
    passages: int,
    retention_days: int,
    guild_id: int | None,
    now: float | None = None,
) -> Stats:
    """Stats over the retained log of one server (None: all); blocking, read off the loop."""
    now = time.time() if now is None else now
    rows = store.questions(since=now - retention_days * DAY, guild_id=guild_id)
    return compute_stats(
        rows, now=now, articles=articles, passages=passages, retention_days=retention_days
    )


def unanswered_from_log(
    store: Store, *, days: int, guild_id: int | None, now: float | None = None
) -> Unanswered:
    """The unanswered report of the last `days` days of one server (None: all); blocking."""
    now = time.time() if now is None else now
    rows = store.questions(since=now - days * DAY, guild_id=guild_id)
    return compute_unanswered(rows, now=now, days=days)


# --- plain text, for the terminal --------------------------------------------------------------


def percent(rate: float | None) -> str:
    """A rate as a whole percentage, or a dash when there is nothing to count."""
    return "–" if rate is None else f"{rate:.0%}"


def milliseconds(value: float | None) -> str:
    """A duration in whole milliseconds, or a dash when nothing was measured."""
    return "–" if value is None else f"{value:,.0f} ms"


def format_stats(stats: Stats, title: Callable[[str], str] = lambda article_id: article_id) -> str:
    """`citebot stats` as plain text; `title` names a cited article."""
    lines = [
        f"articles        {stats.articles:,} ({stats.passages:,} passages)",
        f"questions       {stats.questions_day:,} in 24 h · {stats.questions_week:,} in 7 days · "
        f"{stats.questions_all:,} in all (the log keeps {stats.retention_days} days)",
        f"found           {percent(stats.found_rate)} ({stats.found:,} of {stats.questions_all:,})",
        f"reply time      p50 {milliseconds(stats.p50_ms)} · p99 {milliseconds(stats.p99_ms)}",
        f"feedback        {stats.up:,} 👍 · {stats.down:,} 👎 "
        f"({percent(stats.helpful_rate)} helpful)",
        "most cited" + ("      –" if not stats.most_cited else ""),
    ]
    lines += [f"  {count:>5,}  {title(article_id)}" for article_id, count in stats.most_cited]
    return "\n".join(lines)


def format_unanswered(report: Unanswered) -> str:
    """`citebot unanswered` as plain text; private questions are counted, never shown."""
    if not report.total:
        return f"No unanswered questions in the last {report.days} days."
    lines = [f"{report.total:,} unanswered in the last {report.days} days"]
    if report.private:
        lines[0] += f", {report.private:,} asked privately (not shown)"
    lines += ["", "most frequent"]
    lines += [f"  {a.times:>4,}×  {one_line(a.question)}" for a in report.most_frequent]
    lines += ["", "most recent"]
    lines += [f"  {_when(a.last_asked)}  {one_line(a.question)}" for a in report.most_recent]
    return "\n".join(lines)


def one_line(text: str) -> str:
    """`text` with every run of white space (line breaks too) as one space."""
    return " ".join(text.split())


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))

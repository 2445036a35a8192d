"""Naming an article: its id, its title, part of either, or a near miss ("did you mean").

Shared by `/article`, the `article:` option and `citebot ask --article`. An exact id
always wins; then an exact title; then the one article whose title or id contains what
was typed; then a fuzzy match (rapidfuzz), used only when it is confident and clearly
ahead of the next one, and otherwise offered as suggestions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.corpus import Article

#: A near miss scoring this (of 100) or more, and `MARGIN` ahead of the next, is used.
CONFIDENT = 85.0
MARGIN = 10.0
#: Near misses scoring this or more are suggested.
SUGGEST = 60.0
SUGGESTIONS = 3


@dataclass(frozen=True)
class ArticleMatch:
    """What a typed name resolved to."""

    #: The article meant, or None when it is unknown or ambiguous.
    article: Article | None
    #: True when `article` is a near miss of what was typed: say which article was used.
    guessed: bool = False
    #: The closest articles, best first, when none was picked.
    suggestions: tuple[Article, ...] = ()
    #: True when several articles contain what was typed (rather than none).
    ambiguous: bool = False


def match_article(
    articles: Sequence[Article],
    text: str,
    *,
    by_id: Callable[[str], Article | None] | None = None,
) -> ArticleMatch:
    """The article `text` names: an exact id, an exact title, the one containing it, or a
    confident near miss; otherwise up to three suggestions."""
    text = " ".join(text.split())
    exact = (
        by_id(text)
        if by_id is not None
        else next((a for a in articles if a.article_id == text), None)
    )
    if exact is not None:
        return ArticleMatch(exact)
    if not text:
        return ArticleMatch(None)
    needle = text.casefold()
    same = [a for a in articles if needle in (_title(a).casefold(), a.article_id.casefold())]
    if len(same) == 1:
        return ArticleMatch(same[0])
    containing = same or [
        a for a in articles if needle in _title(a).casefold() or needle in a.article_id.casefold()
    ]
    if len(containing) == 1:
        return ArticleMatch(containing[0])
    if containing:
        return ArticleMatch(None, suggestions=closest(containing, text, 0.0), ambiguous=True)
    return _near_miss(articles, text)


def closest(
    articles: Sequence[Article], text: str, cutoff: float = SUGGEST, limit: int = SUGGESTIONS
) -> tuple[Article, ...]:
    """The articles whose title or id is most like `text`, best first, scoring `cutoff` or more."""
    return tuple(article for article, _ in _scored(articles, text, cutoff)[:limit])


def _near_miss(articles: Sequence[Article], text: str) -> ArticleMatch:
    scored = _scored(articles, text, SUGGEST)
    if not scored:
        return ArticleMatch(None)
    best, score = scored[0]
    runner_up = scored[1][1] if len(scored) > 1 else 0.0
    if score >= CONFIDENT and score - runner_up >= MARGIN:
        return ArticleMatch(best, guessed=True)
    return ArticleMatch(None, suggestions=tuple(a for a, _ in scored[:SUGGESTIONS]))


def _scored(articles: Sequence[Article], text: str, cutoff: float) -> list[tuple[Article, float]]:
    """Each article with its better score (title or id) against `text`, best first."""
    query = utils.default_process(text)
    if not query:
        return []
    best: dict[int, float] = {}
    for names in ([_title(a) for a in articles], [a.article_id for a in articles]):
        for _, score, index in process.extract(
            text,
            names,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=cutoff,
            limit=None,
        ):
            best[index] = max(score, best.get(index, 0.0))
    ranked = sorted(best.items(), key=lambda item: (-item[1], _title(articles[item[0]])))
    return [(articles[index], score) for index, score in ranked]


def _title(article: Article) -> str:
    return " ".join(article.title.split()) or article.article_id

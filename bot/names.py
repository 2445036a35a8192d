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

from bot.corpus import Article, Corpus

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
    library: Corpus | Sequence[Article],
    text: str,
    *,
    by_id: Callable[[str], Article | None] | None = None,
) -> ArticleMatch:
    """The article `text` names: an exact id, an exact title, the one containing it, or a
    confident near miss; otherwise up to three suggestions. A corpus is read by its titles
    and ids, so a saved library makes only the articles returned."""
    names = _Names(library)
    text = " ".join(text.split())
    exact = by_id(text) if by_id is not None else names.article_with_id(text)
    if exact is not None:
        return ArticleMatch(exact)
    if not text:
        return ArticleMatch(None)
    needle = text.casefold()
    titles = [title.casefold() for title in names.titles]
    ids = [article_id.casefold() for article_id in names.ids]
    same = [n for n, (t, i) in enumerate(zip(titles, ids, strict=True)) if needle in (t, i)]
    if len(same) == 1:
        return ArticleMatch(names.article(same[0]))
    containing = same or [
        n for n, (t, i) in enumerate(zip(titles, ids, strict=True)) if needle in t or needle in i
    ]
    if len(containing) == 1:
        return ArticleMatch(names.article(containing[0]))
    if containing:
        scored = _scored(names, text, 0.0, among=containing)
        return ArticleMatch(None, suggestions=names.articles(scored[:SUGGESTIONS]), ambiguous=True)
    return _near_miss(names, text)


def closest(
    library: Corpus | Sequence[Article],
    text: str,
    cutoff: float = SUGGEST,
    limit: int = SUGGESTIONS,
) -> tuple[Article, ...]:
    """The articles whose title or id is most like `text`, best first, scoring `cutoff` or more."""
    names = _Names(library)
    return names.articles(_scored(names, text, cutoff)[:limit])


class _Names:
    """A library's titles and ids, read once; its articles made only when one is picked."""

    def __init__(self, library: Corpus | Sequence[Article]) -> None:
        corpus = library if isinstance(library, Corpus) else Corpus(library)
        self._articles = corpus.articles
        self.ids = corpus.ids()
        self.titles = [
            " ".join(t.split()) or i for t, i in zip(corpus.titles(), self.ids, strict=True)
        ]

    def article(self, number: int) -> Article:
        return self._articles[number]

    def articles(self, scored: Sequence[tuple[int, float]]) -> tuple[Article, ...]:
        return tuple(self._articles[number] for number, _ in scored)

    def article_with_id(self, article_id: str) -> Article | None:
        number = next((n for n, i in enumerate(self.ids) if i == article_id), None)
        return None if number is None else self._articles[number]


def _near_miss(names: _Names, text: str) -> ArticleMatch:
    scored = _scored(names, text, SUGGEST)
    if not scored:
        return ArticleMatch(None)
    best, score = scored[0]
    runner_up = scored[1][1] if len(scored) > 1 else 0.0
    if score >= CONFIDENT and score - runner_up >= MARGIN:
        return ArticleMatch(names.article(best), guessed=True)
    return ArticleMatch(None, suggestions=names.articles(scored[:SUGGESTIONS]))


def _scored(
    names: _Names, text: str, cutoff: float, among: Sequence[int] | None = None
) -> list[tuple[int, float]]:
    """Each article's number (of those `among`) with its better score (title or id) against
    `text`, best first."""
    query = utils.default_process(text)
    if not query:
        return []
    numbers = range(len(names.ids)) if among is None else among
    best: dict[int, float] = {}
    for column in (names.titles, names.ids):
        for _, score, index in process.extract(
            text,
            [column[n] for n in numbers],
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=cutoff,
            limit=None,
        ):
            number = numbers[index]
            best[number] = max(score, best.get(number, 0.0))
    return sorted(best.items(), key=lambda item: (-item[1], names.titles[item[0]]))
